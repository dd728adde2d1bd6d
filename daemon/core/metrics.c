/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "common/v2v-limits.h"
#include "core/metrics.h"

/* From a quick test conversion to a day-long one. */
const double v2v_metrics_duration_buckets[] = { 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400 };
const size_t v2v_metrics_duration_buckets_n = G_N_ELEMENTS(v2v_metrics_duration_buckets);

/* A label value: backslash, double quote and newline escaped; anything not
 * UTF-8 replaced, so a VM name never breaks the exposition. */
static void append_label_value(GString *s, const char *v) {
        g_autofree char *valid = g_utf8_make_valid(v ?: "", -1);

        for (const char *p = valid; *p; p++) {
                if (*p == '\\')
                        g_string_append(s, "\\\\");
                else if (*p == '"')
                        g_string_append(s, "\\\"");
                else if (*p == '\n')
                        g_string_append(s, "\\n");
                else
                        g_string_append_c(s, *p);
        }
}

static void append_double(GString *s, double v) {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        if (isinf(v))
                g_string_append(s, v > 0 ? "+Inf" : "-Inf");
        else
                /* 15 digits: 0.4, not 0.40000000000000002; a byte count stays exact to 1e15. */
                g_string_append(s, g_ascii_formatd(buf, sizeof buf, "%.15g", v));
}

static void family(GString *s, const char *name, const char *type, const char *unit, const char *help) {
        g_string_append_printf(s, "# TYPE %s %s\n", name, type);
        if (unit)
                g_string_append_printf(s, "# UNIT %s %s\n", name, unit);
        g_string_append_printf(s, "# HELP %s %s\n", name, help);
}

static void job_sample(GString *s, const char *name, const V2vMetricsJob *j, double v) {
        g_string_append_printf(s, "%s{job=\"", name);
        append_label_value(s, j->id);
        g_string_append(s, "\",vm=\"");
        append_label_value(s, j->vm);
        g_string_append(s, "\"} ");
        append_double(s, v);
        g_string_append_c(s, '\n');
}

static void plain_sample(GString *s, const char *name, double v) {
        g_string_append_printf(s, "%s ", name);
        append_double(s, v);
        g_string_append_c(s, '\n');
}

/* "N%" → N/100 CPUs; false for "unlimited" (or anything else). */
static bool cpu_ratio(const char *cpu, double *ret) {
        uint64_t quota;

        if (!cpu || v2v_cpu_limit_parse(cpu, 0, &quota) < 0 || quota == 0 || quota == UINT64_MAX)
                return false;
        *ret = (double) quota / 1000000.0;
        return true;
}

uint64_t v2v_metrics_bytes_copied(const uint64_t *sizes, const double *progress, size_t n, uint64_t *ret_total) {
        uint64_t copied = 0, total = 0;

        for (size_t i = 0; i < n; i++) {
                double p = progress[i] < 0 ? 0 : progress[i] > 100 ? 100 : progress[i];
                if (sizes[i] == 0)
                        continue;
                total += sizes[i];
                copied += (uint64_t) ((double) sizes[i] * p / 100.0);
        }
        if (ret_total)
                *ret_total = total;
        return copied;
}

