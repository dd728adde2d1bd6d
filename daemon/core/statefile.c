/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/spec.h"
#include "core/statefile.h"

G_DEFINE_QUARK(v2v-statefile-error-quark, v2v_statefile_error)

static char *generate(JsonBuilder *b) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = json_builder_get_root(b);

        json_generator_set_pretty(gen, TRUE);
        json_generator_set_indent(gen, 2);
        json_generator_set_root(gen, root);
        return json_generator_to_data(gen, NULL);
}

static void add_string(JsonBuilder *b, const char *key, const char *value) {
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value);
}

static void add_int(JsonBuilder *b, const char *key, int64_t value) {
        json_builder_set_member_name(b, key);
        json_builder_add_int_value(b, value);
}

static void add_bool(JsonBuilder *b, const char *key, bool value) {
        json_builder_set_member_name(b, key);
        json_builder_add_boolean_value(b, value);
}

/* JSON numbers are doubles or int64 to most readers: beyond that, digits. */
static void add_u64(JsonBuilder *b, const char *key, uint64_t value) {
        if (value <= INT64_MAX)
                add_int(b, key, (int64_t) value);
        else {
                char buf[32];

                g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, value);
                add_string(b, key, buf);
        }
}

static void add_percent(JsonBuilder *b, const char *key, double value) {
        if (!isfinite(value))
                value = 0;
        json_builder_set_member_name(b, key);
        json_builder_add_double_value(b, round(CLAMP(value, 0.0, 100.0) * 100.0) / 100.0);
}

char *v2v_statefile_render(const V2vStatus *st) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        const V2vProgress *p = st->progress;
        const char *state = v2v_job_state_to_string(st->state);
        const char *msg_type = NULL, *msg_text = NULL;
        char network[32];

        json_builder_begin_object(b);
        add_string(b, "id", st->id ?: "");
        add_string(b, "state", state ?: "unknown");
        add_bool(b, "started", st->started);
        if (st->pid != 0)
                add_int(b, "pid", st->pid);
        if (p && p->phase)
                add_string(b, "phase", p->phase);
        add_percent(b, "progress", p ? p->progress : 0);
        if (p && p->disk_count > 0)
                add_int(b, "disk_count", p->disk_count);

        json_builder_set_member_name(b, "disks");
        json_builder_begin_array(b);
        for (unsigned i = 0; p && i < p->disks->len; i++) {
                const V2vDiskProgress *d = &g_array_index(p->disks, V2vDiskProgress, i);

                json_builder_begin_object(b);
                add_string(b, "path", d->path ?: "");
                add_percent(b, "progress", d->progress);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);

        if (st->return_code >= 0)
                add_int(b, "return_code", st->return_code);

        if (st->state == V2V_JOB_FAILED && st->failure_code && st->failure_summary && st->failure_summary[0]) {
                msg_type = "error";
                msg_text = st->failure_summary;
        } else if (st->last_message_type) {
                msg_type = st->last_message_type;
                msg_text = st->last_message_text;
        } else if (p && p->last_message_type) {
                msg_type = p->last_message_type;
                msg_text = p->last_message_text;
        }
        if (msg_type) {
                json_builder_set_member_name(b, "last_message");
                json_builder_begin_object(b);
                add_string(b, "message", msg_text ?: "");
                add_string(b, "type", msg_type);
                json_builder_end_object(b);
        }

        if (st->network_limit == 0)
                g_strlcpy(network, "unlimited", sizeof(network));
        else
                g_snprintf(network, sizeof(network), "%" G_GUINT64_FORMAT, st->network_limit);
        json_builder_set_member_name(b, "throttling");
        json_builder_begin_object(b);
        add_string(b, "cpu", st->cpu_limit && st->cpu_limit[0] ? st->cpu_limit : "unlimited");
        add_string(b, "network", network);
        json_builder_end_object(b);

        if (st->failure_code) {
                json_builder_set_member_name(b, "failure");
                json_builder_begin_object(b);
                add_string(b, "code", st->failure_code);
                add_string(b, "summary", st->failure_summary ?: "");
                add_string(b, "remedy", st->failure_remedy ?: "");
                json_builder_end_object(b);
        }
        if (v2v_job_state_is_finished(st->state))
                add_bool(b, "finished", true);
        if (st->state == V2V_JOB_FAILED || st->state == V2V_JOB_CANCELLED)
                add_bool(b, "failed", true);
        json_builder_end_object(b);

        return generate(b);
}

