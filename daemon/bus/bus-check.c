/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus-check.h"
#include "bus/bus-manager.h"
#include "bus/bus-access.h"
#include "bus/source-call.h"
#include "common/v2v-limits.h"
#include "core/spec.h"
#include "host/owner.h"
#include "host/util.h"
#include "sources/preflight.h"

typedef struct Options {
        int inspect;           /* -1 = not given */
        int check;
        unsigned timeout_sec;  /* 0 = default */
} Options;

static int read_options(sd_bus_message *message, Options *o, sd_bus_error *error) {
        int r;

        *o = (Options) { .inspect = -1, .check = -1 };
        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                const char *key;
                int b;
                uint32_t u;

                r = sd_bus_message_read(message, "s", &key);
                if (r < 0)
                        return r;
                if (g_str_equal(key, "inspect") || g_str_equal(key, "check")) {
                        r = sd_bus_message_read(message, "v", "b", &b);
                        if (r < 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "option %s: expected a boolean", key);
                        *(g_str_equal(key, "inspect") ? &o->inspect : &o->check) = !!b;
                } else if (g_str_equal(key, "timeout")) {
                        r = sd_bus_message_read(message, "v", "u", &u);
                        if (r < 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "option timeout: expected seconds (u)");
                        if (u == 0 || u > CHECK_MAX_TIMEOUT_SEC)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "option timeout: 1 to %u seconds", CHECK_MAX_TIMEOUT_SEC);
                        o->timeout_sec = u;
                } else
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "unknown option %s (inspect, check, timeout)", key);
                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(message);
}

static void add(JsonArray *a, const char *severity, const char *code, const char *key, const char *message) {
        json_array_add_element(a, preflight_finding(severity, code, key, message));
}

/* The top-level key a spec error names ("network_mappings[0].type: …"). */
static char *error_key(const char *msg) {
        size_t n = strspn(msg, "abcdefghijklmnopqrstuvwxyz_0123456789");

        if (n == 0 || (msg[n] != ':' && msg[n] != '[' && msg[n] != '.'))
                return g_strdup("");
        return g_strndup(msg, n);
}

/* The spec's structure as CreateJob takes it (the paths are the helper's,
 * with the caller's rights). FALSE (and an error finding) when it does
 * not; *ret_spec is the parsed spec otherwise. */
static gboolean check_spec(Manager *m, const char *text, uid_t uid, JsonArray *f, V2vSpec **ret_spec) {
        g_autofree char *home = home_of(uid);
        g_autoptr(GError) gerror = NULL;
        V2vSpecContext ctx = {
                .owner_uid = uid,
                .owner_home = home,
                .profile_dirs = (const char *const *) m->profile_dirs,
                .paths_checked = true,   /* the helper checks them, as the caller */
                .sizes_given = true,     /* and the daemon looks at none of them */
        };

        *ret_spec = v2v_spec_parse(text, &ctx, &gerror);
        if (!*ret_spec) {
                g_autofree char *key = error_key(gerror->message);
                add(f, "error", "spec-invalid", key, gerror->message);
                return FALSE;
        }
        if (!m->user_mode && uid != 0 && owner_root_output(*ret_spec) &&
            owner_job_uid(m->user_mode, m->root_outputs, uid, *ret_spec) != (uid_t) -1) {
                g_autofree char *t = g_strdup_printf("the %s output needs root and v2vd runs a job as its owner: ask an "
                                                     "administrator for root_outputs=%s in v2vd.conf",
                                                     owner_root_output(*ret_spec), owner_root_output(*ret_spec));
                add(f, "error", "output-needs-root", "", t);
        }
        return TRUE;
}

