/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>

#include "job/expire.h"
#include "job/job.h"
#include "host/util.h"

#define EXPIRE_INTERVAL_USEC (600ULL * 1000000ULL)
#define USEC_PER_DAY (86400ULL * 1000000ULL)

typedef struct {
        uint64_t end;
        unsigned index;
} Ended;

static int compare_newest_first(const void *a, const void *b) {
        const Ended *x = a, *y = b;
        if (x->end != y->end)
                return x->end > y->end ? -1 : 1;
        return x->index > y->index ? -1 : x->index < y->index;
}

void expire_select(const uint64_t *ends, unsigned n, uint64_t now_usec, unsigned keep_days, unsigned keep_count,
                   bool *expired) {
        g_autofree Ended *order = g_new(Ended, n ? n : 1);

        for (unsigned i = 0; i < n; i++) {
                expired[i] = keep_days > 0 && ends[i] + (uint64_t) keep_days * USEC_PER_DAY <= now_usec;
                order[i] = (Ended) { ends[i], i };
        }
        if (keep_count == 0 || n <= keep_count)
                return;
        qsort(order, n, sizeof *order, compare_newest_first);
        for (unsigned k = keep_count; k < n; k++)
                expired[order[k].index] = true;
}

static void expire_run(Manager *m) {
        g_autoptr(GPtrArray) finished = g_ptr_array_new();
        g_autofree uint64_t *ends = NULL;
        g_autofree bool *expired = NULL;
        GHashTableIter it;
        gpointer value;

        if (m->keep_finished_jobs_days == 0 && m->keep_finished_jobs == 0)
                return;
        g_hash_table_iter_init(&it, m->jobs);
        while (g_hash_table_iter_next(&it, NULL, &value))
                if (v2v_job_state_is_finished(((Job *) value)->record->state))
                        g_ptr_array_add(finished, value);
        ends = g_new0(uint64_t, finished->len + 1);
        expired = g_new0(bool, finished->len + 1);
        for (guint i = 0; i < finished->len; i++)
                ends[i] = ((Job *) finished->pdata[i])->record->finished_usec;
        expire_select(ends, finished->len, now_usec(CLOCK_REALTIME), m->keep_finished_jobs_days,
                      m->keep_finished_jobs, expired);
        for (guint i = 0; i < finished->len; i++)
                if (expired[i]) {
                        Job *j = finished->pdata[i];
                        log_full(LOG_INFO, j->id, "expired (keep_finished_jobs_days=%u, keep_finished_jobs=%u)",
                                 m->keep_finished_jobs_days, m->keep_finished_jobs);
                        (void) job_remove(j);
                }
}

static int on_expire_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        expire_run(m);
        (void) sd_event_source_set_time_relative(s, EXPIRE_INTERVAL_USEC);
        return 0;
}

static int on_expire_defer(sd_event_source *s, void *userdata) {
        expire_run(userdata);
        return 0;
}

int expire_setup(Manager *m) {
        int r;

        if (m->keep_finished_jobs_days == 0 && m->keep_finished_jobs == 0)
                return 0;
        r = sd_event_add_time_relative(m->event, &m->expire_timer, CLOCK_MONOTONIC, EXPIRE_INTERVAL_USEC, 0,
                                       on_expire_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->expire_timer, SD_EVENT_ON);
        sd_event_source_set_description(m->expire_timer, "expire");
        r = sd_event_add_defer(m->event, &m->expire_defer, on_expire_defer, m);
        if (r < 0)
                return r;
        sd_event_source_set_description(m->expire_defer, "expire-now");
        expire_run(m);
        return sd_event_source_set_enabled(m->expire_defer, SD_EVENT_OFF);
}

void expire_soon(Manager *m) {
        if (m->expire_defer)
                (void) sd_event_source_set_enabled(m->expire_defer, SD_EVENT_ONESHOT);
}
