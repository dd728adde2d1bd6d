/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shared rules (daemon/common/): limits, the runner's exit record and the
 * throttling object reader, as the daemon, the runner and v2vctl use them.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "common/runner-exit.h"
#include "common/limits-json.h"
#include "common/v2v-limits.h"

typedef struct CpuCase {
        const char *text;
        int r;                  /* plain; with V2V_LIMIT_BARE_PERCENT see bare_r */
        uint64_t quota;
        int bare_r;
} CpuCase;

static const CpuCase cpu_cases[] = {
        { "50%", 0, 500000, 0 },
        { "1%", 0, 10000, 0 },
        { "10000%", 0, 100000000, 0 },
        { "050%", 0, 500000, 0 },
        { "unlimited", 0, UINT64_MAX, 0 },
        { "0%", -ERANGE, 0, -ERANGE },
        { "10001%", -ERANGE, 0, -ERANGE },
        { "999999999%", -ERANGE, 0, -ERANGE },
        { "99999999999999999999%", -ERANGE, 0, -ERANGE },
        { "50", -EINVAL, 500000, 0 },
        { "0", -EINVAL, 0, -ERANGE },
        { "", -EINVAL, 0, -EINVAL },
        { "%", -EINVAL, 0, -EINVAL },
        { "-5%", -EINVAL, 0, -EINVAL },
        { "+5%", -EINVAL, 0, -EINVAL },
        { " 5%", -EINVAL, 0, -EINVAL },
        { "5 %", -EINVAL, 0, -EINVAL },
        { "5%%", -EINVAL, 0, -EINVAL },
        { "1.5%", -EINVAL, 0, -EINVAL },
        { "0x10%", -EINVAL, 0, -EINVAL },
        { "Unlimited", -EINVAL, 0, -EINVAL },
        { "lots", -EINVAL, 0, -EINVAL },
};

static void test_cpu(void) {
        char buf[V2V_LIMIT_STRLEN];

        for (size_t i = 0; i < G_N_ELEMENTS(cpu_cases); i++) {
                const CpuCase *c = &cpu_cases[i];
                uint64_t q = 0;

                g_test_message("cpu \"%s\"", c->text);
                g_assert_cmpint(v2v_cpu_limit_parse(c->text, 0, &q), ==, c->r);
                if (c->r == 0)
                        g_assert_cmpuint(q, ==, c->quota);
                g_assert_cmpint(v2v_cpu_limit_parse(c->text, V2V_LIMIT_BARE_PERCENT, &q), ==, c->bare_r);
                if (c->bare_r == 0)
                        g_assert_cmpuint(q, ==, c->quota);
        }
        g_assert_cmpint(v2v_cpu_limit_parse(NULL, 0, &(uint64_t) { 0 }), ==, -EINVAL);
        g_assert_cmpstr(v2v_cpu_limit_format(500000, buf), ==, "50%");
        g_assert_cmpstr(v2v_cpu_limit_format(100000000, buf), ==, "10000%");
        g_assert_cmpstr(v2v_cpu_limit_format(UINT64_MAX, buf), ==, "unlimited");
}

static void test_network(void) {
        static const struct { const char *text; int r; uint64_t bytes; } cases[] = {
                { "1048576", 0, 1048576 },
                { "0", 0, 0 },
                { "unlimited", 0, 0 },
                { "9223372036854775807", 0, INT64_MAX },
                { "09223372036854775807", 0, INT64_MAX },
                { "9223372036854775808", -ERANGE, 0 },
                { "18446744073709551616", -ERANGE, 0 },
                { "", -EINVAL, 0 },
                { "-1", -EINVAL, 0 },
                { "1.5M", -EINVAL, 0 },
                { "1M", -EINVAL, 0 },
                { " 1", -EINVAL, 0 },
                { "0x10", -EINVAL, 0 },
        };
        char buf[V2V_LIMIT_STRLEN];

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                uint64_t b = 12345;

                g_test_message("network \"%s\"", cases[i].text);
                g_assert_cmpint(v2v_network_limit_parse(cases[i].text, &b), ==, cases[i].r);
                g_assert_cmpuint(b, ==, cases[i].r == 0 ? cases[i].bytes : 12345);
        }
        g_assert_cmpstr(v2v_network_limit_format(0, buf), ==, "unlimited");
        g_assert_cmpstr(v2v_network_limit_format(INT64_MAX, buf), ==, "9223372036854775807");
}

