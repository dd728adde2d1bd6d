/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A job's life: its record, create/load/adopt/cancel/remove, how it ends,
 * and its limits. See job.h for the files, job-private.h for how a job is
 * split; the decisions worth knowing:
 *
 *  - virt-v2v never holds a pipe to the daemon. The runner (runner.c)
 *    writes v2v.log, v2v.pid and exit-status; the daemon follows the job
 *    directory with inotify (job-follow.c) and the runner with a pidfd
 *    (job-start.c), which works the same for its own child and for a runner
 *    adopted after a restart.
 *  - Progress is re-derived by replaying the log files when a job is loaded,
 *    so nothing but job.json (who, when, state, limits, the daemon's own
 *    final message) needs to be persisted.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job/job-events.h"
#include "job/budget.h"
#include "job/job-private.h"
#include "common/bus-names.h"
#include "job/scheduler.h"
#include "common/runner-exit.h"
#include "common/limits-json.h"
#include "core/failure.h"
#include "common/v2v-limits.h"
#include "host/cred.h"
#include "host/owner.h"
#include "host/scope.h"
#include "host/egress.h"
#include "core/job-id.h"
#include "host/file-write.h"
#include "host/util.h"

char *job_file(const Job *j, const char *name) {
        return g_build_filename(j->dir, name, NULL);
}

char *job_state_file_path(const Job *j) { return job_file(j, "state.json"); }
char *job_log_path(const Job *j) { return job_file(j, JOB_LOG_FILE); }
char *job_machine_log_path(const Job *j) { return job_file(j, JOB_MACHINE_LOG_FILE); }
char *job_throttling_file_path(const Job *j) { return job_file(j, "throttling.json"); }

V2vJobState job_state(const Job *j) { return j->record->state; }
double job_progress(const Job *j) { return j->progress->progress; }
const char *job_phase(const Job *j) { return j->progress->phase ?: ""; }

void job_last_message(const Job *j, const char **type, const char **text) {
        if (j->record->final_message_type) {
                *type = j->record->final_message_type;
                *text = j->record->final_message_text ?: "";
        } else if (j->progress->last_message_type) {
                *type = j->progress->last_message_type;
                *text = j->progress->last_message_text ?: "";
        } else {
                *type = "";
                *text = "";
        }
}

void job_failure(const Job *j, const char **code, const char **summary, const char **remedy) {
        *code = j->record->failure_code ?: "";
        *summary = j->record->failure_summary ?: "";
        *remedy = j->record->failure_remedy ?: "";
}

/* Classify a failed or cancelled job's end into its record (core/failure.c).
 * daemon_message: the daemon's own error when it ended the job. */
static void job_classify_failure(Job *j, V2vJobState state, const char *daemon_message) {
        g_autoptr(V2vFailure) f = NULL;
        V2vFailureInput in = {
                .state = state,
                .daemon_message = daemon_message,
                .first_error = j->progress->first_error,
                .last_error = j->progress->last_error,
                .other_lines = j->progress->other_lines->str,
        };

        f = v2v_failure_classify(&in);
        if (!f)
                return;
        g_free(j->record->failure_code);
        g_free(j->record->failure_summary);
        g_free(j->record->failure_remedy);
        j->record->failure_code = g_steal_pointer(&f->code);
        j->record->failure_summary = g_steal_pointer(&f->summary);
        j->record->failure_remedy = g_steal_pointer(&f->remedy);
        job_mark_dirty(j, JOB_PROP_FAILURE);
        log_full(LOG_INFO, j->id, "failure %s: %s", j->record->failure_code, j->record->failure_summary);
}

/* The daemon's own error, when it (not virt-v2v) decided the end. */
static const char *job_daemon_error(const Job *j, const char *msg_type, const char *msg_text) {
        if (msg_type)
                return g_str_equal(msg_type, "error") ? msg_text : NULL;
        if (j->record->final_message_type && g_str_equal(j->record->final_message_type, "error"))
                return j->record->final_message_text;
        return NULL;
}

static Job *job_alloc(Manager *m, const char *id) {
        Job *j = g_new0(Job, 1);

        j->manager = m;
        j->id = g_strdup(id);
        j->object_path = g_strdup_printf(V2VD_JOB_PATH_PREFIX "/%s", id);
        j->dir = g_build_filename(m->jobs_dir, id, NULL);
        j->secret_dir = g_build_filename(m->runtime_dir, "jobs", id, NULL);
        j->progress = v2v_progress_new();
        j->runner_pidfd = -1;
        j->go_fd = -1;
        j->log_fd = j->machine_log_fd = -1;
        return j;
}

