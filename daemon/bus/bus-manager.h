/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-manager: the org.v2vd.V2V1.Manager interface at /org/v2vd/V2V1 and
 * the ObjectManager there. The names are bus-names.h's.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "common/bus-names.h"
#include "job/manager.h"

int bus_manager_register(Manager *m);
void bus_manager_emit_counts(Manager *m);

/* May the sender of message act on a job owned by owner? Root, and anyone
 * in user mode (the bus already limits callers to the user), at once;
 * otherwise polkit decides (manage-job on one's own jobs, manage-any-job on
 * others'). Returns 1 allowed, 0 when polkit was asked (the handler returns
 * 1 and runs again once polkit answered), or a negative errno with error set. */
int bus_check_job_access(Manager *m, sd_bus_message *message, uid_t owner, sd_bus_error *error);
int bus_sender_uid(sd_bus_message *message, uid_t *ret);
