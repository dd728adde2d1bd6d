/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/statefile.h"

static void test_state_strings(void) {
        static const char *const names[] = { "queued", "running", "succeeded", "failed", "cancelled" };

        for (int i = 0; i < _V2V_JOB_STATE_MAX; i++) {
                g_assert_cmpstr(v2v_job_state_to_string((V2vJobState) i), ==, names[i]);
                g_assert_cmpint(v2v_job_state_from_string(names[i]), ==, i);
        }
        g_assert_null(v2v_job_state_to_string(_V2V_JOB_STATE_MAX));
        g_assert_null(v2v_job_state_to_string(_V2V_JOB_STATE_INVALID));
        g_assert_cmpint(v2v_job_state_from_string("Running"), ==, _V2V_JOB_STATE_INVALID);
        g_assert_cmpint(v2v_job_state_from_string(""), ==, _V2V_JOB_STATE_INVALID);
        g_assert_cmpint(v2v_job_state_from_string(NULL), ==, _V2V_JOB_STATE_INVALID);
        g_assert_false(v2v_job_state_is_finished(V2V_JOB_RUNNING));
        g_assert_true(v2v_job_state_is_finished(V2V_JOB_CANCELLED));
}

static JsonObject *parse_object(const char *json, JsonParser **parser) {
        g_autoptr(GError) error = NULL;
        JsonNode *root;

        *parser = json_parser_new();
        g_assert_true(json_parser_load_from_data(*parser, json, -1, &error));
        g_assert_no_error(error);
        root = json_parser_get_root(*parser);
        g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
        return json_node_get_object(root);
}

static void assert_keys(JsonObject *o, const char *const *keys) {
        g_autoptr(GList) members = json_object_get_members(o);
        GList *l = members;

        for (size_t i = 0; keys[i]; i++, l = l->next) {
                g_assert_nonnull(l);
                g_assert_cmpstr(l->data, ==, keys[i]);
        }
        g_assert_null(l);
}

static void test_render_queued(void) {
        static const char *const paths[] = { "/images/a.img" };
        static const char *const keys[] = { "id", "state", "started", "progress", "disks", "throttling", NULL };
        static const char expected[] =
                "{\n"
                "  \"id\" : \"j1\",\n"
                "  \"state\" : \"queued\",\n"
                "  \"started\" : false,\n"
                "  \"progress\" : 0.0,\n"
                "  \"disks\" : [\n"
                "    {\n"
                "      \"path\" : \"/images/a.img\",\n"
                "      \"progress\" : 0.0\n"
                "    }\n"
                "  ],\n"
                "  \"throttling\" : {\n"
                "    \"cpu\" : \"50%\",\n"
                "    \"network\" : \"unlimited\"\n"
                "  }\n"
                "}";
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autoptr(JsonParser) parser = NULL;
        g_autofree char *json = NULL;
        V2vStatus st = {
                .id = "j1",
                .state = V2V_JOB_QUEUED,
                .return_code = -1,
                .progress = p,
                .cpu_limit = "50%",
        };
        JsonObject *o, *t;
        JsonArray *disks;

        v2v_progress_set_disks(p, paths, NULL, 1);
        json = v2v_statefile_render(&st);
        g_assert_cmpstr(json, ==, expected);

        o = parse_object(json, &parser);
        assert_keys(o, keys);
        g_assert_cmpstr(json_object_get_string_member(o, "id"), ==, "j1");
        g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "queued");
        g_assert_false(json_object_get_boolean_member(o, "started"));
        g_assert_cmpfloat(json_object_get_double_member(o, "progress"), ==, 0);
        disks = json_object_get_array_member(o, "disks");
        g_assert_cmpuint(json_array_get_length(disks), ==, 1);
        g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(disks, 0), "path"), ==,
                        "/images/a.img");
        t = json_object_get_object_member(o, "throttling");
        g_assert_cmpstr(json_object_get_string_member(t, "cpu"), ==, "50%");
        g_assert_cmpstr(json_object_get_string_member(t, "network"), ==, "unlimited");
        g_assert_false(json_object_has_member(o, "failed"));
        g_assert_false(json_object_has_member(o, "finished"));
}

