/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Following a job: `v2vctl watch ID`, `v2vctl submit --wait` and
 * `v2vctl log -f`. Everything comes from the daemon's signals
 * (PropertiesChanged on the job, JobRemoved, NameOwnerChanged of
 * org.v2vd.V2V1): the client never polls the daemon. On a terminal there is
 * a live area (a header and one bar per disk) redrawn in place, with phases
 * and warnings printed above it; otherwise one plain line per event.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "output.h"
#include "v2vctl.h"

typedef struct Sample {
        uint64_t t;     /* monotonic µs */
        double progress;
} Sample;

typedef struct DiskTrack {
        char *path;
        double progress;
        uint64_t size;          /* bytes; 0 = unknown */
        GArray *samples;        /* Sample, the last few seconds */
        int last_decile;
} DiskTrack;

typedef struct Watch {
        Ctl *ctl;
        const char *id;
        const char *path;
        sd_event *event;
        JsonObject *props;
        GPtrArray *disks;       /* DiskTrack* */
        bool tty;
        bool utf8;
        unsigned lines_drawn;
        char *shown_state;
        char *shown_phase;
        char *shown_message;
        bool daemon_gone;
        bool done;
        int result;
} Watch;

#define RATE_WINDOW_USEC (8 * G_USEC_PER_SEC)

static bool state_is_final(const char *s) {
        return g_str_equal(s, "succeeded") || g_str_equal(s, "failed") || g_str_equal(s, "cancelled");
}

static void disk_track_free(gpointer p) {
        DiskTrack *d = p;

        g_free(d->path);
        g_array_unref(d->samples);
        g_free(d);
}

/* Virtual size of a local image: qcow2 header or the file size (raw). */
static uint64_t local_image_size(const char *path) {
        unsigned char header[32];
        struct stat st;
        int fd;
        ssize_t n;
        uint64_t size = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return 0;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return 0;
        }
        n = pread(fd, header, sizeof header, 0);
        if (n == (ssize_t) sizeof header && memcmp(header, "QFI\xfb", 4) == 0) {
                for (int i = 24; i < 32; i++)
                        size = (size << 8) | header[i];
        } else
                size = (uint64_t) st.st_size;
        close(fd);
        return size;
}

static void disks_update(Watch *w, uint64_t now) {
        JsonNode *n = json_object_get_member(w->props, "disks");
        JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
        guint len = a ? json_array_get_length(a) : 0;

        for (guint i = 0; i < len; i++) {
                JsonObject *o = json_array_get_object_element(a, i);
                const char *p = json_get_str(o, "path");
                double progress = json_get_double(o, "progress");
                DiskTrack *d;

                if (i >= w->disks->len) {
                        d = g_new0(DiskTrack, 1);
                        d->samples = g_array_new(FALSE, FALSE, sizeof(Sample));
                        d->last_decile = -1;
                        g_ptr_array_add(w->disks, d);
                }
                d = w->disks->pdata[i];
                if (!d->path || !g_str_equal(d->path, p)) {
                        g_free(d->path);
                        d->path = g_strdup(p);
                        /* Sizes of a remote host's files are not ours to stat. */
                        d->size = w->ctl->host || !*p ? 0 : local_image_size(p);
                }
                if (d->samples->len == 0 || progress != d->progress) {
                        Sample s = { .t = now, .progress = progress };
                        /* Waiting at 0% says nothing about the copy rate. */
                        if (d->progress <= 0)
                                g_array_set_size(d->samples, 0);
                        g_array_append_val(d->samples, s);
                        while (d->samples->len > 2 &&
                               g_array_index(d->samples, Sample, 1).t + RATE_WINDOW_USEC < now)
                                g_array_remove_index(d->samples, 0);
                }
                d->progress = progress;
        }
        if (w->disks->len > len)
                g_ptr_array_set_size(w->disks, len);
}

/* Percent per second over the last few seconds, < 0 when not known yet. */
static double disk_rate(const DiskTrack *d, uint64_t now) {
        const Sample *first, *last;
        double dt;

        if (d->samples->len < 2)
                return -1;
        first = &g_array_index(d->samples, Sample, 0);
        last = &g_array_index(d->samples, Sample, d->samples->len - 1);
        /* Stalled since the last change: let the rate decay with time. */
        dt = (double) (MAX(now, last->t) - first->t) / G_USEC_PER_SEC;
        if (dt < 0.5 || last->progress <= first->progress)
                return dt >= 0.5 && d->progress < 100 ? 0 : -1;
        return (last->progress - first->progress) / dt;
}

