/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/failure.c and its table core/failures.json: one case per table
 * entry, driven by virt-v2v 2.2's own output (tests/data/failures/, its
 * README says which were run and which are taken from virt-v2v's source),
 * fed through progress.c as the daemon feeds it; the daemon's own messages
 * as job.c and job-start.c write them (test-failure-sources.py checks that
 * they still do).
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "core/failure.h"
#include "core/progress.h"

typedef struct Case {
        const char *fixture;       /* tests/data/failures/NAME.{v2v,machine}.log, or NULL */
        V2vJobState state;
        const char *daemon;        /* the daemon's own message */
        const char *code;
} Case;

static const Case cases[] = {
        /* real virt-v2v 2.2.0 runs (record.sh) */
        { "no-os", V2V_JOB_FAILED, NULL, "no-os" },
        { "domain-running", V2V_JOB_FAILED, NULL, "source-running" },
        { "domain-missing", V2V_JOB_FAILED, NULL, "source-not-found" },
        { "ssh-auth", V2V_JOB_FAILED, NULL, "auth-refused" },
        { "libvirt-ssh-auth", V2V_JOB_FAILED, NULL, "auth-refused" },
        { "qemu-nbd-nodisk", V2V_JOB_FAILED, NULL, "nbd-error" },
        { "host-tmp-full", V2V_JOB_FAILED, NULL, "host-tmp-full" },
        { "dest-full", V2V_JOB_FAILED, NULL, "dest-full" },
        { "nbdcopy-missing", V2V_JOB_FAILED, NULL, "nbd-error" },
        { "cancelled", V2V_JOB_CANCELLED, NULL, "cancelled" },
        /* from virt-v2v's (or libvirt's) source, not run */
        { "vddk-libdir", V2V_JOB_FAILED, NULL, "vddk-missing" },
        { "vddk-plugin", V2V_JOB_FAILED, NULL, "vddk-missing" },
        { "vcenter-auth", V2V_JOB_FAILED, NULL, "auth-refused" },
        { "hibernated", V2V_JOB_FAILED, NULL, "hibernated" },
        { "ntfs-dirty", V2V_JOB_FAILED, NULL, "hibernated" },
        { "uefi-firmware", V2V_JOB_FAILED, NULL, "firmware" },
        { "guest-disk-full", V2V_JOB_FAILED, NULL, "guest-disk-full" },
        { "unknown-network", V2V_JOB_FAILED, NULL, "unknown-network" },
        /* the daemon's own ends (job.c, job-start.c) */
        { NULL, V2V_JOB_FAILED, "v2vd was restarted and found the job's scope gone, with no exit status from virt-v2v", "job-lost" },
        { NULL, V2V_JOB_FAILED, "the job's secrets were lost (the machine restarted?); submit it again", "job-lost" },
        { NULL, V2V_JOB_FAILED, "v2vd-runner lost virt-v2v (waitpid: No child processes): how it ended is unknown", "job-lost" },
        { NULL, V2V_JOB_FAILED, "virt-v2v was killed by signal 9 (SIGKILL)", "job-limit" },
        { NULL, V2V_JOB_FAILED, "virt-v2v was killed by signal 25 (SIGXFSZ)", "job-limit" },
        { NULL, V2V_JOB_FAILED, "virt-v2v was killed by signal 15 (SIGTERM)", "killed" },
        { NULL, V2V_JOB_FAILED, "cannot ask systemd for the job's scope: Connection refused", "job-start" },
        { NULL, V2V_JOB_CANCELLED, "the job was cancelled before it started", "cancelled" },
};

static char *read_fixture(const char *name, const char *kind) {
        g_autofree char *file = g_strdup_printf("%s.%s.log", name, kind);
        g_autofree char *path = g_build_filename(g_getenv("V2VD_TEST_DATA"), "failures", file, NULL);
        g_autoptr(GError) error = NULL;
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, &error))
                g_error("%s", error->message);
        return text;
}

