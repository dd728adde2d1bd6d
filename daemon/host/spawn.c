/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/spawn.h"

static const char *const daemon_only_variables[] = {
        "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_PID", "LISTEN_FDS",
        "LISTEN_FDNAMES", "INVOCATION_ID", "JOURNAL_STREAM", "V2VD_VIRT_V2V", NULL,
};

char **spawn_environment(void) {
        char **env = g_get_environ();

        for (const char *const *d = daemon_only_variables; *d; d++)
                env = g_environ_unsetenv(env, *d);
        return env;
}

static void close_pair(int p[2]) {
        for (int i = 0; i < 2; i++)
                if (p[i] >= 0) {
                        close(p[i]);
                        p[i] = -1;
                }
}

void spawned_close(Spawned *s) {
        int *fds[] = { &s->stdin_fd, &s->stdout_fd, &s->stderr_fd };

        for (size_t i = 0; i < G_N_ELEMENTS(fds); i++)
                if (*fds[i] >= 0) {
                        close(*fds[i]);
                        *fds[i] = -1;
                }
}

/* Above the descriptors the child sets up, so that no dup2 below clobbers
 * a source. -1 stays -1. */
static int move_high(int fd) {
        return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* The child, from fork to exec or fn: async-signal-safe calls only (fn
 * aside, whose business it is). */
static _Noreturn void child(const SpawnOptions *o, int in_fd, int out_fd, int err_fd, int fd3) {
        int targets[4];
        sigset_t none;
        int null_fd;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        if (o->flags & SPAWN_NEW_PROCESS_GROUP)
                (void) setpgid(0, 0);
        null_fd = move_high(open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC));
        targets[0] = move_high(in_fd);
        targets[1] = move_high(out_fd);
        targets[2] = move_high(err_fd);
        targets[3] = move_high(fd3);
        if (null_fd < 0)
                _exit(126);
        for (int i = 0; i < 4; i++) {
                int from = targets[i] >= 0 ? targets[i] : null_fd;
                if (i == 3 && targets[3] < 0)
                        break;
                if (dup2(from, i) < 0)
                        _exit(126);
        }
        (void) syscall(SYS_close_range, (o->flags & SPAWN_FD3) ? 4U : 3U, ~0U, 0U);
        if (o->cred && cred_drop(o->cred) < 0)
                _exit(126);
        if (!o->path)
                _exit(o->fn(o->userdata) & 0xff);
        execve(o->path, o->argv, o->envp);
        _exit(127);
}

int spawn(const SpawnOptions *o, Spawned *ret) {
        int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
        int child_out, child_err;
        pid_t pid;
        int r;

        if (!o->path == !o->fn)
                return -EINVAL;
        if (((o->flags & SPAWN_STDIN_PIPE) && pipe2(in, O_CLOEXEC) < 0) ||
            ((o->flags & SPAWN_STDOUT_PIPE) && pipe2(out, O_CLOEXEC) < 0) ||
            ((o->flags & SPAWN_STDERR_PIPE) && pipe2(err, O_CLOEXEC) < 0)) {
                r = -errno;
                goto fail;
        }
        child_out = (o->flags & SPAWN_STDOUT_PIPE) ? out[1] : (o->flags & SPAWN_STDOUT_FD) ? o->stdout_fd : -1;
        child_err = (o->flags & SPAWN_STDERR_PIPE) ? err[1] : (o->flags & SPAWN_STDERR_FD) ? o->stderr_fd : -1;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto fail;
        }
        if (pid == 0)
                child(o, in[0], child_out, child_err, (o->flags & SPAWN_FD3) ? o->fd3 : -1);
        /* Both sides: no window in which kill(-pid) misses the child. */
        if (o->flags & SPAWN_NEW_PROCESS_GROUP)
                (void) setpgid(pid, pid);
        *ret = (Spawned) { .pid = pid, .stdin_fd = in[1], .stdout_fd = out[0], .stderr_fd = err[0] };
        in[1] = out[0] = err[0] = -1;
        r = 0;
fail:
        close_pair(in);
        close_pair(out);
        close_pair(err);
        return r;
}
