/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "core/job-state.h"

static const char *const job_state_table[_V2V_JOB_STATE_MAX] = {
        [V2V_JOB_QUEUED] = "queued",
        [V2V_JOB_RUNNING] = "running",
        [V2V_JOB_SUCCEEDED] = "succeeded",
        [V2V_JOB_FAILED] = "failed",
        [V2V_JOB_CANCELLED] = "cancelled",
};

const char *v2v_job_state_to_string(V2vJobState s) {
        if (s < 0 || s >= _V2V_JOB_STATE_MAX)
                return NULL;
        return job_state_table[s];
}

V2vJobState v2v_job_state_from_string(const char *s) {
        if (!s)
                return _V2V_JOB_STATE_INVALID;
        for (int i = 0; i < _V2V_JOB_STATE_MAX; i++)
                if (g_str_equal(s, job_state_table[i]))
                        return (V2vJobState) i;
        return _V2V_JOB_STATE_INVALID;
}

bool v2v_job_state_transition_is_valid(V2vJobState from, V2vJobState to, bool v2v_started) {
        switch (from) {
        case V2V_JOB_QUEUED:
                return to == V2V_JOB_RUNNING || to == V2V_JOB_FAILED || to == V2V_JOB_CANCELLED;
        case V2V_JOB_RUNNING:
                return v2v_job_state_is_finished(to) || (to == V2V_JOB_QUEUED && !v2v_started);
        default:
                return false;
        }
}
