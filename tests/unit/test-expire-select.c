/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* expire_select(): which finished jobs keep_finished_jobs_days= and
 * keep_finished_jobs= remove. */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "job/expire.h"

#define DAY (86400ULL * 1000000ULL)

/* expected: one '1' (expired) or '0' (kept) per job */
static void check(const uint64_t *ends, unsigned n, uint64_t now, unsigned days, unsigned keep, const char *expected) {
        bool e[8];

        g_assert_cmpuint(n, ==, strlen(expected));
        expire_select(ends, n, now, days, keep, e);
        for (unsigned i = 0; i < n; i++)
                g_assert_cmpint(e[i], ==, expected[i] == '1');
}

static void test_days_and_count(void) {
        const uint64_t now = 100 * DAY;
        const uint64_t ends[] = { now - 3 * DAY, now - DAY, now - DAY + 1, now - 10, now - 20 };

        check(ends, 5, now, 0, 0, "00000");   /* neither set: all kept */
        check(ends, 5, now, 1, 0, "11000");   /* ended a day ago or earlier */
        check(ends, 5, now, 0, 2, "11100");   /* the two that ended last stay */
        check(ends, 5, now, 2, 4, "10000");   /* the union: past two days, fifth newest */
        check(ends, 5, now, 2, 3, "11000");
        check(ends, 2, now, 0, 5, "00");      /* fewer jobs than kept */
        check(NULL, 0, now, 1, 1, "");        /* none */
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/expire/days-and-count", test_days_and_count);
        return g_test_run();
}
