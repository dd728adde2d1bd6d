/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * file-write: every way the daemon and the runner write a file, in one
 * place. No GLib (v2vd-runner links it).
 *
 *  - write_file_atomic: a new inode under a temporary name, fsync, rename
 *    over the old, fsync of the directory — job.json, spec.json,
 *    state.json on a state change, bandwidth, last-job-id; the runner's
 *    v2v.pid and exit-status.
 *  - replace_file_nosync: the once-a-second progress rewrites of state.json.
 *  - write_file_new: a file made anew where someone else may have put
 *    something by that name (a secret in a directory its owner can write).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* All of data to fd (retrying short writes and EINTR). 0 or a negative errno. */
int write_all(int fd, const void *data, size_t len);

/* Replace NAME in the directory dirfd atomically with data, mode as given
 * (whatever the umask). 0 or a negative errno. */
int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* The same by path: -EINVAL for "" or a path ending in "/". */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Replace path atomically without fsync: the new text goes to spare, which
 * is then exchanged with path (renameat2 RENAME_EXCHANGE), so spare holds
 * the previous inode for the next time. A reader opening path sees the old
 * or the new text, whole. No inode is created or deleted per write: with a
 * temporary file + rename each write cost ~0.5 ms of the daemon's CPU on
 * ext4 (new-inode search past recently deleted inodes; perf, tests/bench),
 * and two fsyncs a second per job blocked the event loop (bus round trips
 * of 30 ms with 200 jobs). Where the exchange is not supported: a plain
 * rename. */
int replace_file_nosync(const char *path, const char *spare, const void *data, size_t len, mode_t mode);

/* dir/name made anew with data, mode as given: an existing name is
 * removed first, the new file created exclusively, never through a link. */
int write_file_new(const char *dir, const char *name, const void *data, size_t len, mode_t mode);