static const char *disk_name(const DiskTrack *d) {
        const char *slash = d->path ? strrchr(d->path, '/') : NULL;

        return slash && slash[1] ? slash + 1 : (d->path && *d->path ? d->path : "disk");
}

static char *disk_line(Watch *w, guint i, unsigned width, uint64_t now) {
        const DiskTrack *d = w->disks->pdata[i];
        double rate = disk_rate(d, now), p = CLAMP(d->progress, 0, 100);
        g_autofree char *label = NULL, *name = NULL, *rate_text = NULL, *eta = NULL;
        GString *bar = g_string_new(NULL);
        const char *full = w->utf8 ? "█" : "#", *empty = w->utf8 ? "░" : "-";
        unsigned bar_width, filled;
        char *line;

        label = g_strdup_printf("%u/%u", i + 1, w->disks->len);
        name = ellipsize(disk_name(d), 16, true);
        if (p >= 100)
                rate_text = g_strdup("");
        else if (rate < 0)
                rate_text = g_strdup("…");
        else if (d->size > 0) {
                g_autofree char *b = format_bytes((uint64_t) (rate / 100.0 * (double) d->size));
                rate_text = g_strdup_printf("%s/s", b);
        } else
                rate_text = g_strdup_printf("%.1f%%/s", rate);
        if (p >= 100)
                eta = g_strdup("done");
        else if (rate > 0)
                eta = format_clock((uint64_t) ((100.0 - p) / rate * G_USEC_PER_SEC));
        else
                eta = g_strdup("-:--");

        /* "  1/2 name-16chars [bar] 100.0%  123.4 MiB/s  ETA 1:02:03" */
        bar_width = width > 60 + 10 ? width - 60 : 10;
        bar_width = MIN(bar_width, 50u);
        filled = (unsigned) (p / 100.0 * bar_width + 0.5);
        for (unsigned k = 0; k < bar_width; k++)
                g_string_append(bar, k < filled ? full : empty);
        line = g_strdup_printf("  %-5s %-16s [%s] %5.1f%%  %11s  ETA %s", label, name, bar->str, p, rate_text, eta);
        g_string_free(bar, TRUE);
        return line;
}

static char *header_line(Watch *w, uint64_t now_real) {
        const char *state = json_get_str(w->props, "state");
        const char *phase = json_get_str(w->props, "phase");
        uint64_t started = (uint64_t) json_get_int(w->props, "started_at");
        uint64_t finished = (uint64_t) json_get_int(w->props, "finished_at");
        uint64_t expected = (uint64_t) json_get_int(w->props, "expected_end_time");
        GString *s = g_string_new(NULL);

        g_string_append_printf(s, "%s Job %s (%s) %s", w->utf8 ? "●" : "*", w->id,
                               json_get_str(w->props, "vm_name"), state);
        if (*phase && !state_is_final(state))
                g_string_append_printf(s, " · %s", phase);
        if (!w->utf8)
                g_strdelimit(s->str, "·", '-');
        g_string_append_printf(s, "  %.1f%%", json_get_double(w->props, "progress"));
        if (started > 0) {
                g_autofree char *elapsed = format_clock((finished > started ? finished : MAX(now_real, started)) - started);
                g_string_append_printf(s, "  %s", elapsed);
        }
        if (expected > now_real && !state_is_final(state)) {
                g_autofree char *eta = format_clock(expected - now_real);
                g_string_append_printf(s, "  ETA %s", eta);
        }
        return g_string_free(s, FALSE);
}

