/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The job state machine, driven through the daemon's own code
 * (libv2vd-internal) on a private event loop: no root, no bus, no systemd.
 * Jobs are loaded from directories written here, as a restarted daemon
 * finds them; a queued job whose secrets were lost (the machine
 * restarted) fails as soon as it is started, without a runner.
 */
#include "config.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "job/job.h"
#include "job/manager.h"
#include "core/statefile.h"

/* A spec a restarted daemon finds with its secret masked (spec.json). */
#define LOST_SECRET_SPEC                                                                          \
        "{\"vm_name\": \"guest-%u\", \"transport_method\": \"vddk\", \"vmware_uri\": \"vpx://vc/DC/h\", " \
        "\"vmware_password\": \"*****\", "                                                        \
        "\"vmware_fingerprint\": \"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\", "           \
        "\"output_dir\": \"%s\"}"

typedef struct Fixture {
        char *dir;
        Manager *m;
} Fixture;

static void write_file(const char *path, const char *text) {
        g_autoptr(GError) error = NULL;

        g_assert_true(g_file_set_contents(path, text, -1, &error));
        g_assert_no_error(error);
}

/* Writes more into job i's directory before the daemon loads it. */
typedef void (*JobDirHook)(const char *jdir, unsigned i);

/* n jobs, ids 1..n, in state (their secrets lost); max_running jobs at once. */
static void fixture_setup_full(Fixture *f, unsigned n, unsigned max_running, V2vJobState job_state_, JobDirHook hook) {
        g_autoptr(GError) error = NULL;
        g_autofree char *config = NULL;
        g_autofree char *conf_text = NULL;
        g_autofree char *state = NULL;
        g_autofree char *jobs = NULL;
        g_autofree char *out = NULL;
        ManagerOptions opts = { .user_mode = true };

        f->dir = g_dir_make_tmp("v2vd-job-XXXXXX", &error);
        g_assert_no_error(error);
        config = g_build_filename(f->dir, "v2vd.conf", NULL);
        conf_text = g_strdup_printf("[daemon]\nmax_running_jobs=%u\negress_interfaces=none\n", max_running);
        write_file(config, conf_text);
        state = g_build_filename(f->dir, "state", NULL);
        jobs = g_build_filename(state, "jobs", NULL);
        out = g_build_filename(f->dir, "out", NULL);
        g_assert_cmpint(g_mkdir_with_parents(jobs, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(out, 0755), ==, 0);
        for (unsigned i = 1; i <= n; i++) {
                g_autoptr(V2vJobRecord) rec = v2v_job_record_new();
                g_autofree char *id = g_strdup_printf("%u", i);
                g_autofree char *jdir = g_build_filename(jobs, id, NULL);
                g_autofree char *rec_path = g_build_filename(jdir, "job.json", NULL);
                g_autofree char *spec_path = g_build_filename(jdir, "spec.json", NULL);
                g_autofree char *spec = g_strdup_printf(LOST_SECRET_SPEC, i, out);
                g_autofree char *json = NULL;

                g_assert_cmpint(g_mkdir(jdir, 0750), ==, 0);
                rec->id = g_strdup(id);
                rec->owner_uid = getuid();
                rec->state = job_state_;
                rec->created_usec = 1;
                rec->cpu_limit = g_strdup("unlimited");
                json = v2v_job_record_render(rec);
                write_file(rec_path, json);
                write_file(spec_path, spec);
                if (hook)
                        hook(jdir, i);
        }
        opts.config_file = config;
        opts.state_dir = state;
        opts.runtime_dir = g_build_filename(f->dir, "run", NULL);
        g_setenv("V2VD_VIRT_V2V", "/bin/false", TRUE);
        g_assert_cmpint(manager_new(&opts, &f->m), ==, 0);
        g_free((char *) opts.runtime_dir);
        g_assert_cmpint(manager_load_jobs(f->m), ==, 0);
}

static void fixture_setup(Fixture *f, unsigned n, unsigned max_running) {
        fixture_setup_full(f, n, max_running, V2V_JOB_QUEUED, NULL);
}

static void fixture_teardown(Fixture *f) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

        f->m = manager_free(f->m);
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->dir);
}

static Job *job(Fixture *f, unsigned id) {
        g_autofree char *s = g_strdup_printf("%u", id);
        Job *j = g_hash_table_lookup(f->m->jobs, s);

        g_assert_nonnull(j);
        return j;
}

/* Dispatch until nothing is pending (every deferred source has run). */
static void run_pending(Manager *m) {
        while (sd_event_run(m->event, 0) > 0)
                ;
}

static char *read_record_state(Fixture *f, unsigned id) {
        g_autofree char *path = g_strdup_printf("%s/state/jobs/%u/job.json", f->dir, id);
        g_autofree char *text = NULL;
        g_autoptr(V2vJobRecord) rec = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        rec = v2v_job_record_parse(text, NULL);
        g_assert_nonnull(rec);
        return g_strdup(v2v_job_state_to_string(rec->state));
}