static void job_stop_following(Job *j) {
        job_runner_release(j);
        job_follow_stop(j);
}

static void job_count(Job *j, bool in);

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        if (j->counted)
                job_count(j, false);
        job_stop_following(j);
        sd_event_source_disable_unref(j->emit_timer);
        sd_event_source_disable_unref(j->state_file_timer);
        g_free(j->id);
        g_free(j->object_path);
        g_free(j->dir);
        g_free(j->secret_dir);
        g_free(j->vm_name);
        g_free(j->source);
        g_clear_pointer(&j->io_devices, g_ptr_array_unref);
        g_free(j->wait_reason);
        g_free(j->tampered);
        g_free(j->spec_redacted);
        v2v_spec_free(j->spec);
        v2v_job_record_free(j->record);
        v2v_progress_free(j->progress);
        g_free(j);
        return NULL;
}

void job_set_message(Job *j, const char *type, const char *text) {
        /* Copied first: type or text may be the message in place (a start
         * that fails with the message job_load_spec left). */
        char *t = g_strdup(type), *x = g_strdup(text);

        g_free(j->record->final_message_type);
        g_free(j->record->final_message_text);
        j->record->final_message_type = t;
        j->record->final_message_text = x;
        job_mark_dirty(j, JOB_PROP_LAST_MESSAGE);
}

/* Accepted-but-odd things (ignored wrapper keys, a missing virtio-win ISO)
 * become one warning in LastMessage. */
void job_set_warnings(Job *j, GPtrArray *warnings) {
        g_autoptr(GString) w = g_string_new(NULL);

        for (guint i = 0; warnings && i < warnings->len; i++)
                if (warnings->pdata[i])
                        g_string_append_printf(w, "%s%s", w->len ? "; " : "", (char *) warnings->pdata[i]);
        if (w->len)
                job_set_message(j, "warning", w->str);
}

int job_save_record(Job *j) {
        g_autofree char *path = job_file(j, "job.json");
        g_autofree char *json = v2v_job_record_render(j->record);
        int r;

        r = write_file_atomic(path, json, strlen(json), 0640);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot write %s: %s", path, g_strerror(-r));
        return r;
}
/* The queue (scheduler.c: priority, then id) and the running counts. */
static void job_count(Job *j, bool in) {
        Manager *m = j->manager;

        switch (j->record->state) {
        case V2V_JOB_QUEUED:
                if (in)
                        scheduler_queue_add(m, j);
                else
                        scheduler_queue_remove(m, j);
                break;
        case V2V_JOB_RUNNING:
                if (in)
                        m->n_running++;
                else if (m->n_running > 0)
                        m->n_running--;
                scheduler_count_running(m, j, in);
                break;
        default:
                break;
        }
        j->counted = in;
}

void job_set_wait(Job *j, V2vWait wait, const char *reason) {
        if (j->wait == wait && g_strcmp0(j->wait_reason, reason) == 0)
                return;
        j->wait = wait;
        g_free(j->wait_reason);
        j->wait_reason = g_strdup(reason);
        job_mark_dirty(j, JOB_PROP_WAIT_REASON);
}

int job_set_state(Job *j, V2vJobState state, unsigned props) {
        Manager *m = j->manager;
        V2vJobState old = j->record->state;

        if (!j->counted) {
                j->record->state = state;
                job_count(j, true);
                return 0;
        }
        if (!v2v_job_state_transition_is_valid(old, state, j->v2v_pid != 0)) {
                log_full(LOG_ERR, j->id, "refused state change %s → %s", v2v_job_state_to_string(old),
                         v2v_job_state_to_string(state) ?: "?");
                return -EINVAL;
        }
        job_count(j, false);
        j->record->state = state;
        job_count(j, true);

        job_save_record(j);
        job_mark_dirty(j, props | JOB_PROP_STATE);
        if (v2v_job_state_is_finished(state))
                job_events_finished(j);
        manager_counts_changed(m);
        if (old == V2V_JOB_RUNNING || state == V2V_JOB_QUEUED)
                manager_schedule(m);
        return 0;
}

/* ------------------------------------------------------------ egress */

