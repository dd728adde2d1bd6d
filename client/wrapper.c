/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virt-v2v-wrapper mode, the process half: `v2vctl wrapper`, installed as
 * /usr/bin/virt-v2v-wrapper (v2vctl picks the mode by argv[0]).
 *
 * What an orchestrator written for the old wrapper (ManageIQ) does, and
 * what this does for it:
 *   - runs `sudo /usr/bin/virt-v2v-wrapper` over ssh with the options as
 *     JSON on stdin; any stderr output or a non-zero exit is a failure.
 *     Here: translate (wrapper-compat.c), submit to v2vd, print one line
 *     {"v2v_log", "wrapper_log", "state_file", "throttling_file"}, exit 0.
 *     A refused document: one line on stderr naming the key, exit 6.
 *   - fetches those files over SFTP as the ssh user itself (sudo is only
 *     for commands) and writes the throttling file there too. Here: the
 *     files live in a directory of their own per job,
 *     /var/lib/v2vd-wrapper/JOB-ID/ (mode 0700), owned by the user sudo
 *     names in SUDO_UID/SUDO_GID (by the caller when not run by sudo). It
 *     holds copies the wrapper keeps up to date: the state file (from
 *     v2vd's state.json), virt-v2v's log and the wrapper's own log; v2vd's
 *     job directory is not opened to anyone. None of them holds a secret:
 *     v2vd keeps secrets out of the state file and the logs.
 *   - reads `pid` from the state file and cancels with `kill -s TERM PID`,
 *     then KILL a minute later. Here: the wrapper stays in the background
 *     (as the old one daemonized) following the job; until virt-v2v runs
 *     (a queued job) the state file's pid is the wrapper's own, and a
 *     SIGTERM to the wrapper cancels the job through v2vd. Once virt-v2v
 *     runs, the pid is virt-v2v's, as before.
 *   - throttles by writing {"cpu": …, "network": …} into the throttling
 *     file. Here: the wrapper hands each new content to v2vd's own
 *     throttling.json for the job, and deletes it, as the old wrapper did;
 *     v2vd's reader decides what the values mean.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "v2vctl.h"
#include "wrapper-compat.h"

#define WRAPPER_SYSTEM_DIR "/var/lib/v2vd-wrapper"
#define THROTTLING_MAX (64 * 1024)
#define TICK_MS 1000
#define GONE_TICKS 60

static volatile sig_atomic_t cancel_requested;

static void on_cancel_signal(int sig) {
        cancel_requested = 1;
}

static void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}
#define _cleanup_close_ __attribute__((cleanup(closep)))

typedef struct Follow {
        Ctl *ctl;
        char *id;
        char *job_path;
        char *v2vd_state;       /* v2vd's files of the job (root's) */
        char *v2vd_log;
        char *v2vd_throttling;
        uid_t uid;              /* who may read the wrapper's files */
        gid_t gid;
        int dir_fd;             /* the wrapper's directory of the job */
        int log_fd;             /* wrapper.log in it */
        int v2v_log_fd;         /* v2v.log in it, the copy */
        off_t v2v_log_copied;
        char *job_state;        /* v2vd's, as last logged */
        char *throttling_seen;  /* content not yet JSON (a write under way) */
        unsigned throttling_tries;
        bool cancel_sent;
} Follow;

static void follow_clear(Follow *f) {
        g_free(f->id);
        g_free(f->job_path);
        g_free(f->v2vd_state);
        g_free(f->v2vd_log);
        g_free(f->v2vd_throttling);
        g_free(f->throttling_seen);
        g_free(f->job_state);
        closep(&f->dir_fd);
        closep(&f->log_fd);
        closep(&f->v2v_log_fd);
}

