/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sched-rules.c: the queue's order, the start window, why a job waits. */
#include <errno.h>
#include <glib.h>

#include "core/sched-rules.h"

#define SEC G_USEC_PER_SEC

static uint64_t utc(int y, int mo, int d, int h, int mi) {
        g_autoptr(GDateTime) t = g_date_time_new_utc(y, mo, d, h, mi, 0);
        return (uint64_t) g_date_time_to_unix(t) * SEC;
}

static void test_window(void) {
        g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
        V2vWindow w;
        char buf[12];

        g_assert_cmpint(v2v_window_parse("", &w), ==, 0);
        g_assert_false(w.set);
        g_assert_true(v2v_window_is_open(&w, utc(2026, 12, 4, 12, 0), tz));
        g_assert_cmpint(v2v_window_parse("22:00-06:00", &w), ==, 0);
        g_assert_cmpstr(v2v_window_format(&w, buf), ==, "22:00-06:00");
        g_assert_false(v2v_window_is_open(&w, utc(2026, 12, 4, 12, 0), tz));
        g_assert_true(v2v_window_is_open(&w, utc(2026, 12, 4, 22, 0), tz));
        g_assert_true(v2v_window_is_open(&w, utc(2026, 12, 5, 5, 59), tz));
        g_assert_false(v2v_window_is_open(&w, utc(2026, 12, 5, 6, 0), tz));
        g_assert_cmpuint(v2v_window_next_open(&w, utc(2026, 12, 4, 12, 0), tz), ==, utc(2026, 12, 4, 22, 0));
        g_assert_cmpuint(v2v_window_next_open(&w, utc(2026, 12, 4, 23, 0), tz), ==, utc(2026, 12, 4, 23, 0));
        g_assert_cmpint(v2v_window_parse("01:00-03:30", &w), ==, 0);
        g_assert_cmpuint(v2v_window_next_open(&w, utc(2026, 12, 4, 4, 0), tz), ==, utc(2026, 12, 5, 1, 0));
        g_assert_cmpint(v2v_window_parse("08:00-24:00", &w), ==, 0);
        g_assert_true(v2v_window_is_open(&w, utc(2026, 12, 4, 23, 59), tz));
        g_assert_cmpint(v2v_window_parse("22:00-22:00", &w), ==, -EINVAL);
        g_assert_cmpint(v2v_window_parse("25:00-06:00", &w), ==, -EINVAL);
        g_assert_cmpint(v2v_window_parse("22:00-06:00x", &w), ==, -EINVAL);
        g_assert_cmpint(v2v_window_parse("22-6", &w), ==, -EINVAL);
}

static void test_order(void) {
        g_assert_cmpint(v2v_queue_order(0, 5, 0, 7), <, 0);
        g_assert_cmpint(v2v_queue_order(0, 7, 0, 5), >, 0);
        g_assert_cmpint(v2v_queue_order(10, 7, 0, 5), <, 0);
        g_assert_cmpint(v2v_queue_order(-1, 1, 0, 5), >, 0);
        g_assert_cmpint(v2v_queue_order(3, 4, 3, 4), ==, 0);
}

static void test_wait(void) {
        g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
        V2vWindow w;
        V2vSchedInput in = { .now_usec = utc(2026, 12, 4, 12, 0), .running = 1, .max_running = 4,
                             .source_running = 0, .source_max = 1, .window = NULL, .tz = tz };
        g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;

        g_assert_cmpint(v2v_sched_wait(&in), ==, V2V_WAIT_NONE);
        in.source_running = 1;
        g_assert_cmpint(v2v_sched_wait(&in), ==, V2V_WAIT_SOURCE);
        r1 = v2v_sched_reason(V2V_WAIT_SOURCE, &in, "esx1.example.com");
        g_assert_cmpstr(r1, ==, "waiting for a slot on esx1.example.com (1 of 1 running)");
        in.source_max = 0;      /* no cap */
        g_assert_cmpint(v2v_sched_wait(&in), ==, V2V_WAIT_NONE);
        in.running = 4;
        g_assert_cmpint(v2v_sched_wait(&in), ==, V2V_WAIT_SLOT);
        r2 = v2v_sched_reason(V2V_WAIT_SLOT, &in, "x");
        g_assert_cmpstr(r2, ==, "waiting for a free slot (4 of 4 running)");
        g_assert_cmpint(v2v_window_parse("22:00-06:00", &w), ==, 0);
        in.window = &w;
        g_assert_cmpint(v2v_sched_wait(&in), ==, V2V_WAIT_WINDOW);
        r3 = v2v_sched_reason(V2V_WAIT_WINDOW, &in, "x");
        g_assert_cmpstr(r3, ==, "waiting for the start window 22:00-06:00");
        in.ignore_window = true;
        g_assert_cmpint(v2v_sched_wait(&in), ==, V2V_WAIT_SLOT);
        in.not_before_usec = utc(2026, 12, 4, 13, 0);
        g_assert_cmpint(v2v_sched_wait(&in), ==, V2V_WAIT_NOT_BEFORE);
        r4 = v2v_sched_reason(V2V_WAIT_NOT_BEFORE, &in, "x");
        g_assert_cmpstr(r4, ==, "waiting until 2026-12-04T13:00:00Z (not_before)");
        in.now_usec = in.not_before_usec;
        g_assert_cmpint(v2v_sched_wait(&in), ==, V2V_WAIT_SLOT);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/sched/window", test_window);
        g_test_add_func("/sched/order", test_order);
        g_test_add_func("/sched/wait", test_wait);
        return g_test_run();
}