/* Redraws the live area in place, with PERMANENT (if any) printed above it. */
static void live_redraw(Watch *w, const char *permanent) {
        unsigned width = output_columns();
        uint64_t now = now_monotonic_usec(), now_real = now_realtime_usec();
        g_autoptr(GString) out = g_string_new(NULL);
        unsigned n = 0;

        if (width < 20)
                width = 20;
        if (w->lines_drawn > 0)
                g_string_append_printf(out, "\033[%uA", w->lines_drawn);
        g_string_append_c(out, '\r');
        if (permanent)
                g_string_append_printf(out, "\033[K%s\n", permanent);
        {
                g_autofree char *h = header_line(w, now_real);
                g_autofree char *e = ellipsize(h, width - 1, false);
                g_string_append_printf(out, "\033[K%s\n", e);
                n++;
        }
        for (guint i = 0; i < w->disks->len; i++) {
                g_autofree char *l = disk_line(w, i, width, now);
                g_autofree char *e = ellipsize(l, width - 1, false);
                g_string_append_printf(out, "\033[K%s\n", e);
                n++;
        }
        g_string_append(out, "\033[J");
        fputs(out->str, stdout);
        fflush(stdout);
        w->lines_drawn = n;
}

static void emit_line(Watch *w, const char *text) {
        if (w->tty)
                live_redraw(w, text);
        else {
                printf("%s\n", text);
                fflush(stdout);
        }
}

static bool replace_string(char **slot, const char *value) {
        if (*slot && g_str_equal(*slot, value))
                return false;
        g_free(*slot);
        *slot = g_strdup(value);
        return true;
}

static void print_summary(Watch *w, const char *state) {
        uint64_t started = (uint64_t) json_get_int(w->props, "started_at");
        uint64_t finished = (uint64_t) json_get_int(w->props, "finished_at");
        JsonNode *lm = json_object_get_member(w->props, "last_message");
        JsonObject *msg = lm && JSON_NODE_HOLDS_OBJECT(lm) ? json_node_get_object(lm) : NULL;
        const char *vm = json_get_str(w->props, "vm_name");
        g_autofree char *took = NULL;

        if (started > 0 && finished > started)
                took = format_timespan(finished - started);
        if (g_str_equal(state, "succeeded"))
                printf("Job %s (%s) succeeded%s%s.\n", w->id, vm, took ? " after " : "", took ?: "");
        else if (g_str_equal(state, "cancelled"))
                printf("Job %s (%s) was cancelled.\n", w->id, vm);
        else {
                int64_t rc = json_get_int(w->props, "return_code");
                const char *type = json_get_str(msg, "type"), *text = json_get_str(msg, "text");
                if (rc >= 0)
                        printf("Job %s (%s) failed (virt-v2v exit status %" G_GINT64_FORMAT ")", w->id, vm, rc);
                else
                        printf("Job %s (%s) failed", w->id, vm);
                if (*text && g_str_equal(type, "error"))
                        printf(": %s", text);
                printf("\nSee its log with: v2vctl%s log %s\n", w->ctl->user ? " --user" : "", w->id);
        }
        fflush(stdout);
}

static void watch_finish(Watch *w, int result) {
        if (w->done)
                return;
        w->done = true;
        w->result = result;
        (void) sd_event_exit(w->event, 0);
}

/* Everything that follows from new property values. */
static void watch_update(Watch *w) {
        uint64_t now = now_monotonic_usec();
        const char *state = json_get_str(w->props, "state");
        const char *phase = json_get_str(w->props, "phase");
        JsonNode *lm = json_object_get_member(w->props, "last_message");
        JsonObject *msg = lm && JSON_NODE_HOLDS_OBJECT(lm) ? json_node_get_object(lm) : NULL;
        const char *type = json_get_str(msg, "type"), *text = json_get_str(msg, "text");
        bool drawn = false;

        disks_update(w, now);

        /* The end is told by print_summary(). */
        if (replace_string(&w->shown_state, state) && !w->tty && !state_is_final(state)) {
                g_autofree char *l = g_strdup_printf("job %s: %s", w->id, state);
                emit_line(w, l);
        }
        if (*text && (g_str_equal(type, "warning") || g_str_equal(type, "error"))) {
                g_autofree char *key = g_strdup_printf("%s: %s", type, text);
                if (replace_string(&w->shown_message, key)) {
                        g_autofree char *l = g_strdup_printf("job %s: %s", w->id, key);
                        emit_line(w, l);
                        drawn = true;
                }
        }
        if (*phase && !state_is_final(state) && replace_string(&w->shown_phase, phase)) {
                uint64_t started = (uint64_t) json_get_int(w->props, "started_at");
                uint64_t real = now_realtime_usec();
                g_autofree char *clock = format_clock(started > 0 && real > started ? real - started : 0);
                g_autofree char *l = w->tty ? g_strdup_printf("[%6s] %s", clock, phase)
                                            : g_strdup_printf("job %s: %s", w->id, phase);
                emit_line(w, l);
                drawn = true;
        }
        if (!w->tty) {
                for (guint i = 0; i < w->disks->len; i++) {
                        DiskTrack *d = w->disks->pdata[i];
                        int decile = (int) (CLAMP(d->progress, 0, 100) / 10.0);
                        if (decile != d->last_decile) {
                                g_autofree char *l = g_strdup_printf("job %s: disk %u/%u (%s) %3d%%", w->id, i + 1,
                                                                     w->disks->len, disk_name(d), decile * 10);
                                d->last_decile = decile;
                                emit_line(w, l);
                        }
                }
        } else if (!drawn)
                live_redraw(w, NULL);

        if (state_is_final(state)) {
                if (w->tty)
                        live_redraw(w, NULL);
                print_summary(w, state);
                watch_finish(w, g_str_equal(state, "succeeded") ? 0 : -ECANCELED);
        }
}

