/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting a job: its secrets and environment, the runner (runner.c) that
 * waits for virt-v2v in the job's scope, watching the runner's end, and the
 * bookkeeping of partial output (what a cancelled job may remove).
 *
 * The runner is started first and held on a pipe ("go") until systemd has
 * put it in the job's scope (StartTransientUnit, then JobRemoved "done"):
 * virt-v2v then starts inside the scope, with its limits, and never before.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job/job-private.h"
#include "host/owner.h"
#include "host/scope.h"
#include "host/egress.h"
#include "host/util.h"
#include "core/v2v-argv.h"
#include "common/v2v-limits.h"

/* Space reserved for v2v.log and v2v-machine.log while a job runs: a real
 * 2.2.0 run without -v writes a few kB of messages plus about 50 bytes per
 * nbdcopy progress step (tests/data/disk-to-local.*). */
#define LOG_RESERVE_BYTES         (4 * 1024 * 1024)
#define MACHINE_LOG_RESERVE_BYTES (256 * 1024)

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open_compat(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

/* Remove the output files a cancelled job created — those recorded by
 * identity as they appeared (job_watch_outputs) and still the same file —
 * never through a link, only with its owner's rights
 * (owner_remove_outputs). A job cancelled before it ran created nothing. */
void job_remove_partial_output(Job *j) {
        g_autofree char *dir = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        g_autofree char *removed = NULL;
        int r;

        if (!j->spec || !j->record->started_usec || j->record->created_outputs->len == 0 ||
            !v2v_spec_output_files(j->spec, &dir, &patterns))
                return;
        r = owner_remove_outputs(j->record->owner_uid, dir, patterns, j->record->created_outputs, &removed);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot remove the partial output in %s: %s", dir, g_strerror(-r));
        else if (removed && *removed)
                log_full(LOG_INFO, j->id, "removed partial output in %s: %s", dir, g_strchomp(removed));
}

static bool output_name_matches(const GPtrArray *patterns, const char *name) {
        for (guint i = 0; i < patterns->len; i++)
                if (g_pattern_match_simple(patterns->pdata[i], name))
                        return true;
        return false;
}

/* A file of the job's output names appeared: record it by identity
 * ("DEV:INO:NAME") if it is a regular file of the job's owner that was not
 * there before the job ran. */
static int on_output_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Job *j = userdata;
        g_autofree char *dir = NULL, *path = NULL, *entry = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        struct stat st;

        if (ev->len == 0 || !j->spec || !v2v_spec_output_files(j->spec, &dir, &patterns) ||
            !output_name_matches(patterns, ev->name) ||
            g_ptr_array_find_with_equal_func(j->record->preexisting_outputs, ev->name, g_str_equal, NULL))
                return 0;
        path = g_build_filename(dir, ev->name, NULL);
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != j->record->owner_uid)
                return 0;
        entry = g_strdup_printf("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT ":%s", (guint64) st.st_dev,
                                (guint64) st.st_ino, ev->name);
        if (g_ptr_array_find_with_equal_func(j->record->created_outputs, entry, g_str_equal, NULL))
                return 0;
        g_ptr_array_add(j->record->created_outputs, g_steal_pointer(&entry));
        (void) job_save_record(j);
        return 0;
}

int job_watch_outputs(Job *j) {
        g_autofree char *dir = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        int r;

        if (j->outputs_watch || !j->spec || !v2v_spec_output_files(j->spec, &dir, &patterns))
                return 0;
        r = sd_event_add_inotify(j->manager->event, &j->outputs_watch, dir,
                                 IN_CREATE | IN_MOVED_TO | IN_ONLYDIR, on_output_event, j);
        if (r < 0)
                return log_full(LOG_WARNING, j->id, "cannot watch %s for the job's output files (cancel will "
                                "remove none): %s", dir, g_strerror(-r)), 0;
        sd_event_source_set_description(j->outputs_watch, "job-outputs");
        return 0;
}