static void test_render_queued_no_progress(void) {
        static const char expected[] =
                "{\n"
                "  \"id\" : \"j0\",\n"
                "  \"state\" : \"queued\",\n"
                "  \"started\" : false,\n"
                "  \"progress\" : 0.0,\n"
                "  \"disks\" : [],\n"
                "  \"throttling\" : {\n"
                "    \"cpu\" : \"unlimited\",\n"
                "    \"network\" : \"unlimited\"\n"
                "  }\n"
                "}";
        g_autoptr(JsonParser) parser = NULL;
        g_autofree char *json = NULL;
        V2vStatus st = { .id = "j0", .state = V2V_JOB_QUEUED, .return_code = -1 };
        JsonObject *o;

        json = v2v_statefile_render(&st);
        g_assert_cmpstr(json, ==, expected);
        o = parse_object(json, &parser);
        g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "disks")), ==, 0);
}

static V2vProgress *running_progress(void) {
        static const char *const paths[] = { "/images/a.img", "/images/b.img" };
        static const uint64_t sizes[] = { UINT64_C(1) << 30, UINT64_C(3) << 30 };
        static const char log[] =
                "[  10.0] Copying disk 1/2\n"
                "\xe2\x96\x88 100% [****]\n"
                "virt-v2v: warning: something \"quoted\"\n"
                "[  20.0] Copying disk 2/2\n"
                "\xe2\x96\x9d  11% [*---]\r";
        V2vProgress *p = v2v_progress_new();

        v2v_progress_set_disks(p, paths, sizes, 2);
        v2v_progress_feed_log(p, log, strlen(log), UINT64_C(1000000));
        g_assert_cmpfloat(p->copy_progress, ==, 33.25);
        /* the whole job: the copy's share after V2V_PROGRESS_COPY_START */
        g_assert_cmpfloat_with_epsilon(p->progress, 39.26, 1e-9);
        return p;
}

static void test_render_running(void) {
        static const char *const keys[] = {
                "id", "state", "started", "pid", "phase", "progress", "disk_count", "disks",
                "last_message", "throttling", NULL
        };
        static const char expected[] =
                "{\n"
                "  \"id\" : \"job_2\",\n"
                "  \"state\" : \"running\",\n"
                "  \"started\" : true,\n"
                "  \"pid\" : 4242,\n"
                "  \"phase\" : \"Copying disk 2/2\",\n"
                "  \"progress\" : 39.259999999999998,\n"
                "  \"disk_count\" : 2,\n"
                "  \"disks\" : [\n"
                "    {\n"
                "      \"path\" : \"/images/a.img\",\n"
                "      \"progress\" : 100.0\n"
                "    },\n"
                "    {\n"
                "      \"path\" : \"/images/b.img\",\n"
                "      \"progress\" : 11.0\n"
                "    }\n"
                "  ],\n"
                "  \"last_message\" : {\n"
                "    \"message\" : \"Copying disk 2/2\",\n"
                "    \"type\" : \"message\"\n"
                "  },\n"
                "  \"throttling\" : {\n"
                "    \"cpu\" : \"150%\",\n"
                "    \"network\" : \"1048576\"\n"
                "  }\n"
                "}";
        g_autoptr(V2vProgress) p = running_progress();
        g_autoptr(JsonParser) parser = NULL;
        g_autofree char *json = NULL;
        V2vStatus st = {
                .id = "job_2",
                .state = V2V_JOB_RUNNING,
                .started = true,
                .pid = 4242,
                .return_code = -1,
                .progress = p,
                .cpu_limit = "150%",
                .network_limit = 1048576,
        };
        JsonObject *o, *m, *t;
        JsonArray *disks;

        json = v2v_statefile_render(&st);
        g_assert_cmpstr(json, ==, expected);

        o = parse_object(json, &parser);
        assert_keys(o, keys);
        g_assert_true(json_object_get_boolean_member(o, "started"));
        g_assert_cmpint(json_object_get_int_member(o, "pid"), ==, 4242);
        g_assert_cmpstr(json_object_get_string_member(o, "phase"), ==, "Copying disk 2/2");
        g_assert_cmpfloat(json_object_get_double_member(o, "progress"), ==, 39.26);  /* the nearest double, printed with 17 digits */
        g_assert_cmpint(json_object_get_int_member(o, "disk_count"), ==, 2);
        disks = json_object_get_array_member(o, "disks");
        g_assert_cmpuint(json_array_get_length(disks), ==, 2);
        g_assert_cmpfloat(json_object_get_double_member(json_array_get_object_element(disks, 0), "progress"), ==, 100);
        g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(disks, 1), "path"), ==,
                        "/images/b.img");
        g_assert_cmpfloat(json_object_get_double_member(json_array_get_object_element(disks, 1), "progress"), ==, 11);
        m = json_object_get_object_member(o, "last_message");
        g_assert_cmpstr(json_object_get_string_member(m, "type"), ==, "message");
        t = json_object_get_object_member(o, "throttling");
        g_assert_cmpstr(json_object_get_string_member(t, "cpu"), ==, "150%");
        g_assert_cmpstr(json_object_get_string_member(t, "network"), ==, "1048576");
        g_assert_false(json_object_has_member(o, "failed"));
        g_assert_false(json_object_has_member(o, "finished"));
        g_assert_false(json_object_has_member(o, "return_code"));
}

