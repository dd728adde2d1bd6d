/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The beat's timing rules (beat.c) on a simulated clock: a model of the
 * emit timer and the logs' watches (as job-follow.c applies the rules)
 * follows a steady writer, a writer that pauses, and a loop that stalls.
 */
#include <glib.h>

#include "core/beat.h"

#define MS 1000ULL
#define INTERVAL (500 * MS)
#define STATE_INTERVAL (1000 * MS)

static void test_rules(void) {
        /* A change read when its turn has come (give or take EARLY) goes out at once. */
        g_assert_true(v2v_beat_send_now(INTERVAL, 1000 * MS, 1500 * MS));
        g_assert_true(v2v_beat_send_now(INTERVAL, 1000 * MS, 1500 * MS - V2V_BEAT_EARLY_USEC));
        g_assert_false(v2v_beat_send_now(INTERVAL, 1000 * MS, 1500 * MS - V2V_BEAT_EARLY_USEC - 1));
        g_assert_cmpuint(v2v_beat_emit_time(INTERVAL, 1000 * MS, 1200 * MS), ==, 1500 * MS);
        g_assert_cmpuint(v2v_beat_emit_time(INTERVAL, 1000 * MS, 1700 * MS), ==, 1700 * MS);
        /* Late by half a turn: counted from now. */
        g_assert_false(v2v_beat_late(INTERVAL, 1000 * MS, 1250 * MS));
        g_assert_true(v2v_beat_late(INTERVAL, 1000 * MS, 1250 * MS + 1));
        g_assert_cmpuint(v2v_beat_sent_at(INTERVAL, 1000 * MS, 1300 * MS, true), ==, 1300 * MS);
        g_assert_cmpuint(v2v_beat_sent_at(INTERVAL, 1000 * MS, 1300 * MS, false), ==, 1300 * MS);
        g_assert_cmpuint(v2v_beat_sent_at(INTERVAL, 1000 * MS, 1001 * MS, true), ==, 1000 * MS - V2V_BEAT_MARGIN_USEC);
        g_assert_cmpuint(v2v_beat_sent_at(INTERVAL, 1000 * MS, 1001 * MS, false), ==, 1000 * MS - V2V_BEAT_EARLY_USEC);
        /* A value too old to beat in step with. */
        g_assert_cmpuint(v2v_beat_first_after_timer(INTERVAL, 2000 * MS, INTERVAL / 2), ==, 0);
        g_assert_cmpuint(v2v_beat_first_after_timer(INTERVAL, 2000 * MS, 10 * MS), ==,
                         1990 * MS + INTERVAL + V2V_BEAT_MARGIN_USEC + V2V_BEAT_MTIME_SLACK_USEC);
        {
                uint64_t next = 0;
                g_assert_true(v2v_beat_goes_on(INTERVAL, 1000 * MS, 1002 * MS, V2V_BEAT_STALE_USEC, &next));
                g_assert_cmpuint(next, ==, 1500 * MS);
                g_assert_false(v2v_beat_goes_on(INTERVAL, 1000 * MS, 1002 * MS, V2V_BEAT_STALE_USEC + 1, &next));
                g_assert_false(v2v_beat_goes_on(INTERVAL, 1000 * MS, 1300 * MS, 0, &next));
        }
        /* state.json: on this beat when due, early once when due before the next beat. */
        g_assert_true(v2v_beat_state_file_now(STATE_INTERVAL, 0, 1000 * MS, 1500 * MS));
        g_assert_true(v2v_beat_state_file_now(STATE_INTERVAL, 0, 990 * MS, 1490 * MS));
        g_assert_true(v2v_beat_state_file_now(STATE_INTERVAL, 0, 600 * MS, 1100 * MS));
        g_assert_false(v2v_beat_state_file_now(STATE_INTERVAL, 0, 600 * MS, 1010 * MS));
}

/* The model: what job-follow.c does with the rules, on a clock. */
typedef struct Sim {
        uint64_t now;
        uint64_t last_emit;
        bool beating;
        bool dirty;
        uint64_t timer;             /* 0 = off */
        uint64_t last_write;        /* the newest write, read or not */
        uint64_t read_upto;         /* the newest write read */
        unsigned wakeups, signals, write_wakeups_while_beating;
        uint64_t last_signal, min_gap, max_age;
        uint64_t latency;           /* how late a timer runs */
} Sim;

static void sim_send(Sim *s, uint64_t counted_at) {
        if (!s->dirty)
                return;
        if (s->signals > 0)
                s->min_gap = MIN(s->min_gap, s->now - s->last_signal);
        s->max_age = MAX(s->max_age, s->now - s->read_upto);
        s->signals++;
        s->last_signal = s->now;
        s->last_emit = counted_at;
        s->dirty = false;
        if (!s->beating)
                s->timer = 0;
}

static bool sim_read(Sim *s) {
        bool got = s->last_write > s->read_upto;

        if (got) {
                s->read_upto = s->last_write;
                s->dirty = true;
        }
        return got;
}

