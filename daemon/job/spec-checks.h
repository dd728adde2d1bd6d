/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec-checks: a new job's local files checked before it is queued — the
 * checks of core/input-checks.h and the OVA's manifest
 * (sources_check_ova_manifest) — with the rights of the process that runs
 * them: the owner's helper (host/owner.c, owner_check_spec's extra check),
 * or the daemon itself for its own user's jobs. Each check reads at most a
 * few small files and SPEC_CHECKS_OVA_HASH_LIMIT bytes of an OVA.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "core/spec.h"

/* The largest amount of an OVA's manifest members whose digests are
 * checked before queueing, all together: the .ovf and its small
 * companions, never a disk. */
#define SPEC_CHECKS_OVA_HASH_LIMIT (16u * 1024 * 1024)

/* false with error (V2V_SPEC_ERROR_INVALID or the OVA reader's) naming the
 * file and what is wrong with it. */
bool spec_checks(const V2vSpec *spec, GError **error);