/* The scope's own cgroup v2 directory, where the runner is: 0, or a
 * negative errno with *ret_problem in words. */
static int job_scope_cgroup(Job *j, char **ret_cgroup, char **ret_problem) {
        Egress *t = j->manager->egress;
        g_autofree char *cgroup = NULL;
        g_autofree char *suffix = g_strdup_printf("/%s", j->record->unit);
        int r;

        r = egress_cgroup_of_pid(t, (pid_t) j->record->runner_pid, &cgroup);
        if (r < 0) {
                *ret_problem = g_strdup(egress_last_error(t));
                return r;
        }
        if (!g_str_has_suffix(cgroup, suffix)) {
                *ret_problem = g_strdup_printf("the scope has no cgroup v2 directory of its own "
                                               "(the runner is in \"%s\")", cgroup);
                return -ENOMEDIUM;
        }
        *ret_cgroup = g_steal_pointer(&cgroup);
        return 0;
}

static void job_egress_warn(Job *j, const char *what) {
        g_autofree char *msg = g_strdup_printf("the network limit applies to the input side only: "
                                               "egress not shaped: %s", what);
        log_full(LOG_WARNING, j->id, "%s", msg);
        job_set_message(j, "warning", msg);
}

void job_apply_egress(Job *j) {
        Egress *t = j->manager->egress;
        g_autofree char *cgroup = NULL;
        g_autofree char *problem = NULL;
        bool changed = false;

        if (!t || j->record->state != V2V_JOB_RUNNING || !j->record->unit)
                return;
        /* Before the scope exists there is no cgroup to name: done once it is. */
        if (j->scope_wait || j->go_fd >= 0)
                return;
        if (j->record->network_limit > 0 && job_scope_cgroup(j, &cgroup, &problem) < 0) {
                job_egress_warn(j, problem);
                return;
        }
        if (egress_set(t, j->id, cgroup, j->record->network_limit, &changed) < 0) {
                job_egress_warn(j, egress_last_error(t));
                return;
        }
        if (!changed)
                return;
        if (egress_sync(t) < 0) {
                if (j->record->network_limit > 0)
                        job_egress_warn(j, egress_last_error(t));
                else
                        log_full(LOG_WARNING, j->id, "cannot remove the egress limit: %s", egress_last_error(t));
                return;
        }
        if (j->record->network_limit > 0) {
                g_autofree char *where = egress_describe(t, j->id);
                log_full(LOG_INFO, j->id, "egress of %s shaped to %" G_GUINT64_FORMAT " bytes/s (%s)",
                         cgroup, j->record->network_limit, where);
        } else
                log_full(LOG_INFO, j->id, "egress no longer shaped");
}

static void job_clear_egress(Job *j) {
        Egress *t = j->manager->egress;
        bool changed = false;

        if (!t || !egress_has_job(t, j->id))
                return;
        (void) egress_set(t, j->id, NULL, 0, &changed);
        if (egress_sync(t) < 0)
                log_full(LOG_WARNING, j->id, "cannot remove the job's egress shaping: %s", egress_last_error(t));
        else
                log_full(LOG_INFO, j->id, "egress shaping removed");
}

void job_register_egress(Job *j) {
        Egress *t = j->manager->egress;
        g_autofree char *cgroup = NULL;
        g_autofree char *problem = NULL;
        bool changed;

        if (!t || j->record->state != V2V_JOB_RUNNING || j->record->network_limit == 0 || !j->record->unit)
                return;
        if (job_scope_cgroup(j, &cgroup, &problem) < 0 ||
            egress_set(t, j->id, cgroup, j->record->network_limit, &changed) < 0)
                log_full(LOG_WARNING, j->id, "egress not shaped again after the restart: %s",
                         problem ?: egress_last_error(t));
}