/* The writer wrote at s->now: an inotify wake-up unless beating. */
static void sim_write(Sim *s) {
        s->last_write = s->now;
        if (s->beating)
                return;
        s->wakeups++;
        sim_read(s);
        if (v2v_beat_send_now(INTERVAL, s->last_emit, s->now)) {
                sim_send(s, s->now);
                s->beating = true;
                s->timer = v2v_beat_first_after_write(INTERVAL, s->last_emit);
        } else if (!s->timer)
                s->timer = v2v_beat_emit_time(INTERVAL, s->last_emit, s->now);
}

static void sim_timer(Sim *s, uint64_t scheduled) {
        uint64_t next;

        s->wakeups++;
        s->timer = 0;
        if (s->beating) {
                if (!sim_read(s)) {
                        s->beating = false;
                        return;
                }
                sim_send(s, v2v_beat_sent_at(INTERVAL, scheduled, s->now, true));
                if (v2v_beat_goes_on(INTERVAL, scheduled, s->now, s->now - s->last_write, &next))
                        s->timer = next;
                else
                        s->beating = false;
                return;
        }
        sim_read(s);
        if (s->dirty) {
                uint64_t first;

                sim_send(s, v2v_beat_sent_at(INTERVAL, scheduled, s->now, false));
                first = v2v_beat_first_after_timer(INTERVAL, s->now, s->now - s->last_write);
                if (first) {
                        s->beating = true;
                        s->timer = first;
                }
        }
}

/* Writes every `period` from `start` until `end`; the loop stalls once
 * for `stall` at `stall_at` (0: never). */
static void sim_run(Sim *s, uint64_t start, uint64_t period, uint64_t end, uint64_t until, uint64_t stall_at,
                    uint64_t stall) {
        uint64_t next_write = start;

        s->min_gap = UINT64_MAX;
        while (s->now < until) {
                uint64_t t_timer = s->timer ? s->timer + s->latency : UINT64_MAX;
                uint64_t t_write = next_write < end ? next_write : UINT64_MAX;
                uint64_t scheduled = s->timer;

                if (t_timer == UINT64_MAX && t_write == UINT64_MAX)
                        break;
                if (t_write <= t_timer) {
                        s->now = t_write;
                        next_write += period;
                        if (stall_at && s->now >= stall_at && s->now < stall_at + period) {
                                /* The loop stalls: this write is seen late. */
                                s->last_write = s->now;
                                s->now += stall;
                                continue;
                        }
                        sim_write(s);
                } else {
                        s->now = t_timer;
                        sim_timer(s, scheduled);
                }
        }
}

/* nbdcopy writes its bar every 100 ms: once in step, one wake-up per
 * signal, two signals a second, each a few ms after its write. */
static void test_steady_writer(void) {
        Sim s = { .latency = 100, .now = 0 };

        sim_run(&s, 37 * MS, 100 * MS, 60000 * MS, 60000 * MS, 0, 0);
        g_test_message("%u signals, %u wake-ups, min gap %" G_GUINT64_FORMAT " µs, max age %" G_GUINT64_FORMAT " µs",
                       s.signals, s.wakeups, s.min_gap, s.max_age);
        g_assert_cmpuint(s.signals, >=, 115);
        g_assert_cmpuint(s.signals, <=, 121);
        /* At most one signal per interval on average, never two close
         * together (a beat may start a little early: from the write it
         * follows, by the log's mtime). */
        g_assert_cmpuint(s.signals, <=, 60000 * MS / INTERVAL + 1);
        g_assert_cmpuint(s.min_gap, >=, INTERVAL * 4 / 5);
        /* Without the beat: 600 writes, 600 wake-ups. */
        g_assert_cmpuint(s.wakeups, <=, s.signals + 10);
        /* Sent within a few ms of its write, once in step. */
        g_assert_cmpuint(s.max_age, <=, 100 * MS);
}

/* A writer that stops: the beat stops at the first turn with nothing new,
 * and the next write is sent at once. */
static void test_pause(void) {
        Sim s = { .latency = 100 };

        sim_run(&s, 0, 100 * MS, 3000 * MS, 5000 * MS, 0, 0);
        g_assert_false(s.beating);
        g_assert_cmpuint(s.timer, ==, 0);
        s.now = 10000 * MS;
        sim_write(&s);
        g_assert_cmpuint(s.last_signal, ==, 10000 * MS);
        g_assert_true(s.beating);
}

/* A loop stalled for 1.2 s (valgrind, a loaded machine) does not send the
 * turns it missed in a burst. */
static void test_stall(void) {
        Sim s = { .latency = 100 };

        sim_run(&s, 0, 100 * MS, 10000 * MS, 10000 * MS, 3000 * MS, 1200 * MS);
        g_test_message("%u signals, min gap %" G_GUINT64_FORMAT " µs", s.signals, s.min_gap);
        g_assert_cmpuint(s.min_gap, >=, INTERVAL * 4 / 5);
        g_assert_cmpuint(s.signals, <=, 10000 * MS / INTERVAL + 1);
        g_assert_cmpuint(s.signals, >=, 15);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/beat/rules", test_rules);
        g_test_add_func("/beat/steady-writer", test_steady_writer);
        g_test_add_func("/beat/pause", test_pause);
        g_test_add_func("/beat/stall", test_stall);
        return g_test_run();
}
