/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cred: a job owner's credentials (uid, primary gid, supplementary groups
 * from the passwd and group databases, as initgroups(3) would set them) and
 * dropping to them for good.
 *
 * Shared by v2vd (its helper processes, spawn.c: path checks and cleanup in
 * the owner's rights, owner.c; v2vd-sources as the caller, source-call.c)
 * and v2vd-runner (virt-v2v and ssh-agent run as the owner). No GLib, no
 * allocation: cred_drop() is called between fork() and exec().
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define CRED_MAX_GROUPS 256

typedef struct Cred {
        uid_t uid;
        gid_t gid;
        int n_groups;
        gid_t groups[CRED_MAX_GROUPS];
        char name[256];
        char home[1024];
} Cred;

/* The passwd entry of uid: uid, gid, name and home of *ret (no groups).
 * -ENOENT: no such user. Every passwd lookup of the daemon is this one. */
int passwd_lookup(uid_t uid, Cred *ret);

/* Fill *ret from the passwd entry of uid and the groups naming it.
 * -ENOENT: no such user (then nothing may run on its behalf);
 * -E2BIG: more than CRED_MAX_GROUPS groups. */
int cred_lookup(uid_t uid, Cred *ret);

/* setgroups + setresgid + setresuid to *c, then PR_SET_NO_NEW_PRIVS, and
 * check that root cannot be regained. Async-signal-safe. Returns 0 or a
 * negative errno; on failure the caller must not go on (exit). */
int cred_drop(const Cred *c);