void job_finish(Job *j, V2vJobState state, const char *msg_type, const char *msg_text_in) {
        /* A copy: the text may be the record's message, which job_set_message replaces. */
        g_autofree char *msg_text = g_strdup(msg_text_in);
        V2vJobState old = j->record->state;
        unsigned props = JOB_PROP_FINISHED_AT | JOB_PROP_EXPECTED_END | JOB_PROP_PID;
        int r;

        if (v2v_job_state_is_finished(old))
                return;

        /* Whatever virt-v2v wrote last counts. */
        if (old == V2V_JOB_RUNNING)
                job_read_logs(j);
        job_stop_following(j);
        job_clear_egress(j);
        job_release_log_space(j);

        j->record->finished_usec = now_usec(CLOCK_REALTIME);
        if (state == V2V_JOB_FAILED || state == V2V_JOB_CANCELLED)
                job_classify_failure(j, state, job_daemon_error(j, msg_type, msg_text));
        if (msg_type)
                job_set_message(j, msg_type, msg_text);
        else if (state == V2V_JOB_FAILED && j->progress->first_error)
                /* The first error is the cause; what follows it is cleanup. */
                job_set_message(j, "error", j->progress->first_error);
        if (state == V2V_JOB_SUCCEEDED)
                props |= progress_change_to_props(v2v_progress_complete(j->progress));
        if (state == V2V_JOB_CANCELLED)
                job_remove_partial_output(j);
        j->progress->expected_end_usec = 0;
        j->v2v_pid = 0;

        r = remove_tree(j->secret_dir);
        if (r < 0)
                log_full(LOG_ERR, j->id, "cannot remove the job's secrets in %s: %s", j->secret_dir, g_strerror(-r));
        g_clear_pointer(&j->spec, v2v_spec_free);
        g_clear_pointer(&j->spec_redacted, g_free);   /* read from spec.json when asked */

        (void) job_set_state(j, state, props);
}

static const char *signal_name(int sig) {
        const char *n = sigabbrev_np(sig);
        return n ?: "?";
}

static bool job_requeue_unstarted(Job *j);

/* The runner is gone: decide the end from what it left in the directory,
 * or — where it could not write there — from its exit status, when we are
 * its parent (runner_status >= 0). */
void job_conclude(Job *j, int runner_status, const char *lost_message) {
        g_autofree char *path = job_file(j, "exit-status");
        g_autofree char *text = NULL;
        g_autofree char *msg = NULL;
        V2vExit e;
        bool known;
        int code = -1;

        /* A previous daemon's runner that never got its start. */
        if (j->adopted && job_requeue_unstarted(j))
                return;
        /* What virt-v2v wrote last decides the message, and it may be
         * unread: a loaded daemon can see the runner's exit before the
         * log's event, and a beat has the log watches off. */
        if (j->record->state == V2V_JOB_RUNNING)
                job_read_logs(j);
        /* The record, or where it could not be written, the runner's own status. */
        if (read_small_file(path, 128, &text, NULL) >= 0)
                known = v2v_exit_parse(text, &e) >= 0;
        else
                known = v2v_exit_from_runner_status(runner_status, &e);
        if (known) {
                j->record->return_code = v2v_exit_return_code(&e);
                if (e.kind == V2V_EXIT_EXITED)
                        code = e.value;
                else if (e.kind == V2V_EXIT_KILLED) {
                        if (!j->record->cancel_requested)
                                msg = g_strdup_printf("virt-v2v was killed by signal %d (SIG%s)", e.value,
                                                      signal_name(e.value));
                        code = -2;
                } else if (!j->record->cancel_requested) {
                        msg = g_strdup_printf("v2vd-runner lost virt-v2v (waitpid: %s): how it ended is unknown",
                                              g_strerror(e.value));
                        code = -2;
                }
                job_mark_dirty(j, JOB_PROP_RETURN_CODE);
        }

        if (j->record->cancel_requested)
                job_finish(j, V2V_JOB_CANCELLED, "info", "the job was cancelled");
        else if (j->tampered)
                job_finish(j, V2V_JOB_FAILED, "error", j->tampered);
        else if (code == 0)
                job_finish(j, V2V_JOB_SUCCEEDED, NULL, NULL);
        else if (msg)
                job_finish(j, V2V_JOB_FAILED, "error", msg);
        else if (code > 0) {
                if (j->progress->last_error)
                        job_finish(j, V2V_JOB_FAILED, NULL, NULL);
                else {
                        msg = g_strdup_printf("virt-v2v exited with status %d", code);
                        job_finish(j, V2V_JOB_FAILED, "error", msg);
                }
        } else if (j->record->final_message_type && g_str_equal(j->record->final_message_type, "error"))
                job_finish(j, V2V_JOB_FAILED, NULL, NULL);
        else
                job_finish(j, V2V_JOB_FAILED, "error", lost_message);
}
int job_start(Job *j) {
        g_autoptr(V2vCommand) cmd = NULL;
        g_autofree char *msg = NULL;
        int r;

        g_return_val_if_fail(j->record->state == V2V_JOB_QUEUED, -EINVAL);
        /* Still queued until the runner is on its way: a start that fails
         * here goes from queued to failed. */
        j->record->started_usec = now_usec(CLOCK_REALTIME);
        if (job_start_prepare(j, &cmd, &msg) < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", msg);
                return 0;
        }
        if (job_follow_dir(j) < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", "cannot follow the job's directory");
                return 0;
        }
        if (job_start_runner(j, cmd, &msg) < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", msg);
                return 0;
        }
        log_full(LOG_INFO, j->id, "starting the conversion of %s", j->vm_name);
        r = job_set_state(j, V2V_JOB_RUNNING, JOB_PROP_STARTED_AT | JOB_PROP_UNIT);
        job_test_pause(j, "scope-requested");
        return r;
}

