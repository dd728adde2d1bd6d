/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * manager: the one daemon context — configuration, directories, job ids,
 * the event loop and the bus connection (for systemd), the table of jobs,
 * the run queue and its deferred scheduler. Everything of the job layer
 * hangs off it; the bus layer (bus/) subscribes to its events
 * (job-events.h). The only other global state is util.c's choice of log
 * target.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "core/sched-rules.h"

typedef struct Job Job;
typedef struct Egress Egress;
typedef struct ScopeWatch ScopeWatch;
typedef struct JobEvents JobEvents;

/* The bus, the journal entries (job-journal.c), metrics_file= (metrics-file.c). */
#define JOB_EVENTS_MAX_SUBSCRIBERS 4

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        bool user_mode;
        bool config_checking;      /* a scratch manager of manager_check_config() */

        char *state_dir;           /* <state-dir> */
        char *jobs_dir;            /* <state-dir>/jobs */
        char *runtime_dir;         /* <runtime-dir>: secrets, 0700 */
        char *virt_v2v;            /* path (or bare name) of virt-v2v */
        char *virt_v2v_in_place;
        char *runner_path;         /* v2vd-runner */
        char *v2v_version;         /* "virt-v2v 2.2.0" or "" */
        char **v2v_capabilities;   /* lines of virt-v2v --machine-readable */
        char **profile_dirs;

        unsigned max_running_jobs;
        unsigned max_running_jobs_per_source;  /* 0 = no cap (scheduler.c) */
        GHashTable *source_caps;   /* [source:HOST] max_running_jobs=: host → cap (GUINT_TO_POINTER) */
        GHashTable *source_running;  /* host → running jobs reading from it (scheduler.c) */
        V2vWindow start_window;    /* [daemon] start_window= */
        char *host_cpu;            /* [daemon] host_cpu=: all jobs together, "N%"/"unlimited" (budget.c) */
        uint64_t host_disk;        /* [daemon] host_disk=: bytes/s, 0 = unlimited (budget.c) */
        uint64_t host_network;     /* [daemon] host_network=: egress bytes/s, 0 = unlimited (budget.c) */
        char *host_slice_cgroup;   /* v2vd.slice's cgroup v2 path, once a job's scope told it */
        GPtrArray *host_io_devices;  /* block devices jobs have used: host_disk applies there */
        sd_event_source *sched_timer;  /* the next time a waiting job's reason ends (scheduler.c) */
        unsigned max_queued_jobs;
        unsigned max_queued_jobs_per_user;   /* 0 = no per-user bound */
        unsigned max_pending_auth_per_user;  /* polkit checks in flight per uid (bus/polkit.c) */
        char *default_cpu;         /* "unlimited" or "N%" */
        uint64_t default_network;  /* bytes/s, 0 = unlimited */
        uint64_t cancel_grace_usec;
        uint64_t progress_interval_usec;  /* a job's progress signals: at most one per this */
        char **extra_env;          /* [environment] as KEY=VALUE */
        char **egress_interfaces;  /* [daemon] egress_interfaces=, NULL = default routes' (egress.h) */
        char *egress_name;         /* [daemon] throttle_name=, NULL = derived from state_dir */
        char **root_outputs;       /* [daemon] root_outputs=: -o names whose jobs run as root (owner.c) */
        Egress *egress;            /* egress shaping (egress.c); NULL if unusable */
        ScopeWatch *scope_watch;   /* scopes being started (scope.c), once the bus is attached */
        struct JobEventsSubscriber {
                const JobEvents *events;
                void *userdata;
        } events[JOB_EVENTS_MAX_SUBSCRIBERS];   /* (job-events.h); events NULL = a free slot */

        GHashTable *jobs;          /* id → Job* (owned) */
        GQueue queue;              /* Job* waiting, in id order: job_set_state() only */
        unsigned n_running;        /* job_set_state() only */
        uint64_t last_id;

        uint64_t max_log_size;             /* bytes of v2v.log kept, 0 = all (job-follow.c) */
        unsigned keep_finished_jobs_days;  /* 0 = forever (expire.c) */
        unsigned keep_finished_jobs;       /* 0 = all */
        sd_event_source *expire_timer, *expire_defer;

        unsigned source_timeout_sec;  /* [daemon] source_timeout_sec= (bus/source-call.c) */

        char *metrics_file;        /* [daemon] metrics_file=, NULL = none (metrics-file.c) */
        struct MetricsFile *metrics;
        char *test_pause_at;       /* $V2VD_TEST_PAUSE_AT: a start step where the daemon stops itself (tests) */

        sd_event_source *status_defer;
        sd_event_source *schedule_defer;
} Manager;

typedef struct ManagerOptions {
        bool user_mode;
        const char *config_file;   /* NULL = the default one if it exists */
        const char *state_dir;     /* NULL = the mode's default */
        const char *runtime_dir;
} ManagerOptions;

int manager_new(const ManagerOptions *opts, Manager **ret);
/* v2vd --check-config: every problem of the configuration file on stderr
 * (unknown sections and keys, then the first bad value); how many. */
int manager_check_config(const ManagerOptions *opts);
Manager *manager_free(Manager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manager, manager_free)

/* The daemon's bus connection (the bus layer opens it): attached to the
 * loop, ending it when lost, and watched for systemd's JobRemoved. Takes a
 * reference. */
int manager_attach_bus(Manager *m, sd_bus *bus);
/* Creates the state and runtime directories (once the bus is there). */
int manager_make_dirs(Manager *m);
/* Reads every job directory: finished jobs listed again, running ones
 * re-adopted or failed, queued ones queued again. */
int manager_load_jobs(Manager *m);

/* Start queued jobs while fewer than max_running_jobs run: after the
 * current dispatch (an event source), never from inside the caller. */
void manager_schedule(Manager *m);
/* CreateJob's rule: no new job while max_queued_jobs wait. */
bool manager_queue_is_full(const Manager *m);
/* How many of the queued jobs uid owns (max_queued_jobs_per_user=). */
unsigned manager_queued_of(const Manager *m, uid_t uid);
/* The jobs (borrowed) in the order they were created. */
GPtrArray *manager_sorted_jobs(Manager *m);
/* Running/queued counts changed: the counts_changed event and STATUS= soon. */
void manager_counts_changed(Manager *m);

/* Allocate the next job id (persisted, never reused in this state dir). */
char *manager_next_job_id(Manager *m);