static void test_transition_table(void) {
        static const bool valid[_V2V_JOB_STATE_MAX][_V2V_JOB_STATE_MAX] = {
                /*                  Q      R      S      F      C */
                [V2V_JOB_QUEUED] = { false, true, false, true, true },
                [V2V_JOB_RUNNING] = { false, false, true, true, true },
        };

        for (int from = 0; from < _V2V_JOB_STATE_MAX; from++)
                for (int to = 0; to < _V2V_JOB_STATE_MAX; to++) {
                        g_test_message("%s → %s", v2v_job_state_to_string(from), v2v_job_state_to_string(to));
                        g_assert_cmpint(v2v_job_state_transition_is_valid(from, to, true), ==, valid[from][to]);
                }
        /* Back to queued only while virt-v2v never ran (a restart while the scope was made). */
        g_assert_true(v2v_job_state_transition_is_valid(V2V_JOB_RUNNING, V2V_JOB_QUEUED, false));
        g_assert_false(v2v_job_state_transition_is_valid(V2V_JOB_RUNNING, V2V_JOB_QUEUED, true));
        g_assert_false(v2v_job_state_transition_is_valid(V2V_JOB_SUCCEEDED, V2V_JOB_QUEUED, false));
}

/* The one setter keeps the queue and the running count with the states,
 * saves the record and refuses to go backwards. */
static void test_set_state(void) {
        Fixture f = {};

        fixture_setup(&f, 3, 1);
        /* Loaded queued: in the queue in id order, nothing started yet (deferred). */
        g_assert_cmpuint(g_queue_get_length(&f.m->queue), ==, 3);
        g_assert_true(g_queue_peek_head(&f.m->queue) == job(&f, 1));
        g_assert_cmpuint(f.m->n_running, ==, 0);

        /* As job_start does once its runner is on its way. */
        g_assert_cmpint(job_set_state(job(&f, 1), V2V_JOB_RUNNING, 0), ==, 0);
        g_assert_cmpuint(g_queue_get_length(&f.m->queue), ==, 2);
        g_assert_cmpuint(f.m->n_running, ==, 1);
        {
                g_autofree char *s = read_record_state(&f, 1);
                g_assert_cmpstr(s, ==, "running");
        }
        /* Never backwards: virt-v2v ran (it has a pid). */
        job(&f, 1)->v2v_pid = 4242;
        g_assert_cmpint(job_set_state(job(&f, 1), V2V_JOB_QUEUED, 0), ==, -EINVAL);
        g_assert_cmpint(job_state(job(&f, 1)), ==, V2V_JOB_RUNNING);
        g_assert_cmpuint(f.m->n_running, ==, 1);
        job(&f, 1)->v2v_pid = 0;

        /* Cancelling a queued job: out of the queue, recorded, nothing scheduled. */
        g_assert_cmpint(job_cancel(job(&f, 3)), ==, 0);
        g_assert_cmpint(job_state(job(&f, 3)), ==, V2V_JOB_CANCELLED);
        g_assert_cmpuint(g_queue_get_length(&f.m->queue), ==, 1);
        {
                g_autofree char *s = read_record_state(&f, 3);
                g_assert_cmpstr(s, ==, "cancelled");
        }
        g_assert_cmpint(job_cancel(job(&f, 3)), ==, -ESTALE);
        g_assert_cmpint(job_set_state(job(&f, 3), V2V_JOB_RUNNING, 0), ==, -EINVAL);
        g_assert_cmpuint(f.m->n_running, ==, 1);

        /* Job 1 ends: its slot goes to job 2, started after this dispatch
         * (not from inside the setter), and failing at once: its secrets are lost. */
        g_assert_cmpint(job_set_state(job(&f, 1), V2V_JOB_SUCCEEDED, 0), ==, 0);
        g_assert_cmpint(job_state(job(&f, 2)), ==, V2V_JOB_QUEUED);
        g_assert_cmpuint(f.m->n_running, ==, 0);
        run_pending(f.m);
        g_assert_cmpint(job_state(job(&f, 2)), ==, V2V_JOB_FAILED);
        {
                const char *type, *text;
                job_last_message(job(&f, 2), &type, &text);
                g_assert_cmpstr(type, ==, "error");
                g_test_message("job 2: %s", text);
                g_assert_nonnull(strstr(text, "secrets were lost"));
        }
        g_assert_cmpuint(g_queue_get_length(&f.m->queue), ==, 0);
        g_assert_cmpuint(f.m->n_running, ==, 0);
        fixture_teardown(&f);
}