V2vJobRecord *v2v_job_record_new(void) {
        V2vJobRecord *r = g_new0(V2vJobRecord, 1);

        r->state = V2V_JOB_QUEUED;
        r->return_code = -1;
        r->preexisting_outputs = g_ptr_array_new_with_free_func(g_free);
        r->created_outputs = g_ptr_array_new_with_free_func(g_free);
        return r;
}

void v2v_job_record_free(V2vJobRecord *r) {
        if (!r)
                return;
        g_free(r->id);
        g_free(r->unit);
        g_free(r->cpu_limit);
        g_free(r->final_message_type);
        g_free(r->final_message_text);
        g_free(r->failure_code);
        g_free(r->failure_summary);
        g_free(r->failure_remedy);
        if (r->preexisting_outputs)
                g_ptr_array_unref(r->preexisting_outputs);
        if (r->created_outputs)
                g_ptr_array_unref(r->created_outputs);
        g_free(r);
}

static void add_opt_string(JsonBuilder *b, const char *key, const char *value) {
        if (value)
                add_string(b, key, value);
}

static void add_string_array(JsonBuilder *b, const char *key, const GPtrArray *a) {
        json_builder_set_member_name(b, key);
        json_builder_begin_array(b);
        for (unsigned i = 0; a && i < a->len; i++)
                json_builder_add_string_value(b, g_ptr_array_index(a, i));
        json_builder_end_array(b);
}

char *v2v_job_record_render(const V2vJobRecord *r) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();

        json_builder_begin_object(b);
        add_opt_string(b, "id", r->id);
        add_int(b, "owner_uid", r->owner_uid);
        add_string(b, "state", v2v_job_state_to_string(r->state) ?: "unknown");
        add_u64(b, "created_usec", r->created_usec);
        add_u64(b, "started_usec", r->started_usec);
        add_u64(b, "finished_usec", r->finished_usec);
        add_opt_string(b, "unit", r->unit);
        add_int(b, "runner_pid", r->runner_pid);
        add_opt_string(b, "cpu_limit", r->cpu_limit);
        add_u64(b, "network_limit", r->network_limit);
        add_u64(b, "disk_limit", r->disk_limit);
        add_bool(b, "cancel_requested", r->cancel_requested);
        add_int(b, "priority", r->priority);
        add_int(b, "return_code", r->return_code);
        add_opt_string(b, "final_message_type", r->final_message_type);
        add_opt_string(b, "final_message_text", r->final_message_text);
        add_opt_string(b, "failure_code", r->failure_code);
        add_opt_string(b, "failure_summary", r->failure_summary);
        add_opt_string(b, "failure_remedy", r->failure_remedy);
        add_string_array(b, "preexisting_outputs", r->preexisting_outputs);
        add_string_array(b, "created_outputs", r->created_outputs);
        json_builder_end_object(b);

        return generate(b);
}

static bool invalid(GError **error, const char *key, const char *what) {
        g_set_error(error, V2V_STATEFILE_ERROR, V2V_STATEFILE_ERROR_INVALID,
                    "job record: \"%s\" %s", key, what);
        return false;
}

static bool node_is(JsonNode *n, GType type) {
        return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type;
}

/* Each getter leaves *ret alone when the key is absent. */
static bool get_string(JsonObject *o, const char *key, char **ret, GError **error) {
        JsonNode *n = json_object_get_member(o, key);

        if (!n)
                return true;
        if (JSON_NODE_HOLDS_NULL(n)) {
                g_clear_pointer(ret, g_free);
                return true;
        }
        if (!node_is(n, G_TYPE_STRING))
                return invalid(error, key, "must be a string");
        g_free(*ret);
        *ret = g_strdup(json_node_get_string(n));
        return true;
}

static bool get_int(JsonObject *o, const char *key, int64_t min, int64_t max, int64_t *ret, GError **error) {
        JsonNode *n = json_object_get_member(o, key);
        int64_t v;

        if (!n)
                return true;
        if (!node_is(n, G_TYPE_INT64))
                return invalid(error, key, "must be an integer");
        v = json_node_get_int(n);
        if (v < min || v > max)
                return invalid(error, key, "is out of range");
        *ret = v;
        return true;
}

static bool get_u64(JsonObject *o, const char *key, uint64_t *ret, GError **error) {
        JsonNode *n = json_object_get_member(o, key);
        guint64 v;

        if (!n)
                return true;
        if (node_is(n, G_TYPE_INT64)) {
                if (json_node_get_int(n) < 0)
                        return invalid(error, key, "must not be negative");
                *ret = (uint64_t) json_node_get_int(n);
                return true;
        }
        if (!node_is(n, G_TYPE_STRING) ||
            !g_ascii_string_to_unsigned(json_node_get_string(n), 10, 0, G_MAXUINT64, &v, NULL))
                return invalid(error, key, "must be a non-negative integer");
        *ret = v;
        return true;
}