static int reload_properties(Watch *w) {
        g_autoptr(JsonObject) o = NULL;
        int r;

        r = ctl_job_properties(w->ctl, w->path, &o);
        if (r < 0)
                return r;
        if (w->props)
                json_object_unref(w->props);
        w->props = g_steal_pointer(&o);
        watch_update(w);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *iface;
        int r;

        if (w->done)
                return 0;
        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || !g_str_equal(iface, V2VD_JOB_INTERFACE))
                return 0;
        r = job_properties_merge(m, w->props);
        if (r < 0) {
                fprintf(stderr, "v2vctl: cannot parse a PropertiesChanged signal: %s\n", g_strerror(-r));
                return 0;
        }
        /* Invalidated properties (none are, today) mean: read them again. */
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r > 0 && sd_bus_message_at_end(m, false) == 0) {
                (void) reload_properties(w);
                return 0;
        }
        watch_update(w);
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *id, *path;

        if (sd_bus_message_read(m, "so", &id, &path) < 0 || !g_str_equal(id, w->id) || w->done)
                return 0;
        if (w->tty && w->lines_drawn > 0)
                fputc('\n', stdout);
        fprintf(stderr, "v2vctl: job %s was removed\n", w->id);
        watch_finish(w, -ENXIO);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || w->done)
                return 0;
        if (!g_str_equal(name, V2VD_BUS_NAME))
                return 0;
        if (!*new_owner && !w->daemon_gone) {
                w->daemon_gone = true;
                emit_line(w, "v2vd stopped; the conversion goes on. Waiting for v2vd to come back…");
        } else if (*new_owner && w->daemon_gone) {
                w->daemon_gone = false;
                emit_line(w, "v2vd is back.");
                if (reload_properties(w) < 0)
                        watch_finish(w, -ENXIO);
        }
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Watch *w = userdata;

        if (w->tty && w->lines_drawn > 0)
                fflush(stdout);
        fprintf(stderr, "\nv2vctl: stopped watching; job %s keeps running. "
                "Follow it again with 'v2vctl watch %s', stop it with 'v2vctl cancel %s'.\n",
                w->id, w->id, w->id);
        watch_finish(w, -EINTR);
        return 0;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        Watch *w = userdata;
        int r;

        /* Only the clock and the rates move: no bus traffic. */
        if (!w->done)
                live_redraw(w, NULL);
        r = sd_event_source_set_time(s, usec + G_USEC_PER_SEC);
        if (r < 0)
                return r;
        /* Timer sources are one-shot: arm it again. */
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;

        if (w->done)
                return 0;
        fprintf(stderr, "\nv2vctl: lost the connection to the bus%s%s; job %s goes on\n",
                w->ctl->host ? " on " : "", w->ctl->host ?: "", w->id);
        watch_finish(w, -EHOSTDOWN);
        return 0;
}