static void test_render_succeeded(void) {
        static const char *const keys[] = {
                "id", "state", "started", "phase", "progress", "disk_count", "disks",
                "return_code", "last_message", "throttling", "finished", NULL
        };
        static const char expected[] =
                "{\n"
                "  \"id\" : \"j3\",\n"
                "  \"state\" : \"succeeded\",\n"
                "  \"started\" : true,\n"
                "  \"phase\" : \"Copying disk 2/2\",\n"
                "  \"progress\" : 100.0,\n"
                "  \"disk_count\" : 2,\n"
                "  \"disks\" : [\n"
                "    {\n"
                "      \"path\" : \"/images/a.img\",\n"
                "      \"progress\" : 100.0\n"
                "    },\n"
                "    {\n"
                "      \"path\" : \"/images/b.img\",\n"
                "      \"progress\" : 100.0\n"
                "    }\n"
                "  ],\n"
                "  \"return_code\" : 0,\n"
                "  \"last_message\" : {\n"
                "    \"message\" : \"Copying disk 2/2\",\n"
                "    \"type\" : \"message\"\n"
                "  },\n"
                "  \"throttling\" : {\n"
                "    \"cpu\" : \"unlimited\",\n"
                "    \"network\" : \"unlimited\"\n"
                "  },\n"
                "  \"finished\" : true\n"
                "}";
        g_autoptr(V2vProgress) p = running_progress();
        g_autoptr(JsonParser) parser = NULL;
        g_autofree char *json = NULL;
        V2vStatus st = {
                .id = "j3",
                .state = V2V_JOB_SUCCEEDED,
                .started = true,
                .return_code = 0,
                .progress = p,
                .cpu_limit = "unlimited",
        };
        JsonObject *o;

        v2v_progress_complete(p);
        json = v2v_statefile_render(&st);
        g_assert_cmpstr(json, ==, expected);

        o = parse_object(json, &parser);
        assert_keys(o, keys);
        g_assert_cmpint(json_object_get_int_member(o, "return_code"), ==, 0);
        g_assert_true(json_object_get_boolean_member(o, "finished"));
        g_assert_cmpfloat(json_object_get_double_member(o, "progress"), ==, 100);
        /* success: the key is absent, not false */
        g_assert_false(json_object_has_member(o, "failed"));
        g_assert_false(json_object_has_member(o, "pid"));
}

