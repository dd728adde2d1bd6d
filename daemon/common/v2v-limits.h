/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * limits: a job's CPU and network limits as text — the one parser and
 * formatter for the daemon (D-Bus SetThrottling, the spec, v2vd.conf,
 * throttling.json) and v2vctl, so both accept and refuse exactly the same
 * strings. Plain C, no allocation.
 *
 *   CPU      "N%" — N percent of one CPU, 1 to 10000, decimal digits — or
 *            "unlimited". As systemd's CPUQuota=: 50% is half a CPU, 200%
 *            two. With V2V_LIMIT_BARE_PERCENT a bare "N" is N% too (the
 *            old wrapper's throttling file, which ManageIQ writes).
 *   network  bytes per second as decimal digits, 0 to 9223372036854775807
 *            (INT64_MAX), or "unlimited"; 0 is unlimited as well.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define V2V_CPU_PERCENT_MAX 10000u
/* Room for either formatted limit with its NUL. */
#define V2V_LIMIT_STRLEN 24

typedef enum V2vLimitFlags {
        V2V_LIMIT_BARE_PERCENT = 1 << 0,
} V2vLimitFlags;

/* CPU limit → systemd CPUQuotaPerSecUSec (UINT64_MAX = unlimited);
 * -EINVAL for anything else, -ERANGE for a percentage outside 1–10000. */
int v2v_cpu_limit_parse(const char *s, unsigned flags, uint64_t *ret_usec_per_sec);
/* CPUQuotaPerSecUSec → "N%" or "unlimited" in buf. */
const char *v2v_cpu_limit_format(uint64_t usec_per_sec, char buf[V2V_LIMIT_STRLEN]);
/* Network limit → bytes/s (0 = unlimited); -EINVAL, or -ERANGE above INT64_MAX. */
int v2v_network_limit_parse(const char *s, uint64_t *ret_bytes);
/* bytes/s → digits, or "unlimited" for 0. */
const char *v2v_network_limit_format(uint64_t bytes, char buf[V2V_LIMIT_STRLEN]);