static void test_runner_exit(void) {
        static const V2vExit exits[] = {
                { V2V_EXIT_EXITED, 0 }, { V2V_EXIT_EXITED, 1 }, { V2V_EXIT_EXITED, 127 },
                { V2V_EXIT_KILLED, 9 }, { V2V_EXIT_KILLED, 15 }, { V2V_EXIT_LOST, ECHILD },
        };
        V2vExit e;

        for (size_t i = 0; i < G_N_ELEMENTS(exits); i++) {
                char text[64];
                bool known;

                v2v_exit_format(&exits[i], text, sizeof text);
                g_test_message("record %.*s", (int) strcspn(text, "\n"), text);
                g_assert_cmpint(v2v_exit_parse(text, &e), ==, 0);
                g_assert_cmpint(e.kind, ==, exits[i].kind);
                g_assert_cmpint(e.value, ==, exits[i].value);
                /* The runner's status stands for the same end, except a lost one. */
                known = v2v_exit_from_runner_status(v2v_exit_to_runner_status(&exits[i]), &e);
                g_assert_cmpint(known, ==, exits[i].kind != V2V_EXIT_LOST);
                if (known) {
                        g_assert_cmpint(e.kind, ==, exits[i].kind);
                        g_assert_cmpint(e.value, ==, exits[i].value);
                }
        }
        g_assert_cmpint(v2v_exit_parse("lost 10\n", &e), ==, 0);
        g_assert_cmpint(e.kind, ==, V2V_EXIT_LOST);
        g_assert_cmpint(v2v_exit_return_code(&e), ==, -1);
        g_assert_cmpint(v2v_exit_parse("killed 9", &e), ==, 0);
        g_assert_cmpint(v2v_exit_return_code(&e), ==, 137);
        for (const char *const *bad = (const char *const[]) { "", "exited", "exited x", "exited 1 2", "gone 1",
                                                              "exited -1", "exitedd 1", NULL }; *bad; bad++)
                g_assert_cmpint(v2v_exit_parse(*bad, &e), ==, -EINVAL);
        g_assert_false(v2v_exit_from_runner_status(V2V_RUNNER_NOT_STARTED, &e));
        g_assert_false(v2v_exit_from_runner_status(V2V_RUNNER_SETUP_FAILED, &e));
        g_assert_false(v2v_exit_from_runner_status(-1, &e));
}

static V2vLimitsJson *parse(const char *text, unsigned flags) {
        g_autoptr(GError) error = NULL;
        V2vLimitsJson *t = v2v_limits_json_parse(text, strlen(text), flags, &error);

        g_assert_no_error(error);
        g_assert_nonnull(t);
        return t;
}

static void assert_problems(V2vLimitsJson *t, const char *const *expected) {
        guint n = 0;

        for (; expected[n]; n++) {
                g_assert_cmpuint(n, <, t->problems->len);
                g_assert_cmpstr(t->problems->pdata[n], ==, expected[n]);
        }
        g_assert_cmpuint(t->problems->len, ==, n);
}

/* throttling.json as ManageIQ writes it (a bare CPU number is a percentage)
 * and as the old wrapper documented it. */