static void test_render_failed(void) {
        static const char *const keys[] = {
                "id", "state", "started", "phase", "progress", "disk_count", "disks",
                "return_code", "last_message", "throttling", "finished", "failed", NULL
        };
        static const char expected[] =
                "{\n"
                "  \"id\" : \"j4\",\n"
                "  \"state\" : \"failed\",\n"
                "  \"started\" : true,\n"
                "  \"phase\" : \"Copying disk 2/2\",\n"
                "  \"progress\" : 39.259999999999998,\n"
                "  \"disk_count\" : 2,\n"
                "  \"disks\" : [\n"
                "    {\n"
                "      \"path\" : \"/images/a.img\",\n"
                "      \"progress\" : 100.0\n"
                "    },\n"
                "    {\n"
                "      \"path\" : \"/images/b.img\",\n"
                "      \"progress\" : 11.0\n"
                "    }\n"
                "  ],\n"
                "  \"return_code\" : 1,\n"
                "  \"last_message\" : {\n"
                "    \"message\" : \"nbdcopy: write: \\\"sda\\\"\\nNo space left on device\",\n"
                "    \"type\" : \"error\"\n"
                "  },\n"
                "  \"throttling\" : {\n"
                "    \"cpu\" : \"25%\",\n"
                "    \"network\" : \"100\"\n"
                "  },\n"
                "  \"finished\" : true,\n"
                "  \"failed\" : true\n"
                "}";
        g_autoptr(V2vProgress) p = running_progress();
        g_autoptr(JsonParser) parser = NULL;
        g_autofree char *json = NULL;
        static const char error[] = "virt-v2v: error: nbdcopy: write: \"sda\"\nNo space left on device\n\n";
        V2vStatus st = {
                .id = "j4",
                .state = V2V_JOB_FAILED,
                .started = true,
                .return_code = 1,
                .progress = p,
                .cpu_limit = "25%",
                .network_limit = 100,
        };
        JsonObject *o, *m;

        v2v_progress_feed_log(p, error, strlen(error), UINT64_C(2000000));
        json = v2v_statefile_render(&st);
        g_assert_cmpstr(json, ==, expected);

        o = parse_object(json, &parser);
        assert_keys(o, keys);
        g_assert_cmpint(json_object_get_int_member(o, "return_code"), ==, 1);
        m = json_object_get_object_member(o, "last_message");
        g_assert_cmpstr(json_object_get_string_member(m, "type"), ==, "error");
        g_assert_cmpstr(json_object_get_string_member(m, "message"), ==,
                        "nbdcopy: write: \"sda\"\nNo space left on device");
        g_assert_true(json_object_get_boolean_member(o, "finished"));
        g_assert_true(json_object_get_boolean_member(o, "failed"));
        g_clear_object(&parser);

        /* the daemon's own verdict overrides virt-v2v's last message */
        g_free(json);
        st.last_message_type = "error";
        st.last_message_text = "virt-v2v was killed by signal 9";
        json = v2v_statefile_render(&st);
        o = parse_object(json, &parser);
        m = json_object_get_object_member(o, "last_message");
        g_assert_cmpstr(json_object_get_string_member(m, "message"), ==, "virt-v2v was killed by signal 9");
        g_clear_object(&parser);

        /* cancelled counts as failed; a job that never started has no return code */
        g_free(json);
        st.state = V2V_JOB_CANCELLED;
        st.started = false;
        st.return_code = -1;
        json = v2v_statefile_render(&st);
        o = parse_object(json, &parser);
        g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "cancelled");
        g_assert_true(json_object_get_boolean_member(o, "failed"));
        g_assert_true(json_object_get_boolean_member(o, "finished"));
        g_assert_false(json_object_get_boolean_member(o, "started"));
        g_assert_false(json_object_has_member(o, "return_code"));
}

static void test_render_rounding(void) {
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autoptr(JsonParser) parser = NULL;
        g_autofree char *json = NULL;
        V2vStatus st = { .id = "r", .state = V2V_JOB_RUNNING, .return_code = -1, .progress = p };
        JsonObject *o;

        {
                static const char log[] = "[   1.0] Copying disk 1/3\n\xe2\x96\x88 100% [**]\n";

                v2v_progress_feed_log(p, log, strlen(log), 1);
        }
        g_assert_cmpfloat(p->copy_progress, >, 33.3333);
        g_assert_cmpfloat(p->progress, >, 39.3333);     /* 10 + 33.33… × 0.88 */
        json = v2v_statefile_render(&st);
        o = parse_object(json, &parser);
        g_assert_cmpfloat(json_object_get_double_member(o, "progress"), ==, 39.33);
        g_assert_cmpstr(json_object_get_string_member(
                json_array_get_object_element(json_object_get_array_member(o, "disks"), 2), "path"), ==, "disk 3");
}

