/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/v2v-limits.h"

/* Decimal digits only (no sign, space or base prefix), at most max. */
static int parse_digits(const char *s, size_t n, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned d;

                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                d = (unsigned) (s[i] - '0');
                if (v > (max - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int v2v_cpu_limit_parse(const char *s, unsigned flags, uint64_t *ret_usec_per_sec) {
        size_t n;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        if (strcmp(s, "unlimited") == 0) {
                *ret_usec_per_sec = UINT64_MAX;
                return 0;
        }
        n = strlen(s);
        if (n > 0 && s[n - 1] == '%')
                n--;
        else if (!(flags & V2V_LIMIT_BARE_PERCENT))
                return -EINVAL;
        r = parse_digits(s, n, UINT32_MAX, &v);
        if (r < 0)
                return r;
        if (v < 1 || v > V2V_CPU_PERCENT_MAX)
                return -ERANGE;
        *ret_usec_per_sec = v * 10000u;
        return 0;
}

const char *v2v_cpu_limit_format(uint64_t usec_per_sec, char buf[V2V_LIMIT_STRLEN]) {
        if (usec_per_sec == UINT64_MAX)
                snprintf(buf, V2V_LIMIT_STRLEN, "unlimited");
        else
                snprintf(buf, V2V_LIMIT_STRLEN, "%" PRIu64 "%%", usec_per_sec / 10000u);
        return buf;
}

int v2v_network_limit_parse(const char *s, uint64_t *ret_bytes) {
        if (!s)
                return -EINVAL;
        if (strcmp(s, "unlimited") == 0) {
                *ret_bytes = 0;
                return 0;
        }
        return parse_digits(s, strlen(s), INT64_MAX, ret_bytes);
}

const char *v2v_network_limit_format(uint64_t bytes, char buf[V2V_LIMIT_STRLEN]) {
        if (bytes == 0)
                snprintf(buf, V2V_LIMIT_STRLEN, "unlimited");
        else
                snprintf(buf, V2V_LIMIT_STRLEN, "%" PRIu64, bytes);
        return buf;
}
