/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-manager: the org.v2vd.V2V1.Manager interface at /org/v2vd/V2V1 and
 * the ObjectManager there; the D-Bus error names of API.md.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

#define MANAGER_PATH "/org/v2vd/V2V1"
#define MANAGER_INTERFACE "org.v2vd.V2V1.Manager"
#define BUS_NAME "org.v2vd.V2V1"

#define V2VD_ERROR_INVALID_SPEC       "org.v2vd.V2V1.Error.InvalidSpec"
#define V2VD_ERROR_NO_SUCH_JOB        "org.v2vd.V2V1.Error.NoSuchJob"
#define V2VD_ERROR_JOB_NOT_FINISHED   "org.v2vd.V2V1.Error.JobNotFinished"
#define V2VD_ERROR_JOB_FINISHED       "org.v2vd.V2V1.Error.JobFinished"
#define V2VD_ERROR_TOO_MANY_JOBS      "org.v2vd.V2V1.Error.TooManyJobs"
#define V2VD_ERROR_SOURCE_ERROR       "org.v2vd.V2V1.Error.SourceError"

int bus_manager_register(Manager *m);
void bus_manager_emit_counts(Manager *m);

/* May the sender of message act on a job owned by owner? Root, and anyone
 * in user mode (the bus already limits callers to the user), at once;
 * otherwise polkit decides (manage-job on one's own jobs, manage-any-job on
 * others'). Returns 1 allowed, 0 when polkit was asked (the handler returns
 * 1 and runs again once polkit answered), or a negative errno with error set. */
int bus_check_job_access(Manager *m, sd_bus_message *message, uid_t owner, sd_bus_error *error);
int bus_sender_uid(sd_bus_message *message, uid_t *ret);
