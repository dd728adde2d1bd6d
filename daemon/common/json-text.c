/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "common/json-text.h"

const char *v2v_json_type_name(JsonNode *n) {
        switch (JSON_NODE_TYPE(n)) {
        case JSON_NODE_OBJECT:
                return "an object";
        case JSON_NODE_ARRAY:
                return "an array";
        case JSON_NODE_NULL:
                return "null";
        case JSON_NODE_VALUE:
                break;
        }
        switch (json_node_get_value_type(n)) {
        case G_TYPE_STRING:
                return "a string";
        case G_TYPE_BOOLEAN:
                return "a boolean";
        default:
                return "a number";
        }
}

char *v2v_json_quote(const char *s) {
        g_autofree char *cut = NULL;
        GString *out;

        if (g_utf8_strlen(s, -1) > 64) {
                g_autofree char *head = g_utf8_substring(s, 0, 61);
                cut = g_strconcat(head, "...", NULL);
                s = cut;
        }
        /* Unlike g_strescape, keep non-ASCII text readable. */
        out = g_string_new("\"");
        for (const char *p = s; *p; p = g_utf8_next_char(p)) {
                gunichar c = g_utf8_get_char(p);
                if (c == '"' || c == '\\')
                        g_string_append_printf(out, "\\%c", (char) c);
                else if (g_unichar_iscntrl(c))
                        g_string_append_printf(out, "\\u%04x", (unsigned) c);
                else
                        g_string_append_unichar(out, c);
        }
        g_string_append_c(out, '"');
        return g_string_free(out, false);
}

JsonNode *v2v_json_member(JsonObject *o, const char *key) {
        JsonNode *n = json_object_get_member(o, key);
        return n && !JSON_NODE_HOLDS_NULL(n) ? n : NULL;
}

char *v2v_json_describe(JsonNode *n, bool secret) {
        if (secret || JSON_NODE_TYPE(n) != JSON_NODE_VALUE)
                return g_strdup(v2v_json_type_name(n));
        switch (json_node_get_value_type(n)) {
        case G_TYPE_STRING:
                return v2v_json_quote(json_node_get_string(n));
        case G_TYPE_BOOLEAN:
                return g_strdup(json_node_get_boolean(n) ? "true" : "false");
        case G_TYPE_INT64:
                return g_strdup_printf("%" PRId64, json_node_get_int(n));
        default:
                return g_strdup_printf("%g", json_node_get_double(n));
        }
}