static V2vJobRecord *full_record(void) {
        V2vJobRecord *r = v2v_job_record_new();

        r->id = g_strdup("job_1");
        r->owner_uid = 1000;
        r->state = V2V_JOB_CANCELLED;
        r->created_usec = UINT64_C(1763769103808621);
        r->started_usec = UINT64_C(1763769104000000);
        r->finished_usec = UINT64_C(1763769190000000);
        r->unit = g_strdup("v2vd-job-job_1.scope");
        r->runner_pid = 31337;
        r->cpu_limit = g_strdup("50%");
        r->network_limit = UINT64_MAX;
        r->cancel_requested = true;
        r->return_code = 1;
        r->final_message_type = g_strdup("error");
        r->final_message_text = g_strdup("cancelled by uid 1000\n\"quoted\" \xc3\xa9");
        g_ptr_array_add(r->preexisting_outputs, g_strdup("/srv/out/guest-sda"));
        g_ptr_array_add(r->preexisting_outputs, g_strdup("/srv/out/guest.xml"));
        g_ptr_array_add(r->created_outputs, g_strdup("64769:1234567:guest-sdb"));
        return r;
}

static void assert_same_strings(const GPtrArray *a, const GPtrArray *b) {
        g_assert_nonnull(b);
        g_assert_cmpuint(a->len, ==, b->len);
        for (unsigned i = 0; i < a->len; i++)
                g_assert_cmpstr(g_ptr_array_index(a, i), ==, g_ptr_array_index(b, i));
}

static void assert_same_record(const V2vJobRecord *a, const V2vJobRecord *b) {
        g_assert_cmpstr(a->id, ==, b->id);
        g_assert_cmpuint(a->owner_uid, ==, b->owner_uid);
        g_assert_cmpint(a->state, ==, b->state);
        g_assert_cmpuint(a->created_usec, ==, b->created_usec);
        g_assert_cmpuint(a->started_usec, ==, b->started_usec);
        g_assert_cmpuint(a->finished_usec, ==, b->finished_usec);
        g_assert_cmpstr(a->unit, ==, b->unit);
        g_assert_cmpuint(a->runner_pid, ==, b->runner_pid);
        g_assert_cmpstr(a->cpu_limit, ==, b->cpu_limit);
        g_assert_cmpuint(a->network_limit, ==, b->network_limit);
        g_assert_cmpint(a->cancel_requested, ==, b->cancel_requested);
        g_assert_cmpint(a->return_code, ==, b->return_code);
        g_assert_cmpstr(a->final_message_type, ==, b->final_message_type);
        g_assert_cmpstr(a->final_message_text, ==, b->final_message_text);
        assert_same_strings(a->preexisting_outputs, b->preexisting_outputs);
        assert_same_strings(a->created_outputs, b->created_outputs);
}

static void test_record_roundtrip(void) {
        g_autoptr(V2vJobRecord) full = full_record();
        g_autoptr(V2vJobRecord) minimal = v2v_job_record_new();
        g_autoptr(V2vJobRecord) empty_strings = full_record();
        V2vJobRecord *cases[] = { full, minimal, empty_strings };

        minimal->id = g_strdup("m");

        g_free(empty_strings->unit);
        empty_strings->unit = g_strdup("");
        g_clear_pointer(&empty_strings->final_message_type, g_free);
        g_clear_pointer(&empty_strings->final_message_text, g_free);
        empty_strings->network_limit = INT64_MAX;
        empty_strings->return_code = -1;
        empty_strings->owner_uid = UINT32_MAX - 1;
        empty_strings->runner_pid = UINT32_MAX;

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *json = v2v_job_record_render(cases[i]);
                g_autofree char *json2 = NULL;
                g_autoptr(GError) error = NULL;
                g_autoptr(V2vJobRecord) back = v2v_job_record_parse(json, &error);

                g_assert_no_error(error);
                g_assert_nonnull(back);
                assert_same_record(cases[i], back);
                json2 = v2v_job_record_render(back);
                g_assert_cmpstr(json, ==, json2);
        }

        g_assert_null(minimal->unit);
        {
                g_autofree char *json = v2v_job_record_render(minimal);
                g_autoptr(V2vJobRecord) back = v2v_job_record_parse(json, NULL);

                g_assert_null(back->unit);
                g_assert_cmpint(back->return_code, ==, -1);
                g_assert_cmpint(back->state, ==, V2V_JOB_QUEUED);
        }
}

