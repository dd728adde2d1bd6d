/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * beat: when a job's progress goes out — pure timing rules, every time
 * given by the caller (microseconds of CLOCK_MONOTONIC, as progress.c takes
 * its clock), so they are unit-tested on a simulated clock. job-follow.c
 * applies them to its emit timer and the logs' watches.
 *
 * A job sends at most one PropertiesChanged per interval (the
 * configuration's progress_interval_ms). Waking up for every write of
 * nbdcopy's bar (10 to 20 a second) to send only every other value cost
 * more than anything else the daemon does for a job (~100 µs of kernel time
 * per wake-up). So once a value read on a write has been sent, the logs are
 * read on the emit timer instead — the beat — one interval after that write
 * (+ BEAT_MARGIN for the writer's jitter): a steady writer's newest value is
 * then read and sent a few ms after it is written, with one wake-up per
 * signal. The beat ends when a turn finds nothing new, when the newest
 * write is older than BEAT_STALE (the writer's rhythm moved), or when the
 * loop was late by half a turn.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A change read up to EMIT_EARLY before its turn goes out at once. */
#define V2V_BEAT_EARLY_USEC        (5 * 1000ULL)
#define V2V_BEAT_MARGIN_USEC       (3 * 1000ULL)
#define V2V_BEAT_STALE_USEC        (20 * 1000ULL)
/* The file system's clock (the logs' mtime) is a few ms coarse. */
#define V2V_BEAT_MTIME_SLACK_USEC  (5 * 1000ULL)
/* state.json with a beat when its turn is this close. */
#define V2V_BEAT_STATE_FILE_SLACK_USEC (20 * 1000ULL)

/* A change read at now goes out at once: its turn has come. */
bool v2v_beat_send_now(uint64_t interval, uint64_t last_emit, uint64_t now);
/* When the emit timer of a change read at now is due. */
uint64_t v2v_beat_emit_time(uint64_t interval, uint64_t last_emit, uint64_t now);
/* The emit timer scheduled for `scheduled` ran at now: half a turn late or
 * more (a stalled loop), and then turns count from now. */
bool v2v_beat_late(uint64_t interval, uint64_t scheduled, uint64_t now);
/* When a value the emit timer sends counts as sent, for the next one's turn.
 * Not beating: a little before its schedule, so the next turn comes a
 * little earlier each time until it falls just after a write of a steady
 * writer (whose values are then sent as they come, and a beat starts);
 * counting from now instead, the turn would drift later by the timer's
 * lateness each time. Beating: the write it follows (scheduled - MARGIN).
 * A late loop counts from now: past turns would go out in a burst. */
uint64_t v2v_beat_sent_at(uint64_t interval, uint64_t scheduled, uint64_t now, bool beating);
/* A beat's first turn after a value sent on the write it read (inotify). */
uint64_t v2v_beat_first_after_write(uint64_t interval, uint64_t last_emit);
/* After the (not beating) emit timer sent a value written written_ago
 * before now: the beat's first turn, or 0 when the value is too old to
 * beat in step with (half an interval or more). */
uint64_t v2v_beat_first_after_timer(uint64_t interval, uint64_t now, uint64_t written_ago);
/* A beat's turn read something new: go on (*ret_next the next turn), or
 * stop because the loop was late or the writer's newest write is stale. */
bool v2v_beat_goes_on(uint64_t interval, uint64_t scheduled, uint64_t now, uint64_t written_ago, uint64_t *ret_next);
/* On a beat, write state.json (due every state_interval after last_write)
 * now: its turn has come, or would come before the next beat — from then
 * on its turns fall on beats and cost no wake-up of their own. */
bool v2v_beat_state_file_now(uint64_t state_interval, uint64_t last_write, uint64_t now, uint64_t next_beat);
