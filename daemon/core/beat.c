/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "core/beat.h"

bool v2v_beat_send_now(uint64_t interval, uint64_t last_emit, uint64_t now) {
        return now + V2V_BEAT_EARLY_USEC >= last_emit + interval;
}

uint64_t v2v_beat_emit_time(uint64_t interval, uint64_t last_emit, uint64_t now) {
        return MAX(now, last_emit + interval);
}

bool v2v_beat_late(uint64_t interval, uint64_t scheduled, uint64_t now) {
        return now > scheduled + interval / 2;
}

uint64_t v2v_beat_sent_at(uint64_t interval, uint64_t scheduled, uint64_t now, bool beating) {
        if (v2v_beat_late(interval, scheduled, now))
                return now;
        return beating ? scheduled - V2V_BEAT_MARGIN_USEC : MIN(scheduled, now) - V2V_BEAT_EARLY_USEC;
}

uint64_t v2v_beat_first_after_write(uint64_t interval, uint64_t last_emit) {
        return last_emit + interval + V2V_BEAT_MARGIN_USEC;
}

uint64_t v2v_beat_first_after_timer(uint64_t interval, uint64_t now, uint64_t written_ago) {
        if (written_ago >= interval / 2)
                return 0;
        return now - written_ago + interval + V2V_BEAT_MARGIN_USEC + V2V_BEAT_MTIME_SLACK_USEC;
}

bool v2v_beat_goes_on(uint64_t interval, uint64_t scheduled, uint64_t now, uint64_t written_ago, uint64_t *ret_next) {
        if (v2v_beat_late(interval, scheduled, now) || written_ago > V2V_BEAT_STALE_USEC)
                return false;
        *ret_next = scheduled + interval;
        return true;
}

bool v2v_beat_state_file_now(uint64_t state_interval, uint64_t last_write, uint64_t now, uint64_t next_beat) {
        uint64_t due = last_write + state_interval;

        return !(now + V2V_BEAT_STATE_FILE_SLACK_USEC < due && due + V2V_BEAT_STATE_FILE_SLACK_USEC >= next_beat);
}
