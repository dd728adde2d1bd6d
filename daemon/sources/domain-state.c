/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sources/domain-state.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void state_child(const SourceSpec *s, const char *vm_name, int out_fd, pid_t parent) {
        g_autoptr(GError) error = NULL;
        g_autofree char *state = NULL;
        int null_fd;

        (void) setpgid(0, 0);
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(1);
        /* Nothing of the caller's stdio: its stdout is an answer pipe. */
        null_fd = open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (null_fd < 0)
                _exit(1);
        for (int i = 0; i < 3; i++)
                if (dup2(null_fd, i) < 0)
                        _exit(1);
        state = sources_domain_state(s, vm_name, &error);
        if (state) {
                size_t len = strlen(state);
                if (write(out_fd, state, len) != (ssize_t) len)
                        _exit(1);
        }
        /* _exit: no atexit handler of the caller's runs twice. */
        _exit(state ? 0 : 1);
}

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *sources_domain_state_within(const SourceSpec *s, const char *vm_name, unsigned timeout_ms) {
        int fds[2];
        char buf[64];
        size_t len = 0;
        int64_t deadline = now_ms() + timeout_ms;
        pid_t parent = getpid(), pid;
        bool eof = false;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return NULL;
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return NULL;
        }
        if (pid == 0) {
                close(fds[0]);
                state_child(s, vm_name, fds[1], parent);
        }
        (void) setpgid(pid, pid);
        close(fds[1]);
        while (!eof && len < sizeof buf - 1) {
                struct pollfd p = { .fd = fds[0], .events = POLLIN };
                int64_t left = deadline - now_ms();
                ssize_t n;
                int r;

                if (left <= 0)
                        break;
                r = poll(&p, 1, (int) left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                n = read(fds[0], buf + len, sizeof buf - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        eof = n == 0;
                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        close(fds[0]);
        /* Answered or not: its group (an ssh it started) goes. */
        (void) kill(-pid, SIGKILL);
        (void) kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (!eof || len == 0)
                return NULL;
        buf[len] = '\0';
        return g_strdup(buf);
}
