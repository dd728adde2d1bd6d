/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * metrics: the daemon's state as OpenMetrics text (one formatter, pure):
 * jobs by state, the queued and running counts, each job's progress, bytes
 * copied and limits, the durations of finished jobs as a histogram,
 * failed jobs by reason, the host's limits in force.
 *
 * The text is also valid Prometheus text format 0.0.4 (only gauge and
 * histogram families; "# UNIT" and "# EOF" are comments there), so
 * node_exporter's textfile collector reads the same file.
 *
 * Everything counts the jobs on record: a finished job leaves the figures
 * when it expires or is removed, so these are gauges, not counters.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/statefile.h"

typedef struct V2vMetricsJob {
        const char *id;
        const char *vm;
        V2vJobState state;
        double progress;           /* 0–100 */
        uint64_t bytes_copied;     /* of the disks whose size is known */
        uint64_t bytes_total;      /* their sizes, 0 = none known */
        uint64_t started_usec, finished_usec;   /* 0 = not (yet) */
        const char *cpu_limit;     /* "N%" or "unlimited" (running jobs' limits are exported) */
        uint64_t network_limit;    /* bytes/s, 0 = unlimited */
        const char *failure_reason;   /* failed jobs: a short code (label value); NULL = "unknown" */
} V2vMetricsJob;

typedef struct V2vMetricsHost {
        unsigned max_running_jobs;
        unsigned max_queued_jobs;
        unsigned max_queued_jobs_per_user;   /* 0 = no bound */
        const char *default_cpu;   /* "N%" or "unlimited" */
        uint64_t default_network;  /* bytes/s, 0 = unlimited */
        unsigned running, queued;  /* the manager's counts */
} V2vMetricsHost;

/* The histogram's upper bounds, seconds (and +Inf). */
extern const double v2v_metrics_duration_buckets[];
extern const size_t v2v_metrics_duration_buckets_n;

/* The whole text, ending in "# EOF\n". jobs in the order to print. */
char *v2v_metrics_render(const V2vMetricsHost *host, const V2vMetricsJob *jobs, size_t n_jobs);

/* uint64 bytes of the disks of known size copied so far, from per-disk
 * progress: sum of size × progress / 100. */
uint64_t v2v_metrics_bytes_copied(const uint64_t *sizes, const double *progress, size_t n, uint64_t *ret_total);
