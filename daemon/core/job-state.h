/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * job-state: a job's states, their names (the State property, state.json,
 * job.json) and the one rule for changing them (job.c's job_set_state() is
 * the one writer). Pure.
 */
#pragma once

#include <stdbool.h>

typedef enum V2vJobState {
        V2V_JOB_QUEUED,
        V2V_JOB_RUNNING,
        V2V_JOB_SUCCEEDED,
        V2V_JOB_FAILED,
        V2V_JOB_CANCELLED,
        _V2V_JOB_STATE_MAX,
        _V2V_JOB_STATE_INVALID = -1,
} V2vJobState;

const char *v2v_job_state_to_string(V2vJobState s);
V2vJobState v2v_job_state_from_string(const char *s);
static inline bool v2v_job_state_is_finished(V2vJobState s) {
        return s == V2V_JOB_SUCCEEDED || s == V2V_JOB_FAILED || s == V2V_JOB_CANCELLED;
}
/* The job state machine: queued → running → succeeded | failed |
 * cancelled, and queued → failed | cancelled; never backwards, except
 * running → queued for a job whose virt-v2v never started (v2v_started
 * false: the daemon stopped while creating its scope). */
bool v2v_job_state_transition_is_valid(V2vJobState from, V2vJobState to, bool v2v_started);
