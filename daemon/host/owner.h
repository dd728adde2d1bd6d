/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * owner: the daemon acting with a job owner's rights, never more.
 *
 * In --system mode v2vd is root and its callers are not. Whatever touches
 * a path the caller named — the spec's local files, the cancel cleanup of
 * the output directory — runs in a short-lived helper process with the
 * owner's uid, gid and groups (cred.c), so it can neither reach nor reveal
 * more than the owner could. The owner's side of the job directory (read
 * its state and logs, write throttling.json) and of the secret directory
 * (virt-v2v, running as the owner, reads its secrets and makes the agent
 * socket there) is granted by POSIX ACLs on directories only root can
 * rename or replace.
 *
 * When the daemon runs as the owner itself (--user, or root's jobs) the
 * helper runs with the daemon's own rights: nothing to drop.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/spec.h"
#include "host/helper.h"

/* The helpers below run on the event loop (helper.h), never waited for:
 * a path that does not answer (FUSE, a FIFO) or a helper its owner stops
 * fails that call alone, after the timeout. */
#define OWNER_CHECK_TIMEOUT_USEC (10ULL * 1000000ULL)
#define OWNER_CLEANUP_TIMEOUT_USEC (30ULL * 1000000ULL)

/* R: 1 valid with MESSAGE the source disks' sizes as the owner saw them
 * (v2v_spec_disk_sizes_text), 0 invalid with MESSAGE the parser's (about
 * what the owner can see only), -ETIME when the check did not end in time,
 * another negative errno when the helper failed. */
typedef void (*OwnerCheckDone)(int r, const char *message, void *userdata);

/* More checks of a parsed spec, run in the same helper after the parse
 * (job/spec-checks.c): false with error to refuse it. */
typedef bool (*OwnerSpecCheck)(const V2vSpec *spec, GError **error);

/* Parse the spec in a helper with uid's rights, then run extra (may be
 * NULL) there; done() follows (unless helper_abandon(*ret)). Returns a
 * negative errno when it could not start (-EUSERS: too many of uid's
 * helpers running, helper.h). The daemon then parses it again itself with
 * ctx->paths_checked and sizes_given set (looking at no path) and takes
 * the sizes (v2v_spec_set_disk_sizes). */
int owner_check_spec(sd_event *e, uid_t uid, const char *json, const V2vSpecContext *ctx, OwnerSpecCheck extra,
                     OwnerCheckDone done, void *userdata, Helper **ret);

/* Let uid, and the given reader groups, read a job directory and every
 * file later created in it (access and default ACL, r-x). */
int owner_grant_job_dir(const char *dir, uid_t uid, const gid_t *reader_gids, size_t n_reader_gids);

/* Before a job's runner starts virt-v2v as uid (v2vd --system, not root):
 * the job directory readable (owner_grant_job_dir), the machine-readable
 * log and throttling.json the owner's, the secret directory and the secret
 * files in it readable by the owner but root's (ACLs): the owner can create
 * or grow nothing there (the agent's socket has a tmpfs of its own, in the
 * job's mount namespace: runner.c). */
int owner_prepare_start(const char *job_dir, const char *secret_dir, const char *machine_log, uid_t uid);

/* DIR/NAME, created empty when absent, made uid's (throttling.json after
 * the daemon consumed it: the owner writes the next one in place). */
int owner_offer_file(const char *dir, const char *name, uid_t uid);

/* Cancel's cleanup, in a helper with uid's rights: in dir, unlink each
 * file recorded in created ("DEV:INO:NAME", as the job created it) that
 * still is that file — a regular file (never a symlink or directory) of
 * that device and inode, owned by uid — and whose name still matches
 * patterns. Nothing by name alone. What it removed, or why not, is logged
 * for the job when it ends. */
int owner_remove_outputs(sd_event *e, const char *job_id, uid_t uid, const char *dir, const GPtrArray *patterns,
                         const GPtrArray *created);

/* "openstack" or "rhv" (virt-v2v's -o) when the spec's output can only be
 * written as root (Cinder volumes attached to this host; an export
 * domain's vdsm:kvm 36:36 ownership), else NULL. */
const char *owner_root_output(const V2vSpec *spec);

/* Whom virt-v2v runs as for a job of owner with this spec: owner, or
 * (uid_t) -1 for "as the daemon" (--user mode, root's jobs, and outputs
 * the administrator listed in root_outputs=). */
uid_t owner_job_uid(bool user_mode, char **root_outputs, uid_t owner, const V2vSpec *spec);
