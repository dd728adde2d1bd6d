/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "host/util.h"

static bool log_to_journal;
static int log_max_priority = LOG_INFO;

void log_setup(void) {
        const char *e = getenv("V2VD_LOG_TARGET");
        const char *lvl = getenv("V2VD_LOG_LEVEL");

        if (e && g_str_equal(e, "console"))
                log_to_journal = false;
        else if (e && g_str_equal(e, "journal"))
                log_to_journal = true;
        else
                /* Under systemd (JOURNAL_STREAM set) or where journald listens. */
                log_to_journal = getenv("JOURNAL_STREAM") != NULL &&
                                 access("/run/systemd/journal/socket", W_OK) == 0;
        if (lvl && g_str_equal(lvl, "debug"))
                log_max_priority = LOG_DEBUG;
}

static void log_internalv(int priority, const char *job_id, const char *format, va_list ap) {
        g_autofree char *msg = NULL;

        if (priority > log_max_priority)
                return;
        msg = g_strdup_vprintf(format, ap);
        if (log_to_journal) {
                if (job_id)
                        sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", priority,
                                        "V2VD_JOB=%s", job_id, "SYSLOG_IDENTIFIER=v2vd", NULL);
                else
                        sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", priority,
                                        "SYSLOG_IDENTIFIER=v2vd", NULL);
                return;
        }
        if (job_id)
                fprintf(stderr, "v2vd[job %s]: %s\n", job_id, msg);
        else
                fprintf(stderr, "v2vd: %s\n", msg);
}

void log_full(int priority, const char *job_id, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_internalv(priority, job_id, format, ap);
        va_end(ap);
}

/* To the journal with the fields (MESSAGE_ID= unless message_id is NULL),
 * or to stderr as log_full() writes it. */
static void log_structv(int priority, const char *job_id, const char *message_id, const char *const *fields,
                        const char *format, va_list ap) {
        g_autoptr(GPtrArray) lines = NULL;
        g_autofree struct iovec *iov = NULL;
        g_autofree char *msg = NULL;

        if (priority > log_max_priority)
                return;
        msg = g_strdup_vprintf(format, ap);
        if (!log_to_journal) {
                log_full(priority, job_id, "%s", msg);
                return;
        }
        lines = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(lines, g_strdup_printf("MESSAGE=%s", msg));
        g_ptr_array_add(lines, g_strdup_printf("PRIORITY=%i", priority));
        g_ptr_array_add(lines, g_strdup("SYSLOG_IDENTIFIER=v2vd"));
        if (message_id)
                g_ptr_array_add(lines, g_strdup_printf("MESSAGE_ID=%s", message_id));
        if (job_id)
                g_ptr_array_add(lines, g_strdup_printf("V2VD_JOB=%s", job_id));
        for (size_t i = 0; fields && fields[i]; i++)
                g_ptr_array_add(lines, g_strdup(fields[i]));
        iov = g_new0(struct iovec, lines->len);
        for (guint i = 0; i < lines->len; i++) {
                iov[i].iov_base = lines->pdata[i];
                iov[i].iov_len = strlen(lines->pdata[i]);
        }
        sd_journal_sendv(iov, (int) lines->len);
}

void log_struct(int priority, const char *job_id, const char *message_id, const char *const *fields,
                const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_structv(priority, job_id, message_id, fields, format, ap);
        va_end(ap);
}

void log_struct_caller(int priority, const char *job_id, uid_t uid, const char *format, ...) {
        g_autofree char *uid_field = g_strdup_printf("V2VD_UID=%u", (unsigned) uid);
        va_list ap;

        va_start(ap, format);
        log_structv(priority, job_id, NULL, (const char *const[]) { uid_field, NULL }, format, ap);
        va_end(ap);
}

int log_error_errno(int r, const char *format, ...) {
        va_list ap;
        int saved = errno;

        errno = r < 0 ? -r : r;
        va_start(ap, format);
        log_internalv(LOG_ERR, NULL, format, ap);
        va_end(ap);
        errno = saved;
        return r < 0 ? r : -r;
}

uint64_t now_usec(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

int mkdir_parents_mode(const char *path, mode_t mode) {
        g_autofree char *parent = g_path_get_dirname(path);

        if (g_mkdir_with_parents(parent, 0755) < 0)
                return -errno;
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int remove_tree_at(int parent_fd, const char *name, dev_t dev) {
        _cleanup_close_ int fd = -1;
        DIR *d;
        struct dirent *de;
        struct stat st;
        int r = 0;

        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOTDIR || errno == ELOOP)
                        return unlinkat(parent_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
                return errno == ENOENT ? 0 : -errno;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_dev != dev)
                return -EXDEV;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1; /* owned by d now */
        while ((de = readdir(d))) {
                int q;

                if (g_str_equal(de->d_name, ".") || g_str_equal(de->d_name, ".."))
                        continue;
                if (de->d_type == DT_DIR)
                        q = remove_tree_at(dirfd(d), de->d_name, dev);
                else
                        q = unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT ? -errno : 0;
                if (q < 0 && r == 0)
                        r = q;
        }
        closedir(d);
        if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

int remove_tree(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlink(path) < 0 ? -errno : 0;
        return remove_tree_at(AT_FDCWD, path, st.st_dev);
}

int read_small_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        g_autofree char *buf = NULL;
        struct stat st;
        size_t len = 0, cap;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* Sized by the file, grown as it grows: not max bytes per read
         * (16 MiB for a job's spec, kept for the job's life). */
        cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t) st.st_size + 1 : 4096;
        cap = MIN(cap, max);
        buf = g_malloc(cap + 1);
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        if (cap >= max)
                                return -EFBIG;
                        cap = cap > max / 2 ? max : cap * 2;
                        buf = g_realloc(buf, cap + 1);
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len >= max)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = g_steal_pointer(&buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

char *find_libexec_program(const char *env_name, const char *name) {
        const char *env = getenv(env_name);
        g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);

        if (env && *env)
                return g_strdup(env);
        if (self) {
                g_autofree char *dir = g_path_get_dirname(self);
                g_autofree char *p = g_build_filename(dir, name, NULL);
                if (access(p, X_OK) == 0)
                        return g_steal_pointer(&p);
        }
        return g_build_filename(V2VD_LIBEXECDIR, name, NULL);
}
