/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-fake-v2v: a light fake virt-v2v 2.2.0 for the benchmarks.
 *
 * What the daemon sees is what the real 2.2.0 writes (tests/data/ transcripts):
 * "[   0.1] Message" lines on stdout, the same messages as JSON lines in
 * the --machine-readable=file: log, then per disk "Copying disk N/M" and
 * nbdcopy's progress bar on stderr ("▝  12% [****----]\r", the last
 * "█ 100% [********]\n"), "Creating output metadata", "Finishing off",
 * exit 0. Unlike tests/fake/virt-v2v (Python, ~10 MB, a full mimic) it is
 * a few KB of C that sleeps between steps, so 200 of them keep the
 * machine quiet; it writes no output disks.
 *
 * Environment (the daemon passes its [environment] section on):
 *   BENCH_FAKE_RATE    progress steps per second (default 10)
 *   BENCH_FAKE_DISKS   disks to "copy", 100 steps of 1% each (default 1)
 *   BENCH_FAKE_RECORD  a directory: for each step append
 *                      "REALTIME_USEC DISK PERCENT" to DIR/steps-JOB, JOB
 *                      being the name of the directory that holds the
 *                      machine-readable log (the job's id); the time is
 *                      taken just before the write(2) of the progress bar.
 *   BENCH_FAKE_START_DELAY  seconds to wait before the first disk (default 0)
 *
 * `--version` and `--machine-readable` alone answer like 2.2.0. SIGTERM:
 * "virt-v2v: Exiting on signal SIGTERM", exit 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char capabilities[] =
        "virt-v2v\nvirt-v2v-2.0\nlibguestfs-rewrite\ncolours-option\nvdsm-compat-option\n"
        "io/oo\nmac-option\nbandwidth-option\nmac-ip-option\ninput:disk\ninput:libvirt\n"
        "input:libvirtxml\ninput:ova\ninput:vmx\noutput:kubevirt\noutput:libvirt\n"
        "output:local\noutput:null\noutput:qemu\noutput:rhv\noutput:openstack\n"
        "convert:linux\nconvert:windows\n";

static const char *const spinner[] = { "▝", "▐", "▗", "▃", "▖", "▍", "▘", "▀" };

static struct timespec start_mono;
static int machine_fd = -1;
static int record_fd = -1;

static void write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t) k;
        }
}

static double elapsed(void) {
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double) (now.tv_sec - start_mono.tv_sec) + (double) (now.tv_nsec - start_mono.tv_nsec) / 1e9;
}

static uint64_t realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* "[   1.2] TEXT" on stdout and the same as a JSON line in the machine log. */
static void message(const char *text) {
        char buf[512];
        struct timespec ts;
        struct tm tm;
        int n;

        n = snprintf(buf, sizeof buf, "[%6.1f] %s\n", elapsed(), text);
        write_all(STDOUT_FILENO, buf, (size_t) n);
        if (machine_fd < 0)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = snprintf(buf, sizeof buf,
                     "{ \"message\": \"%s\", \"timestamp\": \"%04d-%02d-%02dT%02d:%02d:%02d.%09ld+00:00\", \"type\": \"message\" }\n",
                     text, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
        write_all(machine_fd, buf, (size_t) n);
}

static void sleep_until(const struct timespec *t) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR)
                ;
}

static void add_ns(struct timespec *t, uint64_t ns) {
        uint64_t v = (uint64_t) t->tv_nsec + ns;

        t->tv_sec += (time_t) (v / 1000000000u);
        t->tv_nsec = (long) (v % 1000000000u);
}

static void on_term(int sig) {
        static const char msg[] = "virt-v2v: Exiting on signal SIGTERM\n";

        (void) sig;
        write_all(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(1);
}

static double env_double(const char *name, double def) {
        const char *v = getenv(name);
        return v && *v ? strtod(v, NULL) : def;
}

int main(int argc, char **argv) {
        const char *machine_log = NULL;
        double rate = env_double("BENCH_FAKE_RATE", 10);
        int disks = (int) env_double("BENCH_FAKE_DISKS", 1);
        const char *record = getenv("BENCH_FAKE_RECORD");
        double start_delay = env_double("BENCH_FAKE_START_DELAY", 0);
        static const char *const phases[] = {
                "Setting up the source: -i disk", "Opening the source", "Inspecting the source",
                "Checking for sufficient free disk space in the guest",
                "Converting Debian GNU/Linux 12 (bookworm) to run on KVM",
                "Mapping filesystem data to avoid copying unused and blank areas",
                "Closing the overlay", "Assigning disks to buses",
                "Checking if the guest needs BIOS or UEFI to boot",
                "Setting up the destination: -o local -os /dev/null",
        };
        struct timespec next;
        uint64_t period_ns;

        clock_gettime(CLOCK_MONOTONIC, &start_mono);
        if (argc == 2 && strcmp(argv[1], "--version") == 0) {
                puts("virt-v2v 2.2.0");
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "--machine-readable") == 0) {
                fputs(capabilities, stdout);
                return 0;
        }
        for (int i = 1; i < argc; i++)
                if (strncmp(argv[i], "--machine-readable=file:", 24) == 0)
                        machine_log = argv[i] + 24;
        if (rate <= 0 || rate > 1000)
                rate = 10;
        if (disks < 1 || disks > 1000)
                disks = 1;
        signal(SIGTERM, on_term);
        signal(SIGINT, on_term);

        if (machine_log) {
                machine_fd = open(machine_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                if (record && *record) {
                        char path[4096];
                        const char *slash = strrchr(machine_log, '/');
                        const char *job = machine_log;
                        int jl = 1;

                        /* .../jobs/ID/v2v-machine.log → ID */
                        if (slash) {
                                job = slash;
                                while (job > machine_log && job[-1] != '/')
                                        job--;
                                jl = (int) (slash - job);
                        }
                        snprintf(path, sizeof path, "%s/steps-%.*s", record, jl, job);
                        record_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                }
        }
        for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
                message(phases[i]);

        period_ns = (uint64_t) (1e9 / rate);
        clock_gettime(CLOCK_MONOTONIC, &next);
        add_ns(&next, (uint64_t) (start_delay * 1e9));
        for (int d = 1; d <= disks; d++) {
                char text[64];

                snprintf(text, sizeof text, "Copying disk %d/%d", d, disks);
                message(text);
                for (int pct = 1; pct <= 100; pct++) {
                        char bar[160], rec[64];
                        int n, stars = pct * 40 / 100;
                        uint64_t t;

                        add_ns(&next, period_ns);
                        sleep_until(&next);
                        n = snprintf(bar, sizeof bar, "%s %3d%% [%.*s%.*s]%c",
                                     pct == 100 ? "█" : spinner[pct % 8], pct,
                                     stars, "****************************************",
                                     40 - stars, "----------------------------------------",
                                     pct == 100 ? '\n' : '\r');
                        t = realtime_usec();
                        write_all(STDERR_FILENO, bar, (size_t) n);
                        if (record_fd >= 0) {
                                int k = snprintf(rec, sizeof rec, "%llu %d %d\n", (unsigned long long) t, d, pct);
                                write_all(record_fd, rec, (size_t) k);
                        }
                }
        }
        message("Creating output metadata");
        message("Finishing off");
        return 0;
}