/* Where the job would wait, and the limits it would run with. */
static void check_queue(Manager *m, const V2vSpec *spec, uid_t uid, JsonArray *f) {
        unsigned queued = g_queue_get_length(&m->queue);
        g_autofree char *t = NULL;
        const char *cpu = spec->cpu_limit ?: m->default_cpu ?: "unlimited";
        uint64_t net = spec->network_limit >= 0 ? (uint64_t) spec->network_limit : m->default_network;

        if (manager_queue_is_full(m))
                add(f, "error", "queue-full", "",
                    (t = g_strdup_printf("%u jobs are queued, the most max_queued_jobs= allows: CreateJob would refuse "
                                         "it now; wait for jobs to end", queued)));
        else if (m->max_queued_jobs_per_user > 0 && manager_queued_of(m, uid) >= m->max_queued_jobs_per_user)
                add(f, "error", "queue-full", "",
                    (t = g_strdup_printf("you have %u jobs queued, the most max_queued_jobs_per_user= allows: "
                                         "CreateJob would refuse it now", manager_queued_of(m, uid))));
        else if (m->n_running >= m->max_running_jobs)
                add(f, "info", "queue-wait", "",
                    (t = g_strdup_printf("%u jobs run (max_running_jobs=%u) and %u wait: this one would wait behind them",
                                         m->n_running, m->max_running_jobs, queued)));
        else
                add(f, "info", "queue-wait", "",
                    (t = g_strdup_printf("%u of %u jobs run: this one would start at once", m->n_running,
                                         m->max_running_jobs)));
        g_clear_pointer(&t, g_free);
        if (net > 0)
                t = g_strdup_printf("it would run with CPU %s and network %" G_GUINT64_FORMAT " bytes/s", cpu, net);
        else
                t = g_strdup_printf("it would run with CPU %s and network unlimited", cpu);
        add(f, "info", "limits", "throttling", t);
}

static int reply_findings(sd_bus_message *message, JsonArray *a) {
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssss)");
        if (r < 0)
                return r;
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonObject *o = json_array_get_object_element(a, i);
                r = sd_bus_message_append(reply, "(ssss)", json_object_get_string_member_with_default(o, "severity", "info"),
                                          json_object_get_string_member_with_default(o, "code", ""),
                                          json_object_get_string_member_with_default(o, "key", ""),
                                          json_object_get_string_member_with_default(o, "message", ""));
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static gboolean findings_valid(JsonNode *n) {
        if (!n || !JSON_NODE_HOLDS_ARRAY(n))
                return FALSE;
        for (guint i = 0; i < json_array_get_length(json_node_get_array(n)); i++) {
                JsonNode *e = json_array_get_element(json_node_get_array(n), i);
                if (!JSON_NODE_HOLDS_OBJECT(e))
                        return FALSE;
                for (const char *const *k = (const char *const[]) { "severity", "code", "key", "message", NULL }; *k; k++) {
                        JsonNode *v = json_object_get_member(json_node_get_object(e), *k);
                        if (!v || !JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_STRING ||
                            !g_utf8_validate(json_node_get_string(v), -1, NULL))
                                return FALSE;
                }
        }
        return TRUE;
}

