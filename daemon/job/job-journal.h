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

/* Subscribe to the jobs' events (job-events.h): created (added), started
 * (a state change to running), succeeded/failed/cancelled (finished). */
int job_journal_subscribe(Manager *m);
