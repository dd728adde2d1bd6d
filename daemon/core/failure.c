/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <json-glib/json-glib.h>
#include <string.h>

#include "core/failure.h"

/* failures-table.c, generated from failures.json */
extern const char v2v_failures_json[];

#define SUMMARY_MAX_BYTES 400

typedef struct Entry {
        char *code, *summary, *remedy;
        GStrv state, daemon, error, log;
} Entry;

static void entry_clear(void *data) {
        Entry *e = data;

        g_free(e->code);
        g_free(e->summary);
        g_free(e->remedy);
        g_strfreev(e->state);
        g_strfreev(e->daemon);
        g_strfreev(e->error);
        g_strfreev(e->log);
}

static GStrv strings_member(JsonObject *o, const char *key) {
        JsonNode *n = json_object_get_member(o, key);
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        JsonArray *a;

        if (!n)
                return NULL;
        g_assert(JSON_NODE_HOLDS_ARRAY(n));
        a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++)
                g_strv_builder_add(b, json_array_get_string_element(a, i));
        return g_strv_builder_end(b);
}

/* The table is part of the program: a malformed one is a build's bug,
 * which the unit test catches, so this asserts rather than reports. */
static GArray *table(void) {
        static gsize entries;

        if (g_once_init_enter(&entries)) {
                g_autoptr(JsonParser) p = json_parser_new_immutable();
                GArray *a = g_array_new(FALSE, TRUE, sizeof(Entry));
                JsonArray *list;

                g_array_set_clear_func(a, entry_clear);
                if (!json_parser_load_from_data(p, v2v_failures_json, -1, NULL))
                        g_error("failures.json is not JSON");
                list = json_object_get_array_member(json_node_get_object(json_parser_get_root(p)), "failures");
                for (guint i = 0; i < json_array_get_length(list); i++) {
                        JsonObject *o = json_array_get_object_element(list, i);
                        Entry e = {
                                .code = g_strdup(json_object_get_string_member(o, "code")),
                                .summary = g_strdup(json_object_get_string_member(o, "summary")),
                                .remedy = g_strdup(json_object_get_string_member(o, "remedy")),
                                .state = strings_member(o, "state"),
                                .daemon = strings_member(o, "daemon"),
                                .error = strings_member(o, "error"),
                                .log = strings_member(o, "log"),
                        };
                        g_array_append_val(a, e);
                }
                g_once_init_leave(&entries, (gsize) a);
        }
        return (GArray *) entries;
}

const char *v2v_failure_table_text(void) {
        return v2v_failures_json;
}

GPtrArray *v2v_failure_codes(void) {
        GArray *t = table();
        GPtrArray *codes = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; i < t->len; i++)
                g_ptr_array_add(codes, g_strdup(g_array_index(t, Entry, i).code));
        g_ptr_array_add(codes, g_strdup(V2V_FAILURE_UNKNOWN));
        return codes;
}

V2vFailure *v2v_failure_new(const char *code, const char *summary, const char *remedy) {
        V2vFailure *f = g_new0(V2vFailure, 1);

        f->code = g_strdup(code ?: "");
        f->summary = g_strdup(summary ?: "");
        f->remedy = g_strdup(remedy ?: "");
        return f;
}

void v2v_failure_free(V2vFailure *f) {
        if (!f)
                return;
        g_free(f->code);
        g_free(f->summary);
        g_free(f->remedy);
        g_free(f);
}

char *v2v_failure_first_line(const char *text) {
        const char *end;
        g_autofree char *line = NULL;
        const char *cut;

        if (!text)
                return g_strdup("");
        while (*text && g_ascii_isspace(*text))
                text++;
        end = strchr(text, '\n');
        line = g_strndup(text, end ? (size_t) (end - text) : strlen(text));
        g_strstrip(line);
        if (strlen(line) <= SUMMARY_MAX_BYTES)
                return g_steal_pointer(&line);
        /* Cut at a character boundary; the text is valid UTF-8 (progress.c). */
        cut = g_utf8_find_prev_char(line, line + SUMMARY_MAX_BYTES + 1);
        return g_strndup(line, cut ? (size_t) (cut - line) : SUMMARY_MAX_BYTES);
}

static bool any_in(const GStrv patterns, const char *text) {
        if (!patterns || !text)
                return false;
        for (char **p = patterns; *p; p++)
                if (strstr(text, *p))
                        return true;
        return false;
}

static bool entry_matches(const Entry *e, const V2vFailureInput *in) {
        if (e->state && any_in(e->state, v2v_job_state_to_string(in->state)))
                return true;
        if (any_in(e->daemon, in->daemon_message))
                return true;
        if (any_in(e->error, in->first_error) || any_in(e->error, in->last_error))
                return true;
        return any_in(e->log, in->other_lines);
}

static char *expand_summary(const char *summary, const char *detail) {
        g_autoptr(GString) s = g_string_new(summary);

        g_string_replace(s, "{detail}", detail, 0);
        return g_string_free(g_steal_pointer(&s), FALSE);
}

V2vFailure *v2v_failure_classify(const V2vFailureInput *in) {
        GArray *t = table();
        g_autofree char *line = NULL, *detail = NULL;

        if (in->state != V2V_JOB_FAILED && in->state != V2V_JOB_CANCELLED)
                return NULL;
        line = v2v_failure_first_line(in->first_error ?: in->daemon_message);
        detail = v2v_failure_first_line(in->daemon_message ?: in->first_error);

        for (guint i = 0; i < t->len; i++) {
                const Entry *e = &g_array_index(t, Entry, i);

                if (e->state && !any_in(e->state, v2v_job_state_to_string(in->state)))
                        continue;
                /* Only the "cancelled" entry speaks for a cancelled job. */
                if (!e->state && in->state == V2V_JOB_CANCELLED)
                        continue;
                if (entry_matches(e, in)) {
                        g_autofree char *summary = expand_summary(e->summary, detail[0] ? detail : e->code);
                        return v2v_failure_new(e->code, summary, e->remedy);
                }
        }
        return v2v_failure_new(V2V_FAILURE_UNKNOWN, line[0] ? line : "virt-v2v failed without an error message",
                               "Read v2v.log (v2vctl log ID) from its first \"error:\" line back; "
                               "v2vctl bundle ID collects what a bug report needs.");
}
