/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * v2vd-sources: one ListSourceVMs or InspectSourceVM call, in its own
 * process, started by the daemon (source-call.c) with the caller's user
 * and groups. Reads {"op": "list"|"inspect", "source": {…}, "vm": "…"} on
 * stdin (the password travels there, never in argv or the environment),
 * writes the reply JSON on stdout and exits 0, or writes the error text
 * and exits 2. The daemon kills it at its timeout. With "print_source" the
 * daemon adds "virt_v2v" and "environment" (its [environment]). The
 * daemon runs this helper in a transient scope, stopped at the timeout.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sources/preflight.h"
#include "sources/sources.h"

#define MAX_REQUEST (1024 * 1024)

static int reply_error(const char *text) {
        fputs(text, stdout);
        fflush(stdout);
        return 2;
}

static char **string_array(JsonObject *o, const char *key) {
        JsonArray *a = json_object_has_member(o, key) ? json_object_get_array_member(o, key) : NULL;
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();

        for (guint i = 0; a && i < json_array_get_length(a); i++)
                g_strv_builder_add(b, json_array_get_string_element(a, i));
        return g_strv_builder_end(b);
}

static int check(JsonObject *req) {
        JsonNode *spec = json_object_get_member(req, "spec");
        g_autofree char *spec_text = NULL, *out = NULL;
        g_auto(GStrv) profile_dirs = string_array(req, "profile_dirs");
        g_auto(GStrv) environment = string_array(req, "environment");
        g_autoptr(JsonNode) findings = NULL;
        g_autoptr(JsonGenerator) g = json_generator_new();
        PreflightRequest pr = {
                .profile_dirs = (const char *const *) profile_dirs,
                .inspect = json_object_get_boolean_member_with_default(req, "inspect", FALSE),
                .inspect_timeout_sec = (unsigned) json_object_get_int_member_with_default(req, "inspect_timeout", 0),
                .timeout_sec = (unsigned) json_object_get_int_member_with_default(req, "timeout", 0),
                .virt_v2v = json_object_get_string_member_with_default(req, "virt_v2v", "virt-v2v"),
                .environment = environment,
        };

        if (!spec || !JSON_NODE_HOLDS_OBJECT(spec))
                return reply_error("bad request: no spec");
        spec_text = json_to_string(spec, FALSE);
        pr.spec_json = spec_text;
        findings = preflight_run(&pr);
        explicit_bzero(spec_text, strlen(spec_text));
        json_generator_set_root(g, findings);
        out = json_generator_to_data(g, NULL);
        fputs(out, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        g_autoptr(GString) in = g_string_new(NULL);
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(SourceSpec) spec = NULL;
        g_autoptr(JsonNode) result = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonGenerator) g = json_generator_new();
        g_autofree char *source_text = NULL, *out = NULL;
        JsonObject *req;
        JsonNode *source;
        const char *op, *vm;
        char buf[65536];
        size_t n;

        if (argc != 1)
                return reply_error("v2vd-sources takes its request on stdin");
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
                if (in->len + n > MAX_REQUEST)
                        return reply_error("request too large");
                g_string_append_len(in, buf, (gssize) n);
        }
        explicit_bzero(buf, sizeof buf);
        if (!json_parser_load_from_data(p, in->str, (gssize) in->len, NULL) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
                return reply_error("bad request");
        explicit_bzero(in->str, in->len);
        req = json_node_get_object(json_parser_get_root(p));
        op = json_object_get_string_member_with_default(req, "op", "");
        if (g_str_equal(op, "check"))
                return check(req);
        vm = json_object_get_string_member_with_default(req, "vm", NULL);
        source = json_object_get_member(req, "source");
        if (!source)
                return reply_error("bad request: no source");
        source_text = json_to_string(source, FALSE);
        spec = source_spec_parse(source_text, &error);
        explicit_bzero(source_text, strlen(source_text));
        if (!spec)
                return reply_error(error->message);

        if (g_str_equal(op, "list"))
                result = sources_list(spec, &error);
        else if (g_str_equal(op, "inspect") && vm) {
                result = sources_inspect(spec, vm, &error);
                if (result && spec->print_source) {
                        const char *v2v = json_object_get_string_member_with_default(req, "virt_v2v", "virt-v2v");
                        JsonArray *extra = json_object_has_member(req, "environment")
                                                   ? json_object_get_array_member(req, "environment") : NULL;
                        g_auto(GStrv) env = g_get_environ();
                        for (guint i = 0; extra && i < json_array_get_length(extra); i++) {
                                g_auto(GStrv) kv = g_strsplit(json_array_get_string_element(extra, i), "=", 2);
                                if (kv[0] && kv[1])
                                        env = g_environ_setenv(env, kv[0], kv[1], TRUE);
                        }
                        if (!sources_print_source(spec, vm, v2v, env, json_node_get_object(result), &error))
                                g_clear_pointer(&result, json_node_unref);
                }
        }
        else
                return reply_error("bad request: op");
        if (!result)
                return reply_error(error->message);
        json_generator_set_root(g, result);
        out = json_generator_to_data(g, NULL);
        fputs(out, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
}
