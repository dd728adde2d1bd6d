/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * access-as: may another uid access these paths? Asked of the kernel, in a
 * child process that takes that uid, the gid and only that group
 * (setgroups, setresgid, setresuid) and calls access(2) — which honours
 * POSIX ACLs, NFS root_squash, read-only mounts, LSMs — rather than
 * reading the permission bits, which tell none of these.
 *
 * For the export domain's 36:36 check (core/input-checks.h's
 * InputAccessProbe) in CreateJob's helper, where the caller is root: the
 * child can take any uid only there. It stays in the caller's process
 * group, so the helper's timeout (a path on a mount that never answers)
 * kills it too.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* InputAccessProbe: 0 when uid:gid may access every paths[i] for
 * modes[i], 1 with ret_index and ret_errno for the first it may not, or a
 * negative errno (not root: -EPERM; no fork). */
int access_as(uid_t uid, gid_t gid, const char *const *paths, const int *modes, size_t n, size_t *ret_index,
              int *ret_errno);