/* The directory that holds the wrapper's per-job directories. */
static char *wrapper_base_dir(const Ctl *c) {
        const char *env = getenv("V2VD_WRAPPER_DIR");

        if (env && g_path_is_absolute(env))
                return g_strdup(env);
        if (c->user || getuid() != 0)
                return g_build_filename(g_get_user_runtime_dir(), "v2vd-wrapper", NULL);
        return g_strdup(WRAPPER_SYSTEM_DIR);
}

/* The ssh user: sudo's SUDO_UID/SUDO_GID when root was reached through
 * sudo, else the caller. */
static int wrapper_owner(uid_t *ret_uid, gid_t *ret_gid) {
        const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
        guint64 uid, gid;

        if (getuid() != 0 || !u) {
                *ret_uid = getuid();
                *ret_gid = getgid();
                return 0;
        }
        if (!g_ascii_string_to_unsigned(u, 10, 0, UINT32_MAX - 1, &uid, NULL) ||
            !g_ascii_string_to_unsigned(g ?: "", 10, 0, UINT32_MAX - 1, &gid, NULL))
                return -EINVAL;
        *ret_uid = (uid_t) uid;
        *ret_gid = (gid_t) gid;
        return 0;
}

static void wlog(Follow *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void wlog(Follow *f, const char *fmt, ...) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
        g_autofree char *msg = NULL, *line = NULL;
        va_list ap;

        if (f->log_fd < 0)
                return;
        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        line = g_strdup_printf("%s:INFO: %s\n", stamp, msg);
        (void) !write(f->log_fd, line, strlen(line));
}

