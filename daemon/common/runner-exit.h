/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runner-exit: how v2vd-runner tells the daemon how virt-v2v ended — the
 * job directory's exit-status record, and the runner's own exit status
 * for when the record could not be written (a full disk) and the daemon is
 * the runner's parent. Written by runner.c, read by job.c. Plain C.
 *
 *   "exited N\n"   virt-v2v exited with status N
 *   "killed S\n"   virt-v2v was killed by signal S
 *   "lost E\n"     the runner lost virt-v2v (waitpid failed with errno E):
 *                  how it ended is unknown
 *
 * The runner exits with N, 128+S, or one of the two codes below, which say
 * virt-v2v never ran.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define V2V_RUNNER_NOT_STARTED  250   /* called off before the start (the start pipe closed) */
#define V2V_RUNNER_SETUP_FAILED 251   /* the job directory or the log could not be opened */

typedef enum V2vExitKind {
        V2V_EXIT_EXITED,
        V2V_EXIT_KILLED,
        V2V_EXIT_LOST,
} V2vExitKind;

typedef struct V2vExit {
        V2vExitKind kind;
        int value;                    /* the status, the signal, or the errno */
} V2vExit;

/* The record's text into buf; snprintf's return. */
int v2v_exit_format(const V2vExit *e, char *buf, size_t size);
/* 0, or -EINVAL when text is no record. */
int v2v_exit_parse(const char *text, V2vExit *ret);
/* The runner's exit status for e (N, 128+S; V2V_RUNNER_SETUP_FAILED when lost). */
int v2v_exit_to_runner_status(const V2vExit *e);
/* The record an exit status of the runner stands for; false when it says
 * virt-v2v never ran or the runner was lost. */
bool v2v_exit_from_runner_status(int status, V2vExit *ret);
/* The JobState's ReturnCode for e: N, 128+S, -1 when lost. */
int v2v_exit_return_code(const V2vExit *e);