/* 1,000 queued jobs whose start fails at once all end failed, on a 256 KiB
 * stack: scheduling is a loop over a deferred source, not a recursion
 * through job_finish → schedule → job_start (which needed a frame chain
 * per job, several MiB for 1,000). */
#define MANY 1000
static void *many_failing_starts(void *arg) {
        Fixture f = {};

        fixture_setup(&f, MANY, 4);
        manager_schedule(f.m);
        run_pending(f.m);
        for (unsigned i = 1; i <= MANY; i++)
                g_assert_cmpint(job_state(job(&f, i)), ==, V2V_JOB_FAILED);
        g_assert_cmpuint(g_queue_get_length(&f.m->queue), ==, 0);
        g_assert_cmpuint(f.m->n_running, ==, 0);
        {
                g_autofree char *s = read_record_state(&f, MANY);
                const char *type, *text;

                g_assert_cmpstr(s, ==, "failed");
                job_last_message(job(&f, MANY), &type, &text);
                g_assert_cmpstr(text, ==, "the job's secrets were lost (the machine restarted?); submit it again");
        }
        fixture_teardown(&f);
        return arg;
}

static void test_many_failing_starts(void) {
        pthread_attr_t attr;
        pthread_t t;
        static int token;
        void *ret = NULL;

        g_assert_cmpint(pthread_attr_init(&attr), ==, 0);
        g_assert_cmpint(pthread_attr_setstacksize(&attr, 256 * 1024), ==, 0);
        g_assert_cmpint(pthread_create(&t, &attr, many_failing_starts, &token), ==, 0);
        g_assert_cmpint(pthread_join(t, &ret), ==, 0);
        g_assert_true(ret == &token);
        pthread_attr_destroy(&attr);
}

/* What the runner recorded (runner-exit.h) decides how a job it ran ended,
 * as a restarted daemon finds it: the runner gone, its record there. */
static const char *const exit_records[] = { "exited 0\n", "exited 1\n", "killed 9\n", "lost 10\n" };

static void write_exit_record(const char *jdir, unsigned i) {
        g_autofree char *path = g_build_filename(jdir, "exit-status", NULL);
        g_autofree char *pid = g_build_filename(jdir, "v2v.pid", NULL);

        write_file(path, exit_records[i - 1]);
        write_file(pid, "4242\n");
}

static void test_runner_records(void) {
        Fixture f = {};
        const char *type, *text;

        fixture_setup_full(&f, G_N_ELEMENTS(exit_records), 4, V2V_JOB_RUNNING, write_exit_record);
        /* Each concluded as it was adopted (its runner gone): none still runs. */
        g_assert_cmpuint(f.m->n_running, ==, 0);
        g_assert_cmpint(job(&f, 1)->record->return_code, ==, 0);
        g_assert_cmpint(job(&f, 3)->record->return_code, ==, 128 + 9);
        g_assert_cmpint(job(&f, 4)->record->return_code, ==, -1);
        g_assert_cmpint(job_state(job(&f, 1)), ==, V2V_JOB_SUCCEEDED);
        g_assert_cmpint(job_state(job(&f, 2)), ==, V2V_JOB_FAILED);
        job_last_message(job(&f, 2), &type, &text);
        g_assert_cmpstr(text, ==, "virt-v2v exited with status 1");
        g_assert_cmpint(job_state(job(&f, 3)), ==, V2V_JOB_FAILED);
        job_last_message(job(&f, 3), &type, &text);
        g_assert_cmpstr(text, ==, "virt-v2v was killed by signal 9 (SIGKILL)");
        /* The "lost" record: the runner lost virt-v2v; the end is unknown. */
        g_assert_cmpint(job_state(job(&f, 4)), ==, V2V_JOB_FAILED);
        job_last_message(job(&f, 4), &type, &text);
        g_test_message("lost: %s", text);
        g_assert_cmpstr(type, ==, "error");
        g_assert_true(g_str_has_prefix(text, "v2vd-runner lost virt-v2v (waitpid: "));
        {
                g_autofree char *s = read_record_state(&f, 4);
                g_assert_cmpstr(s, ==, "failed");
        }
        fixture_teardown(&f);
}

int main(int argc, char *argv[]) {
        /* 1,000 jobs write 2,000 fsync'ed records: on tmpfs, not on a
         * disk shared with the rest of the build. */
        if (!g_getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
                g_setenv("TMPDIR", "/dev/shm", TRUE);
        g_test_init(&argc, &argv, NULL);
        /* The daemon logs every job's end; keep the test's output readable. */
        g_setenv("V2VD_LOG_TARGET", "console", TRUE);
        g_test_add_func("/job/transition-table", test_transition_table);
        g_test_add_func("/job/set-state", test_set_state);
        g_test_add_func("/job/many-failing-starts", test_many_failing_starts);
        g_test_add_func("/job/runner-records", test_runner_records);
        return g_test_run();
}