char *v2v_metrics_render(const V2vMetricsHost *h, const V2vMetricsJob *jobs, size_t n) {
        GString *s = g_string_new(NULL);
        unsigned by_state[_V2V_JOB_STATE_MAX] = { 0 };
        g_autoptr(GHashTable) reasons = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GList) reason_keys = NULL;
        g_autofree uint64_t *buckets = g_new0(uint64_t, v2v_metrics_duration_buckets_n);
        uint64_t finished = 0;
        double sum = 0, ratio;

        for (size_t i = 0; i < n; i++) {
                const V2vMetricsJob *j = &jobs[i];
                if (j->state >= 0 && j->state < _V2V_JOB_STATE_MAX)
                        by_state[j->state]++;
                if (j->state == V2V_JOB_FAILED) {
                        const char *r = j->failure_reason && *j->failure_reason ? j->failure_reason : "unknown";
                        g_hash_table_insert(reasons, (gpointer) r,
                                            GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(reasons, r)) + 1));
                }
                if (v2v_job_state_is_finished(j->state) && j->started_usec > 0 && j->finished_usec >= j->started_usec) {
                        double sec = (double) (j->finished_usec - j->started_usec) / 1e6;
                        finished++;
                        sum += sec;
                        for (size_t b = 0; b < v2v_metrics_duration_buckets_n; b++)
                                if (sec <= v2v_metrics_duration_buckets[b])
                                        buckets[b]++;
                }
        }

        family(s, "v2vd_jobs", "gauge", NULL, "Jobs on record, by state.");
        for (int st = 0; st < _V2V_JOB_STATE_MAX; st++)
                g_string_append_printf(s, "v2vd_jobs{state=\"%s\"} %u\n", v2v_job_state_to_string(st), by_state[st]);
        family(s, "v2vd_jobs_queued", "gauge", NULL, "Jobs waiting for a slot.");
        plain_sample(s, "v2vd_jobs_queued", h->queued);
        family(s, "v2vd_jobs_running", "gauge", NULL, "Jobs whose virt-v2v runs (or is being started).");
        plain_sample(s, "v2vd_jobs_running", h->running);

        family(s, "v2vd_jobs_failed", "gauge", NULL, "Failed jobs on record, by reason.");
        reason_keys = g_list_sort(g_hash_table_get_keys(reasons), (GCompareFunc) strcmp);
        for (GList *l = reason_keys; l; l = l->next) {
                g_string_append(s, "v2vd_jobs_failed{reason=\"");
                append_label_value(s, l->data);
                g_string_append_printf(s, "\"} %u\n", GPOINTER_TO_UINT(g_hash_table_lookup(reasons, l->data)));
        }

        family(s, "v2vd_job_duration_seconds", "histogram", "seconds",
               "From start to end of the finished jobs on record that ran.");
        for (size_t b = 0; b < v2v_metrics_duration_buckets_n; b++) {
                g_string_append(s, "v2vd_job_duration_seconds_bucket{le=\"");
                append_double(s, v2v_metrics_duration_buckets[b]);
                g_string_append_printf(s, "\"} %" G_GUINT64_FORMAT "\n", buckets[b]);
        }
        g_string_append_printf(s, "v2vd_job_duration_seconds_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n", finished);
        g_string_append_printf(s, "v2vd_job_duration_seconds_count %" G_GUINT64_FORMAT "\n", finished);
        plain_sample(s, "v2vd_job_duration_seconds_sum", sum);

        family(s, "v2vd_job_progress_ratio", "gauge", "ratio", "A job's progress, 0 to 1 (1: succeeded).");
        for (size_t i = 0; i < n; i++)
                job_sample(s, "v2vd_job_progress_ratio", &jobs[i], jobs[i].progress / 100.0);
        family(s, "v2vd_job_copied_bytes", "gauge", "bytes",
               "Bytes of a job's disks copied so far (disks of known size only).");
        for (size_t i = 0; i < n; i++)
                job_sample(s, "v2vd_job_copied_bytes", &jobs[i], (double) jobs[i].bytes_copied);
        family(s, "v2vd_job_disk_bytes", "gauge", "bytes", "Size of a job's disks (those of known size).");
        for (size_t i = 0; i < n; i++)
                job_sample(s, "v2vd_job_disk_bytes", &jobs[i], (double) jobs[i].bytes_total);
        family(s, "v2vd_job_cpu_limit_ratio", "gauge", "ratio",
               "A running job's CPU limit in CPUs (1: one CPU); absent when unlimited.");
        for (size_t i = 0; i < n; i++)
                if (jobs[i].state == V2V_JOB_RUNNING && cpu_ratio(jobs[i].cpu_limit, &ratio))
                        job_sample(s, "v2vd_job_cpu_limit_ratio", &jobs[i], ratio);
        family(s, "v2vd_job_network_limit_bytes_per_second", "gauge", NULL,
               "A running job's network limit in bytes per second; 0: unlimited.");
        for (size_t i = 0; i < n; i++)
                if (jobs[i].state == V2V_JOB_RUNNING)
                        job_sample(s, "v2vd_job_network_limit_bytes_per_second", &jobs[i],
                                   (double) jobs[i].network_limit);

        family(s, "v2vd_max_running_jobs", "gauge", NULL, "max_running_jobs= in force.");
        plain_sample(s, "v2vd_max_running_jobs", h->max_running_jobs);
        family(s, "v2vd_max_queued_jobs", "gauge", NULL, "max_queued_jobs= in force.");
        plain_sample(s, "v2vd_max_queued_jobs", h->max_queued_jobs);
        family(s, "v2vd_max_queued_jobs_per_user", "gauge", NULL, "max_queued_jobs_per_user= in force; 0: no bound.");
        plain_sample(s, "v2vd_max_queued_jobs_per_user", h->max_queued_jobs_per_user);
        family(s, "v2vd_default_cpu_limit_ratio", "gauge", "ratio",
               "default_cpu= in CPUs (1: one CPU); absent when unlimited.");
        if (cpu_ratio(h->default_cpu, &ratio))
                plain_sample(s, "v2vd_default_cpu_limit_ratio", ratio);
        family(s, "v2vd_default_network_limit_bytes_per_second", "gauge", NULL,
               "default_network= in bytes per second; 0: unlimited.");
        plain_sample(s, "v2vd_default_network_limit_bytes_per_second", (double) h->default_network);
        g_string_append(s, "# EOF\n");
        return g_string_free(s, FALSE);
}
