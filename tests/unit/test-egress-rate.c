/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* egress_rate_bits(): a limit's edges never become tc's "rate 0bit". */
#include <glib.h>
#include <stdint.h>

#include "host/egress.h"

static void test_edges(void) {
        g_assert_cmpuint(egress_rate_bits(1), ==, 8);
        g_assert_cmpuint(egress_rate_bits(125000), ==, 1000000);
        g_assert_cmpuint(egress_rate_bits(THROTTLE_MAX_BITS / 8 - 1), ==, THROTTLE_MAX_BITS - 8);
        g_assert_cmpuint(egress_rate_bits(THROTTLE_MAX_BITS / 8), ==, THROTTLE_MAX_BITS);
        /* 999999999999999999 (18 digits, the largest the spec takes as a string) */
        g_assert_cmpuint(egress_rate_bits(UINT64_C(999999999999999999)), ==, THROTTLE_MAX_BITS);
        g_assert_cmpuint(egress_rate_bits((uint64_t) INT64_MAX), ==, THROTTLE_MAX_BITS);
        g_assert_cmpuint(egress_rate_bits(UINT64_MAX / 8 + 1), ==, THROTTLE_MAX_BITS);
        g_assert_cmpuint(egress_rate_bits(UINT64_MAX), ==, THROTTLE_MAX_BITS);
        /* tc parses rates through a double: 2^62 is exact, and below 2^64. */
        g_assert_cmpfloat((double) THROTTLE_MAX_BITS, <, 18446744073709551616.0);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/throttle/rate-edges", test_edges);
        return g_test_run();
}