/* Creates NAME in the job's directory for appending, owned by the user. */
static int open_owned(Follow *f, const char *name, int flags) {
        int fd = openat(f->dir_fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags, 0600);

        if (fd < 0)
                return -errno;
        if (fchown(fd, f->uid, f->gid) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* Replaces NAME in the job's directory with DATA, owned by the user. The
 * user owns the directory, so anything may be there: the temporary file is
 * created exclusively, never followed, and renamed over NAME itself. */
static int write_owned(Follow *f, const char *name, const char *data) {
        g_autofree char *tmp = g_strdup_printf(".#%s.%d", name, (int) getpid());
        _cleanup_close_ int fd = -1;
        size_t len = strlen(data);

        (void) unlinkat(f->dir_fd, tmp, 0);
        fd = open_owned(f, tmp, O_EXCL | O_TRUNC);
        if (fd < 0)
                return fd;
        if (write(fd, data, len) != (ssize_t) len || renameat(f->dir_fd, tmp, f->dir_fd, name) < 0) {
                int r = errno ? -errno : -EIO;
                (void) unlinkat(f->dir_fd, tmp, 0);
                return r;
        }
        return 0;
}

static int make_job_dir(Follow *f, const char *base) {
        _cleanup_close_ int base_fd = -1;

        if (g_mkdir_with_parents(base, 0711) < 0)
                return -errno;
        base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base_fd < 0)
                return -errno;
        if (mkdirat(base_fd, f->id, 0700) < 0)
                return -errno;
        f->dir_fd = openat(base_fd, f->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (f->dir_fd < 0)
                return -errno;
        /* The logs are created while the directory is still root's, so
         * nothing the user put there can be opened in their place. */
        f->log_fd = open_owned(f, "wrapper.log", O_APPEND | O_EXCL);
        if (f->log_fd < 0)
                return f->log_fd;
        f->v2v_log_fd = open_owned(f, "v2v.log", O_APPEND | O_EXCL);
        if (f->v2v_log_fd < 0)
                return f->v2v_log_fd;
        if (fchown(f->dir_fd, f->uid, f->gid) < 0)
                return -errno;
        return 0;
}

/* v2vd's state file → ours. Returns 1 when the job has finished. */
static int sync_state(Follow *f) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL, *out = NULL, *job_state = NULL;
        int r;

        if (!g_file_get_contents(f->v2vd_state, &text, NULL, &error))
                return -ENOENT;
        out = wrapper_render_state(text, getpid(), &job_state, &error);
        if (!out)
                return -EBADMSG;  /* caught between writes: the next tick sees it whole */
        if (!f->job_state || strcmp(f->job_state, job_state) != 0) {
                if (strcmp(job_state, "queued") == 0)
                        wlog(f, "job %s is queued: all of v2vd's max_running_jobs slots are taken; "
                             "it starts when one is free (SIGTERM to pid %d cancels it)", f->id, (int) getpid());
                else
                        wlog(f, "job %s is %s", f->id, job_state);
                g_free(f->job_state);
                f->job_state = g_steal_pointer(&job_state);
        }
        r = write_owned(f, "state.json", out);
        if (r < 0)
                return r;
        return strstr(out, "\"finished\"") ? 1 : 0;
}

/* Appends what virt-v2v wrote since the last tick to our copy. */
static void sync_v2v_log(Follow *f) {
        _cleanup_close_ int fd = open(f->v2vd_log, O_RDONLY | O_CLOEXEC);
        char buf[65536];
        ssize_t n;

        if (fd < 0)
                return;
        while ((n = pread(fd, buf, sizeof buf, f->v2v_log_copied)) > 0) {
                if (write(f->v2v_log_fd, buf, (size_t) n) != n)
                        return;
                f->v2v_log_copied += n;
        }
}

/* The orchestrator wrote the throttling file: hand its content to v2vd. A
 * write over SFTP is not atomic: content that is not JSON yet is left for
 * the next tick, and dropped (with a line in the log) if it stays so. */
static void sync_throttling(Follow *f) {
        _cleanup_close_ int fd = openat(f->dir_fd, "throttling.json", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        g_autofree char *buf = NULL, *tmp = NULL;
        g_autoptr(JsonParser) parser = json_parser_new();
        struct stat st;
        ssize_t n;

        if (fd < 0 || fstat(fd, &st) < 0)
                return;
        if (!S_ISREG(st.st_mode) || st.st_uid != f->uid || st.st_size > THROTTLING_MAX) {
                (void) unlinkat(f->dir_fd, "throttling.json", 0);
                wlog(f, "throttling.json: not a regular file of the user's of at most %d bytes, deleted",
                     THROTTLING_MAX);
                return;
        }
        buf = g_malloc0(THROTTLING_MAX + 1);
        n = read(fd, buf, THROTTLING_MAX);
        if (n < 0)
                return;
        buf[n] = '\0';
        if (!json_parser_load_from_data(parser, buf, n, NULL) || !json_parser_get_root(parser) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
                if (f->throttling_seen && strcmp(f->throttling_seen, buf) == 0 && ++f->throttling_tries >= 3) {
                        (void) unlinkat(f->dir_fd, "throttling.json", 0);
                        wlog(f, "throttling.json: not a JSON object, ignored and deleted");
                        g_clear_pointer(&f->throttling_seen, g_free);
                } else if (!f->throttling_seen || strcmp(f->throttling_seen, buf) != 0) {
                        g_free(f->throttling_seen);
                        f->throttling_seen = g_strdup(buf);
                        f->throttling_tries = 0;
                }
                return;
        }
        g_clear_pointer(&f->throttling_seen, g_free);
        (void) unlinkat(f->dir_fd, "throttling.json", 0);
        tmp = g_strdup_printf("%s.wrapper-%d", f->v2vd_throttling, (int) getpid());
        if (!g_file_set_contents(tmp, buf, n, NULL) || rename(tmp, f->v2vd_throttling) < 0) {
                (void) unlink(tmp);
                wlog(f, "throttling: cannot hand the new limits to v2vd: %s", g_strerror(errno));
                return;
        }
        g_strstrip(buf);
        wlog(f, "throttling: new limits handed to v2vd: %s", buf);
}

static void send_cancel(Follow *f) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!f->ctl->bus && ctl_connect(f->ctl) < 0) {
                wlog(f, "cancel: cannot connect to the bus; trying again");
                return;
        }
        r = sd_bus_call_method(f->ctl->bus, V2VD_BUS_NAME, f->job_path, V2VD_JOB_INTERFACE, "Cancel", &error, NULL, NULL);
        if (r < 0 &&
            !sd_bus_error_has_names(&error, V2VD_ERROR_PREFIX "JobFinished", V2VD_ERROR_PREFIX "NoSuchJob")) {
                /* the bus or v2vd restarting: the next tick tries again */
                wlog(f, "cancel: %s; trying again", error.message ?: g_strerror(-r));
                f->ctl->bus = sd_bus_flush_close_unref(f->ctl->bus);
                return;
        }
        f->cancel_sent = true;
        wlog(f, "signal received: job %s", r < 0 ? "had already finished" : "cancelled");
}