static V2vFailure *classify_case(const Case *c, V2vProgress *p) {
        V2vFailureInput in = { .state = c->state, .daemon_message = c->daemon };

        if (c->fixture) {
                g_autofree char *log = read_fixture(c->fixture, "v2v");
                g_autofree char *machine = read_fixture(c->fixture, "machine");

                v2v_progress_feed_machine(p, machine, strlen(machine), 1);
                v2v_progress_feed_log(p, log, strlen(log), 1);
        }
        in.first_error = p->first_error;
        in.last_error = p->last_error;
        in.other_lines = p->other_lines->str;
        return v2v_failure_classify(&in);
}

static void test_case(gconstpointer data) {
        const Case *c = data;
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autoptr(V2vFailure) f = classify_case(c, p);

        g_assert_nonnull(f);
        g_assert_cmpstr(f->code, ==, c->code);
        g_assert_cmpstr(f->summary, !=, "");
        g_assert_null(strchr(f->summary, '\n'));
        g_assert_null(strchr(f->summary, '{'));
        g_assert_cmpstr(f->remedy, !=, "");
        if (c->fixture && c->state == V2V_JOB_FAILED)
                g_assert_nonnull(p->first_error);
}

/* Every entry of the table has a case above. */
static void test_every_entry(void) {
        g_autoptr(GPtrArray) codes = v2v_failure_codes();

        for (guint i = 0; i < codes->len; i++) {
                const char *code = codes->pdata[i];
                bool found = g_str_equal(code, V2V_FAILURE_UNKNOWN);

                for (size_t k = 0; k < G_N_ELEMENTS(cases) && !found; k++)
                        found = g_str_equal(cases[k].code, code);
                if (!found)
                        g_test_message("no case for %s", code);
                g_assert_true(found);
        }
}

/* An error no entry knows: its first line is the summary. */
static void test_unknown(void) {
        const char *log = "[   0.0] Setting up the source: -i disk /a.img\n"
                          "virt-v2v: error: something odd: the first\n\nmore about it\n"
                          "virt-v2v: error: and a second error\n";
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autoptr(V2vFailure) f = NULL;
        V2vFailureInput in = { .state = V2V_JOB_FAILED };

        v2v_progress_feed_log(p, log, strlen(log), 1);
        in.first_error = p->first_error;
        in.last_error = p->last_error;
        in.other_lines = p->other_lines->str;
        f = v2v_failure_classify(&in);
        g_assert_cmpstr(f->code, ==, "unknown");
        g_assert_cmpstr(f->summary, ==, "something odd: the first");
        g_assert_cmpstr(p->first_error, ==, "something odd: the first\n\nmore about it");
        g_assert_cmpstr(p->last_error, ==, "and a second error");

        /* Nothing at all to go by. */
        in = (V2vFailureInput) { .state = V2V_JOB_FAILED };
        g_clear_pointer(&f, v2v_failure_free);
        f = v2v_failure_classify(&in);
        g_assert_cmpstr(f->code, ==, "unknown");
        g_assert_cmpstr(f->summary, !=, "");

        /* Not failed: nothing to classify. */
        in.state = V2V_JOB_SUCCEEDED;
        g_assert_null(v2v_failure_classify(&in));
}

/* A cancelled job is "cancelled" whatever virt-v2v said while it ended. */
static void test_cancel_wins(void) {
        V2vFailureInput in = {
                .state = V2V_JOB_CANCELLED,
                .first_error = "nbdcopy command failed, see earlier error messages",
                .daemon_message = "virt-v2v was killed by signal 9 (SIGKILL)",
        };
        g_autoptr(V2vFailure) f = v2v_failure_classify(&in);

        g_assert_cmpstr(f->code, ==, "cancelled");
}

/* The daemon's own ends name what happened in the summary. */
static void test_daemon_detail(void) {
        V2vFailureInput in = { .state = V2V_JOB_FAILED, .daemon_message = "virt-v2v was killed by signal 9 (SIGKILL)",
                               .first_error = "nbdcopy command failed, see earlier error messages" };
        g_autoptr(V2vFailure) f = v2v_failure_classify(&in);

        g_assert_cmpstr(f->code, ==, "job-limit");
        g_assert_true(g_str_has_prefix(f->summary, "virt-v2v was killed by signal 9 (SIGKILL): "));
        g_assert_null(strstr(f->summary, "{detail}"));
}

