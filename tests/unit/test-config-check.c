/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config-check.c: unknown sections and keys of a key file, with lines. */
#include <glib.h>
#include <string.h>

#include "core/config-check.h"

static bool known(const char *section, const char *key) {
        if (g_str_equal(section, "environment"))
                return true;
        if (!g_str_equal(section, "daemon"))
                return false;
        return !key || g_str_equal(key, "max_running_jobs") || g_str_equal(key, "virt_v2v");
}

static void test_keys(void) {
        const char *text =
                "# comment\n"
                "[daemon]\n"
                "max_running_jobs=2\n"
                "  max_running_jobs_per_sorce = 1\n"
                "virt_v2v[de]=x\n"
                "\n"
                "[environment]\n"
                "ANYTHING=1\n"
                "[deamon]\n"
                "max_running_jobs=3\n"
                "[daemon]\n"
                "bogus=\n";
        g_autoptr(GPtrArray) p = v2v_config_check_keys("/etc/v2vd/v2vd.conf", text, known);

        g_assert_cmpuint(p->len, ==, 3);
        g_assert_cmpstr(p->pdata[0], ==, "/etc/v2vd/v2vd.conf:4: unknown key \"max_running_jobs_per_sorce\" in section [daemon], ignored");
        g_assert_cmpstr(p->pdata[1], ==, "/etc/v2vd/v2vd.conf:9: unknown section [deamon], ignored");
        g_assert_cmpstr(p->pdata[2], ==, "/etc/v2vd/v2vd.conf:12: unknown key \"bogus\" in section [daemon], ignored");
}

static void test_clean(void) {
        g_autoptr(GPtrArray) p = v2v_config_check_keys("f", "[daemon]\nmax_running_jobs=1\n", known);
        g_autoptr(GPtrArray) e = v2v_config_check_keys("f", "", known);
        g_autoptr(GPtrArray) n = v2v_config_check_keys("f", NULL, known);

        g_assert_cmpuint(p->len, ==, 0);
        g_assert_cmpuint(e->len, ==, 0);
        g_assert_cmpuint(n->len, ==, 0);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/config-check/keys", test_keys);
        g_test_add_func("/config-check/clean", test_clean);
        return g_test_run();
}