static void job_record_preexisting_outputs(Job *j) {
        g_autofree char *dir = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        g_autoptr(GDir) d = NULL;
        const char *name;

        g_clear_pointer(&j->record->preexisting_outputs, g_ptr_array_unref);
        j->record->preexisting_outputs = g_ptr_array_new_with_free_func(g_free);
        if (!j->spec || !v2v_spec_output_files(j->spec, &dir, &patterns))
                return;
        d = g_dir_open(dir, 0, NULL);
        if (!d)
                return;
        while ((name = g_dir_read_name(d)))
                for (guint i = 0; i < patterns->len; i++)
                        if (g_pattern_match_simple(patterns->pdata[i], name)) {
                                g_ptr_array_add(j->record->preexisting_outputs, g_strdup(name));
                                break;
                        }
}

/* Give back the space job_start reserved beyond the logs' ends: truncating
 * a file to its own size frees its blocks past the end (tmpfs, ext4, xfs). */
void job_release_log_space(Job *j) {
        for (const char *const *n = (const char *const[]) { "v2v.log", "v2v-machine.log", NULL }; *n; n++) {
                g_autofree char *p = job_file(j, *n);
                struct stat st;

                if (stat(p, &st) == 0 && (uint64_t) st.st_blocks * 512 > (uint64_t) st.st_size + 4096)
                        (void) truncate(p, st.st_size);
        }
}

static int on_runner_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Job *j = userdata;
        siginfo_t si = {};
        int status = -1;

        /* Reap it if it is our child; an adopted one is not (ECHILD). */
        if (waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG) >= 0 && si.si_pid > 0 && si.si_code == CLD_EXITED)
                status = si.si_status;
        job_conclude(j, status, "the job's runner ended without recording how virt-v2v ended (was it killed?)");
        return 0;
}

static int on_runner_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        job_conclude(userdata, si->si_code == CLD_EXITED ? si->si_status : -1, "the job's runner ended without recording how virt-v2v ended (was it killed?)");
        return 0;
}

static int on_runner_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        if (kill((pid_t) j->record->runner_pid, 0) < 0 && errno == ESRCH) {
                job_conclude(j, -1, "the job's runner ended without recording how virt-v2v ended (was it killed?)");
                return 0;
        }
        sd_event_source_set_time(s, usec + 1000 * 1000ULL);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* A pidfd tells when the runner ends, whether it is our child or one
 * adopted after a restart. Without pidfd_open (kernels before 5.3, or
 * valgrind): SIGCHLD for our own child, a once-a-second look otherwise. */
int job_watch_runner(Job *j, pid_t pid, bool own_child) {
        int r;

        j->runner_pidfd = pidfd_open_compat(pid);
        if (j->runner_pidfd < 0) {
                if (errno != ENOSYS)
                        return -errno;
                r = own_child ? sd_event_add_child(j->manager->event, &j->runner_source, pid, WEXITED,
                                                   on_runner_child_exit, j)
                              : sd_event_add_time_relative(j->manager->event, &j->runner_source, CLOCK_MONOTONIC,
                                                           1000 * 1000ULL, 0, on_runner_poll, j);
        } else
                r = sd_event_add_io(j->manager->event, &j->runner_source, j->runner_pidfd, EPOLLIN,
                                    on_runner_exit, j);
        if (r < 0)
                return r;
        sd_event_source_set_description(j->runner_source, "job-runner");
        return 0;
}

static int write_secret_file(const char *dir, const V2vSecret *s) {
        g_autofree char *path = g_build_filename(dir, s->file_name, NULL);
        _cleanup_close_ int fd = -1;
        size_t len = strlen(s->value);

        /* Made anew: after a first start the directory lets the job's
         * owner in (owner.c), which may have put a FIFO or link there. */
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0600) < 0)
                return -errno;
        if (write(fd, s->value, len) != (ssize_t) len)
                return errno ? -errno : -EIO;
        return 0;
}

