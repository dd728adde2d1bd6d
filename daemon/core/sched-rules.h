/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sched-rules: the scheduler's rules, pure (no clock, no daemon): the queue's
 * order, the start window, and why a queued job cannot start yet. The job
 * layer (job/scheduler.c) applies them to the queue.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* [daemon] start_window=HH:MM-HH:MM in local time; it may span midnight
 * ("22:00-06:00"). Unset: always open. */
typedef struct V2vWindow {
        bool set;
        unsigned start_min, end_min;   /* minutes after midnight; start != end */
} V2vWindow;

/* "HH:MM-HH:MM" or "" (unset): 0, else -EINVAL. */
int v2v_window_parse(const char *text, V2vWindow *ret);
/* "22:00-06:00" (buf of at least 12 bytes) */
const char *v2v_window_format(const V2vWindow *w, char buf[static 12]);
/* Is the window open at now (CLOCK_REALTIME µs), in tz (NULL: local)? */
bool v2v_window_is_open(const V2vWindow *w, uint64_t now_usec, GTimeZone *tz);
/* When it opens next after now (now itself if open); 0 if unset. */
uint64_t v2v_window_next_open(const V2vWindow *w, uint64_t now_usec, GTimeZone *tz);

/* Queue order: higher priority first, then the lower id (submission). */
int v2v_queue_order(int prio_a, uint64_t id_a, int prio_b, uint64_t id_b);

typedef enum V2vWait {
        V2V_WAIT_NONE,        /* may start now */
        V2V_WAIT_NOT_BEFORE,  /* its not_before is later */
        V2V_WAIT_WINDOW,      /* the start window is closed */
        V2V_WAIT_SLOT,        /* max_running_jobs= are running */
        V2V_WAIT_SOURCE,      /* max_running_jobs_per_source= of its source are running */
} V2vWait;

typedef struct V2vSchedInput {
        uint64_t now_usec;
        unsigned running, max_running;
        unsigned source_running, source_max;
        uint64_t not_before_usec;      /* 0 = none */
        bool ignore_window;
        const V2vWindow *window;
        GTimeZone *tz;                 /* NULL: local */
} V2vSchedInput;

/* Why the job cannot start now: the first of not_before, the window, a
 * free slot, a free slot on its source. */
V2vWait v2v_sched_wait(const V2vSchedInput *in);

/* The words for WaitReason: "" for V2V_WAIT_NONE; e.g. "waiting for a slot
 * on esx1.example.com (20 of 20 running)". Stable while the cause is (no
 * clock in it), so that it changes only when the cause does. */
char *v2v_sched_reason(V2vWait w, const V2vSchedInput *in, const char *source);