static void test_throttling_wrapper(void) {
        const unsigned W = V2V_LIMITS_JSON_WRAPPER;

        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": \"50\", \"network\": \"1048576\"}", W);
                g_assert_cmpstr(t->cpu, ==, "50%");
                g_assert_cmpint(t->network, ==, 1048576);
                assert_problems(t, (const char *const[]) { NULL });
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": \"150%\", \"network\": \"unlimited\"}", W);
                g_assert_cmpstr(t->cpu, ==, "150%");
                g_assert_cmpint(t->network, ==, 0);
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": \"unlimited\", \"network\": 2000000, \"disk\": 1, \"io\": 1}", W);
                g_assert_cmpstr(t->cpu, ==, "unlimited");
                g_assert_cmpint(t->network, ==, 2000000);
                g_assert_cmpint(t->disk, ==, 1);
                assert_problems(t, (const char *const[]) { NULL });
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"disk\": \"unlimited\"}", W);
                g_assert_cmpint(t->disk, ==, 0);
                g_assert_cmpint(t->network, ==, -1);
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"disk\": \"1 MB/s\", \"network\": \"5\"}", W);
                g_assert_cmpint(t->disk, ==, -1);
                g_assert_cmpint(t->network, ==, 5);
                assert_problems(t, (const char *const[]) {
                        "disk: expected bytes per second as digits or \"unlimited\", got \"1 MB/s\"", NULL });
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": 25}", W);
                g_assert_cmpstr(t->cpu, ==, "25%");
                g_assert_cmpint(t->network, ==, -1);
        }
        {
                /* One bad member: the other is still read, the bad one named. */
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": \"fast\", \"network\": \"1048576\"}", W);
                g_assert_null(t->cpu);
                g_assert_cmpint(t->network, ==, 1048576);
                assert_problems(t, (const char *const[]) {
                        "cpu: expected N% or N (percent of one CPU, 1 to 10000) or \"unlimited\", got \"fast\"", NULL });
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": \"50%\", \"network\": \"1 MB/s\"}", W);
                g_assert_cmpstr(t->cpu, ==, "50%");
                g_assert_cmpint(t->network, ==, -1);
                assert_problems(t, (const char *const[]) {
                        "network: expected bytes per second as digits or \"unlimited\", got \"1 MB/s\"", NULL });
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": \"0\", \"network\": -5}", W);
                g_assert_null(t->cpu);
                g_assert_cmpint(t->network, ==, -1);
                g_assert_cmpuint(t->problems->len, ==, 2);
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": null, \"network\": null}", W);
                g_assert_null(t->cpu);
                g_assert_cmpint(t->network, ==, -1);
                assert_problems(t, (const char *const[]) { NULL });
        }
        for (const char *const *bad = (const char *const[]) { "", "[]", "\"50%\"", "{", "{\"cpu\": \"50%\"} x", NULL };
             *bad; bad++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(V2vLimitsJson) t = v2v_limits_json_parse(*bad, strlen(*bad), W, &error);

                g_test_message("not an object: %s: %s", *bad, error ? error->message : "(accepted)");
                g_assert_null(t);
                g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        }
}

/* The spec's "throttling": N% only, unknown keys refused. */
static void test_throttling_strict(void) {
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": \"50\", \"io\": 1, \"disk\": 7, \"network\": \"9223372036854775807\"}", 0);
                g_assert_null(t->cpu);
                g_assert_cmpint(t->network, ==, INT64_MAX);
                g_assert_cmpint(t->disk, ==, 7);
                assert_problems(t, (const char *const[]) {
                        "\"io\": unknown key, expected \"cpu\", \"network\" or \"disk\"",
                        "cpu: expected N% or \"unlimited\", got \"50\"", NULL });
        }
        {
                g_autoptr(V2vLimitsJson) t = parse("{\"cpu\": 50}", 0);
                assert_problems(t, (const char *const[]) { "cpu: expected N% or \"unlimited\", got 50", NULL });
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/rules/cpu", test_cpu);
        g_test_add_func("/rules/network", test_network);
        g_test_add_func("/rules/runner-exit", test_runner_exit);
        g_test_add_func("/rules/throttling-wrapper", test_throttling_wrapper);
        g_test_add_func("/rules/throttling-strict", test_throttling_strict);
        return g_test_run();
}