int job_write_bandwidth_file(Job *j) {
        g_autofree char *path = job_file(j, "bandwidth");
        /* nbdkit's rate filter reads bits per second; 0 means no limit. */
        uint64_t bits = j->record->network_limit > UINT64_MAX / 8 ? UINT64_MAX : j->record->network_limit * 8;
        g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT "\n", bits);

        return v2v_write_file_atomic(path, text, strlen(text), 0644);
}

static const V2vSecret *job_spec_secret(const Job *j, const char *file_name) {
        for (guint i = 0; j->spec && i < j->spec->secrets->len; i++) {
                const V2vSecret *s = j->spec->secrets->pdata[i];
                if (g_str_equal(s->file_name, file_name))
                        return s;
        }
        return NULL;
}

static char **job_build_environment(Job *j, const V2vCommand *cmd) {
        static const char *const drop[] = {
                "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_PID", "LISTEN_FDS",
                "LISTEN_FDNAMES", "INVOCATION_ID", "JOURNAL_STREAM", "V2VD_VIRT_V2V", NULL,
        };
        char **env = g_get_environ();

        for (const char *const *d = drop; *d; d++)
                env = g_environ_unsetenv(env, *d);
        for (char **e = j->manager->extra_env; e && *e; e++) {
                g_auto(GStrv) kv = g_strsplit(*e, "=", 2);
                if (kv[0] && kv[1])
                        env = g_environ_setenv(env, kv[0], kv[1], TRUE);
        }
        for (guint i = 0; cmd->env && i < cmd->env->len && cmd->env->pdata[i]; i++) {
                g_auto(GStrv) kv = g_strsplit(cmd->env->pdata[i], "=", 2);
                if (kv[0] && kv[1])
                        env = g_environ_setenv(env, kv[0], kv[1], TRUE);
        }
        return env;
}

static int on_scope_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Job *j = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *path;
        int r;

        j->scope_slot = sd_bus_slot_unref(j->scope_slot);
        if (e) {
                g_autofree char *msg = g_strdup_printf("cannot create the job's scope %s: %s",
                                                       j->record->unit, e->message ?: e->name);
                job_set_message(j, "error", msg);
                /* The runner reads EOF and ends without running virt-v2v. */
                if (j->go_fd >= 0)
                        close(j->go_fd);
                j->go_fd = -1;
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                job_set_message(j, "error", "cannot understand systemd's answer to StartTransientUnit");
                if (j->go_fd >= 0)
                        close(j->go_fd);
                j->go_fd = -1;
                return 0;
        }
        j->scope_job = g_strdup(path);
        return 0;
}

void job_scope_job_removed(Job *j, const char *result) {
        bool go = g_str_equal(result, "done") && !j->record->cancel_requested;

        g_clear_pointer(&j->scope_job, g_free);
        if (!g_str_equal(result, "done")) {
                g_autofree char *msg = g_strdup_printf("the job's scope %s could not be started (systemd: %s)",
                                                       j->record->unit, result);
                job_set_message(j, "error", msg);
        }
        if (j->go_fd >= 0) {
                if (go && write(j->go_fd, "g", 1) != 1)
                        log_full(LOG_ERR, j->id, "cannot release the runner: %m");
                close(j->go_fd);
                j->go_fd = -1;
        }
        if (go) {
                log_full(LOG_INFO, j->id, "virt-v2v starts in %s", j->record->unit);
                job_apply_egress(j);
        }
}

static pid_t spawn_runner(Job *j, char **argv, char **envp, int go_read_fd) {
        g_autofree char *log_path = job_log_path(j);
        pid_t pid;

        pid = fork();
        if (pid != 0)
                return pid < 0 ? -errno : pid;

        /* Child: only async-signal-safe calls from here. */
        {
                int null_fd = open("/dev/null", O_RDONLY | O_NOCTTY);
                int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0640);
                sigset_t none;

                if (null_fd < 0 || log_fd < 0)
                        _exit(126);
                if (go_read_fd == 3) {
                        int t = fcntl(go_read_fd, F_DUPFD, 10);
                        if (t < 0)
                                _exit(126);
                        go_read_fd = t;
                }
                if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0 ||
                    dup2(go_read_fd, 3) < 0)
                        _exit(126);
                syscall(SYS_close_range, 4U, ~0U, 0U);
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                execve(argv[0], argv, envp);
                _exit(127);
        }
}