static void test_record_errors(void) {
        static const struct {
                const char *json;
                const char *key;   /* must appear in the message */
        } cases[] = {
                { "", "not a JSON object" },
                { "{", "not JSON" },
                { "[]", "not a JSON object" },
                { "{\"owner_uid\": 0, \"state\": \"queued\"}", "\"id\"" },
                { "{\"id\": 5, \"owner_uid\": 0, \"state\": \"queued\"}", "\"id\"" },
                { "{\"id\": \"a\", \"state\": \"queued\"}", "\"owner_uid\"" },
                { "{\"id\": \"a\", \"owner_uid\": \"0\", \"state\": \"queued\"}", "\"owner_uid\"" },
                { "{\"id\": \"a\", \"owner_uid\": -1, \"state\": \"queued\"}", "\"owner_uid\"" },
                { "{\"id\": \"a\", \"owner_uid\": 4294967296, \"state\": \"queued\"}", "\"owner_uid\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0}", "\"state\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"done\"}", "\"state\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"created_usec\": -5}", "\"created_usec\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"started_usec\": 1.5}", "\"started_usec\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"network_limit\": \"12x\"}", "\"network_limit\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"unit\": 7}", "\"unit\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"cancel_requested\": 1}", "\"cancel_requested\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"return_code\": \"1\"}", "\"return_code\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"runner_pid\": -2}", "\"runner_pid\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"preexisting_outputs\": \"x\"}", "\"preexisting_outputs\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"preexisting_outputs\": [\"x\", 1]}", "\"preexisting_outputs\"" },
                { "{\"id\": \"a\", \"owner_uid\": 0, \"state\": \"queued\", \"created_outputs\": [2]}", "\"created_outputs\"" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(V2vJobRecord) r = v2v_job_record_parse(cases[i].json, &error);

                g_assert_null(r);
                g_assert_error(error, V2V_STATEFILE_ERROR, V2V_STATEFILE_ERROR_INVALID);
                if (!strstr(error->message, cases[i].key))
                        g_error("case %zu: \"%s\" does not name %s", i, error->message, cases[i].key);
        }

        {
                /* unknown keys are ignored, a null string is no string */
                g_autoptr(GError) error = NULL;
                g_autoptr(V2vJobRecord) r = v2v_job_record_parse(
                        "{\"id\": \"a\", \"owner_uid\": 7, \"state\": \"running\", \"future\": [1], \"unit\": null}", &error);

                g_assert_no_error(error);
                g_assert_cmpstr(r->id, ==, "a");
                g_assert_cmpuint(r->owner_uid, ==, 7);
                g_assert_null(r->unit);
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/statefile/state-strings", test_state_strings);
        g_test_add_func("/statefile/render-queued", test_render_queued);
        g_test_add_func("/statefile/render-queued-no-progress", test_render_queued_no_progress);
        g_test_add_func("/statefile/render-running", test_render_running);
        g_test_add_func("/statefile/render-succeeded", test_render_succeeded);
        g_test_add_func("/statefile/render-failed", test_render_failed);
        g_test_add_func("/statefile/render-rounding", test_render_rounding);
        g_test_add_func("/statefile/record-roundtrip", test_record_roundtrip);
        g_test_add_func("/statefile/record-errors", test_record_errors);
        return g_test_run();
}
