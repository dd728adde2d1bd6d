/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * v2vctl check, and submit --check: CheckJobWithOptions and
 * CreateJobWithOptions (org.v2vd.V2V1(5)), findings as a table or JSON.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/bus-names.h"
#include "v2vctl.h"

static int append_options(sd_bus_message *m, const Ctl *c, bool check) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");

        if (r >= 0 && check)
                r = sd_bus_message_append(m, "{sv}", "check", "b", 1);
        if (r >= 0 && c->inspect)
                r = sd_bus_message_append(m, "{sv}", "inspect", "b", 1);
        if (r >= 0 && c->timeout > 0)
                r = sd_bus_message_append(m, "{sv}", "timeout", "u", c->timeout);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* Long enough for the daemon's own timeout to answer first. */
static uint64_t call_timeout_usec(const Ctl *c) {
        unsigned t = c->timeout ?: (c->inspect ? 900 : 60);
        return (uint64_t) (t + 30) * 1000000ULL;
}

static int print_findings(const Ctl *c, JsonArray *a) {
        unsigned errors = 0;

        for (guint i = 0; i < json_array_get_length(a); i++)
                errors += g_str_equal(json_get_str(json_array_get_object_element(a, i), "severity"), "error");
        if (c->json != JSON_OFF) {
                g_autoptr(JsonNode) n = json_node_init_array(json_node_alloc(), a);
                json_print(c, n);
                return errors ? -ECANCELED : 0;
        }
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonObject *o = json_array_get_object_element(a, i);
                const char *key = json_get_str(o, "key");
                printf("%-7s %-20s %s%s%s\n", json_get_str(o, "severity"), json_get_str(o, "code"), key,
                       *key ? ": " : "", json_get_str(o, "message"));
        }
        if (use_legend_tty(c))
                printf("\n%u finding%s, %u error%s.\n", json_array_get_length(a), json_array_get_length(a) == 1 ? "" : "s",
                       errors, errors == 1 ? "" : "s");
        return errors ? -ECANCELED : 0;
}

int ctl_check(Ctl *c, const char *text, const char *label) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL, *reply = NULL;
        g_autoptr(JsonArray) a = json_array_new();
        const char *sev, *code, *key, *msg;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE,
                                           "CheckJobWithOptions");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", text);
        if (r >= 0)
                r = append_options(m, c, false);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot build the CheckJob call");
        r = sd_bus_call(c->bus, m, call_timeout_usec(c), &error, &reply);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, label);
        r = sd_bus_message_enter_container(reply, 'a', "(ssss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssss)", &sev, &code, &key, &msg)) > 0) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "severity", sev);
                json_object_set_string_member(o, "code", code);
                json_object_set_string_member(o, "key", key);
                json_object_set_string_member(o, "message", msg);
                json_array_add_object_element(a, o);
        }
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot read the findings");
        return print_findings(c, a);
}

int ctl_create_job_checked(Ctl *c, const char *text, const char *label, char **ret_id, char **ret_path) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL, *reply = NULL;
        const char *id, *path;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE,
                                           "CreateJobWithOptions");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", text);
        if (r >= 0)
                r = append_options(m, c, true);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot build the CreateJob call");
        r = sd_bus_call(c->bus, m, call_timeout_usec(c), &error, &reply);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, V2VD_ERROR_CHECK_FAILED)) {
                        fprintf(stderr, "v2vctl: %s: %s (v2vctl check shows every finding)\n", label, error.message);
                        return -EBADMSG;
                }
                return ctl_log_bus_error(c, &error, r, label);
        }
        r = sd_bus_message_read(reply, "so", &id, &path);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot read the reply of CreateJobWithOptions");
        *ret_id = g_strdup(id);
        *ret_path = g_strdup(path);
        return 0;
}
