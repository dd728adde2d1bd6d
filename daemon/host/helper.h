/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * helper: a helper process that acts for a caller (a path check, Cancel's
 * cleanup, a source browse) followed on the event loop, never waited for:
 *
 *   helper_start()   spawn (spawn.h) in a process group of its own, its
 *                    answer read from stdout (at most output_max bytes),
 *                    its stderr logged (helper_stderr_watch), done() called
 *                    once with its exit status — or -ETIME when it did not
 *                    end within timeout_usec (a path on a FUSE mount that
 *                    never answers, a FIFO, a helper the caller stopped
 *                    with SIGSTOP): it is SIGKILLed and reaped later, the
 *                    caller's request fails at once.
 *   helper_stderr_watch()  what a helper writes on stderr is the caller's
 *                    words: logged line by line, escaped (no control
 *                    character, so no priority prefix of its own either),
 *                    tagged V2VD_UID= with the caller's uid, at most
 *                    HELPER_LOG_LINES lines of HELPER_LOG_LINE_MAX bytes
 *                    per helper and HELPER_LOG_RATE lines a minute in all.
 *
 * At most HELPERS_PER_UID helpers of one uid (and HELPERS_MAX in all) run
 * at a time, whatever they do, counted until they are reaped:
 * helper_start() and helper_slot_take() return -EUSERS (-EAGAIN for the
 * total) beyond that.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <glib.h>
#include <systemd/sd-event.h>

#include "host/spawn.h"

#define HELPERS_PER_UID 4u
#define HELPERS_MAX 64u
#define HELPER_LOG_LINES 20u
#define HELPER_LOG_LINE_MAX 512u
#define HELPER_LOG_RATE 120u

typedef struct Helper Helper;

/* STATUS: the exit status (0..255), -ETIME (timed out, killed), -EIO (killed
 * by a signal), or another negative errno. OUTPUT is NUL-terminated. */
typedef void (*HelperDone)(int status, const char *output, size_t len, void *userdata);

typedef struct HelperOptions {
        const char *what;               /* "the spec check", for the log */
        uid_t uid;                      /* whom it acts for */
        const char *job_id;             /* V2VD_JOB= on its log lines, or NULL */
        size_t output_max;
        uint64_t timeout_usec;
} HelperOptions;

/* SPAWN's stdout and stderr become pipes of the helper's, and it gets a
 * process group of its own. On success done() is called later, exactly
 * once, unless helper_abandon() comes first; done() takes userdata over,
 * else free_userdata (may be NULL) frees it with the helper. On failure
 * userdata stays the caller's. */
int helper_start(sd_event *e, const SpawnOptions *spawn, const HelperOptions *o, HelperDone done, void *userdata,
                 GDestroyNotify free_userdata, Helper **ret);

/* The caller no longer wants the answer: done() is not called; the helper
 * is killed and reaped in the background. */
void helper_abandon(Helper *h);

/* Follow FD (a helper's stderr; taken over, closed at its end) as above. */
int helper_stderr_watch(sd_event *e, int fd, uid_t uid, const char *what, const char *job_id);

/* A helper of UID that helper_start() does not run (the sources helper,
 * which needs a stdin and a scope of its own: bus/source-call.c) counts
 * against the same caps: helper_slot_take() gives 0, -EUSERS or -EAGAIN
 * as helper_start() does; helper_slot_release() once it is reaped. */
int helper_slot_take(uid_t uid);
void helper_slot_release(uid_t uid);

/* At the end: every helper killed and forgotten (not reaped: the daemon
 * exits), every stderr watch closed. */
void helpers_free_all(void);
