/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scheduler: the run queue. It owns the queue's order (priority, then id),
 * the caps (max_running_jobs=, max_running_jobs_per_source= and its
 * [source:HOST] overrides), when a job may start (its not_before, the
 * [daemon] start_window=), and why each queued job waits (WaitReason). The
 * rules are core/sched-rules.c; here they meet the jobs.
 *
 * A pass goes through the whole queue in order and starts every job that
 * may start, so a job held back (by its source's cap, its time, the window)
 * never holds back the jobs behind it. A pass runs when a slot frees, a job
 * is queued or its priority changes (manager_schedule), and at the next
 * time a waiting job's reason ends (one CLOCK_REALTIME timer: no polling).
 */
#pragma once

#include <stdbool.h>

#include "job/job.h"

/* The queue and the per-source counts, for job_set_state() only. */
void scheduler_queue_add(Manager *m, Job *j);
void scheduler_queue_remove(Manager *m, Job *j);
void scheduler_count_running(Manager *m, Job *j, bool in);

/* max_running_jobs_per_source for a source: its [source:HOST] override or the default; 0 = no cap. */
unsigned scheduler_source_cap(const Manager *m, const char *source);

/* Start what may start; record why the rest waits; arm the timer. */
void scheduler_run(Manager *m);

/* SetPriority: reorders a queued job. -ESTALE once it is no longer queued,
 * -ERANGE outside V2V_PRIORITY_MIN..MAX. */
int scheduler_set_priority(Job *j, int priority);

void scheduler_free(Manager *m);
