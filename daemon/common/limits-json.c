/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <string.h>

#include "common/json-text.h"
#include "common/limits-json.h"
#include "common/v2v-limits.h"

V2vLimitsJson *v2v_limits_json_new(void) {
        V2vLimitsJson *t = g_new0(V2vLimitsJson, 1);

        t->network = -1;
        t->disk = -1;
        t->problems = g_ptr_array_new_with_free_func(g_free);
        return t;
}

void v2v_limits_json_free(V2vLimitsJson *t) {
        if (!t)
                return;
        g_free(t->cpu);
        g_ptr_array_unref(t->problems);
        g_free(t);
}

static void problem(V2vLimitsJson *t, const char *key, JsonNode *n, const char *expected) {
        g_autofree char *got = v2v_json_describe(n, false);

        g_ptr_array_add(t->problems, g_strdup_printf("%s: expected %s, got %s", key, expected, got));
}

static void read_cpu(JsonNode *n, unsigned flags, V2vLimitsJson *t) {
        bool wrapper = flags & V2V_LIMITS_JSON_WRAPPER;
        char buf[V2V_LIMIT_STRLEN];
        uint64_t quota;
        const char *s = NULL;
        g_autofree char *number = NULL;

        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
                s = json_node_get_string(n);
        else if (wrapper && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
                s = number = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
        if (!s || v2v_cpu_limit_parse(s, wrapper ? V2V_LIMIT_BARE_PERCENT : 0, &quota) < 0) {
                problem(t, "cpu", n, wrapper ? "N% or N (percent of one CPU, 1 to 10000) or \"unlimited\""
                                             : "N% or \"unlimited\"");
                return;
        }
        g_free(t->cpu);
        t->cpu = g_strdup(v2v_cpu_limit_format(quota, buf));
}

/* network and disk: bytes per second. */
static void read_bytes(JsonNode *n, const char *key, V2vLimitsJson *t, int64_t *into) {
        uint64_t bytes;

        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 && json_node_get_int(n) >= 0)
                *into = json_node_get_int(n);
        else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
                 v2v_network_limit_parse(json_node_get_string(n), &bytes) >= 0)
                *into = (int64_t) bytes;
        else
                problem(t, key, n, "bytes per second as digits or \"unlimited\"");
}

void v2v_limits_json_read_object(JsonObject *o, unsigned flags, V2vLimitsJson *t) {
        g_autoptr(GList) keys = json_object_get_members(o);
        JsonNode *n;

        if (!(flags & V2V_LIMITS_JSON_WRAPPER))
                for (GList *l = keys; l; l = l->next)
                        if (strcmp(l->data, "cpu") != 0 && strcmp(l->data, "network") != 0 &&
                            strcmp(l->data, "disk") != 0) {
                                g_autofree char *q = v2v_json_quote(l->data);
                                g_ptr_array_add(t->problems,
                                                g_strdup_printf("%s: unknown key, expected \"cpu\", \"network\" or \"disk\"", q));
                        }
        if ((n = v2v_json_member(o, "cpu")))
                read_cpu(n, flags, t);
        if ((n = v2v_json_member(o, "network")))
                read_bytes(n, "network", t, &t->network);
        if ((n = v2v_json_member(o, "disk")))
                read_bytes(n, "disk", t, &t->disk);
}

V2vLimitsJson *v2v_limits_json_parse(const char *text, size_t len, unsigned flags, GError **error) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(V2vLimitsJson) t = NULL;
        g_autoptr(GError) e = NULL;
        JsonNode *root;

        if (!json_parser_load_from_data(parser, text, (gssize) len, &e)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not JSON: %s", e->message);
                return NULL;
        }
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "expected a JSON object {\"cpu\": …, \"network\": …, \"disk\": …}, got %s",
                            root ? v2v_json_type_name(root) : "nothing");
                return NULL;
        }
        t = v2v_limits_json_new();
        v2v_limits_json_read_object(json_node_get_object(root), flags, t);
        return g_steal_pointer(&t);
}