int job_cancel(Job *j) {
        switch (j->record->state) {
        case V2V_JOB_QUEUED:
                j->record->cancel_requested = true;
                job_finish(j, V2V_JOB_CANCELLED, "info", "the job was cancelled before it started");
                return 0;
        case V2V_JOB_RUNNING:
                if (j->record->cancel_requested)
                        return 0;
                j->record->cancel_requested = true;
                job_save_record(j);
                log_full(LOG_INFO, j->id, "cancelling");
                if (j->go_fd >= 0) {
                        /* The scope is not ready yet: the runner ends without starting virt-v2v. */
                        close(j->go_fd);
                        j->go_fd = -1;
                }
                return scope_stop(j->manager->bus, j->record->unit);
        default:
                return -ESTALE;
        }
}

int job_set_limits(Job *j, const char *cpu, int64_t network, int64_t disk) {
        unsigned props = 0;
        int r;

        if (v2v_job_state_is_finished(j->record->state))
                return -ESTALE;
        if (cpu) {
                char buf[V2V_LIMIT_STRLEN];
                uint64_t quota;

                r = v2v_cpu_limit_parse(cpu, 0, &quota);
                if (r < 0)
                        return -EINVAL;
                cpu = v2v_cpu_limit_format(quota, buf);
                if (!g_str_equal(cpu, j->record->cpu_limit ?: "")) {
                        g_free(j->record->cpu_limit);
                        j->record->cpu_limit = g_strdup(cpu);
                        props |= JOB_PROP_CPU_LIMIT;
                }
                if (j->record->state == V2V_JOB_RUNNING && j->record->unit) {
                        r = scope_set_cpu_quota(j->manager->bus, j->record->unit, quota);
                        if (r < 0)
                                return r;
                }
        }
        if (network >= 0 && (uint64_t) network != j->record->network_limit) {
                j->record->network_limit = (uint64_t) network;
                props |= JOB_PROP_NETWORK_LIMIT;
                if (j->record->state == V2V_JOB_RUNNING) {
                        r = job_write_bandwidth_file(j);
                        if (r < 0)
                                return r;
                        job_apply_egress(j);
                }
        }
        if (disk >= 0 && (uint64_t) disk != j->record->disk_limit) {
                j->record->disk_limit = (uint64_t) disk;
                props |= JOB_PROP_DISK_LIMIT;
                if (j->record->state == V2V_JOB_RUNNING && j->record->unit)
                        job_apply_disk_limit(j);
        }
        if (props) {
                job_save_record(j);
                log_full(LOG_INFO, j->id, "throttling: cpu %s, network %" G_GUINT64_FORMAT " bytes/s, disk %"
                         G_GUINT64_FORMAT " bytes/s", j->record->cpu_limit, j->record->network_limit,
                         j->record->disk_limit);
        }
        job_mark_dirty(j, props);
        return 0;
}

/* throttling.json, the old wrapper's way to change limits (ManageIQ writes
 * it): read as the wrapper did (throttling.h: a bare CPU number is a
 * percentage, unknown keys ignored), merged with the limits in place, and
 * deleted — each write is applied once, whatever the file system's mtime
 * resolution. A bad member is reported in LastMessage and the log, naming
 * its key, and the good one still applied. Called on the directory's
 * events while the job is followed, and when it starts (a file written
 * while it was queued or the daemon was down). */
