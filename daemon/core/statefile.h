/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * statefile: job fields → files, and back.
 *
 *  - state.json: the virt-v2v-wrapper state file (v2vd.job(5), "THE STATE FILE"),
 *    rendered from a V2vStatus. Keys with no value yet are left out, as the
 *    wrapper did; "failed" is present only when the job failed.
 *  - job.json: the daemon's own record of a job (who, when, which unit,
 *    limits, final state and message), read back when the daemon restarts.
 *    Private to v2vd; not part of the contract.
 *
 * Rendering and parsing are pure: data in, data out, no bus, no clock.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/job-state.h"
#include "core/progress.h"

#define V2V_STATEFILE_ERROR (v2v_statefile_error_quark())
GQuark v2v_statefile_error_quark(void);
typedef enum { V2V_STATEFILE_ERROR_INVALID } V2vStatefileError;

/* Everything state.json shows. Borrowed pointers: the renderer copies. */
typedef struct V2vStatus {
        const char *id;
        V2vJobState state;
        bool started;              /* virt-v2v was executed */
        uint32_t pid;              /* 0 = none */
        int return_code;           /* -1 = not exited */
        const V2vProgress *progress;   /* phase, disks, disk_count, progress, last message */
        const char *last_message_type; /* overrides progress's when non-NULL (e.g. "killed by signal") */
        const char *last_message_text;
        const char *cpu_limit;     /* "50%" / "unlimited" */
        uint64_t network_limit;    /* bytes/s, 0 = unlimited */
        const char *failure_code;  /* NULL = none (failure.h) */
        const char *failure_summary;
        const char *failure_remedy;
} V2vStatus;

/* Render state.json (pretty, stable key order). Never fails.
 *
 * Keys, in this order: "id", "state", "started" (always, false until
 * virt-v2v was executed), "pid" (when non-zero), "phase" (when known),
 * "progress" (always), "disk_count" (when known, i.e. non-zero), "disks"
 * (always, [{"path", "progress"}]), "return_code" (when >= 0),
 * "last_message" ({"message", "type"}, when any),
 * "throttling" (always: {"cpu": cpu_limit or "unlimited", "network": the
 * bytes per second as a string of digits, or "unlimited"} — strings, the
 * same form throttling.json takes), "finished" (true, only when the state
 * is finished), "failed" (true, only when failed or cancelled), "failure"
 * ({"code", "summary", "remedy"}, when failure_code is set). A failed job
 * with a failure has its summary as last_message (type "error"): what the
 * wrapper's callers show.
 * Progress values are rounded to two decimals. */
char *v2v_statefile_render(const V2vStatus *st);

/* The daemon's private record of a job. */
typedef struct V2vJobRecord {
        char *id;
        uid_t owner_uid;
        V2vJobState state;
        uint64_t created_usec, started_usec, finished_usec;
        char *unit;               /* "" / NULL while queued */
        uint32_t runner_pid;      /* 0 = none */
        char *cpu_limit;          /* "unlimited" or "N%" */
        uint64_t network_limit;   /* bytes/s, 0 = unlimited */
        uint64_t disk_limit;      /* bytes/s read and written, 0 = unlimited */
        bool cancel_requested;
        int priority;             /* the queue's order: higher first, then by id (spec "priority", SetPriority) */
        int return_code;          /* -1 = none */
        char *final_message_type; /* set when the daemon itself decided the end (killed, lost) */
        char *final_message_text;
        char *failure_code;       /* why it failed or was cancelled (failure.h); NULL = not classified */
        char *failure_summary;
        char *failure_remedy;
        GPtrArray *preexisting_outputs; /* output files that existed before the job ran: never removed on cancel */
        GPtrArray *created_outputs;     /* "DEV:INO:NAME" of each output file the job created, recorded when
                                         * it appeared: the only files cancel removes (owner.c) */
} V2vJobRecord;

V2vJobRecord *v2v_job_record_new(void);
void v2v_job_record_free(V2vJobRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(V2vJobRecord, v2v_job_record_free)

/* Every field round-trips (NULL and "" strings are kept apart). Parse:
 * "id", "owner_uid" and "state" are required, other missing keys keep
 * v2v_job_record_new()'s defaults (return_code -1, empty
 * preexisting_outputs and created_outputs, never NULL), unknown keys are ignored; a key of the
 * wrong type or value is V2V_STATEFILE_ERROR_INVALID with a message naming
 * it. */
char *v2v_job_record_render(const V2vJobRecord *r);
V2vJobRecord *v2v_job_record_parse(const char *json, GError **error);
