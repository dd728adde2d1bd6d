/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "bus/bus.h"
#include "host/util.h"
#include "job/expire.h"
#include "job/job-journal.h"
#include "job/manager.h"
#include "job/metrics-file.h"

static void help(void) {
        printf("Usage: v2vd [--system | --user] [--config FILE] [--state-dir DIR] [--runtime-dir DIR]\n"
               "       v2vd --check-config [--system | --user] [--config FILE]\n"
               "\n"
               "Run virt-v2v conversions as jobs over D-Bus (org.v2vd.V2V1).\n"
               "\n"
               "  --system            system bus and service manager (default); state in /var/lib/v2vd,\n"
               "                      secrets in /run/v2vd\n"
               "  --user              the user's bus and service manager; state in\n"
               "                      $XDG_STATE_HOME/v2vd, secrets in $XDG_RUNTIME_DIR/v2vd\n"
               "  --config FILE       configuration (default /etc/v2vd/v2vd.conf, in --user mode\n"
               "                      $XDG_CONFIG_HOME/v2vd/v2vd.conf)\n"
               "  --state-dir DIR     where job directories live\n"
               "  --runtime-dir DIR   where secrets live while a job needs them (0700)\n"
               "  --check-config      check the configuration file and exit: each unknown section or\n"
               "                      key (file:line) and a bad value on stderr; exit 1 on any\n"
               "  -h, --help          show this help\n"
               "      --version       show the version\n"
               "\n"
               "Configuration keys: [daemon] max_running_jobs= max_queued_jobs= cancel_grace_sec=\n"
               "  progress_interval_ms= virt_v2v= default_cpu= default_network= egress_interfaces=\n"
               "  throttle_name= root_outputs= max_queued_jobs_per_user=\n"
               "  max_pending_authorizations_per_user= keep_finished_jobs_days= keep_finished_jobs=\n"
               "  max_log_size= source_timeout_sec= metrics_file= max_running_jobs_per_source=\n"
               "  start_window= host_cpu= host_network= host_disk=;\n"
               "  [environment] NAME=value for virt-v2v; [source:HOST] max_running_jobs=.\n"
               "  See v2vd.conf(5).\n"
               "Environment: V2VD_VIRT_V2V overrides the virt-v2v path; V2VD_LOG_TARGET=console|journal;\n"
               "  V2VD_SOURCES_HELPER the v2vd-sources helper.\n"
               "See v2vd(8), org.v2vd.V2V1(5) (the D-Bus API) and v2vd.job(5) (job spec, state file).\n");
}

/* 1: run with *opts; 2: check the configuration; 0: done (help, version);
 * -1: a usage error. */
static int parse_argv(int argc, char *argv[], ManagerOptions *opts) {
        enum { ARG_SYSTEM = 0x100, ARG_USER, ARG_CONFIG, ARG_STATE_DIR, ARG_RUNTIME_DIR, ARG_VERSION, ARG_CHECK_CONFIG };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "system", no_argument, NULL, ARG_SYSTEM },
                { "user", no_argument, NULL, ARG_USER },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                {}
        };
        bool check_config = false;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("v2vd %s\n", V2VD_VERSION);
                        return 0;
                case ARG_SYSTEM:
                        opts->user_mode = false;
                        break;
                case ARG_USER:
                        opts->user_mode = true;
                        break;
                case ARG_CONFIG:
                        opts->config_file = optarg;
                        break;
                case ARG_STATE_DIR:
                        opts->state_dir = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        opts->runtime_dir = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        check_config = true;
                        break;
                default:
                        fprintf(stderr, "Try 'v2vd --help'.\n");
                        return -1;
                }
        if (optind < argc) {
                fprintf(stderr, "v2vd: unexpected argument \"%s\"; try 'v2vd --help'.\n", argv[optind]);
                return -1;
        }
        return check_config ? 2 : 1;
}

int main(int argc, char *argv[]) {
        ManagerOptions opts = {};
        g_autoptr(Manager) m = NULL;
        g_autoptr(Bus) bus = NULL;     /* freed before m */
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv, &opts);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (r == 2) {
                (void) setenv("V2VD_LOG_TARGET", "console", 1);
                log_setup();
                return manager_check_config(&opts) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }

        log_setup();
        /* A fixed mmap threshold: glibc otherwise raises it after a large
         * block is freed, and the next large bus message (a hostile 10 MB
         * spec) then stays in the heap for good. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = manager_new(&opts, &m);
        if (r < 0)
                goto fail;
        r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                goto fail;
        /* The bus layer on top of the job layer: it opens the connection,
         * registers the objects and subscribes to the jobs' events. */
        r = bus_new(m, &bus);
        if (r < 0)
                goto fail;
        /* The journal entries of a job's life and metrics_file= follow the
         * jobs' events too. */
        r = job_journal_subscribe(m);
        if (r >= 0)
                r = metrics_file_subscribe(m);
        if (r < 0)
                goto fail;
        r = manager_make_dirs(m);
        if (r < 0)
                goto fail;
        r = manager_load_jobs(m);
        if (r < 0)
                goto fail;
        r = expire_setup(m);
        if (r < 0)
                goto fail;
        manager_schedule(m);
        manager_counts_changed(m);

        log_info("v2vd %s ready (%s mode, %s, state in %s)", V2VD_VERSION, m->user_mode ? "user" : "system",
                 m->v2v_version && *m->v2v_version ? m->v2v_version : "virt-v2v not found", m->state_dir);
        (void) sd_notify(false, "READY=1");

        r = sd_event_loop(m->event);
        /* Questions to polkit still in flight are dropped with the manager. */
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping; running conversions go on in their scopes.");
        if (r < 0)
                goto fail;
        if (r != 0) {
                log_error("the bus connection was lost; exiting so that the service manager starts v2vd again "
                          "(running conversions go on and are picked up at the next start)");
                return EXIT_FAILURE;
        }
        log_info("stopping; running conversions go on and are picked up at the next start");
        return EXIT_SUCCESS;
fail:
        log_error("cannot run: %s", g_strerror(-r));
        return EXIT_FAILURE;
}
