/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * job: one conversion — its state machine (queued → running → succeeded |
 * failed | cancelled, changed only by job_set_state()), its directory, the
 * runner that waits for virt-v2v, following virt-v2v's two log files, and
 * publishing what changed. Three files (job-private.h says which does what):
 * job.c, job-follow.c, job-start.c.
 *
 * Files in <state-dir>/jobs/<id>/: spec.json (redacted), job.json (the
 * daemon's record), state.json (wrapper format), v2v.log, v2v-machine.log,
 * v2v.pid and exit-status (written by the runner), bandwidth (bits/s for
 * --bandwidth-file), throttling.json (written by callers).
 * Secrets live in <runtime-dir>/jobs/<id>/ (0700, files 0600) only while
 * the job is queued or running; the full spec is kept there too so a queued
 * job survives a daemon restart (not a reboot: then it fails, saying so).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "job/manager.h"
#include "host/scope.h"
#include "core/progress.h"
#include "core/sched-rules.h"
#include "core/spec.h"
#include "core/statefile.h"

/* virt-v2v's two logs in the job directory: its messages (stdout and
 * stderr, through the runner) and its --machine-readable output. */
#define JOB_LOG_FILE          "v2v.log"
#define JOB_MACHINE_LOG_FILE  "v2v-machine.log"

typedef enum JobProperty {
        JOB_PROP_STATE            = 1 << 0,
        JOB_PROP_PHASE            = 1 << 1,
        JOB_PROP_PROGRESS         = 1 << 2,
        JOB_PROP_DISKS            = 1 << 3,
        JOB_PROP_DISK_COUNT       = 1 << 4,
        JOB_PROP_STARTED_AT       = 1 << 5,
        JOB_PROP_FINISHED_AT      = 1 << 6,
        JOB_PROP_EXPECTED_END     = 1 << 7,
        JOB_PROP_RETURN_CODE      = 1 << 8,
        JOB_PROP_LAST_MESSAGE     = 1 << 10,
        JOB_PROP_CPU_LIMIT        = 1 << 11,
        JOB_PROP_NETWORK_LIMIT    = 1 << 12,
        JOB_PROP_UNIT             = 1 << 13,
        JOB_PROP_PID              = 1 << 14,
        JOB_PROP_PRIORITY         = 1 << 15,
        JOB_PROP_WAIT_REASON      = 1 << 16,
        JOB_PROP_DISK_LIMIT       = 1 << 17,
        JOB_PROP_FAILURE          = 1 << 18,
} JobProperty;

struct Job {
        Manager *manager;
        char *id;
        char *object_path;
        char *dir;                 /* <state-dir>/jobs/<id> */
        char *secret_dir;          /* <runtime-dir>/jobs/<id> */
        char *vm_name;
        char *spec_redacted;       /* JSON */
        V2vSpec *spec;             /* NULL once finished, or when loaded finished */

        V2vJobRecord *record;      /* persisted in job.json; record->state only by job_set_state() */
        bool counted;              /* in the manager's queue or running count, as its state says */
        char *source;              /* the host it reads from (v2v_spec_source_host), "local" */
        V2vWait wait;              /* why it waits while queued (scheduler.c) */
        char *wait_reason;         /* WaitReason: its words, "" when not waiting */
        V2vProgress *progress;
        uint32_t v2v_pid;

        /* running */
        int runner_pidfd;
        int go_fd;                 /* write end of the runner's start pipe, -1 once used */
        sd_event_source *runner_source;
        sd_event_source *inotify_source;   /* the job's directory: files closed or renamed */
        sd_event_source *log_watch, *machine_log_watch;  /* IN_MODIFY; off while beating */
        sd_event_source *log_more;  /* a log has more than a slice unread: next loop turn (job-follow.c) */
        sd_event_source *log_cap;   /* the child cutting v2v.log to max_log_size= (job-follow.c) */
        sd_event_source *outputs_watch;  /* the output directory: files the job creates (job-start.c) */
        uint64_t log_cap_cut;
        bool beating;              /* the logs are read on the emit timer's beat (job-follow.c) */
        ScopeWait *scope_wait;     /* the scope being started (scope.h), until it runs */
        bool scope_clearing;       /* scope_wait stops a scope left by an interrupted start */
        unsigned scope_attempts;   /* StartTransientUnit answered UnitExists this many times */
        bool adopted;              /* the runner is a previous daemon's, not our child */
        GPtrArray *io_devices;     /* block devices of its inputs and outputs: the disk limit's (blockdev.c) */
        uint64_t log_offset, machine_log_offset;
        uint64_t read_window_usec, read_window_bytes;  /* the logs' read budget (job-follow.c) */
        sd_event_source *log_budget_timer;  /* reads on when the budget is back */
        char *tampered;            /* why the owner's logs are not virt-v2v's: the job fails */
        int log_fd, machine_log_fd;    /* kept open while following, else -1 */

        /* publishing */
        unsigned dirty;            /* JobProperty bits not yet signalled */
        uint64_t last_emit_usec;
        sd_event_source *emit_timer;
        bool state_file_dirty;
        uint64_t last_state_write_usec;
        sd_event_source *state_file_timer;
        bool state_file_write_failed;  /* logged once, not in a loop */
};

/* CreateJob: validate nothing more (spec is valid), create the directory
 * and files, queue it. Takes ownership of spec on success. */
int job_create(Manager *m, V2vSpec **spec, uid_t owner, Job **ret);
/* From a directory at daemon start; the job is in m->jobs after success. */
int job_load(Manager *m, const char *id, Job **ret);
/* After every job is loaded: re-adopt a running job whose runner still
 * runs in its scope, or conclude it from what it left behind. */
int job_adopt(Job *j);
Job *job_free(Job *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Job, job_free)

/* The one writer of a job's state, the manager's queue and running count.
 * A job not yet counted (just created or loaded) joins in STATE, quietly.
 * Afterwards the transition is checked (v2v_job_state_transition_is_valid:
 * never backwards), then the record is saved, state.json written, STATE
 * and props signalled at once (JobFinished too at the end), the manager's
 * counts signalled and, where a slot or a queued job appeared, the queue
 * scheduled — deferred, never re-entered. -EINVAL for a refused transition. */
int job_set_state(Job *j, V2vJobState state, unsigned props);

int job_start(Job *j);
/* Returns -ESTALE when the job has already finished. */
int job_cancel(Job *j);
/* The job's CPU, network and disk limits (SetThrottling, throttling.json):
 * cpu "N%"/"unlimited" (v2v-limits.h) or NULL to keep; network and disk
 * bytes/s, 0 = unlimited, -1 keep. -EINVAL for a bad cpu, -ESTALE once
 * finished, or what applying it to the running scope returned. */
int job_set_limits(Job *j, const char *cpu, int64_t network, int64_t disk);
/* Forget a finished job and delete its directory. */
int job_remove(Job *j);

/* At daemon start, for a re-adopted running job: record its egress limit
 * in the manager's Egress (no host change; manager_load_jobs syncs once
 * for all). */
void job_register_egress(Job *j);

void job_mark_dirty(Job *j, unsigned props);
/* Why a queued job waits (scheduler.c); WaitReason changes with it. */
void job_set_wait(Job *j, V2vWait wait, const char *reason);
void job_set_message(Job *j, const char *type, const char *text);

V2vJobState job_state(const Job *j);
double job_progress(const Job *j);
const char *job_phase(const Job *j);
void job_last_message(const Job *j, const char **type, const char **text);
/* Why a failed or cancelled job ended (core/failure.h): "" for each while
 * it has not. */
void job_failure(const Job *j, const char **code, const char **summary, const char **remedy);

char *job_state_file_path(const Job *j);
char *job_log_path(const Job *j);
char *job_machine_log_path(const Job *j);
char *job_throttling_file_path(const Job *j);