void job_apply_throttling_json(Job *j) {
        g_autofree char *path = job_throttling_file_path(j);
        g_autofree char *text = NULL;
        g_autoptr(V2vLimitsJson) t = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GString) problems = g_string_new(NULL);
        size_t len = 0;
        uid_t run_as;
        int r;

        r = read_small_file(path, 64 * 1024, &text, &len);
        if (r == -ENOENT || (r >= 0 && strspn(text, " \t\r\n") == len))   /* the owner's empty one */
                return;
        (void) unlink(path);
        /* The owner writes the next one in place (owner.c). */
        run_as = owner_job_uid(j->manager->user_mode, j->manager->root_outputs, j->record->owner_uid, j->spec);
        if (run_as != (uid_t) -1)
                (void) owner_offer_file(j->dir, "throttling.json", run_as);
        if (r < 0)
                g_string_append_printf(problems, "cannot read it: %s", g_strerror(-r));
        else if (!(t = v2v_limits_json_parse(text, len, V2V_LIMITS_JSON_WRAPPER, &error)))
                g_string_append(problems, error->message);
        else {
                for (guint i = 0; i < t->problems->len; i++)
                        g_string_append_printf(problems, "%s%s", i ? "; " : "", (char *) t->problems->pdata[i]);
                r = job_set_limits(j, t->cpu, t->network, t->disk);
                if (r < 0 && r != -ESTALE)
                        g_string_append_printf(problems, "%scannot apply it: %s", problems->len ? "; " : "",
                                               g_strerror(-r));
        }
        if (problems->len) {
                g_autofree char *msg = g_strdup_printf("throttling.json: %s%s", problems->str,
                                                       t && (t->cpu || t->network >= 0 || t->disk >= 0) ? " (the other limits were applied)" : "");
                log_full(LOG_WARNING, j->id, "%s", msg);
                job_set_message(j, "warning", msg);
        }
}

int job_remove(Job *j) {
        Manager *m = j->manager;
        int r;

        if (!v2v_job_state_is_finished(j->record->state))
                return -EBUSY;
        job_events_removed(j);
        r = remove_tree(j->dir);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot remove %s: %s", j->dir, g_strerror(-r));
        (void) remove_tree(j->secret_dir);
        log_full(LOG_INFO, j->id, "removed");
        g_hash_table_remove(m->jobs, j->id);   /* frees j */
        return 0;
}

static void job_seed_disks(Job *j) {
        g_autofree uint64_t *sizes = NULL;
        guint n;

        if (!j->spec || !j->spec->source_disks || j->spec->source_disks->len == 0)
                return;
        n = j->spec->source_disks->len;
        sizes = g_new0(uint64_t, n);
        for (guint i = 0; i < n && j->spec->source_disk_sizes && i < j->spec->source_disk_sizes->len; i++)
                sizes[i] = g_array_index(j->spec->source_disk_sizes, uint64_t, i);
        v2v_progress_set_disks(j->progress, (const char *const *) j->spec->source_disks->pdata, sizes, n);
}

