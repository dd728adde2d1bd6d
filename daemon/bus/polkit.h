/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * polkit: a client of org.freedesktop.PolicyKit1 that never blocks.
 *
 * polkit_check_async() asks CheckAuthorization about the sender of a method
 * call: the first time it sends the question and returns 0 — the handler
 * then returns 1 ("I reply later"). When polkit answers, the call is put
 * back into the bus's read queue and dispatched again; the handler runs
 * again from the start, calls polkit_check_async() again with the same
 * message, and this time gets the answer (1 allowed, or a negative errno
 * with the error set). Nothing is cached across calls, so the handler
 * always re-resolves its object (a job may be gone by then). Root, and
 * everyone in user mode, is allowed at once. What to ask about is the
 * caller's business (bus-access.c): this module knows no job.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct Polkit Polkit;

/* user_mode: everyone is allowed (the user bus admits the user only).
 * max_pending_per_uid: questions in flight per caller's uid
 * (max_pending_authorizations_per_user=). */
Polkit *polkit_new(bool user_mode, unsigned max_pending_per_uid);
Polkit *polkit_free(Polkit *p);

/* uid: the caller's (bus_sender_uid). details: NULL or a NULL-terminated
 * list of key, value pairs shown to polkit rules (action.lookup(key)).
 * interactive: allow an authentication dialog if the caller set
 * ALLOW_INTERACTIVE_AUTHORIZATION on the call. Returns 1 allowed, 0 asked
 * (return 1 from the handler), <0 refused or failed, with error set. */
int polkit_check_async(Polkit *p, sd_bus_message *call, uid_t uid, const char *action, const char *const *details,
                       bool interactive, sd_bus_error *error);