/* The first error is kept whole: the machine log's text over the log's. */
static void test_first_error(void) {
        const char *machine = "{ \"message\": \"first\\nwhole\", \"timestamp\": \"t\", \"type\": \"error\" }\n"
                              "{ \"message\": \"second\", \"timestamp\": \"t\", \"type\": \"error\" }\n";
        const char *log = "virt-v2v: error: first\nvirt-v2v: error: second\n";
        g_autoptr(V2vProgress) p = v2v_progress_new();

        v2v_progress_feed_log(p, log, strlen(log), 1);
        g_assert_cmpstr(p->first_error, ==, "first");
        v2v_progress_feed_machine(p, machine, strlen(machine), 1);
        g_assert_cmpstr(p->first_error, ==, "first\nwhole");
        g_assert_cmpstr(p->last_error, ==, "second");
}

/* Other programs' lines are kept, the tail only, bounded. */
static void test_other_lines_bounded(void) {
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autoptr(GString) log = g_string_new(NULL);

        for (int i = 0; i < 5000; i++)
                g_string_append_printf(log, "nbdkit: line %d of noise\n", i);
        g_string_append(log, "nbdcopy: write: No space left on device\n");
        v2v_progress_feed_log(p, log->str, log->len, 1);
        g_assert_cmpuint(p->other_lines->len, <=, 16 * 1024);
        g_assert_nonnull(strstr(p->other_lines->str, "No space left on device"));
        g_assert_null(strstr(p->other_lines->str, "line 0 of"));
}

static void test_first_line(void) {
        g_autofree char *a = v2v_failure_first_line("  one\ntwo");
        g_autoptr(GString) longer = g_string_new(NULL);
        g_autofree char *b = NULL;

        g_assert_cmpstr(a, ==, "one");
        for (int i = 0; i < 300; i++)
                g_string_append(longer, "é");
        b = v2v_failure_first_line(longer->str);
        g_assert_cmpuint(strlen(b), <=, 400);
        g_assert_true(g_utf8_validate(b, -1, NULL));
}

/* The table itself: JSON, each entry a code, summary, remedy and at least
 * one pattern, codes unique. */
static void test_table(void) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        JsonArray *a;

        g_assert_true(json_parser_load_from_data(parser, v2v_failure_table_text(), -1, NULL));
        a = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "failures");
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonObject *o = json_array_get_object_element(a, i);
                const char *code = json_object_get_string_member(o, "code");

                g_assert_nonnull(code);
                g_assert_true(g_hash_table_add(seen, (gpointer) code));
                g_assert_nonnull(json_object_get_string_member(o, "summary"));
                g_assert_nonnull(json_object_get_string_member(o, "remedy"));
                g_assert_true(json_object_has_member(o, "state") || json_object_has_member(o, "daemon") ||
                              json_object_has_member(o, "error") || json_object_has_member(o, "log"));
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *name = g_strdup_printf("/failure/%s/%s", cases[i].code,
                                                        cases[i].fixture ?: cases[i].daemon);
                g_strdelimit(name + 9, "/", '_');
                g_test_add_data_func(name, &cases[i], test_case);
        }
        g_test_add_func("/failure/every-entry", test_every_entry);
        g_test_add_func("/failure/unknown", test_unknown);
        g_test_add_func("/failure/cancel-wins", test_cancel_wins);
        g_test_add_func("/failure/daemon-detail", test_daemon_detail);
        g_test_add_func("/failure/first-error", test_first_error);
        g_test_add_func("/failure/other-lines-bounded", test_other_lines_bounded);
        g_test_add_func("/failure/first-line", test_first_line);
        g_test_add_func("/failure/table", test_table);
        return g_test_run();
}