int job_create(Manager *m, V2vSpec **spec, uid_t owner, Job **ret) {
        g_autoptr(Job) j = NULL;
        g_autofree char *id = manager_next_job_id(m);
        g_autofree char *spec_path = NULL;
        g_autofree char *full_path = NULL;
        g_autofree char *full = NULL;
        int r;

        j = job_alloc(m, id);
        j->spec = g_steal_pointer(spec);
        j->vm_name = g_strdup(j->spec->vm_name);
        j->spec_redacted = v2v_spec_render_redacted(j->spec);
        j->record = v2v_job_record_new();
        j->record->id = g_strdup(id);
        j->record->owner_uid = owner;
        j->record->state = V2V_JOB_QUEUED;   /* the new record's; counted by job_set_state() below */
        j->record->created_usec = now_usec(CLOCK_REALTIME);
        j->record->cpu_limit = g_strdup(j->spec->cpu_limit ?: m->default_cpu);
        j->record->network_limit = j->spec->network_limit >= 0 ? (uint64_t) j->spec->network_limit : m->default_network;
        j->record->disk_limit = j->spec->disk_limit >= 0 ? (uint64_t) j->spec->disk_limit : 0;
        j->record->return_code = -1;
        j->record->priority = j->spec->priority;
        j->source = v2v_spec_source_host(j->spec);

        if (mkdir(j->dir, 0750) < 0) {
                r = -errno;
                *spec = g_steal_pointer(&j->spec);
                return log_error_errno(r, "cannot create %s: %m", j->dir);
        }
        /* The owner reads its job's files (owner.c): before any is made. */
        if (!m->user_mode && owner != 0 && (r = owner_grant_job_dir(j->dir, owner, NULL, 0)) < 0)
                log_full(LOG_WARNING, id, "cannot let uid %u read %s: %s", (unsigned) owner, j->dir, g_strerror(-r));
        spec_path = job_file(j, "spec.json");
        r = write_file_atomic(spec_path, j->spec_redacted, strlen(j->spec_redacted), 0640);
        if (r < 0)
                goto fail;
        /* The whole spec, secrets included, only in the private runtime
         * directory: a queued job must survive a daemon restart. */
        r = mkdir_parents_mode(j->secret_dir, 0700);
        if (r < 0)
                goto fail;
        full = json_to_string(j->spec->root, FALSE);
        full_path = g_build_filename(j->secret_dir, "spec.json", NULL);
        r = write_file_atomic(full_path, full, strlen(full), 0600);
        if (r < 0)
                goto fail;

        job_seed_disks(j);
        job_set_warnings(j, j->spec->warnings);
        r = job_save_record(j);
        if (r < 0)
                goto fail;
        job_write_state_file(j, true);
        j->dirty = 0;

        g_hash_table_insert(m->jobs, j->id, j);
        (void) job_set_state(j, V2V_JOB_QUEUED, 0);
        job_events_added(j);
        manager_counts_changed(m);
        manager_schedule(m);
        *ret = g_steal_pointer(&j);
        return 0;
fail:
        log_full(LOG_ERR, id, "cannot create the job's files: %s", g_strerror(-r));
        (void) remove_tree(j->dir);
        (void) remove_tree(j->secret_dir);
        *spec = g_steal_pointer(&j->spec);
        return r;
}

