/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/file-write.h"

int write_all(int fd, const void *data, size_t len) {
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

/* A temporary name of our own beside NAME: O_EXCL, retried on a clash. */
static int open_temporary_at(int dirfd, const char *name, mode_t mode, char tmp[static NAME_MAX + 1]) {
        static unsigned counter;

        for (int attempt = 0; attempt < 100; attempt++) {
                int fd;

                if (snprintf(tmp, NAME_MAX + 1, ".#%.200s.%ld.%u", name, (long) getpid(), counter++) > NAME_MAX)
                        return -ENAMETOOLONG;
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode & 07777);
                if (fd >= 0 || errno != EEXIST)
                        return fd >= 0 ? fd : -errno;
        }
        return -EEXIST;
}

int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode) {
        char tmp[NAME_MAX + 1];
        int fd, r;

        if (!name || !*name || strchr(name, '/'))
                return -EINVAL;
        fd = open_temporary_at(dirfd, name, mode, tmp);
        if (fd < 0)
                return fd;
        r = write_all(fd, data, len);
        /* The umask must not decide the mode of a state file. */
        if (r == 0 && (fchmod(fd, mode & 07777) < 0 || fsync(fd) < 0))
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dirfd, tmp, 0);
                return r;
        }
        /* Make the rename itself durable. The new file is in place already,
         * so a failure here is not reported as a failure to write it. */
        (void) fsync(dirfd);
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        const char *slash, *name;
        char *dir;
        int dfd, r;

        if (!path || !*path || path[strlen(path) - 1] == '/')
                return -EINVAL;
        slash = strrchr(path, '/');
        name = slash ? slash + 1 : path;
        dir = slash ? strndup(path, slash == path ? 1 : (size_t) (slash - path)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = dfd < 0 ? -errno : 0;
        free(dir);
        if (r < 0)
                return r;
        r = write_file_atomic_at(dfd, name, data, len, mode);
        close(dfd);
        return r;
}

int replace_file_nosync(const char *path, const char *spare, const void *data, size_t len, mode_t mode) {
        const char *p = data;
        size_t done = 0;
        int fd, r = 0;

        /* Overwritten, then cut to length: truncating to 0 first cost more. */
        fd = open(spare, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode & 07777);
        if (fd < 0)
                return -errno;
        while (done < len && r == 0) {
                ssize_t n = pwrite(fd, p + done, len - done, (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        r = n < 0 ? -errno : -EIO;
                else
                        done += (size_t) n;
        }
        if (r == 0 && ftruncate(fd, (off_t) len) < 0)
                r = -errno;
        if (r == 0 && fchmod(fd, mode & 07777) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat2(AT_FDCWD, spare, AT_FDCWD, path, RENAME_EXCHANGE) < 0) {
                if (errno != ENOENT && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        r = -errno;
                else if (rename(spare, path) < 0)
                        r = -errno;
        }
        if (r < 0)
                (void) unlink(spare);
        return r;
}

int write_file_new(const char *dir, const char *name, const void *data, size_t len, mode_t mode) {
        int dfd, fd, r;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
                r = -errno;
                close(dfd);
                return r;
        }
        fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode & 07777);
        r = fd < 0 ? -errno : 0;
        close(dfd);
        if (r < 0)
                return r;
        if (fchmod(fd, mode & 07777) < 0)
                r = -errno;
        if (r == 0)
                r = write_all(fd, data, len);
        close(fd);
        return r;
}
