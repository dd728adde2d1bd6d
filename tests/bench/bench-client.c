/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-client: the bus and file-system side of tests/bench/v2vd-bench.py,
 * in C so that what it measures is the daemon, not a Python client.
 * Talks to the user bus ($DBUS_SESSION_BUS_ADDRESS).
 *
 *   bench-client watch OUT JOBS_DIR [--read-state]
 *       Subscribes to PropertiesChanged of every job object and watches
 *       JOBS_DIR/<id>/ for state.json being replaced. Appends to OUT, one
 *       line per event, times in CLOCK_REALTIME µs:
 *         S TIME ID PROGRESS|- DISKS|-  a PropertiesChanged, with Progress and
 *                                   Disks if it carries them (DISKS: the
 *                                   disks' progress, comma-separated)
 *         F TIME ID [CONTENT]       state.json replaced (its text with --read-state)
 *       Prints "READY" on stdout once both are set up; runs until SIGTERM.
 *   bench-client create N SPEC
 *       CreateJob(SPEC) N times, one after the other; prints each id.
 *   bench-client run SPEC
 *       Subscribes to JobFinished, calls CreateJob(SPEC) and waits for that
 *       job's JobFinished; prints "SECONDS RESULT" (CLOCK_MONOTONIC from
 *       just before CreateJob to the signal). Waits without polling, so it
 *       costs the machine nothing while a conversion runs.
 *   bench-client rtt JOB_PATH COUNT INTERVAL_MS OUT
 *       COUNT rounds of GetAll(org.v2vd.V2V1.Job) on JOB_PATH and
 *       ListJobs, INTERVAL_MS apart; writes "G USEC" and "L USEC" lines
 *       (round-trip times, CLOCK_MONOTONIC) to OUT.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "common/bus-names.h"

#define BUS_NAME   V2VD_BUS_NAME
#define MGR_PATH   V2VD_MANAGER_PATH
#define MGR_IFACE  V2VD_MANAGER_INTERFACE
#define JOB_IFACE  V2VD_JOB_INTERFACE
#define JOB_PREFIX V2VD_JOB_PATH_PREFIX "/"
#define MAX_WATCHES 4096