/* The background process: follows the job until it ends. */
static int follow_job(Follow *f) {
        unsigned gone = 0;

        for (;;) {
                if (cancel_requested && !f->cancel_sent)
                        send_cancel(f);
                sync_throttling(f);
                sync_v2v_log(f);
                int r = sync_state(f);
                if (r == 1) {
                        sync_v2v_log(f);
                        wlog(f, "the job has finished");
                        return 0;
                }
                gone = r == -ENOENT ? gone + 1 : 0;
                if (gone >= GONE_TICKS) {
                        wlog(f, "v2vd's state file %s is gone; the job was removed", f->v2vd_state);
                        (void) write_owned(f, "state.json", "{\"finished\": true, \"failed\": true, \"disks\": [], "
                                           "\"last_message\": {\"message\": \"the job was removed from v2vd\", "
                                           "\"type\": \"error\"}}\n");
                        return -ENOENT;
                }
                g_usleep(TICK_MS * 1000);
        }
}

/* Tells the waiting parent "OK", or why not. */
static void ready(int fd, const char *err) {
        g_autofree char *msg = g_strconcat(err ? "ERR " : "OK", err, NULL);

        (void) !write(fd, msg, strlen(msg));
        close(fd);
}

/* In the grandchild: everything that must hold before the orchestrator is
 * told the paths. Returns an error text, or NULL. */
static char *follow_setup(Follow *f, GPtrArray *notes) {
        g_autofree char *base = wrapper_base_dir(f->ctl);
        int r;

        r = make_job_dir(f, base);
        if (r < 0)
                return g_strdup_printf("cannot create %s/%s: %s", base, f->id, g_strerror(-r));
        wlog(f, "virt-v2v-wrapper mode of v2vctl %s: v2vd job %s, files for uid %u",
             V2VD_VERSION, f->id, (unsigned) f->uid);
        for (guint i = 0; i < notes->len; i++)
                wlog(f, "%s", (char *) notes->pdata[i]);
        wlog(f, "following the job as pid %d; until virt-v2v runs that is the state file's pid, "
             "and SIGTERM to it cancels the job", (int) getpid());
        r = sync_state(f);
        if (r == -ENOENT) {
                g_usleep(TICK_MS * 1000);
                r = sync_state(f);
        }
        if (r < 0)
                return g_strdup_printf("cannot write the state file in %s/%s: %s", base, f->id, g_strerror(-r));
        return NULL;
}

