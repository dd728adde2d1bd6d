/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-manager: the org.v2vd.V2V1.Manager interface at /org/v2vd/V2V1 and
 * the ObjectManager there. The names are bus-names.h's.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "bus/bus.h"
#include "common/bus-names.h"

int bus_manager_register(Bus *b);
void bus_manager_emit_counts(Bus *b);

/* What CreateJob refuses before polkit is asked: the spec's size, a full
 * queue, uid's queued jobs. 0 or a negative errno with error set. */
int bus_manager_create_job_bounds(Manager *m, const char *text, uid_t uid, sd_bus_error *error);
/* The spec's size alone (what CheckJob refuses first). */
int bus_manager_spec_size_bound(const char *text, sd_bus_error *error);
/* The polkit action creating a job of spec TEXT needs: create-job, or
 * manage-any-job for a start outside the start window ("ignore_window"). */
const char *bus_manager_create_action(const char *text);
/* The start CreateJob and the checks share, message's spec text read and
 * the sender uid known: with create, the create bounds (above) before
 * polkit is asked (which holds the message while it answers); then polkit
 * about action. As bus_check_action: 1 allowed, with *ret_text the spec
 * read again (message rewound), 0 polkit asked, <0 with error set. */
int bus_manager_admit(Bus *b, sd_bus_message *message, const char *text, uid_t uid, bool create,
                      const char *action, const char **ret_text, sd_bus_error *error);
/* CreateJob's work once the caller is allowed: validate text as uid's
 * spec, create the job, reply (s id, o job) to message. check_json: the
 * findings it was checked with, kept as the job's check.json (or NULL).
 * Another uid's paths are checked by a helper as that uid: then 1, and the
 * reply (or error) goes out when it ends. */
int bus_manager_create_job(Manager *m, sd_bus_message *message, const char *text, uid_t uid, const char *check_json,
                           sd_bus_error *error);
/* The LimitsExceeded error of a call refused because helper_start() or
 * helper_slot_take() said R (-EUSERS: uid's helpers, -EAGAIN: all). */
int bus_manager_helpers_busy(int r, uid_t uid, sd_bus_error *error);
/* uid's home directory (NULL if unknown). */
char *home_of(uid_t uid);
/* Drop the job creations whose spec check is still running (their
 * helpers killed), at the end. */
void create_calls_abort(Bus *b);
