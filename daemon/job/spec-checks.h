/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec-checks: a new job's spec checked before it is queued — the local
 * files (core/input-checks.h, the OVA's manifest:
 * sources_check_ova_manifest) and, for -i libvirt, the source VM's state —
 * with the rights of the caller: always in CreateJob's helper
 * (host/owner.c, owner_check_spec's extra check), also for the daemon's
 * own uid, never on the event loop (a path on a FUSE mount or a FIFO, a
 * libvirt host that does not answer). Each check reads at most a few small
 * files and SPEC_CHECKS_OVA_HASH_LIMIT bytes of an OVA.
 *
 * -i libvirt (libvirt_uri and vm_name; qemu://, test://, esx://, vpx://,
 * xen+ssh://…): the domain is looked up as the caller, with
 * libvirt_password when given, in a child of the helper
 * (sources/domain-state.h) that has SPEC_CHECKS_LIBVIRT_TIMEOUT_MS. Only a
 * positive answer refuses: a domain libvirt reports running, paused or
 * pmsuspended is an invalid spec naming the VM, its state and the remedy.
 * A URI that cannot be reached in time, a password that does not work, or
 * no such domain pass: virt-v2v reports those, and CheckJob tells more.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "core/spec.h"

/* The largest amount of an OVA's manifest members whose digests are
 * checked before queueing, all together: the .ovf and its small
 * companions, never a disk. */
#define SPEC_CHECKS_OVA_HASH_LIMIT (16u * 1024 * 1024)

/* The libvirt lookup's deadline: well inside the helper's
 * OWNER_CHECK_TIMEOUT_USEC (10 s), so a slow host is "cannot tell", never
 * CreateJob's timeout error. */
#define SPEC_CHECKS_LIBVIRT_TIMEOUT_MS 4000u

/* false with error (V2V_SPEC_ERROR_INVALID or the OVA reader's) naming the
 * file and what is wrong with it. */
bool spec_checks(const V2vSpec *spec, GError **error);
