/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * job-private: what the three parts of a job share, and nothing else
 * includes. A job is split by concern:
 *
 *   job.c         its life: the record, job_set_state() (the one writer of
 *                 the state, the queue and the running count),
 *                 create/load/adopt/cancel/remove, how it ends
 *                 (job_finish, job_conclude), its limits and their egress
 *                 shaping (egress.c reports, job.c tells the caller)
 *   job-follow.c  following virt-v2v: the job directory and the logs
 *                 (inotify, reads into progress.c), the beat, publishing
 *                 (job-events.h, state.json)
 *   job-start.c   starting virt-v2v: secrets, environment, the runner and
 *                 its scope, watching the runner's end
 *   job-outputs.c the output files a job created (what cancel removes)
 *
 * job-start.c and job-follow.c do not call each other: job.c's job_start()
 * and job_adopt() wire them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/v2v-argv.h"
#include "job/job.h"

/* job.c */
char *job_file(const Job *j, const char *name);
int job_save_record(Job *j);
/* Accepted-but-odd things become one warning in LastMessage. */
void job_set_warnings(Job *j, GPtrArray *warnings);
/* The end of a job: to a final state, once. */
void job_finish(Job *j, V2vJobState state, const char *msg_type, const char *msg_text);
/* The runner is gone: decide the end from what it left behind (or from
 * runner_status, its exit status when we are its parent, else -1). */
void job_conclude(Job *j, int runner_status, const char *lost_message);
/* throttling.json appeared in the job's directory. */
void job_apply_throttling_json(Job *j);
/* Shape the job's egress to its NetworkLimit (egress.c), once its scope
 * exists (a no-op before); what cannot be applied goes to LastMessage as a
 * warning: the job goes on, limited on the input side only. */
void job_apply_egress(Job *j);

/* job-follow.c */
/* durable: fsync'ed (a state change); else a progress-only rewrite. */
int job_write_state_file(Job *j, bool durable);
/* Start following the job's directory and logs (inotify). */
int job_follow_dir(Job *j);
/* Stop following: watches, the beat, the logs' descriptors. */
void job_follow_stop(Job *j);
/* Feed what a log file gained since *offset into progress; the change mask. */
unsigned job_read_log(Job *j, uint64_t *offset, bool machine);
/* Read both logs and publish what changed. */
void job_read_logs(Job *j);
void job_read_v2v_pid(Job *j);
/* V2V_PROGRESS_CHANGED_* → JobProperty bits. */
unsigned progress_change_to_props(unsigned change);

/* job-start.c */
/* Starting, in two steps around job_follow_dir(): the command, the secrets,
 * the limits and fresh log files; then the runner and its scope. On failure
 * *ret_message says why (the job is to fail with it). */
int job_start_prepare(Job *j, V2vCommand **ret_cmd, char **ret_message);
int job_start_runner(Job *j, const V2vCommand *cmd, char **ret_message);
/* $V2VD_TEST_PAUSE_AT=step: the daemon stops itself there (tests). */
void job_test_pause(Job *j, const char *step);
/* Watch the runner's end: our own child, or one adopted after a restart. */
int job_watch_runner(Job *j, pid_t pid, bool own_child);
/* Drop what watches the runner and its scope, and the start pipe. */
void job_runner_release(Job *j);
/* nbdkit's rate filter input: the network limit in bits/s. */
int job_write_bandwidth_file(Job *j);
/* The block devices of the job's inputs and outputs (j->io_devices), once;
 * what has none goes to LastMessage as a warning. */
void job_find_io_devices(Job *j);
/* The job's disk limit onto its running scope, at once. */
void job_apply_disk_limit(Job *j);
/* Give back the space reserved beyond the logs' ends. */
void job_release_log_space(Job *j);

/* job-outputs.c */
/* Which of the output names exist before the job runs. */
void job_record_preexisting_outputs(Job *j);
/* Record the job's output files by identity as they appear. */
int job_watch_outputs(Job *j);
/* A cancelled job's output files that were not there before it ran. */
void job_remove_partial_output(Job *j);
