/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/text-escape.h"
#include "host/helper.h"
#include "host/util.h"

/* ------------------------------------------------------------ counts */

static GHashTable *running_per_uid;     /* uid → helpers not reaped yet */
static unsigned running_total;

static unsigned running_of(uid_t uid) {
        return running_per_uid ? GPOINTER_TO_UINT(g_hash_table_lookup(running_per_uid, GUINT_TO_POINTER(uid))) : 0;
}

static void running_add(uid_t uid, int delta) {
        unsigned n = running_of(uid) + (unsigned) delta;

        if (!running_per_uid && delta < 0)
                return;         /* after helpers_free_all() */
        if (!running_per_uid)
                running_per_uid = g_hash_table_new(g_direct_hash, g_direct_equal);
        if (n == 0)
                g_hash_table_remove(running_per_uid, GUINT_TO_POINTER(uid));
        else
                g_hash_table_insert(running_per_uid, GUINT_TO_POINTER(uid), GUINT_TO_POINTER(n));
        running_total += (unsigned) delta;
}

int helper_slot_take(uid_t uid) {
        if (running_of(uid) >= HELPERS_PER_UID)
                return -EUSERS;
        if (running_total >= HELPERS_MAX)
                return -EAGAIN;
        running_add(uid, +1);
        return 0;
}

void helper_slot_release(uid_t uid) {
        running_add(uid, -1);
}

/* ------------------------------------------------------------ stderr */

typedef struct StderrWatch {
        sd_event_source *io;
        uid_t uid;
        char *what;
        char *job_id;
        GString *line;
        unsigned lines;
        bool dropped;
} StderrWatch;

static GList *watches;          /* StderrWatch* */
static GList *helpers;          /* Helper* */

static uint64_t rate_window_start;
static unsigned rate_lines, rate_dropped;

static void stderr_watch_free(StderrWatch *w) {
        watches = g_list_remove(watches, w);
        sd_event_source_disable_unref(w->io);   /* closes the fd (io_fd_own) */
        g_free(w->what);
        g_free(w->job_id);
        g_string_free(w->line, TRUE);
        g_free(w);
}

static bool rate_allows(void) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (now - rate_window_start >= 60 * 1000000ULL) {
                if (rate_dropped > 0)
                        log_warning("%u lines of helpers' output were not logged in the last minute (more than %u)",
                                    rate_dropped, HELPER_LOG_RATE);
                rate_window_start = now;
                rate_lines = rate_dropped = 0;
        }
        if (rate_lines >= HELPER_LOG_RATE) {
                rate_dropped++;
                return false;
        }
        rate_lines++;
        return true;
}

static void stderr_line(StderrWatch *w) {
        g_autofree char *text = NULL;

        if (w->line->len == 0)
                return;
        if (w->lines >= HELPER_LOG_LINES || !rate_allows()) {
                if (!w->dropped && w->lines >= HELPER_LOG_LINES)
                        log_struct_caller(LOG_NOTICE, w->job_id, w->uid, "%s (as uid %u): more output not logged",
                                          w->what, (unsigned) w->uid);
                w->dropped = true;
                g_string_truncate(w->line, 0);
                return;
        }
        w->lines++;
        /* one journal line, nothing it could take for a prefix or a field */
        text = v2v_text_escape(w->line->str, 0);
        log_struct_caller(LOG_NOTICE, w->job_id, w->uid, "%s (as uid %u) said: %s", w->what, (unsigned) w->uid,
                          text);
        g_string_truncate(w->line, 0);
}

static int on_stderr(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        StderrWatch *w = userdata;
        char buf[4096];
        ssize_t n;

        n = read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                stderr_line(w);
                stderr_watch_free(w);
                return 0;
        }
        for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                        stderr_line(w);
                        continue;
                }
                if (w->line->len < HELPER_LOG_LINE_MAX)
                        g_string_append_c(w->line, buf[i]);
        }
        return 0;
}

