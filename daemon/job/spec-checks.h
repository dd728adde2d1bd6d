/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec-checks: a new job's local files checked before it is queued — the
 * checks of core/input-checks.h and the OVA's manifest
 * (sources_check_ova_manifest) — in a helper process with the owner's
 * rights (host/owner.c), so a message never tells what the owner could not
 * see. Each check reads at most a few small files: the daemon waits for
 * the helper.
 */
#pragma once

#include <sys/types.h>

#include "core/spec.h"

/* The largest manifest member whose digest is checked before queueing:
 * the .ovf and its small companions, never a disk. */
#define SPEC_CHECKS_OVA_HASH_LIMIT (16u * 1024 * 1024)

/* 1: nothing wrong; 0: *ret_message says what is; negative errno when the
 * helper could not run. */
int spec_checks_run(uid_t uid, const V2vSpec *spec, char **ret_message);