static bool get_bool(JsonObject *o, const char *key, bool *ret, GError **error) {
        JsonNode *n = json_object_get_member(o, key);

        if (!n)
                return true;
        if (!node_is(n, G_TYPE_BOOLEAN))
                return invalid(error, key, "must be a boolean");
        *ret = json_node_get_boolean(n);
        return true;
}

static bool get_string_array(JsonObject *o, const char *key, GPtrArray *into, GError **error) {
        JsonNode *n = json_object_get_member(o, key);
        JsonArray *a;

        if (!n)
                return true;
        if (!JSON_NODE_HOLDS_ARRAY(n))
                return invalid(error, key, "must be an array of strings");
        a = json_node_get_array(n);
        for (unsigned i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);

                if (!node_is(e, G_TYPE_STRING))
                        return invalid(error, key, "must be an array of strings");
                g_ptr_array_add(into, g_strdup(json_node_get_string(e)));
        }
        return true;
}

static bool parse_record_object(JsonObject *o, V2vJobRecord *r, GError **error) {
        g_autofree char *state = NULL;
        int64_t uid = -1, pid = r->runner_pid, rc = r->return_code, prio = 0;

        if (!get_string(o, "id", &r->id, error))
                return false;
        if (!r->id || !r->id[0])
                return invalid(error, "id", "is missing");

        if (!get_int(o, "owner_uid", 0, UINT32_MAX, &uid, error))
                return false;
        if (uid < 0)
                return invalid(error, "owner_uid", "is missing");
        r->owner_uid = (uid_t) uid;

        if (!get_string(o, "state", &state, error))
                return false;
        if (!state)
                return invalid(error, "state", "is missing");
        r->state = v2v_job_state_from_string(state);
        if (r->state == _V2V_JOB_STATE_INVALID)
                return invalid(error, "state", "is not a known job state");

        if (!get_u64(o, "created_usec", &r->created_usec, error) ||
            !get_u64(o, "started_usec", &r->started_usec, error) ||
            !get_u64(o, "finished_usec", &r->finished_usec, error) ||
            !get_string(o, "unit", &r->unit, error) ||
            !get_int(o, "runner_pid", 0, UINT32_MAX, &pid, error) ||
            !get_string(o, "cpu_limit", &r->cpu_limit, error) ||
            !get_u64(o, "network_limit", &r->network_limit, error) ||
            !get_u64(o, "disk_limit", &r->disk_limit, error) ||
            !get_bool(o, "cancel_requested", &r->cancel_requested, error) ||
            !get_int(o, "priority", V2V_PRIORITY_MIN, V2V_PRIORITY_MAX, &prio, error) ||
            !get_int(o, "return_code", INT_MIN, INT_MAX, &rc, error) ||
            !get_string(o, "final_message_type", &r->final_message_type, error) ||
            !get_string(o, "final_message_text", &r->final_message_text, error) ||
            !get_string(o, "failure_code", &r->failure_code, error) ||
            !get_string(o, "failure_summary", &r->failure_summary, error) ||
            !get_string(o, "failure_remedy", &r->failure_remedy, error))
                return false;
        r->runner_pid = (uint32_t) pid;
        r->return_code = (int) rc;
        r->priority = (int) prio;

        return get_string_array(o, "preexisting_outputs", r->preexisting_outputs, error) &&
               get_string_array(o, "created_outputs", r->created_outputs, error);
}

V2vJobRecord *v2v_job_record_parse(const char *json, GError **error) {
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(V2vJobRecord) r = v2v_job_record_new();
        g_autoptr(GError) local = NULL;
        JsonNode *root;

        if (!json || !json_parser_load_from_data(parser, json, -1, &local)) {
                g_set_error(error, V2V_STATEFILE_ERROR, V2V_STATEFILE_ERROR_INVALID,
                            "job record: not JSON: %s", local ? local->message : "no data");
                return NULL;
        }
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
                g_set_error_literal(error, V2V_STATEFILE_ERROR, V2V_STATEFILE_ERROR_INVALID,
                                    "job record: not a JSON object");
                return NULL;
        }
        if (!parse_record_object(json_node_get_object(root), r, error))
                return NULL;
        return g_steal_pointer(&r);
}
