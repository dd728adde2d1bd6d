/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * input-checks: mistakes in a job's local files that virt-v2v would find
 * only minutes into the run (or report in a line the user never sees), told
 * before the job is queued, naming the file and what is wrong.
 *
 * Each check looks at the file system with the rights of the process that
 * calls it: v2vd calls them for a new job in a helper with the job owner's
 * rights (job/spec-checks.c), so they reveal nothing the owner could not
 * see. Each is cheap (stat, a few small reads): no disk is read.
 * Errors are V2V_SPEC_ERROR_INVALID.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/spec.h"

/* uid and gid virt-v2v -o rhv switches to when it runs as root: VDSM's. */
#define V2V_VDSM_UID 36
#define V2V_VDSM_GID 36

/* Every disk the .vmx names (scsiN:M, ideN:M, sataN:M, nvmeN:M .fileName,
 * present and not a CD-ROM) exists beside it (or at its absolute path) and
 * is readable; a VMDK descriptor's extents (-flat.vmdk) too. */
bool input_check_vmx_disks(const char *vmx_path, GError **error);

/* DIR is where an export storage domain is mounted, as virt-v2v -o rhv -os
 * DIR takes it: it holds one directory (SD-UUID, lost+found aside) with
 * images/ and master/vms/ in it. */
bool input_check_export_domain_layout(const char *dir, GError **error);

/* Whether uid, with gid its only group, may access each of paths[i] for
 * modes[i] (access(2)'s X_OK, W_OK…), as the kernel decides it — POSIX
 * ACLs, NFS root_squash, a read-only mount: 0 when it may for all, 1 with
 * ret_index (the first it may not) and ret_errno (EACCES…), or a negative
 * errno when it could not ask. host/access-as.h has one (a child process
 * with those credentials); core/ forks nothing. */
typedef int (*InputAccessProbe)(uid_t uid, gid_t gid, const char *const *paths, const int *modes, size_t n,
                                size_t *ret_index, int *ret_errno);

/* uid:gid (no supplementary groups) can reach DIR/SD-UUID and write into
 * its images/ and master/vms/: asked of probe, or without one (a process
 * that cannot fork one) decided here from the mode bits and the POSIX
 * access ACL (not what a file server decides: root_squash). The message
 * names the directory, its owner, mode and ACL when it has one. */
bool input_check_export_domain_writable(const char *dir, uid_t uid, gid_t gid, InputAccessProbe probe,
                                        GError **error);

/* The checks that apply to SPEC's input and output. The export domain is
 * checked for VDSM's uid and gid (with probe, may be NULL) when the caller
 * is root (virt-v2v then switches to them), else for the caller itself. */
bool input_checks_run(const V2vSpec *spec, InputAccessProbe probe, GError **error);

/* The OVA input's path (file or directory), or NULL for other inputs. */
const char *input_checks_ova_path(const V2vSpec *spec);
