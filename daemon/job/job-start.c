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

#include "job/budget.h"
#include "job/job-private.h"
#include "host/blockdev.h"
#include "host/owner.h"
#include "host/scope.h"
#include "host/egress.h"
#include "host/file-write.h"
#include "host/spawn.h"
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

/* Give back the space job_start reserved beyond the logs' ends: truncating
 * a file to its own size frees its blocks past the end (tmpfs, ext4, xfs). */
void job_release_log_space(Job *j) {
        for (const char *const *n = (const char *const[]) { JOB_LOG_FILE, JOB_MACHINE_LOG_FILE, NULL }; *n; n++) {
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

/* Made anew: after a first start the directory lets the job's owner in
 * (owner.c), which may have put a FIFO or link there. */
static int write_secret_file(const char *dir, const V2vSecret *s) {
        return write_file_new(dir, s->file_name, s->value, strlen(s->value), 0600);
}

int job_write_bandwidth_file(Job *j) {
        g_autofree char *path = job_file(j, "bandwidth");
        /* nbdkit's rate filter reads bits per second; 0 means no limit. */
        uint64_t bits = j->record->network_limit > UINT64_MAX / 8 ? UINT64_MAX : j->record->network_limit * 8;
        g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT "\n", bits);

        return write_file_atomic(path, text, strlen(text), 0644);
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
        char **env = spawn_environment();

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

/* $V2VD_TEST_PAUSE_AT names a step of the start; the daemon stops itself
 * there (SIGSTOP), once, with its bus messages sent, so that a test can
 * SIGKILL it at exactly that step. */
void job_test_pause(Job *j, const char *step) {
        Manager *m = j->manager;

        if (!m->test_pause_at || !g_str_equal(m->test_pause_at, step))
                return;
        g_clear_pointer(&m->test_pause_at, g_free);
        if (m->bus)
                (void) sd_bus_flush(m->bus);
        log_full(LOG_NOTICE, j->id, "V2VD_TEST_PAUSE_AT=%s: the daemon stops itself", step);
        (void) raise(SIGSTOP);
}

static void job_start_scope(Job *j, pid_t pid);

void job_find_io_devices(Job *j) {
        g_autoptr(GPtrArray) paths = NULL;
        g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

        if (j->io_devices || !j->spec)
                return;
        j->io_devices = g_ptr_array_new_null_terminated(0, g_free, TRUE);
        paths = v2v_spec_local_paths(j->spec);
        blockdev_of_paths(paths, j->io_devices, problems);
        budget_add_devices(j->manager, j->io_devices);
        if (problems->len && j->record->disk_limit > 0) {
                g_autofree char *list = NULL;
                g_autofree char *msg = NULL;

                g_ptr_array_add(problems, NULL);
                list = g_strjoinv("; ", (char **) problems->pdata);
                msg = g_strdup_printf("the disk limit does not apply everywhere: %s", list);
                log_full(LOG_WARNING, j->id, "%s", msg);
                job_set_message(j, "warning", msg);
        }
}

/* The NULL-ended list scope.c takes. */
static const char *const *io_device_list(Job *j) {
        static const char *const none[] = { NULL };

        if (!j->io_devices || j->io_devices->len == 0)
                return none;
        return (const char *const *) j->io_devices->pdata;
}

/* After the scope exists: is a disk limit enforced there? */
static void job_check_io_controller(Job *j) {
        g_autofree char *problem = NULL;

        if (j->record->disk_limit == 0 || !j->io_devices || j->io_devices->len == 0)
                return;
        if (blockdev_io_controller_of_pid((pid_t) j->record->runner_pid, &problem) == 0) {
                g_autofree char *msg = g_strdup_printf("the disk limit is not enforced: %s", problem);
                log_full(LOG_WARNING, j->id, "%s", msg);
                job_set_message(j, "warning", msg);
        }
}

void job_apply_disk_limit(Job *j) {
        int r;

        job_find_io_devices(j);
        if (!j->io_devices || j->io_devices->len == 0) {
                if (j->record->disk_limit > 0)
                        log_full(LOG_WARNING, j->id, "the disk limit applies to no block device");
                return;
        }
        if (!j->manager->bus)
                return;
        r = scope_set_io_limits(j->manager->bus, j->record->unit, io_device_list(j), j->record->disk_limit);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot set the disk limit of %s: %s", j->record->unit, g_strerror(-r));
        else
                job_check_io_controller(j);
}

/* The job's scope runs (virt-v2v may start in it), or could not be made. */
static void on_scope_outcome(ScopeOutcome outcome, const char *detail, void *userdata) {
        Job *j = userdata;
        bool go = outcome == SCOPE_READY && !j->record->cancel_requested && !j->scope_clearing;
        g_autofree char *msg = NULL;

        j->scope_wait = NULL;
        if (j->scope_clearing) {
                /* The stale scope is stopped; a failed one is not collected
                 * until reset. Then the job's own. */
                j->scope_clearing = false;
                if (outcome == SCOPE_READY && j->go_fd >= 0 && !j->record->cancel_requested) {
                        (void) scope_reset_failed(j->manager->scope_watch, j->record->unit);
                        job_start_scope(j, (pid_t) j->record->runner_pid);
                        return;
                }
                if (outcome != SCOPE_READY)
                        msg = g_strdup_printf("cannot stop %s, left from an interrupted start: %s", j->record->unit,
                                              detail);
        }
        switch (outcome) {
        case SCOPE_READY:
                break;
        case SCOPE_EXISTS:
                /* A scope of this name outlived an interrupted start (the
                 * daemon killed while systemd was creating it, or its runner
                 * not yet gone): no process in it can run virt-v2v any more
                 * (its runner's start pipe is closed). Stopped, then asked
                 * for again — a few times at most. */
                if (j->scope_attempts < 5 && j->go_fd >= 0 && !j->record->cancel_requested &&
                    scope_stop_wait(j->manager->scope_watch, j->record->unit, on_scope_outcome, j, &j->scope_wait) >= 0) {
                        j->scope_attempts++;
                        j->scope_clearing = true;
                        log_full(LOG_NOTICE, j->id, "%s is left from an interrupted start: stopping it first",
                                 j->record->unit);
                        return;
                }
                msg = g_strdup_printf("cannot create the job's scope %s: %s", j->record->unit, detail);
                break;
        case SCOPE_REFUSED:
                msg = msg ?: g_strdup_printf("cannot create the job's scope %s: %s", j->record->unit, detail);
                break;
        case SCOPE_BAD_REPLY:
                msg = g_strdup("cannot understand systemd's answer to StartTransientUnit");
                break;
        case SCOPE_FAILED:
                msg = msg ?: g_strdup_printf("the job's scope %s could not be started (systemd: %s)",
                                             j->record->unit, detail);
                break;
        }
        if (msg)
                job_set_message(j, "error", msg);
        if (go)
                job_test_pause(j, "scope-created");
        /* Released, or — closed unwritten — the runner reads EOF and ends
         * without running virt-v2v. */
        if (j->go_fd >= 0) {
                if (go && write(j->go_fd, "g", 1) != 1)
                        log_full(LOG_ERR, j->id, "cannot release the runner: %m");
                close(j->go_fd);
                j->go_fd = -1;
        }
        if (go) {
                job_test_pause(j, "runner-released");
                log_full(LOG_INFO, j->id, "virt-v2v starts in %s", j->record->unit);
                budget_job_started(j->manager, (pid_t) j->record->runner_pid);
                job_apply_egress(j);
                job_check_io_controller(j);
        }
}

/* A fresh start: logs and outcome files of nothing earlier, the logs'
 * space reserved. */
static void job_reset_files(Job *j) {
        g_autofree char *machine_log = job_machine_log_path(j);
        g_autofree char *log_path = job_log_path(j);

        for (const char *const *n = (const char *const[]) { JOB_LOG_FILE, JOB_MACHINE_LOG_FILE, "v2v.pid", "exit-status", NULL }; *n; n++) {
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
}

/* The ssh-agent socket the runner makes when the spec has a key, else NULL:
 * in a directory of its own, on which the runner mounts a small tmpfs of
 * the owner's in the job's mount namespace (runner.c), so that the owner
 * can write nothing in the runtime directory. */
static char *job_agent_socket(const Job *j) {
        return job_spec_secret(j, "ssh_key") ? g_build_filename(j->secret_dir, "agent", "agent.sock", NULL) : NULL;
}

int job_start_prepare(Job *j, V2vCommand **ret_cmd, char **ret_message) {
        Manager *m = j->manager;
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vCommand) cmd = NULL;
        g_autofree char *machine_log = job_machine_log_path(j);
        g_autofree char *bandwidth = job_file(j, "bandwidth");
        g_autofree char *agent_sock = job_agent_socket(j);
        V2vCommandPaths paths = {
                .virt_v2v = m->virt_v2v,
                .virt_v2v_in_place = m->virt_v2v_in_place,
                .machine_log = machine_log,
                .secret_dir = j->secret_dir,
                .bandwidth_file = bandwidth,
                .capabilities = (const char *const *) m->v2v_capabilities,
                /* The runner starts an agent with the key inside the scope. */
                .ssh_auth_sock = agent_sock,
        };
        int r;

        if (!j->spec) {
                *ret_message = g_strdup(j->record->final_message_text ?: "the job's spec is lost");
                return -EINVAL;
        }
        cmd = v2v_command_build(j->spec, &paths, &error);
        if (!cmd) {
                *ret_message = g_strdup(error->message);
                return -EINVAL;
        }
        job_set_warnings(j, cmd->warnings);
        job_find_io_devices(j);
        r = mkdir_parents_mode(j->secret_dir, 0700);
        for (guint i = 0; r >= 0 && i < j->spec->secrets->len; i++)
                r = write_secret_file(j->secret_dir, j->spec->secrets->pdata[i]);
        if (r >= 0 && agent_sock) {
                g_autofree char *agent_dir = g_path_get_dirname(agent_sock);
                r = mkdir_parents_mode(agent_dir, 0700);
        }
        if (r < 0) {
                *ret_message = g_strdup_printf("cannot write the job's secrets to %s: %s", j->secret_dir, g_strerror(-r));
                return r;
        }
        /* Limits written to throttling.json while the job was queued. */
        job_apply_throttling_json(j);
        r = job_write_bandwidth_file(j);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot write %s: %s", bandwidth, g_strerror(-r));
        job_record_preexisting_outputs(j);
        job_reset_files(j);
        *ret_cmd = g_steal_pointer(&cmd);
        return 0;
}

/* The runner's command line and environment: v2vd-runner JOB_DIR 3
 * VIRT-V2V-ARGV…, the go pipe on fd 3. */
static GPtrArray *runner_argv(const Job *j, const V2vCommand *cmd) {
        GPtrArray *argv = g_ptr_array_new();

        g_ptr_array_add(argv, j->manager->runner_path);
        g_ptr_array_add(argv, j->dir);
        g_ptr_array_add(argv, (char *) "3");
        for (guint i = 0; i < cmd->argv->len && cmd->argv->pdata[i]; i++)
                g_ptr_array_add(argv, cmd->argv->pdata[i]);
        g_ptr_array_add(argv, NULL);
        return argv;
}

static char **runner_environment(Job *j, const V2vCommand *cmd, uid_t run_as) {
        g_autofree char *agent_sock = job_agent_socket(j);
        char **env = job_build_environment(j, cmd);

        if (agent_sock) {
                g_autofree char *key = g_build_filename(j->secret_dir, "ssh_key", NULL);
                env = g_environ_setenv(env, "V2VD_RUNNER_SSH_KEY", key, TRUE);
                env = g_environ_setenv(env, "V2VD_RUNNER_SSH_AUTH_SOCK", agent_sock, TRUE);
        }
        if (run_as != (uid_t) -1) {
                g_autofree char *uid_text = g_strdup_printf("%u", (unsigned) run_as);
                env = g_environ_setenv(env, "V2VD_RUNNER_UID", uid_text, TRUE);
        }
        return env;
}

/* The runner, stdout and stderr to v2v.log, held on the go pipe (fd 3)
 * until its scope is there. */
static int spawn_runner(Job *j, char **argv, char **envp, pid_t *ret_pid) {
        g_autofree char *log_path = job_log_path(j);
        _cleanup_close_ int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC, 0640);
        int go[2] = { -1, -1 };
        SpawnOptions o = {
                .path = argv[0],
                .argv = argv,
                .envp = envp,
                .flags = SPAWN_STDOUT_FD | SPAWN_STDERR_FD | SPAWN_FD3,
                .stdout_fd = log_fd,
                .stderr_fd = log_fd,
        };
        Spawned child;
        int r;

        if (log_fd < 0)
                return -errno;
        if (pipe2(go, O_CLOEXEC) < 0)
                return -errno;
        o.fd3 = go[0];
        r = spawn(&o, &child);
        close(go[0]);
        if (r < 0) {
                close(go[1]);
                return r;
        }
        j->go_fd = go[1];
        *ret_pid = child.pid;
        return 0;
}

/* Ask systemd for the job's scope with the runner in it; on_scope_outcome
 * releases the runner. A scope that cannot be asked for leaves the runner
 * to read EOF on its go pipe. */
static void job_start_scope(Job *j, pid_t pid) {
        Manager *m = j->manager;
        g_autofree char *description = g_strdup_printf("virt-v2v conversion of %s (v2vd job %s)", j->vm_name, j->id);
        uint64_t quota = UINT64_MAX;
        int r;

        if (v2v_cpu_limit_parse(j->record->cpu_limit, 0, &quota) < 0)
                quota = UINT64_MAX;
        r = m->scope_watch ? scope_start(m->scope_watch, j->record->unit, pid, description, quota,
                                         m->cancel_grace_usec, io_device_list(j), j->record->disk_limit, on_scope_outcome, j, &j->scope_wait)
                           : -ENOTCONN;
        if (r < 0) {
                g_autofree char *msg = g_strdup_printf("cannot ask systemd for the job's scope: %s", g_strerror(-r));
                job_set_message(j, "error", msg);
                close(j->go_fd);
                j->go_fd = -1;
        }
}

int job_start_runner(Job *j, const V2vCommand *cmd, char **ret_message) {
        Manager *m = j->manager;
        g_autoptr(GPtrArray) argv = runner_argv(j, cmd);
        g_auto(GStrv) envp = NULL;
        g_autofree char *machine_log = job_machine_log_path(j);
        uid_t run_as;
        pid_t pid = 0;
        int r;

        run_as = owner_job_uid(m->user_mode, m->root_outputs, j->record->owner_uid, j->spec);
        if (run_as != (uid_t) -1) {
                r = owner_prepare_start(j->dir, j->secret_dir, machine_log, run_as);
                if (r < 0) {
                        *ret_message = g_strdup_printf("cannot prepare the job's files for uid %u: %s",
                                                       (unsigned) run_as, g_strerror(-r));
                        return r;
                }
        }
        envp = runner_environment(j, cmd, run_as);
        r = spawn_runner(j, (char **) argv->pdata, envp, &pid);
        if (r < 0) {
                *ret_message = g_strdup_printf("cannot start the runner: %s", g_strerror(-r));
                return r;
        }
        j->record->runner_pid = (uint32_t) pid;
        g_free(j->record->unit);
        j->record->unit = scope_unit_name(j->id);
        j->scope_attempts = 0;
        j->adopted = false;
        r = job_watch_runner(j, pid, true);
        if (r < 0) {
                kill(pid, SIGKILL);
                *ret_message = g_strdup("cannot watch the runner");
                return r;
        }
        job_start_scope(j, pid);
        return 0;
}

void job_runner_release(Job *j) {
        j->runner_source = sd_event_source_disable_unref(j->runner_source);
        j->scope_wait = scope_wait_cancel(j->scope_wait);
        j->scope_clearing = false;
        if (j->runner_pidfd >= 0)
                close(j->runner_pidfd);
        j->runner_pidfd = -1;
        if (j->go_fd >= 0)
                close(j->go_fd);
        j->go_fd = -1;
}