static uint64_t now_usec(clockid_t c) {
        struct timespec ts;

        clock_gettime(c, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static int fail(const char *what, int r) {
        fprintf(stderr, "bench-client: %s: %s\n", what, strerror(r < 0 ? -r : r));
        return 1;
}

/* ------------------------------------------------------------------ watch */

typedef struct Watch {
        FILE *out;
        const char *jobs_dir;
        bool read_state;
        int ifd;
        int jobs_wd;
        char *names[MAX_WATCHES];       /* wd → job id */
} Watch;

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        uint64_t t = now_usec(CLOCK_REALTIME);
        const char *path = sd_bus_message_get_path(m), *iface;
        double progress = -1;
        char disks[1024] = "-";
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || strcmp(iface, JOB_IFACE) != 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *name;

                if (sd_bus_message_read(m, "s", &name) < 0)
                        return 0;
                if (strcmp(name, "Progress") == 0) {
                        if (sd_bus_message_read(m, "v", "d", &progress) < 0)
                                return 0;
                } else if (strcmp(name, "Disks") == 0) {
                        const char *dpath;
                        double dp;
                        size_t len = 0;

                        if (sd_bus_message_enter_container(m, 'v', "a(sd)") < 0 ||
                            sd_bus_message_enter_container(m, 'a', "(sd)") < 0)
                                return 0;
                        disks[0] = 0;
                        while (sd_bus_message_read(m, "(sd)", &dpath, &dp) > 0 && len + 32 < sizeof disks)
                                len += (size_t) snprintf(disks + len, sizeof disks - len, "%s%g", len ? "," : "", dp);
                        if (len == 0)
                                snprintf(disks, sizeof disks, "-");
                        if (sd_bus_message_exit_container(m) < 0 || sd_bus_message_exit_container(m) < 0)
                                return 0;
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        if (progress >= 0)
                fprintf(w->out, "S %llu %s %.17g %s\n", (unsigned long long) t, path + strlen(JOB_PREFIX), progress, disks);
        else
                fprintf(w->out, "S %llu %s - %s\n", (unsigned long long) t, path + strlen(JOB_PREFIX), disks);
        return 0;
}

static void add_job_watch(Watch *w, const char *name) {
        char path[PATH_MAX];
        int wd;

        snprintf(path, sizeof path, "%s/%s", w->jobs_dir, name);
        wd = inotify_add_watch(w->ifd, path, IN_MOVED_TO | IN_ONLYDIR);
        if (wd >= 0 && wd < MAX_WATCHES && !w->names[wd])
                w->names[wd] = strdup(name);
}

static void report_state(Watch *w, uint64_t t, const char *job) {
        char path[PATH_MAX], buf[16384];
        ssize_t n = 0;
        int fd;

        if (!w->read_state) {
                fprintf(w->out, "F %llu %s\n", (unsigned long long) t, job);
                return;
        }
        snprintf(path, sizeof path, "%s/%s/state.json", w->jobs_dir, job);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                n = read(fd, buf, sizeof buf - 1);
                close(fd);
        }
        if (n < 0)
                n = 0;
        buf[n] = 0;
        for (char *p = buf; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        fprintf(w->out, "F %llu %s %s\n", (unsigned long long) t, job, buf);
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Watch *w = userdata;
        char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n = read(fd, buf, sizeof buf);
        uint64_t t = now_usec(CLOCK_REALTIME);

        for (char *p = buf; n > 0 && p < buf + n;) {
                const struct inotify_event *ev = (const struct inotify_event *) p;

                if (ev->wd == w->jobs_wd && (ev->mask & IN_ISDIR) && ev->len)
                        add_job_watch(w, ev->name);
                else if (ev->len && strcmp(ev->name, "state.json") == 0 &&
                         ev->wd >= 0 && ev->wd < MAX_WATCHES && w->names[ev->wd])
                        report_state(w, t, w->names[ev->wd]);
                p += sizeof *ev + ev->len;
        }
        return 0;
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int cmd_watch(int argc, char **argv) {
        Watch w = { .jobs_dir = argv[1], .read_state = argc > 2 && strcmp(argv[2], "--read-state") == 0 };
        sd_bus *bus = NULL;
        sd_event *e = NULL;
        sigset_t ss;
        int r;

        w.out = fopen(argv[0], "a");
        if (!w.out)
                return fail(argv[0], errno);
        setvbuf(w.out, NULL, _IOFBF, 1 << 20);
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigprocmask(SIG_BLOCK, &ss, NULL);

        r = sd_event_default(&e);
        if (r < 0)
                return fail("sd_event_default", r);
        sd_event_add_signal(e, NULL, SIGTERM, on_term, NULL);
        sd_event_add_signal(e, NULL, SIGINT, on_term, NULL);
        r = sd_bus_open_user(&bus);
        if (r < 0)
                return fail("sd_bus_open_user", r);
        r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return fail("sd_bus_attach_event", r);
        r = sd_bus_add_match(bus, NULL,
                             "type='signal',sender='" BUS_NAME "',interface='org.freedesktop.DBus.Properties',"
                             "member='PropertiesChanged',path_namespace='" V2VD_JOB_PATH_PREFIX "',arg0='" JOB_IFACE "'",
                             on_properties_changed, &w);
        if (r < 0)
                return fail("AddMatch", r);

        w.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w.ifd < 0)
                return fail("inotify_init1", errno);
        w.jobs_wd = inotify_add_watch(w.ifd, w.jobs_dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
        if (w.jobs_wd < 0)
                return fail(w.jobs_dir, errno);
        r = sd_event_add_io(e, NULL, w.ifd, EPOLLIN, on_inotify, &w);
        if (r < 0)
                return fail("sd_event_add_io", r);

        printf("READY\n");
        fflush(stdout);
        r = sd_event_loop(e);
        fflush(w.out);
        fclose(w.out);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
        return r < 0 ? fail("event loop", r) : 0;
}

/* ------------------------------------------------------------------ create */

static int cmd_create(int argc, char **argv) {
        sd_bus *bus = NULL;
        int n = atoi(argv[0]);
        int r;

        r = sd_bus_open_user(&bus);
        if (r < 0)
                return fail("sd_bus_open_user", r);
        for (int i = 0; i < n; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                const char *id, *path;

                r = sd_bus_call_method(bus, BUS_NAME, MGR_PATH, MGR_IFACE, "CreateJob", &error, &reply, "s", argv[1]);
                if (r < 0) {
                        fprintf(stderr, "bench-client: CreateJob: %s\n", error.message ?: strerror(-r));
                        return 1;
                }
                if (sd_bus_message_read(reply, "so", &id, &path) >= 0)
                        printf("%s\n", id);
                sd_bus_message_unref(reply);
        }
        fflush(stdout);
        sd_bus_flush_close_unref(bus);
        return 0;
}

/* ------------------------------------------------------------------ run */

typedef struct Run {
        char id[128];
        char result[64];
        uint64_t end;
        bool done;
} Run;

static int on_job_finished(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Run *run = userdata;
        const char *id, *path, *result;

        if (sd_bus_message_read(m, "sos", &id, &path, &result) < 0)
                return 0;
        if (run->id[0] && strcmp(id, run->id) == 0 && !run->done) {
                run->end = now_usec(CLOCK_MONOTONIC);
                snprintf(run->result, sizeof run->result, "%s", result);
                run->done = true;
        }
        return 0;
}

static int cmd_run(int argc, char **argv) {
        sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        Run run = {};
        const char *id, *path;
        uint64_t start;
        int r;

        r = sd_bus_open_user(&bus);
        if (r < 0)
                return fail("sd_bus_open_user", r);
        r = sd_bus_match_signal(bus, NULL, BUS_NAME, MGR_PATH, MGR_IFACE, "JobFinished", on_job_finished, &run);
        if (r < 0)
                return fail("AddMatch", r);
        start = now_usec(CLOCK_MONOTONIC);
        r = sd_bus_call_method(bus, BUS_NAME, MGR_PATH, MGR_IFACE, "CreateJob", &error, &reply, "s", argv[0]);
        if (r < 0) {
                fprintf(stderr, "bench-client: CreateJob: %s\n", error.message ?: strerror(-r));
                return 1;
        }
        r = sd_bus_message_read(reply, "so", &id, &path);
        if (r < 0)
                return fail("CreateJob reply", r);
        snprintf(run.id, sizeof run.id, "%s", id);
        sd_bus_message_unref(reply);
        while (!run.done) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return fail("sd_bus_process", r);
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return fail("sd_bus_wait", r);
        }
        printf("%.3f %s %s\n", (double) (run.end - start) / 1e6, run.result, run.id);
        sd_bus_flush_close_unref(bus);
        return 0;
}

/* ------------------------------------------------------------------ rtt */

static int cmd_rtt(int argc, char **argv) {
        sd_bus *bus = NULL;
        const char *job = argv[0];
        int count = atoi(argv[1]);
        uint64_t interval = (uint64_t) atoi(argv[2]) * 1000u;
        FILE *out = fopen(argv[3], "w");
        int r;

        if (!out)
                return fail(argv[3], errno);
        r = sd_bus_open_user(&bus);
        if (r < 0)
                return fail("sd_bus_open_user", r);
        for (int i = 0; i < count; i++) {
                for (int k = 0; k < 2; k++) {
                        sd_bus_error error = SD_BUS_ERROR_NULL;
                        sd_bus_message *reply = NULL;
                        uint64_t t0 = now_usec(CLOCK_MONOTONIC), t1;

                        if (k == 0)
                                r = sd_bus_call_method(bus, BUS_NAME, job, "org.freedesktop.DBus.Properties", "GetAll",
                                                       &error, &reply, "s", JOB_IFACE);
                        else
                                r = sd_bus_call_method(bus, BUS_NAME, MGR_PATH, MGR_IFACE, "ListJobs", &error, &reply, "");
                        t1 = now_usec(CLOCK_MONOTONIC);
                        if (r < 0) {
                                fprintf(stderr, "bench-client: %s: %s\n", k ? "ListJobs" : "GetAll",
                                        error.message ?: strerror(-r));
                                sd_bus_error_free(&error);
                                return 1;
                        }
                        fprintf(out, "%c %llu\n", k ? 'L' : 'G', (unsigned long long) (t1 - t0));
                        sd_bus_message_unref(reply);
                }
                usleep((useconds_t) interval);
        }
        fclose(out);
        sd_bus_flush_close_unref(bus);
        return 0;
}

/* ------------------------------------------------------------------ recovery */

/* After "READY": ListJobs again and again (the daemon not yet on the bus:
 * once a millisecond) until an answer lists N running jobs; prints the
 * CLOCK_REALTIME (µs) of the first answer and of that one. */
static int cmd_recovery(int argc, char **argv) {
        sd_bus *bus = NULL;
        unsigned n = (unsigned) atoi(argv[0]);
        uint64_t first = 0;
        int r;

        r = sd_bus_open_user(&bus);
        if (r < 0)
                return fail("sd_bus_open_user", r);
        printf("READY\n");
        fflush(stdout);
        for (uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 120 * 1000000ULL; now_usec(CLOCK_MONOTONIC) < deadline;) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                const char *id, *path, *state, *vm;
                double progress;
                unsigned running = 0;

                r = sd_bus_call_method(bus, BUS_NAME, MGR_PATH, MGR_IFACE, "ListJobs", &error, &reply, "");
                if (r < 0) {
                        sd_bus_error_free(&error);
                        usleep(1000);
                        continue;
                }
                if (!first)
                        first = now_usec(CLOCK_REALTIME);
                r = sd_bus_message_enter_container(reply, 'a', "(sossd)");
                while (r > 0 && (r = sd_bus_message_read(reply, "(sossd)", &id, &path, &state, &vm, &progress)) > 0)
                        running += strcmp(state, "running") == 0;
                sd_bus_message_unref(reply);
                if (r < 0)
                        return fail("ListJobs reply", r);
                if (running >= n) {
                        printf("%llu %llu %u\n", (unsigned long long) first,
                               (unsigned long long) now_usec(CLOCK_REALTIME), running);
                        sd_bus_flush_close_unref(bus);
                        return 0;
                }
                usleep(1000);
        }
        fprintf(stderr, "bench-client: %u running jobs not listed within 120 s\n", n);
        return 1;
}

int main(int argc, char **argv) {
        if (argc >= 4 && strcmp(argv[1], "watch") == 0)
                return cmd_watch(argc - 2, argv + 2);
        if (argc == 4 && strcmp(argv[1], "create") == 0)
                return cmd_create(argc - 2, argv + 2);
        if (argc == 3 && strcmp(argv[1], "run") == 0)
                return cmd_run(argc - 2, argv + 2);
        if (argc == 6 && strcmp(argv[1], "rtt") == 0)
                return cmd_rtt(argc - 2, argv + 2);
        if (argc == 3 && strcmp(argv[1], "recovery") == 0)
                return cmd_recovery(argc - 2, argv + 2);
        fprintf(stderr, "usage: bench-client watch OUT JOBS_DIR [--read-state]\n"
                        "       bench-client create N SPEC\n"
                        "       bench-client run SPEC\n"
                        "       bench-client rtt JOB_PATH COUNT INTERVAL_MS OUT\n"
                        "       bench-client recovery N\n");
        return 2;
}