int bus_check_reply(Bus *b, sd_bus_message *message, JsonNode *daemon_findings, const char *helper_json) {
        Manager *m = b->manager;
        g_autoptr(JsonParser) p = json_parser_new();
        JsonArray *all = json_node_get_array(daemon_findings);
        JsonArray *helper;
        g_autoptr(GString) errors = g_string_new(NULL);
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *text;
        uid_t uid;
        int r;

        if (!json_parser_load_from_data(p, helper_json, -1, NULL) || !findings_valid(json_parser_get_root(p)))
                return -EBADMSG;
        helper = json_node_get_array(json_parser_get_root(p));
        for (guint i = 0; i < json_array_get_length(helper); i++)
                json_array_add_element(all, json_node_copy(json_array_get_element(helper, i)));
        if (!g_str_equal(sd_bus_message_get_member(message), "CreateJobWithOptions"))
                return reply_findings(message, all);

        for (guint i = 0; i < json_array_get_length(all); i++) {
                JsonObject *o = json_array_get_object_element(all, i);
                if (g_str_equal(json_object_get_string_member(o, "severity"), "error"))
                        g_string_append_printf(errors, "%s%s: %s", errors->len ? "; " : "",
                                               json_object_get_string_member(o, "code"),
                                               json_object_get_string_member(o, "message"));
        }
        if (errors->len)
                return sd_bus_reply_method_errorf(message, V2VD_ERROR_CHECK_FAILED, "the checks found errors: %s",
                                                  errors->str);
        r = sd_bus_message_rewind(message, true);
        if (r >= 0)
                r = sd_bus_message_read(message, "s", &text);
        if (r >= 0)
                r = bus_sender_uid(message, &uid);
        if (r >= 0) {
                g_autoptr(JsonGenerator) g = json_generator_new();
                g_autoptr(JsonNode) n = json_node_init_array(json_node_alloc(), all);
                g_autofree char *check_json = NULL;

                json_generator_set_pretty(g, TRUE);
                json_generator_set_root(g, n);
                check_json = json_generator_to_data(g, NULL);
                r = bus_manager_create_job(m, message, text, uid, check_json, &error);
        }
        if (r < 0 || sd_bus_error_is_set(&error)) {
                if (sd_bus_error_is_set(&error))
                        (void) sd_bus_reply_method_error(message, &error);
                else
                        (void) sd_bus_reply_method_errnof(message, r, "cannot create the job: %s", g_strerror(-r));
                sd_bus_error_free(&error);
        }
        return 0;
}

/* CheckJob(s), CheckJobWithOptions(s, a{sv}) and CreateJobWithOptions:
 * the same start. */
static int start_check(Bus *b, sd_bus_message *message, bool create, sd_bus_error *error) {
        Manager *m = b->manager;
        g_autoptr(JsonNode) findings = json_node_new(JSON_NODE_ARRAY);
        g_autoptr(V2vSpec) spec = NULL;
        const char *text;
        Options o = { .inspect = -1, .check = -1 };
        unsigned timeout;
        uid_t uid;
        int r;

        r = sd_bus_message_read(message, "s", &text);
        if (r < 0)
                return r;
        if (!g_str_equal(sd_bus_message_get_member(message), "CheckJob")) {
                r = read_options(message, &o, error);
                if (r < 0)
                        return r;
        }
        r = bus_manager_spec_size_bound(text, error);
        if (r < 0)
                return r;
        r = bus_sender_uid(message, &uid);
        if (r < 0)
                return r;
        /* Checking reveals what the caller's paths and sources hold: it
         * needs create-job; creating needs what CreateJob needs. */
        r = bus_manager_admit(b, message, text, uid, create,
                              create ? bus_manager_create_action(text) : V2VD_POLKIT_ACTION_CREATE_JOB, &text, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (create && o.check != 1)
                return bus_manager_create_job(m, message, text, uid, NULL, error);

        json_node_take_array(findings, json_array_new());
        if (!check_spec(m, text, uid, json_node_get_array(findings), &spec)) {
                if (create)
                        return sd_bus_error_setf(error, V2VD_ERROR_INVALID_SPEC, "%s",
                                                 json_object_get_string_member(
                                                         json_array_get_object_element(json_node_get_array(findings), 0),
                                                         "message"));
                return reply_findings(message, json_node_get_array(findings));
        }
        check_queue(m, spec, uid, json_node_get_array(findings));
        timeout = o.timeout_sec ?: (o.inspect == 1 ? MAX(CHECK_INSPECT_TIMEOUT_SEC, m->source_timeout_sec)
                                                   : m->source_timeout_sec);
        return source_call_start_check(b, message, text, o.inspect == 1, timeout, g_steal_pointer(&findings), error);
}

int bus_check_method_check_job(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return start_check(userdata, message, false, error);
}

int bus_check_method_create_job_with_options(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return start_check(userdata, message, true, error);
}
