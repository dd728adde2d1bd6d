/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * metrics-file: the daemon's metrics (core/metrics.h's text) for
 * GetMetrics and for metrics_file= (node_exporter's textfile collector):
 * written atomically at once (after the current dispatch) when a job's
 * state or the set of jobs changes, and at most once every
 * METRICS_FILE_INTERVAL_SEC for progress alone.
 */
#pragma once

#include "job/manager.h"

#define METRICS_FILE_INTERVAL_SEC 5

/* The text for all jobs on record, now. */
char *metrics_text(Manager *m);

/* With metrics_file=: write it now (after the current dispatch), and
 * subscribe to the jobs' events (job-events.h) to keep it current. 0
 * without metrics_file=. */
int metrics_file_subscribe(Manager *m);

/* The manager is going away. */
void metrics_file_free(Manager *m);