static char *vm_name_from_spec_json(const char *json) {
        g_autoptr(JsonParser) p = json_parser_new();
        JsonObject *o;

        if (!json_parser_load_from_data(p, json, -1, NULL) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
                return NULL;
        o = json_node_get_object(json_parser_get_root(p));
        return g_strdup(json_object_get_string_member_with_default(o, "vm_name", ""));
}

static void job_load_spec(Job *j) {
        Manager *m = j->manager;
        g_autofree char *full_path = g_build_filename(j->secret_dir, "spec.json", NULL);
        g_autofree char *full = NULL;
        g_autoptr(GError) error = NULL;
        Cred owner;
        V2vSpecContext ctx = {
                .owner_uid = j->record->owner_uid,
                /* as CreateJob parsed it: the owner's home, not the daemon's */
                .owner_home = passwd_lookup(j->record->owner_uid, &owner) >= 0 ? owner.home : NULL,
                .profile_dirs = (const char *const *) m->profile_dirs,
                /* checked as the owner when it was created (owner.c) */
                .paths_checked = j->record->owner_uid != geteuid(),
        };

        if (read_small_file(full_path, 16 * 1024 * 1024, &full, NULL) < 0) {
                if (!v2v_job_state_is_finished(j->record->state))
                        log_full(LOG_WARNING, j->id, "%s is gone (the machine restarted?); using the saved spec", full_path);
                full = g_strdup(j->spec_redacted);
        }
        j->spec = v2v_spec_parse(full, &ctx, &error);
        if (!j->spec) {
                g_autofree char *msg = g_strdup_printf("the job's spec can no longer be used: %s", error->message);
                job_set_message(j, "error", msg);
                return;
        }
        for (guint i = 0; i < j->spec->secrets->len; i++) {
                const V2vSecret *s = j->spec->secrets->pdata[i];
                if (g_str_equal(s->value, V2V_SECRET_MASK)) {
                        job_set_message(j, "error", "the job's secrets were lost (the machine restarted?); submit it again");
                        g_clear_pointer(&j->spec, v2v_spec_free);
                        return;
                }
        }
}

int job_load(Manager *m, const char *id, Job **ret) {
        g_autoptr(Job) j = NULL;
        g_autofree char *record_path = NULL;
        g_autofree char *spec_path = NULL;
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;
        int r;

        j = job_alloc(m, id);
        record_path = job_file(j, "job.json");
        r = read_small_file(record_path, 1024 * 1024, &text, NULL);
        if (r < 0)
                return log_error_errno(r, "job %s: cannot read %s: %m", id, record_path);
        j->record = v2v_job_record_parse(text, &error);
        if (!j->record) {
                log_error("job %s: %s: %s", id, record_path, error->message);
                return -EBADMSG;
        }
        if (!j->record->id || !g_str_equal(j->record->id, id)) {
                log_error("job %s: %s names another job", id, record_path);
                return -EBADMSG;
        }
        spec_path = job_file(j, "spec.json");
        if (read_small_file(spec_path, 16 * 1024 * 1024, &j->spec_redacted, NULL) < 0)
                j->spec_redacted = g_strdup("{}");
        j->vm_name = vm_name_from_spec_json(j->spec_redacted) ?: g_strdup("");

        if (j->record->state == V2V_JOB_QUEUED || j->record->state == V2V_JOB_RUNNING) {
                job_load_spec(j);
                j->source = j->spec ? v2v_spec_source_host(j->spec) : g_strdup("local");
        }
        else {
                (void) remove_tree(j->secret_dir);
                /* A finished job's Spec is read from spec.json when asked. */
                g_clear_pointer(&j->spec_redacted, g_free);
        }
        job_seed_disks(j);
        if (j->record->state != V2V_JOB_QUEUED) {
                (void) job_read_log(j, &j->machine_log_offset, true);
                (void) job_read_log(j, &j->log_offset, false);
                if (j->record->state == V2V_JOB_SUCCEEDED)
                        v2v_progress_complete(j->progress);
        }
        /* A record from before failures were classified. */
        if ((j->record->state == V2V_JOB_FAILED || j->record->state == V2V_JOB_CANCELLED) &&
            !j->record->failure_code) {
                job_classify_failure(j, j->record->state, job_daemon_error(j, NULL, NULL));
                job_save_record(j);
                j->dirty = 0;
        }

        g_hash_table_insert(m->jobs, j->id, j);
        (void) job_set_state(j, j->record->state, 0);
        *ret = g_steal_pointer(&j);
        return 0;
}

static bool job_file_exists(const Job *j, const char *name) {
        g_autofree char *p = job_file(j, name);
        return access(p, F_OK) == 0;
}

/* A running job whose virt-v2v never started — its runner gone, or
 * adopted from a previous daemon and waiting on a start pipe nobody holds
 * any more — is queued again (true), as it was before its start. Its
 * scope may still be there for a moment: the next start stops it first
 * (job-start.c). */
static bool job_requeue_unstarted(Job *j) {
        if (j->record->state != V2V_JOB_RUNNING || !j->spec || j->record->cancel_requested ||
            job_file_exists(j, "v2v.pid") || job_file_exists(j, "exit-status"))
                return false;
        log_full(LOG_NOTICE, j->id, "virt-v2v never started before v2vd stopped: queued again");
        job_stop_following(j);
        job_clear_egress(j);
        j->adopted = false;
        j->v2v_pid = 0;
        j->record->started_usec = 0;
        j->record->runner_pid = 0;
        g_clear_pointer(&j->record->unit, g_free);
        return job_set_state(j, V2V_JOB_QUEUED, JOB_PROP_STARTED_AT | JOB_PROP_UNIT | JOB_PROP_PID) >= 0;
}

/* Second half of loading, once every job is in the table: pick up what was
 * running. Queued jobs are queued by the manager in id order. */
int job_adopt(Job *j) {
        pid_t pid = (pid_t) j->record->runner_pid;

        if (j->record->state != V2V_JOB_RUNNING)
                return 0;
        job_read_v2v_pid(j);
        if (pid > 0 && j->record->unit && scope_pid_is_in_unit(pid, j->record->unit) > 0 &&
            job_follow_dir(j) >= 0 && job_watch_runner(j, pid, false) >= 0) {
                /* Perhaps still waiting for a start that will never come:
                 * then it ends at once, and job_conclude queues it again. */
                j->adopted = true;
                job_find_io_devices(j);
                budget_job_started(j->manager, pid);
                log_full(LOG_INFO, j->id, "re-adopted: the runner (pid %d) still runs in %s", (int) pid, j->record->unit);
                job_read_logs(j);
                /* Written while the daemon was down. */
                job_apply_throttling_json(j);
                return 0;
        }
        if (job_requeue_unstarted(j))
                return 0;
        job_conclude(j, -1, "v2vd was restarted and found the job's scope gone, with no exit status from virt-v2v");
        return 0;
}
