/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * polkit: who may do what on the system bus.
 *
 * polkit_check_async() asks org.freedesktop.PolicyKit1's CheckAuthorization
 * about the sender of a method call, without blocking: the first time it
 * sends the question and returns 0 — the handler then returns 1 ("I reply
 * later"). When polkit answers, the call is put back into the bus's read
 * queue and dispatched again; the handler runs again from the start, calls
 * polkit_check_async() again with the same message, and this time gets the
 * answer (1 allowed, or a negative errno with the error set). Nothing is
 * cached across calls, so the handler always re-resolves its object (a job
 * may be gone by then). Root, and everyone in user mode, is allowed at once.
 *
 * Reading a job's Spec, StateFile, LogFile, MachineLogFile and
 * ThrottlingFile is allowed to root, the job's owner and whoever polkit
 * allows org.v2vd.V2V1.manage-any-job (asked without interaction, by a bus
 * filter in front of Properties.Get/GetAll and GetManagedObjects); anyone
 * else reads "". Signals (InterfacesAdded) go to everyone, so there these
 * properties are always "" on the system bus.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "common/bus-names.h"
#include "job/job.h"
#include "job/manager.h"


/* details: NULL or a NULL-terminated list of key, value pairs shown to
 * polkit rules (action.lookup(key)). interactive: allow an authentication
 * dialog if the caller set ALLOW_INTERACTIVE_AUTHORIZATION on the call.
 * Returns 1 allowed, 0 asked (return 1 from the handler), <0 refused or
 * failed, with error set. */
int polkit_check_async(Manager *m, sd_bus_message *call, const char *action, const char *const *details,
                       bool interactive, sd_bus_error *error);

/* The module's state (questions in flight, the filter), m->polkit. */
Polkit *polkit_new(void);
Polkit *polkit_free(Polkit *p);

/* System mode: installs the bus filter deciding on job details (above). */
int polkit_setup(Manager *m);

/* For a property getter building reply: may the current caller see the
 * job's spec and paths? */
bool polkit_may_see_job_details(const Job *j, sd_bus_message *reply);
