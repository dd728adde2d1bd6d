/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "job/job-private.h"
#include "job/scheduler.h"
#include "core/sched-rules.h"
#include "host/util.h"

static gint queue_order(gconstpointer a, gconstpointer b, gpointer userdata) {
        const Job *x = a, *y = b;

        return v2v_queue_order(x->record->priority, g_ascii_strtoull(x->id, NULL, 10),
                               y->record->priority, g_ascii_strtoull(y->id, NULL, 10));
}

void scheduler_queue_add(Manager *m, Job *j) {
        GList *tail = g_queue_peek_tail_link(&m->queue);

        /* Most jobs go last (same priority, a new id): no walk. */
        if (!tail || queue_order(tail->data, j, NULL) < 0)
                g_queue_push_tail(&m->queue, j);
        else
                g_queue_insert_sorted(&m->queue, j, queue_order, NULL);
}

void scheduler_queue_remove(Manager *m, Job *j) {
        g_queue_remove(&m->queue, j);
        job_set_wait(j, V2V_WAIT_NONE, NULL);
}

void scheduler_count_running(Manager *m, Job *j, bool in) {
        const char *source = j->source ?: "local";
        unsigned n;

        if (!m->source_running)
                m->source_running = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        n = GPOINTER_TO_UINT(g_hash_table_lookup(m->source_running, source));
        if (in)
                n++;
        else if (n > 0)
                n--;
        if (n)
                g_hash_table_replace(m->source_running, g_strdup(source), GUINT_TO_POINTER(n));
        else
                g_hash_table_remove(m->source_running, source);
}

unsigned scheduler_source_cap(const Manager *m, const char *source) {
        gpointer v;

        if (m->source_caps && g_hash_table_lookup_extended(m->source_caps, source, NULL, &v))
                return GPOINTER_TO_UINT(v);
        return m->max_running_jobs_per_source;
}

static int on_sched_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        manager_schedule(userdata);
        return 0;
}

static void scheduler_arm(Manager *m, uint64_t wake_usec) {
        int r;

        if (wake_usec == 0) {
                if (m->sched_timer)
                        (void) sd_event_source_set_enabled(m->sched_timer, SD_EVENT_OFF);
                return;
        }
        if (!m->sched_timer) {
                r = sd_event_add_time(m->event, &m->sched_timer, CLOCK_REALTIME, wake_usec, 100 * 1000ULL,
                                      on_sched_timer, m);
                if (r < 0) {
                        log_error("cannot arm the scheduler's timer: %s", g_strerror(-r));
                        return;
                }
                sd_event_source_set_description(m->sched_timer, "schedule-timer");
        } else
                (void) sd_event_source_set_time(m->sched_timer, wake_usec);
        (void) sd_event_source_set_enabled(m->sched_timer, SD_EVENT_ONESHOT);
}

void scheduler_run(Manager *m) {
        uint64_t now = now_usec(CLOCK_REALTIME), wake = 0;
        GList *next;

        for (GList *l = m->queue.head; l; l = next) {
                Job *j = l->data;
                const char *source = j->source ?: "local";
                V2vSchedInput in = {
                        .now_usec = now,
                        .running = m->n_running,
                        .max_running = m->max_running_jobs,
                        .source_running = m->source_running ?
                                GPOINTER_TO_UINT(g_hash_table_lookup(m->source_running, source)) : 0,
                        .source_max = scheduler_source_cap(m, source),
                        .not_before_usec = j->spec ? j->spec->not_before_usec : 0,
                        .ignore_window = j->spec && j->spec->ignore_window,
                        .window = &m->start_window,
                };
                V2vWait w = v2v_sched_wait(&in);
                uint64_t until = 0;

                /* job_start takes j out of the queue (or ends it). */
                next = l->next;
                if (w == V2V_WAIT_NONE) {
                        (void) job_start(j);
                        if (j->counted && j->record->state == V2V_JOB_QUEUED) {
                                log_full(LOG_ERR, j->id, "still queued after its start: the queue waits");
                                break;
                        }
                        continue;
                }
                if (w != j->wait) {
                        g_autofree char *reason = v2v_sched_reason(w, &in, source);
                        job_set_wait(j, w, reason);
                }
                if (w == V2V_WAIT_NOT_BEFORE)
                        until = in.not_before_usec;
                else if (w == V2V_WAIT_WINDOW)
                        until = v2v_window_next_open(&m->start_window, now, NULL);
                if (until && (wake == 0 || until < wake))
                        wake = until;
        }
        scheduler_arm(m, wake);
}

int scheduler_set_priority(Job *j, int priority) {
        Manager *m = j->manager;

        if (priority < V2V_PRIORITY_MIN || priority > V2V_PRIORITY_MAX)
                return -ERANGE;
        if (j->record->state != V2V_JOB_QUEUED)
                return -ESTALE;
        if (priority == j->record->priority)
                return 0;
        g_queue_remove(&m->queue, j);
        j->record->priority = priority;
        scheduler_queue_add(m, j);
        (void) job_save_record(j);
        log_full(LOG_INFO, j->id, "priority %d", priority);
        job_mark_dirty(j, JOB_PROP_PRIORITY);
        manager_schedule(m);
        return 0;
}

void scheduler_free(Manager *m) {
        m->sched_timer = sd_event_source_disable_unref(m->sched_timer);
        g_clear_pointer(&m->source_running, g_hash_table_unref);
        g_clear_pointer(&m->source_caps, g_hash_table_unref);
}