int watch_job(Ctl *c, const char *id, const char *path) {
        __attribute__((cleanup(sd_event_unrefp))) sd_event *event = NULL;
        __attribute__((cleanup(sd_bus_slot_unrefp))) sd_bus_slot *slot_props = NULL;
        __attribute__((cleanup(sd_bus_slot_unrefp))) sd_bus_slot *slot_removed = NULL;
        __attribute__((cleanup(sd_bus_slot_unrefp))) sd_bus_slot *slot_owner = NULL;
        __attribute__((cleanup(sd_bus_slot_unrefp))) sd_bus_slot *slot_disconnected = NULL;
        __attribute__((cleanup(sd_event_source_unrefp))) sd_event_source *sigint = NULL;
        __attribute__((cleanup(sd_event_source_unrefp))) sd_event_source *sigterm = NULL;
        __attribute__((cleanup(sd_event_source_unrefp))) sd_event_source *tick = NULL;
        g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(disk_track_free);
        g_autofree char *rule = NULL;
        sigset_t mask, old_mask;
        Watch w = {
                .ctl = c,
                .id = id,
                .path = path,
                .disks = disks,
                .tty = output_is_tty(),
                .utf8 = output_utf8(),
        };
        int r;

        r = sd_event_new(&event);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot create an event loop");
        w.event = event;
        r = sd_bus_attach_event(c->bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot attach the bus to the event loop");

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, &old_mask);
        (void) sd_event_add_signal(event, &sigint, SIGINT, on_signal, &w);
        (void) sd_event_add_signal(event, &sigterm, SIGTERM, on_signal, &w);

        /* Subscribe first, then read the state: nothing can be missed. */
        r = sd_bus_match_signal(c->bus, &slot_props, V2VD_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_properties_changed, &w);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, &slot_removed, V2VD_BUS_NAME, V2VD_MANAGER_PATH,
                                        V2VD_MANAGER_INTERFACE, "JobRemoved", on_job_removed, &w);
        if (r >= 0) {
                rule = g_strdup_printf("type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                       "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                                       V2VD_BUS_NAME);
                r = sd_bus_add_match(c->bus, &slot_owner, rule, on_name_owner_changed, &w);
        }
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, &slot_disconnected, "org.freedesktop.DBus.Local",
                                        "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                        "Disconnected", on_disconnected, &w);
        if (r < 0) {
                r = ctl_log_bus_error(c, NULL, r, "cannot subscribe to the job's signals");
                goto finish;
        }

        r = reload_properties(&w);
        if (r < 0)
                goto finish;

        if (!w.done) {
                if (w.tty) {
                        (void) sd_event_add_time(event, &tick, CLOCK_MONOTONIC,
                                                 now_monotonic_usec() + G_USEC_PER_SEC, 0, on_tick, &w);
                }
                r = sd_event_loop(event);
                if (r < 0 && !w.done) {
                        r = ctl_log_bus_error(c, NULL, r, "event loop failed");
                        goto finish;
                }
        }
        r = w.done ? w.result : -EIO;

finish:
        (void) sd_bus_detach_event(c->bus);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        if (w.props)
                json_object_unref(w.props);
        g_free(w.shown_state);
        g_free(w.shown_phase);
        g_free(w.shown_message);
        return r;
}

/* ------------------------------------------------------------------- log */

typedef struct LogFollow {
        char *state;
        bool changed;
} LogFollow;

static int on_log_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        LogFollow *f = userdata;
        g_autoptr(JsonObject) o = json_object_new();
        const char *iface;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !g_str_equal(iface, V2VD_JOB_INTERFACE))
                return 0;
        if (job_properties_merge(m, o) < 0)
                return 0;
        if (json_object_has_member(o, "state")) {
                g_free(f->state);
                f->state = g_strdup(json_get_str(o, "state"));
        }
        f->changed = true;
        return 0;
}

/* The log is virt-v2v's, which runs as the job's owner: written with every
 * control character but newline and tab made visible, a carriage return
 * (nbdcopy's progress bar) a new line (text-escape.h). A
 * UTF-8 sequence cut at the chunk's end is left for the next chunk, unless
 * it is all there is. Returns the number of the log's bytes consumed. */
static ssize_t write_log_escaped(const void *data, size_t size) {
        g_autoptr(GString) out = g_string_sized_new(size + 16);
        const unsigned flags = V2V_TEXT_KEEP_NEWLINE | V2V_TEXT_CR_NEWLINE;
        size_t n = v2v_text_escape_append(out, data, size, flags | V2V_TEXT_PARTIAL);

        if (n == 0 && size > 0)
                n = v2v_text_escape_append(out, data, size, flags);
        if (out->len > 0 && fwrite(out->str, 1, out->len, stdout) != out->len)
                return -EPIPE;
        return (ssize_t) n;
}

