/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * job-events: what the job layer tells whoever publishes it. The job layer
 * knows no bus: it calls these, and each subscriber gets them in the order
 * it subscribed — the bus (bus-job.c: PropertiesChanged, JobNew,
 * JobFinished, JobRemoved), the journal entries of a job's life
 * (job-journal.c) and metrics_file= (metrics-file.c), wired by main.c.
 * Without a subscriber (unit tests) they go nowhere.
 */
#pragma once

#include "job/job.h"

typedef struct JobEvents {
        /* props: JobProperty bits whose values changed (coalesced, job-follow.c). */
        void (*changed)(Job *j, unsigned props, void *userdata);
        /* A job was created (not loaded at start). */
        void (*added)(Job *j, void *userdata);
        /* It reached a final state. */
        void (*finished)(Job *j, void *userdata);
        /* It is about to be freed: Remove, or expiry. */
        void (*removed)(Job *j, void *userdata);
        /* The manager's running or queued count changed. */
        void (*counts_changed)(Manager *m, void *userdata);
} JobEvents;

/* events must outlive m (a static table); -ENOSPC past
 * JOB_EVENTS_MAX_SUBSCRIBERS. Unsubscribe with the same pair. */
int job_events_subscribe(Manager *m, const JobEvents *events, void *userdata);
void job_events_unsubscribe(Manager *m, const JobEvents *events, void *userdata);
/* The userdata events subscribed with, or NULL. */
void *job_events_userdata(Manager *m, const JobEvents *events);

void job_events_changed(Job *j, unsigned props);
void job_events_added(Job *j);
void job_events_finished(Job *j);
void job_events_removed(Job *j);
void job_events_counts_changed(Manager *m);