static void print_paths(const Ctl *c, const char *dir) {
        g_autoptr(JsonObject) out = json_object_new();
        g_autoptr(JsonNode) root = NULL;
        Ctl oneline = *c;

        static const char *const files[][2] = {
                { "v2v_log", "v2v.log" },
                { "wrapper_log", "wrapper.log" },
                { "state_file", "state.json" },
                { "throttling_file", "throttling.json" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
                g_autofree char *path = g_build_filename(dir, files[i][1], NULL);
                json_object_set_string_member(out, files[i][0], path);
        }
        root = json_node_init_object(json_node_alloc(), out);
        oneline.json = c->json == JSON_PRETTY ? JSON_PRETTY : JSON_SHORT;
        json_print(&oneline, root);
}

static void cancel_job(Ctl *c, const char *path) {
        (void) sd_bus_call_method(c->bus, V2VD_BUS_NAME, path, V2VD_JOB_INTERFACE, "Cancel", NULL, NULL, NULL);
}

int wrapper_run(Ctl *c, const char *text, const char *label) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) notes = NULL;
        g_autoptr(JsonObject) props = NULL;
        g_autofree char *spec = NULL, *base = NULL, *dir = NULL;
        __attribute__((cleanup(follow_clear))) Follow f = { .ctl = c, .dir_fd = -1, .log_fd = -1, .v2v_log_fd = -1 };
        int pipefd[2], r;
        pid_t pid;
        char msg[512] = "";
        ssize_t n;

        /* Root's job on the system's v2vd (sudo): the old wrapper's
         * vocabulary only (wrapper-compat.c). As anyone else, or to the
         * user's own v2vd, the job is the caller's and runs with its
         * rights. */
        unsigned flags = (getuid() == 0 || geteuid() == 0) && !c->user ? WRAPPER_ROOT : 0;
        if (!wrapper_translate(text, flags, &spec, &notes, &error)) {
                fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, label, error->message);
                return -EBADMSG;
        }
        r = wrapper_owner(&f.uid, &f.gid);
        if (r < 0) {
                fprintf(stderr, "%s: SUDO_UID/SUDO_GID are not numbers\n", program_invocation_short_name);
                return r;
        }
        r = ctl_create_job(c, spec, label, &f.id, &f.job_path);
        if (r < 0)
                return r;
        r = ctl_job_properties(c, f.job_path, &props);
        if (r < 0) {
                cancel_job(c, f.job_path);
                return r;
        }
        f.v2vd_state = g_strdup(json_get_str(props, "state_file"));
        f.v2vd_log = g_strdup(json_get_str(props, "log_file"));
        f.v2vd_throttling = g_strdup(json_get_str(props, "throttling_file"));
        base = wrapper_base_dir(c);
        dir = g_build_filename(base, f.id, NULL);

        fflush(stdout);
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* The old wrapper's daemonize(): own session, no terminal,
                 * stdio on /dev/null so the ssh channel can close. */
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                close(pipefd[0]);
                if (setsid() < 0 || null < 0)
                        _exit(1);
                pid = fork();
                if (pid != 0)
                        _exit(pid < 0);
                (void) dup2(null, STDIN_FILENO);
                (void) dup2(null, STDOUT_FILENO);
                (void) dup2(null, STDERR_FILENO);
                close(null);
                if (chdir("/") < 0)
                        _exit(1);
                /* The parent's bus connection is not ours to use. */
                close(sd_bus_get_fd(c->bus));
                c->bus = NULL;
                signal(SIGPIPE, SIG_IGN);
                struct sigaction sa = { .sa_handler = on_cancel_signal };
                sigaction(SIGTERM, &sa, NULL);
                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGHUP, &sa, NULL);

                g_autofree char *err = follow_setup(&f, notes);
                if (err) {
                        ready(pipefd[1], err);
                        _exit(1);
                }
                ready(pipefd[1], NULL);
                _exit(follow_job(&f) < 0);
        }
        close(pipefd[1]);
        n = read(pipefd[0], msg, sizeof msg - 1);
        close(pipefd[0]);
        (void) waitpid(pid, NULL, 0);
        msg[MAX(n, 0)] = '\0';
        if (strcmp(msg, "OK") != 0) {
                fprintf(stderr, "%s: %s\n", program_invocation_short_name,
                        g_str_has_prefix(msg, "ERR ") ? msg + 4 : "the background process failed");
                cancel_job(c, f.job_path);
                return -EIO;
        }
        print_paths(c, dir);
        return 0;
}