int job_start(Job *j) {
        Manager *m = j->manager;
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vCommand) cmd = NULL;
        g_autofree char *machine_log = job_machine_log_path(j);
        g_autofree char *bandwidth = job_file(j, "bandwidth");
        g_autofree char *log_path = job_log_path(j);
        g_autofree char *description = NULL;
        g_autofree char *agent_sock = NULL;
        g_autoptr(GPtrArray) runner_argv = NULL;
        g_auto(GStrv) envp = NULL;
        uint64_t quota = UINT64_MAX;
        int go[2] = { -1, -1 };
        uid_t run_as;
        pid_t pid;
        int r;
        V2vCommandPaths paths = {
                .virt_v2v = m->virt_v2v,
                .virt_v2v_in_place = m->virt_v2v_in_place,
                .machine_log = machine_log,
                .secret_dir = j->secret_dir,
                .bandwidth_file = bandwidth,
                .capabilities = (const char *const *) m->v2v_capabilities,
        };

        g_return_val_if_fail(j->record->state == V2V_JOB_QUEUED, -EINVAL);
        if (j->spec && job_spec_secret(j, "ssh_key")) {
                /* The runner starts an agent with the key inside the scope. */
                agent_sock = g_build_filename(j->secret_dir, "agent.sock", NULL);
                paths.ssh_auth_sock = agent_sock;
        }
        /* Still queued until the runner is on its way: a start that fails
         * here goes from queued to failed. */
        j->record->started_usec = now_usec(CLOCK_REALTIME);

        if (!j->spec) {
                job_finish(j, V2V_JOB_FAILED, "error", j->record->final_message_text ?: "the job's spec is lost");
                return 0;
        }
        cmd = v2v_command_build(j->spec, &paths, &error);
        if (!cmd) {
                job_finish(j, V2V_JOB_FAILED, "error", error->message);
                return 0;
        }
        job_set_warnings(j, cmd->warnings);
        r = mkdir_parents_mode(j->secret_dir, 0700);
        for (guint i = 0; r >= 0 && i < j->spec->secrets->len; i++)
                r = write_secret_file(j->secret_dir, j->spec->secrets->pdata[i]);
        if (r < 0) {
                g_autofree char *msg = g_strdup_printf("cannot write the job's secrets to %s: %s",
                                                       j->secret_dir, g_strerror(-r));
                job_finish(j, V2V_JOB_FAILED, "error", msg);
                return 0;
        }
        /* Limits written to throttling.json while the job was queued. */
        job_apply_throttling_file(j);
        r = job_write_bandwidth_file(j);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot write %s: %s", bandwidth, g_strerror(-r));
        job_record_preexisting_outputs(j);

        /* A fresh start: logs and outcome files of nothing earlier. */
        for (const char *const *n = (const char *const[]) { "v2v.log", "v2v-machine.log", "v2v.pid", "exit-status", NULL }; *n; n++) {
                g_autofree char *p = job_file(j, *n);
                (void) unlink(p);
        }
        {
                _cleanup_close_ int fd = open(machine_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
                _cleanup_close_ int fd2 = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

                /* virt-v2v writes its output straight to these files: a state
                 * directory that fills up later must not end the conversion
                 * with ENOSPC on its stdout. Their space is reserved now,
                 * beyond the end (the sizes stay 0), and given back at the end
                 * (job_release_log_space). Best effort: not every filesystem
                 * can. tests/integration/test-faults-state-dir.py */
                if (fd >= 0)
                        (void) fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, MACHINE_LOG_RESERVE_BYTES);
                if (fd2 >= 0)
                        (void) fallocate(fd2, FALLOC_FL_KEEP_SIZE, 0, LOG_RESERVE_BYTES);
        }
        j->log_offset = j->machine_log_offset = 0;
        r = job_follow_dir(j);
        if (r < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", "cannot follow the job's directory");
                return 0;
        }

        runner_argv = g_ptr_array_new();
        g_ptr_array_add(runner_argv, m->runner_path);
        g_ptr_array_add(runner_argv, j->dir);
        g_ptr_array_add(runner_argv, (char *) "3");
        for (guint i = 0; i < cmd->argv->len && cmd->argv->pdata[i]; i++)
                g_ptr_array_add(runner_argv, cmd->argv->pdata[i]);
        g_ptr_array_add(runner_argv, NULL);
        envp = job_build_environment(j, cmd);
        if (agent_sock) {
                g_autofree char *key = g_build_filename(j->secret_dir, "ssh_key", NULL);
                envp = g_environ_setenv(envp, "V2VD_RUNNER_SSH_KEY", key, TRUE);
                envp = g_environ_setenv(envp, "V2VD_RUNNER_SSH_AUTH_SOCK", agent_sock, TRUE);
        }

        run_as = owner_job_uid(m->user_mode, m->root_outputs, j->record->owner_uid, j->spec);
        if (run_as != (uid_t) -1) {
                g_autofree char *uid_text = g_strdup_printf("%u", (unsigned) run_as);
                r = owner_prepare_start(j->dir, j->secret_dir, machine_log, run_as);
                if (r < 0) {
                        g_autofree char *msg = g_strdup_printf("cannot prepare the job's files for uid %u: %s",
                                                               (unsigned) run_as, g_strerror(-r));
                        job_finish(j, V2V_JOB_FAILED, "error", msg);
                        return 0;
                }
                envp = g_environ_setenv(envp, "V2VD_RUNNER_UID", uid_text, TRUE);
        }
        if (pipe2(go, O_CLOEXEC) < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", "cannot create a pipe for the runner");
                return 0;
        }
        pid = spawn_runner(j, (char **) runner_argv->pdata, envp, go[0]);
        close(go[0]);
        j->go_fd = go[1];
        if (pid < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", "cannot fork the runner");
                return 0;
        }
        j->record->runner_pid = (uint32_t) pid;
        g_free(j->record->unit);
        j->record->unit = scope_unit_name(j->id);
        r = job_watch_runner(j, pid, true);
        if (r < 0) {
                kill(pid, SIGKILL);
                job_finish(j, V2V_JOB_FAILED, "error", "cannot watch the runner");
                return 0;
        }

        if (v2v_cpu_limit_parse(j->record->cpu_limit, 0, &quota) < 0)
                quota = UINT64_MAX;
        description = g_strdup_printf("virt-v2v conversion of %s (v2vd job %s)", j->vm_name, j->id);
        r = scope_start(m->bus, j->record->unit, pid, description, quota, m->cancel_grace_usec,
                        on_scope_started, j, &j->scope_slot);
        if (r < 0) {
                g_autofree char *msg = g_strdup_printf("cannot ask systemd for the job's scope: %s", g_strerror(-r));
                job_set_message(j, "error", msg);
                close(j->go_fd);
                j->go_fd = -1;
        }

        log_full(LOG_INFO, j->id, "starting the conversion of %s", j->vm_name);
        return job_set_state(j, V2V_JOB_RUNNING, JOB_PROP_STARTED_AT | JOB_PROP_UNIT);
}

void job_runner_release(Job *j) {
        j->runner_source = sd_event_source_disable_unref(j->runner_source);
        j->scope_slot = sd_bus_slot_unref(j->scope_slot);
        g_clear_pointer(&j->scope_job, g_free);
        if (j->runner_pidfd >= 0)
                close(j->runner_pidfd);
        j->runner_pidfd = -1;
        if (j->go_fd >= 0)
                close(j->go_fd);
        j->go_fd = -1;
}