/* One chunk of the log at OFFSET: through the daemon (Job.ReadLog) when it
 * offers that, else from the file named by LogFile when it is on this
 * machine. Returns the number of bytes consumed, 0 at the end. */
static int log_read_chunk(Ctl *c, const char *path, const char *file, bool *use_file, uint64_t *offset) {
        char buf[65536];
        ssize_t n;
        int r;

        if (!*use_file) {
                __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
                __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
                const void *data;
                size_t size;

                r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, path, V2VD_JOB_INTERFACE, "ReadLog", &error, &reply,
                                       "tu", *offset, (uint32_t) sizeof buf);
                if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                        *use_file = true;
                        return log_read_chunk(c, path, file, use_file, offset);
                }
                if (r < 0)
                        return ctl_log_bus_error(c, &error, r, "cannot read the job's log");
                r = sd_bus_message_read_array(reply, 'y', &data, &size);
                if (r < 0)
                        return ctl_log_bus_error(c, NULL, r, "cannot parse the log chunk");
                ssize_t w = write_log_escaped(data, size);
                if (w < 0)
                        return (int) w;
                *offset += (uint64_t) w;
                fflush(stdout);
                return (int) MIN((size_t) w, (size_t) INT_MAX);
        }

        if (c->host) {
                fprintf(stderr, "v2vctl: this v2vd cannot send logs over the bus (no Job.ReadLog), "
                        "so 'log' does not work with -H; the log is %s on %s\n", file, c->host);
                return -EOPNOTSUPP;
        }
        {
                int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        r = -errno;
                        if (r == -ENOENT)
                                return 0; /* not started yet */
                        fprintf(stderr, "v2vctl: cannot read %s: %s\n", file, g_strerror(-r));
                        return r == -EACCES || r == -EPERM ? -EACCES : r;
                }
                n = pread(fd, buf, sizeof buf, (off_t) *offset);
                r = n < 0 ? -errno : 0;
                close(fd);
        }
        if (r < 0) {
                fprintf(stderr, "v2vctl: cannot read %s: %s\n", file, g_strerror(-r));
                return r;
        }
        if (n > 0) {
                n = write_log_escaped(buf, (size_t) n);
                if (n < 0)
                        return (int) n;
        }
        *offset += (uint64_t) n;
        fflush(stdout);
        return (int) n;
}

int show_log(Ctl *c, const char *id, const char *path, bool follow) {
        __attribute__((cleanup(sd_bus_slot_unrefp))) sd_bus_slot *slot = NULL;
        g_autoptr(JsonObject) props = NULL;
        LogFollow f = {};
        bool use_file = false;
        uint64_t offset = 0;
        int r;

        if (follow) {
                r = sd_bus_match_signal(c->bus, &slot, V2VD_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_log_properties_changed, &f);
                if (r < 0)
                        return ctl_log_bus_error(c, NULL, r, "cannot subscribe to the job's signals");
        }
        r = ctl_job_properties(c, path, &props);
        if (r < 0)
                return r;
        f.state = g_strdup(json_get_str(props, "state"));

        for (;;) {
                bool final = state_is_final(f.state);

                r = log_read_chunk(c, path, json_get_str(props, "log_file"), &use_file, &offset);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                /* At the end of what is there now. */
                if (!follow || final) {
                        r = 0;
                        break;
                }
                /* Wait for the job to move (its progress signals come with
                 * new output), at most a quarter of a second. */
                f.changed = false;
                while (!f.changed) {
                        r = sd_bus_process(c->bus, NULL);
                        if (r < 0)
                                break;
                        if (r > 0)
                                continue;
                        r = sd_bus_wait(c->bus, G_USEC_PER_SEC / 4);
                        if (r < 0)
                                break;
                        if (r == 0)
                                break;
                }
                if (r < 0) {
                        r = ctl_log_bus_error(c, NULL, r, "lost the connection to the bus");
                        break;
                }
        }
        g_free(f.state);
        return r;
}
