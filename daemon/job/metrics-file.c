/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/statefile.h"
#include "host/file-write.h"
#include "host/util.h"
#include "job/job-events.h"
#include "job/job.h"
#include "job/metrics-file.h"

struct MetricsFile {
        sd_event_source *now;      /* defer: a state change */
        sd_event_source *later;    /* timer: progress alone */
        uint64_t last_write_usec;  /* CLOCK_MONOTONIC */
        bool write_failed;         /* logged once, until a write works again */
};

/* Why a failed job failed, as a label value. The seam for a failure code of
 * the job's own: until the job records one, virt-v2v's exit status
 * ("exit_1") or, when it never exited on its own, "unknown". */
static char *failure_reason(const Job *j) {
        if (j->record->return_code >= 0)
                return g_strdup_printf("exit_%d", j->record->return_code);
        return g_strdup("unknown");
}

char *metrics_text(Manager *m) {
        g_autoptr(GPtrArray) jobs = manager_sorted_jobs(m);
        g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func(g_free);
        g_autofree V2vMetricsJob *mj = NULL;
        V2vMetricsHost host = {
                .max_running_jobs = m->max_running_jobs,
                .max_queued_jobs = m->max_queued_jobs,
                .max_queued_jobs_per_user = m->max_queued_jobs_per_user,
                .default_cpu = m->default_cpu,
                .default_network = m->default_network,
                .running = m->n_running,
                .queued = g_queue_get_length(&m->queue),
        };
        mj = g_new0(V2vMetricsJob, jobs->len ?: 1);
        for (guint i = 0; i < jobs->len; i++) {
                Job *j = jobs->pdata[i];
                GArray *disks = j->progress->disks;
                guint nd = disks ? disks->len : 0;
                g_autofree uint64_t *sizes = g_new0(uint64_t, nd ?: 1);
                g_autofree double *prog = g_new0(double, nd ?: 1);

                for (guint d = 0; d < nd; d++) {
                        sizes[d] = g_array_index(disks, V2vDiskProgress, d).size;
                        prog[d] = g_array_index(disks, V2vDiskProgress, d).progress;
                }
                mj[i] = (V2vMetricsJob) {
                        .id = j->id,
                        .vm = j->vm_name,
                        .state = job_state(j),
                        .progress = job_progress(j),
                        .started_usec = j->record->started_usec,
                        .finished_usec = j->record->finished_usec,
                        .cpu_limit = j->record->cpu_limit,
                        .network_limit = j->record->network_limit,
                };
                mj[i].bytes_copied = v2v_metrics_bytes_copied(sizes, prog, nd, &mj[i].bytes_total);
                if (mj[i].state == V2V_JOB_FAILED) {
                        g_ptr_array_add(reasons, failure_reason(j));
                        mj[i].failure_reason = reasons->pdata[reasons->len - 1];
                }
        }
        return v2v_metrics_render(&host, mj, jobs->len);
}

static void metrics_file_write(Manager *m) {
        struct MetricsFile *f = m->metrics;
        g_autofree char *text = metrics_text(m);
        int r;

        f->last_write_usec = now_usec(CLOCK_MONOTONIC);
        r = write_file_atomic(m->metrics_file, text, strlen(text), 0644);
        if (r < 0 && !f->write_failed)
                log_warning("cannot write metrics_file=%s: %s (said once, until a write works)",
                            m->metrics_file, g_strerror(-r));
        else if (r >= 0 && f->write_failed)
                log_info("metrics_file=%s written again", m->metrics_file);
        f->write_failed = r < 0;
}

static int on_now(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        sd_event_source_set_enabled(m->metrics->later, SD_EVENT_OFF);
        metrics_file_write(m);
        return 0;
}

static int on_later(sd_event_source *s, uint64_t usec, void *userdata) {
        metrics_file_write(userdata);
        return 0;
}

/* Something the metrics show changed: a state (or a job came or went) →
 * write after this dispatch; else within METRICS_FILE_INTERVAL_SEC. */
static void metrics_file_changed(Manager *m, bool state) {
        struct MetricsFile *f;
        uint64_t due;
        int r;

        if (!m->metrics_file || !m->event)
                return;
        if (!m->metrics) {
                m->metrics = g_new0(struct MetricsFile, 1);
                r = sd_event_add_defer(m->event, &m->metrics->now, on_now, m);
                if (r >= 0)
                        r = sd_event_add_time(m->event, &m->metrics->later, CLOCK_MONOTONIC, 0, 0, on_later, m);
                if (r < 0) {
                        log_error("cannot watch for metrics to write: %s", g_strerror(-r));
                        metrics_file_free(m);
                        g_clear_pointer(&m->metrics_file, g_free);
                        return;
                }
                sd_event_source_set_description(m->metrics->now, "metrics-now");
                sd_event_source_set_description(m->metrics->later, "metrics-later");
                sd_event_source_set_enabled(m->metrics->now, SD_EVENT_OFF);
                sd_event_source_set_enabled(m->metrics->later, SD_EVENT_OFF);
        }
        f = m->metrics;
        if (state) {
                sd_event_source_set_enabled(f->now, SD_EVENT_ONESHOT);
                return;
        }
        r = sd_event_source_get_enabled(f->later, NULL);
        if (r > 0 || sd_event_source_get_enabled(f->now, NULL) > 0)
                return;   /* a write is already due */
        due = f->last_write_usec + METRICS_FILE_INTERVAL_SEC * 1000000ULL;
        sd_event_source_set_time(f->later, MAX(due, now_usec(CLOCK_MONOTONIC)));
        sd_event_source_set_enabled(f->later, SD_EVENT_ONESHOT);
}

void metrics_file_free(Manager *m) {
        if (!m->metrics)
                return;
        sd_event_source_disable_unref(m->metrics->now);
        sd_event_source_disable_unref(m->metrics->later);
        g_clear_pointer(&m->metrics, g_free);
}

static void on_changed(Job *j, unsigned props, void *userdata) {
        metrics_file_changed(j->manager, props & JOB_PROP_STATE);
}

static void on_job(Job *j, void *userdata) {
        metrics_file_changed(j->manager, true);
}

static void on_counts(Manager *m, void *userdata) {
        metrics_file_changed(m, true);
}

static const JobEvents metrics_events = {
        .changed = on_changed,
        .added = on_job,
        .finished = on_job,
        .removed = on_job,
        .counts_changed = on_counts,
};

int metrics_file_subscribe(Manager *m) {
        if (!m->metrics_file)
                return 0;
        metrics_file_changed(m, true);
        if (!m->metrics_file)   /* could not set up its event sources: said so */
                return 0;
        return job_events_subscribe(m, &metrics_events, NULL);
}