int helper_stderr_watch(sd_event *e, int fd, uid_t uid, const char *what, const char *job_id) {
        StderrWatch *w;
        int r;

        if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        w = g_new0(StderrWatch, 1);
        w->uid = uid;
        w->what = g_strdup(what);
        w->job_id = g_strdup(job_id);
        w->line = g_string_new(NULL);
        r = sd_event_add_io(e, &w->io, fd, EPOLLIN, on_stderr, w);
        if (r < 0) {
                close(fd);
                stderr_watch_free(w);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(w->io, true);
        (void) sd_event_source_set_description(w->io, "helper-stderr");
        watches = g_list_prepend(watches, w);
        return 0;
}

/* ------------------------------------------------------------ helpers */

struct Helper {
        pid_t pid;
        uid_t uid;
        char *what;
        HelperDone done;                /* NULL once called or abandoned */
        void *userdata;
        GDestroyNotify free_userdata;   /* until done() is called, which takes userdata over */
        GString *out;
        size_t output_max;
        int out_fd;
        bool eof, exited;
        int status;
        sd_event_source *io, *child, *timer;
};

static void helper_free(Helper *h) {
        helpers = g_list_remove(helpers, h);
        sd_event_source_disable_unref(h->io);
        sd_event_source_disable_unref(h->child);
        sd_event_source_disable_unref(h->timer);
        if (h->out_fd >= 0)
                close(h->out_fd);
        if (h->free_userdata)
                h->free_userdata(h->userdata);
        g_string_free(h->out, TRUE);
        g_free(h->what);
        g_free(h);
}

static void helper_answer(Helper *h, int status) {
        HelperDone done = h->done;

        h->done = NULL;
        if (done) {
                h->free_userdata = NULL;
                done(status, h->out->str, h->out->len, h->userdata);
        }
}

static void helper_maybe_end(Helper *h) {
        if (!h->exited)
                return;
        if (h->eof || !h->done) {
                if (WIFEXITED(h->status))
                        helper_answer(h, WEXITSTATUS(h->status));
                else
                        helper_answer(h, -EIO);
                helper_slot_release(h->uid);
                helper_free(h);
        }
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Helper *h = userdata;
        char buf[4096];
        ssize_t n;

        n = read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n > 0) {
                if (h->out->len < h->output_max)
                        g_string_append_len(h->out, buf, (gssize) MIN((size_t) n, h->output_max - h->out->len));
                return 0;
        }
        h->eof = true;
        h->io = sd_event_source_disable_unref(h->io);
        close(h->out_fd);
        h->out_fd = -1;
        helper_maybe_end(h);
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Helper *h = userdata;

        h->exited = true;
        h->status = si->si_code == CLD_EXITED ? W_EXITCODE(si->si_status, 0) : si->si_status;
        h->child = sd_event_source_disable_unref(h->child);
        /* Whatever it started holds no answer of its: the pipe's other
         * ends go with the group. */
        (void) kill(-h->pid, SIGKILL);
        helper_maybe_end(h);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Helper *h = userdata;

        h->timer = sd_event_source_disable_unref(h->timer);
        (void) kill(-h->pid, SIGKILL);
        if (h->done)
                log_warning("%s as uid %u did not end in time; killed", h->what, (unsigned) h->uid);
        helper_answer(h, -ETIME);
        return 0;
}

void helper_abandon(Helper *h) {
        if (!h)
                return;
        h->done = NULL;
        (void) kill(-h->pid, SIGKILL);
}

int helper_start(sd_event *e, const SpawnOptions *spawn_options, const HelperOptions *o, HelperDone done,
                 void *userdata, GDestroyNotify free_userdata, Helper **ret) {
        __attribute__((cleanup(spawned_close))) Spawned child = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        SpawnOptions so = *spawn_options;
        Helper *h;
        int r;

        r = helper_slot_take(o->uid);
        if (r < 0)
                return r;
        so.flags |= SPAWN_STDOUT_PIPE | SPAWN_STDERR_PIPE | SPAWN_NEW_PROCESS_GROUP;
        so.flags &= ~(SpawnFlags) (SPAWN_STDOUT_FD | SPAWN_STDERR_FD);
        r = spawn(&so, &child);
        if (r < 0) {
                helper_slot_release(o->uid);
                return r;
        }
        h = g_new0(Helper, 1);
        h->pid = child.pid;
        h->uid = o->uid;
        h->what = g_strdup(o->what);
        h->done = done;
        h->userdata = userdata;
        h->free_userdata = free_userdata;
        h->out = g_string_new(NULL);
        h->output_max = o->output_max;
        h->out_fd = child.stdout_fd;
        child.stdout_fd = -1;
        helpers = g_list_prepend(helpers, h);
        r = sd_event_add_child(e, &h->child, h->pid, WEXITED, on_child, h);
        if (r < 0) {
                /* Cannot follow it: kill and reap it here (it has not run
                 * anything of the caller's for long). */
                (void) kill(-h->pid, SIGKILL);
                (void) waitpid(h->pid, NULL, 0);
                helper_slot_release(o->uid);
                h->free_userdata = NULL;        /* the caller's still */
                helper_free(h);
                return r;
        }
        if (fcntl(h->out_fd, F_SETFL, O_NONBLOCK) < 0 ||
            (r = sd_event_add_io(e, &h->io, h->out_fd, EPOLLIN, on_output, h)) < 0 ||
            (r = sd_event_add_time_relative(e, &h->timer, CLOCK_MONOTONIC, o->timeout_usec, 100 * 1000,
                                            on_timeout, h)) < 0) {
                r = r < 0 ? r : -errno;
                h->done = NULL;
                h->free_userdata = NULL;        /* the caller's still */
                (void) kill(-h->pid, SIGKILL);
                return r;       /* on_child reaps and frees it */
        }
        (void) sd_event_source_set_description(h->child, "helper-child");
        (void) sd_event_source_set_description(h->io, "helper-output");
        (void) sd_event_source_set_description(h->timer, "helper-timeout");
        if (child.stderr_fd >= 0) {
                r = helper_stderr_watch(e, child.stderr_fd, o->uid, o->what, o->job_id);
                child.stderr_fd = -1;
                if (r < 0)
                        log_warning("cannot follow the stderr of %s: %s", o->what, g_strerror(-r));
        }
        if (ret)
                *ret = h;
        return 0;
}

void helpers_free_all(void) {
        while (helpers) {
                Helper *h = helpers->data;
                (void) kill(-h->pid, SIGKILL);
                helper_slot_release(h->uid);
                helper_free(h);
        }
        while (watches)
                stderr_watch_free(watches->data);
        g_clear_pointer(&running_per_uid, g_hash_table_unref);
}
