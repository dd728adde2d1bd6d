/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "host/access-as.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's answer: how many paths it got through, and the errno of the
 * one it stopped at. */
typedef struct {
        uint64_t passed;
        int32_t error;
} Answer;

static _Noreturn void child(uid_t uid, gid_t gid, const char *const *paths, const int *modes, size_t n, int fd) {
        Answer a = { 0, 0 };

        if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                _exit(126);
        for (; a.passed < n; a.passed++)
                if (access(paths[a.passed], modes[a.passed]) < 0) {
                        a.error = errno;
                        break;
                }
        _exit(write(fd, &a, sizeof a) == sizeof a ? 0 : 1);
}

int access_as(uid_t uid, gid_t gid, const char *const *paths, const int *modes, size_t n, size_t *ret_index,
              int *ret_errno) {
        int fds[2], status;
        Answer a;
        ssize_t len;
        pid_t pid;

        if (geteuid() != 0)
                return -EPERM;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                close(fds[0]);
                child(uid, gid, paths, modes, n, fds[1]);
        }
        close(fds[1]);
        do
                len = read(fds[0], &a, sizeof a);
        while (len < 0 && errno == EINTR);
        close(fds[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (len != sizeof a || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return WIFEXITED(status) && WEXITSTATUS(status) == 126 ? -EPERM : -EIO;
        if (a.passed >= n)
                return 0;
        *ret_index = (size_t) a.passed;
        *ret_errno = a.error;
        return 1;
}
