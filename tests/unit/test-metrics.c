/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The metrics formatter (core/metrics.c) on a fixed set of jobs: the
 * figures, the histogram's cumulative buckets, label escaping, limits.
 * `test-metrics --print` prints the fixture's text for test-metrics-parse.py,
 * which reads it with prometheus_client's parsers.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "core/metrics.h"

#define SEC 1000000ULL
#define T0 (1700000000ULL * SEC)

static const V2vMetricsJob jobs[] = {
        { .id = "1", .vm = "web01", .state = V2V_JOB_SUCCEEDED, .progress = 100, .bytes_copied = 1000,
          .bytes_total = 1000, .started_usec = T0, .finished_usec = T0 + 30 * SEC, .cpu_limit = "unlimited" },
        { .id = "2", .vm = "db \"main\"\\\nx", .state = V2V_JOB_FAILED, .progress = 40, .started_usec = T0,
          .finished_usec = T0 + 400 * SEC, .failure_reason = "exit_1", .cpu_limit = "50%" },
        { .id = "3", .vm = "app", .state = V2V_JOB_RUNNING, .progress = 55.5, .bytes_copied = 512,
          .bytes_total = 2048, .started_usec = T0, .cpu_limit = "150%", .network_limit = 1048576 },
        { .id = "4", .vm = "q", .state = V2V_JOB_QUEUED, .cpu_limit = "unlimited" },
        { .id = "5", .vm = "never", .state = V2V_JOB_CANCELLED, .finished_usec = T0 },
        { .id = "6", .vm = "lost", .state = V2V_JOB_FAILED, .started_usec = T0, .finished_usec = T0 + 90000 * SEC },
};

static const V2vMetricsHost host = {
        .max_running_jobs = 4, .max_queued_jobs = 10000, .max_queued_jobs_per_user = 0,
        .default_cpu = "200%", .default_network = 0, .running = 1, .queued = 1,
};

static bool has_line(const char *text, const char *line) {
        g_autofree char *needle = g_strdup_printf("\n%s\n", line);
        g_autofree char *hay = g_strdup_printf("\n%s", text);
        return strstr(hay, needle) != NULL;
}

#define assert_line(text, line) \
        G_STMT_START { if (!has_line(text, line)) g_error("missing line: %s\n---\n%s", line, text); } G_STMT_END

static void test_figures(void) {
        g_autofree char *t = v2v_metrics_render(&host, jobs, G_N_ELEMENTS(jobs));

        g_assert_true(g_str_has_suffix(t, "\n# EOF\n"));
        assert_line(t, "v2vd_jobs{state=\"queued\"} 1");
        assert_line(t, "v2vd_jobs{state=\"running\"} 1");
        assert_line(t, "v2vd_jobs{state=\"succeeded\"} 1");
        assert_line(t, "v2vd_jobs{state=\"failed\"} 2");
        assert_line(t, "v2vd_jobs{state=\"cancelled\"} 1");
        assert_line(t, "v2vd_jobs_queued 1");
        assert_line(t, "v2vd_jobs_running 1");
        assert_line(t, "v2vd_jobs_failed{reason=\"exit_1\"} 1");
        assert_line(t, "v2vd_jobs_failed{reason=\"unknown\"} 1");
        /* 30 s, 400 s, 90000 s: the cancelled job never ran. */
        assert_line(t, "v2vd_job_duration_seconds_bucket{le=\"60\"} 1");
        assert_line(t, "v2vd_job_duration_seconds_bucket{le=\"300\"} 1");
        assert_line(t, "v2vd_job_duration_seconds_bucket{le=\"900\"} 2");
        assert_line(t, "v2vd_job_duration_seconds_bucket{le=\"86400\"} 2");
        assert_line(t, "v2vd_job_duration_seconds_bucket{le=\"+Inf\"} 3");
        assert_line(t, "v2vd_job_duration_seconds_count 3");
        assert_line(t, "v2vd_job_duration_seconds_sum 90430");
        assert_line(t, "v2vd_job_progress_ratio{job=\"3\",vm=\"app\"} 0.555");
        assert_line(t, "v2vd_job_copied_bytes{job=\"3\",vm=\"app\"} 512");
        assert_line(t, "v2vd_job_disk_bytes{job=\"3\",vm=\"app\"} 2048");
        assert_line(t, "v2vd_job_progress_ratio{job=\"1\",vm=\"web01\"} 1");
        /* Running jobs' limits only; unlimited CPU is no sample. */
        assert_line(t, "v2vd_job_cpu_limit_ratio{job=\"3\",vm=\"app\"} 1.5");
        assert_line(t, "v2vd_job_network_limit_bytes_per_second{job=\"3\",vm=\"app\"} 1048576");
        g_assert_null(strstr(t, "v2vd_job_cpu_limit_ratio{job=\"2\""));
        g_assert_null(strstr(t, "v2vd_job_network_limit_bytes_per_second{job=\"1\""));
        assert_line(t, "v2vd_max_running_jobs 4");
        assert_line(t, "v2vd_max_queued_jobs 10000");
        assert_line(t, "v2vd_max_queued_jobs_per_user 0");
        assert_line(t, "v2vd_default_cpu_limit_ratio 2");
        assert_line(t, "v2vd_default_network_limit_bytes_per_second 0");
        /* A VM name with a quote, a backslash and a newline stays one label. */
        assert_line(t, "v2vd_job_progress_ratio{job=\"2\",vm=\"db \\\"main\\\"\\\\\\nx\"} 0.4");
}

static void test_empty(void) {
        V2vMetricsHost h = host;
        g_autofree char *t = NULL;

        h.default_cpu = "unlimited";
        h.running = h.queued = 0;
        t = v2v_metrics_render(&h, NULL, 0);
        assert_line(t, "v2vd_jobs{state=\"failed\"} 0");
        assert_line(t, "v2vd_job_duration_seconds_count 0");
        assert_line(t, "v2vd_job_duration_seconds_sum 0");
        assert_line(t, "# TYPE v2vd_default_cpu_limit_ratio gauge");
        g_assert_null(strstr(t, "\nv2vd_default_cpu_limit_ratio "));
}

static void test_bytes(void) {
        uint64_t sizes[] = { 1000, 0, 3000 };
        double prog[] = { 50, 80, 110 };
        uint64_t total = 0;

        g_assert_cmpuint(v2v_metrics_bytes_copied(sizes, prog, 3, &total), ==, 500 + 3000);
        g_assert_cmpuint(total, ==, 4000);
        g_assert_cmpuint(v2v_metrics_bytes_copied(NULL, NULL, 0, &total), ==, 0);
        g_assert_cmpuint(total, ==, 0);
}

int main(int argc, char *argv[]) {
        if (argc > 1 && g_str_equal(argv[1], "--print")) {
                g_autofree char *t = v2v_metrics_render(&host, jobs, G_N_ELEMENTS(jobs));
                fputs(t, stdout);
                return 0;
        }
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/metrics/figures", test_figures);
        g_test_add_func("/metrics/empty", test_empty);
        g_test_add_func("/metrics/bytes", test_bytes);
        return g_test_run();
}
