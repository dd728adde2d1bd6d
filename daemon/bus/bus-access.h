/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-access: who is calling, and what they may do or see.
 *
 * Acting on a job (Cancel, SetThrottling, ReadLog, Remove) is for root,
 * anyone in user mode, and otherwise whom polkit allows: manage-job on
 * one's own jobs, manage-any-job on others'.
 *
 * Reading a job's details (bus_job_property_is_detail: its Spec, the paths
 * of its files, what virt-v2v says) is allowed to root, the job's owner and
 * whoever polkit allows org.v2vd.V2V1.manage-any-job (asked without
 * interaction, by a bus filter in front of Properties.Get/GetAll and
 * GetManagedObjects); anyone else reads "". Signals (InterfacesAdded) go to
 * everyone, so there these properties are always "" on the system bus.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "bus/bus.h"
#include "job/job.h"

/* The sender's effective uid, from the bus (never guessed from /proc). */
int bus_sender_uid(sd_bus_message *message, uid_t *ret);

/* Ask polkit about action for the sender of message (polkit.h's protocol:
 * 1 allowed, 0 asked, <0 with error set). */
int bus_check_action(Bus *b, sd_bus_message *message, const char *action, sd_bus_error *error);
/* May the sender act on a job owned by owner? As bus_check_action. */
int bus_check_job_access(Bus *b, sd_bus_message *message, uid_t owner, sd_bus_error *error);

/* --system: installs the filter deciding on job details (above). */
int bus_access_setup(Bus *b);
/* For a property getter building reply: may the current caller see the
 * job's details? */
bool bus_may_see_job_details(Bus *b, const Job *j, sd_bus_message *reply);
