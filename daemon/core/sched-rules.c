/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/sched-rules.h"

int v2v_window_parse(const char *text, V2vWindow *ret) {
        unsigned h1, m1, h2, m2;
        int n = 0;

        *ret = (V2vWindow) {};
        if (!text || !*text)
                return 0;
        if (sscanf(text, "%2u:%2u-%2u:%2u%n", &h1, &m1, &h2, &m2, &n) != 4 || (size_t) n != strlen(text) ||
            h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || (h2 == 24 && m2 != 0))
                return -EINVAL;
        ret->start_min = h1 * 60 + m1;
        ret->end_min = (h2 * 60 + m2) % (24 * 60);
        if (ret->start_min == ret->end_min)
                return -EINVAL;
        ret->set = true;
        return 0;
}

const char *v2v_window_format(const V2vWindow *w, char buf[static 12]) {
        if (!w->set)
                return strcpy(buf, "");
        snprintf(buf, 12, "%02u:%02u-%02u:%02u", (w->start_min / 60) % 24u, w->start_min % 60u,
                 (w->end_min / 60) % 24u, w->end_min % 60u);
        return buf;
}

static GDateTime *at(uint64_t usec, GTimeZone *tz) {
        g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc((gint64) (usec / G_USEC_PER_SEC));
        g_autoptr(GTimeZone) local = tz ? NULL : g_time_zone_new_local();

        return utc ? g_date_time_to_timezone(utc, tz ?: local) : NULL;
}

static bool minute_in(const V2vWindow *w, unsigned m) {
        if (w->start_min < w->end_min)
                return m >= w->start_min && m < w->end_min;
        return m >= w->start_min || m < w->end_min;
}

bool v2v_window_is_open(const V2vWindow *w, uint64_t now_usec, GTimeZone *tz) {
        g_autoptr(GDateTime) t = NULL;

        if (!w->set)
                return true;
        t = at(now_usec, tz);
        return !t || minute_in(w, (unsigned) (g_date_time_get_hour(t) * 60 + g_date_time_get_minute(t)));
}

uint64_t v2v_window_next_open(const V2vWindow *w, uint64_t now_usec, GTimeZone *tz) {
        g_autoptr(GDateTime) t = NULL;
        g_autoptr(GDateTime) open = NULL;

        if (!w->set)
                return 0;
        if (v2v_window_is_open(w, now_usec, tz))
                return now_usec;
        t = at(now_usec, tz);
        if (!t)
                return now_usec;
        /* Today's opening, or tomorrow's once it has passed. Built from
         * the date, so that a day of 23 or 25 hours opens on the clock. */
        open = g_date_time_new(g_date_time_get_timezone(t), g_date_time_get_year(t), g_date_time_get_month(t),
                               g_date_time_get_day_of_month(t), (int) (w->start_min / 60), (int) (w->start_min % 60), 0);
        if (open && (uint64_t) g_date_time_to_unix(open) * G_USEC_PER_SEC <= now_usec) {
                g_autoptr(GDateTime) next_day = g_date_time_add_days(t, 1);
                g_clear_pointer(&open, g_date_time_unref);
                if (next_day)
                        open = g_date_time_new(g_date_time_get_timezone(t), g_date_time_get_year(next_day),
                                               g_date_time_get_month(next_day), g_date_time_get_day_of_month(next_day),
                                               (int) (w->start_min / 60), (int) (w->start_min % 60), 0);
        }
        return open ? (uint64_t) g_date_time_to_unix(open) * G_USEC_PER_SEC : now_usec + 60 * G_USEC_PER_SEC;
}

int v2v_queue_order(int prio_a, uint64_t id_a, int prio_b, uint64_t id_b) {
        if (prio_a != prio_b)
                return prio_a > prio_b ? -1 : 1;
        return id_a < id_b ? -1 : id_a > id_b;
}

V2vWait v2v_sched_wait(const V2vSchedInput *in) {
        if (in->not_before_usec > in->now_usec)
                return V2V_WAIT_NOT_BEFORE;
        if (!in->ignore_window && in->window && !v2v_window_is_open(in->window, in->now_usec, in->tz))
                return V2V_WAIT_WINDOW;
        if (in->running >= in->max_running)
                return V2V_WAIT_SLOT;
        if (in->source_max > 0 && in->source_running >= in->source_max)
                return V2V_WAIT_SOURCE;
        return V2V_WAIT_NONE;
}

char *v2v_sched_reason(V2vWait w, const V2vSchedInput *in, const char *source) {
        char buf[12];

        switch (w) {
        case V2V_WAIT_NOT_BEFORE: {
                g_autoptr(GDateTime) t = at(in->not_before_usec, in->tz);
                g_autofree char *when = t ? g_date_time_format_iso8601(t) : g_strdup("?");
                return g_strdup_printf("waiting until %s (not_before)", when);
        }
        case V2V_WAIT_WINDOW:
                return g_strdup_printf("waiting for the start window %s", v2v_window_format(in->window, buf));
        case V2V_WAIT_SLOT:
                return g_strdup_printf("waiting for a free slot (%u of %u running)", in->max_running, in->max_running);
        case V2V_WAIT_SOURCE:
                return g_strdup_printf("waiting for a slot on %s (%u of %u running)", source, in->source_max,
                                       in->source_max);
        default:
                return g_strdup("");
        }
}
