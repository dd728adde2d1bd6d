/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * job-journal: a job's life as catalogued journal entries (created,
 * started, succeeded, failed, cancelled; common/message-ids.h, explained by
 * systemd/v2vd.catalog), with V2VD_JOB=, V2VD_VM=, V2VD_OWNER_UID=,
 * V2VD_RESULT= (the state the job entered) and, where known, V2VD_UNIT=
 * and V2VD_RETURN_CODE=.
 */
#pragma once

#include "job/job.h"

/* j has just entered state (queued: it was created). Nothing for a state
 * that has no entry (running → queued again). */
void job_journal_state(const Job *j, V2vJobState state);
