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

/* Something the metrics show changed: state (or a job came or went) →
 * write soon; else within METRICS_FILE_INTERVAL_SEC. A no-op without
 * metrics_file=. */
void metrics_file_changed(Manager *m, bool state);

/* The manager is going away. */
void metrics_file_free(Manager *m);
