/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "v2vctl.h"

/* --------------------------------------------------------------- connecting */

/* D-Bus address escaping: everything but [A-Za-z0-9_/.-] as %XX. */
static void append_address_escaped(GString *s, const char *v) {
        for (const char *p = v; *p; p++) {
                if (g_ascii_isalnum(*p) || strchr("_-/.", *p))
                        g_string_append_c(s, *p);
                else
                        g_string_append_printf(s, "%%%02x", (unsigned char) *p);
        }
}

char *remote_user_bus_address(const char *host) {
        g_autofree char *hostname = NULL;
        const char *port = NULL, *colon;
        GString *s = g_string_new("unixexec:path=ssh,argv1=-xT");
        unsigned n = 2;

        /* [USER@]HOST[:PORT], as systemctl -H takes it ([v6addr]:port too). */
        colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
        if (colon) {
                if (host[0] == '[')
                        colon++;
                hostname = g_strndup(host, colon - host);
                port = colon + 1;
        } else
                hostname = g_strdup(host);
        if (port && *port) {
                g_string_append_printf(s, ",argv%u=-p,argv%u=", n, n + 1);
                append_address_escaped(s, port);
                n += 2;
        }
        g_string_append_printf(s, ",argv%u=--,argv%u=", n, n + 1);
        append_address_escaped(s, hostname);
        n += 2;
        g_string_append_printf(s, ",argv%u=systemd-stdio-bridge,argv%u=--user", n, n + 1);
        return g_string_free(s, FALSE);
}

int ctl_connect(Ctl *c) {
        __attribute__((cleanup(sd_bus_unrefp))) sd_bus *bus = NULL;
        const char *what;
        int r;

        if (c->host && c->user) {
                g_autofree char *address = remote_user_bus_address(c->host);

                what = "the user bus on";
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else if (c->host) {
                what = "the system bus on";
                r = sd_bus_open_system_remote(&bus, c->host);
        } else if (c->user) {
                what = "the user bus";
                r = sd_bus_open_user(&bus);
        } else {
                what = "the system bus";
                r = sd_bus_open_system(&bus);
        }
        if (r < 0) {
                fprintf(stderr, "v2vctl: cannot connect to %s%s%s: %s\n", what, c->host ? " " : "",
                        c->host ?: "", g_strerror(-r));
                if (c->user && !c->host && !getenv("DBUS_SESSION_BUS_ADDRESS") && !getenv("XDG_RUNTIME_DIR"))
                        fprintf(stderr, "v2vctl: neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set\n");
                return -EHOSTDOWN;
        }
        if (!c->host)
                (void) sd_bus_set_allow_interactive_authorization(bus, true);
        c->bus = g_steal_pointer(&bus);
        return 0;
}

/* ------------------------------------------------------------------- errors */

static bool error_is(const sd_bus_error *e, const char *name) {
        return sd_bus_error_has_name(e, name);
}

int ctl_log_bus_error(const Ctl *c, const sd_bus_error *error, int r, const char *context) {
        bool set = error && sd_bus_error_is_set(error);
        g_autofree char *msg = v2v_text_escape(set ? (error->message ?: error->name) : g_strerror(r < 0 ? -r : EIO),
                                               V2V_TEXT_KEEP_NEWLINE);
        const char *ctx = context ?: "";
        const char *sep = context ? ": " : "";

        if (set && (error_is(error, SD_BUS_ERROR_SERVICE_UNKNOWN) || error_is(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))) {
                if (c->host)
                        fprintf(stderr, "v2vctl: v2vd is not running on %s; start it there with systemctl%s start v2vd\n",
                                c->host, c->user ? " --user" : "");
                else if (c->user)
                        fprintf(stderr, "v2vctl: v2vd is not running on your user bus; start it with: v2vd --user\n");
                else
                        fprintf(stderr, "v2vctl: v2vd is not running; start it with systemctl start v2vd\n");
                return -EHOSTDOWN;
        }
        if (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ECONNREFUSED) {
                /* The transport itself: ssh failed, or the bus went away. */
                if (c->host)
                        fprintf(stderr, "v2vctl: %s%scannot talk to %s over ssh: %s "
                                "(does 'ssh %s systemd-stdio-bridge' work?)\n",
                                ctx, sep, c->host, g_strerror(-r), c->host);
                else
                        fprintf(stderr, "v2vctl: %s%slost the connection to the bus: %s\n", ctx, sep, g_strerror(-r));
                return -EHOSTDOWN;
        }
        if (set && (error_is(error, SD_BUS_ERROR_ACCESS_DENIED) ||
                    error_is(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) ||
                    error_is(error, SD_BUS_ERROR_AUTH_FAILED))) {
                fprintf(stderr, "v2vctl: %s%saccess denied: %s\n", ctx, sep, msg);
                if (!c->user && geteuid() != 0)
                        fprintf(stderr, "v2vctl: run it as root, or as the user who created the job\n");
                return -EACCES;
        }
        if (set && (error_is(error, V2VD_ERROR_NO_SUCH_JOB) || error_is(error, SD_BUS_ERROR_UNKNOWN_OBJECT))) {
                fprintf(stderr, "v2vctl: %s%s%s (see 'v2vctl list')\n", ctx, sep, msg);
                return -ENXIO;
        }
        if (set && error_is(error, V2VD_ERROR_INVALID_SPEC)) {
                fprintf(stderr, "v2vctl: %s%sinvalid job spec: %s\n", ctx, sep, msg);
                return -EBADMSG;
        }
        if (set && (error_is(error, SD_BUS_ERROR_NOT_SUPPORTED) || error_is(error, SD_BUS_ERROR_UNKNOWN_METHOD))) {
                fprintf(stderr, "v2vctl: %s%snot supported by this v2vd: %s\n", ctx, sep, msg);
                return -EOPNOTSUPP;
        }
        if (set && error_is(error, SD_BUS_ERROR_NO_REPLY)) {
                fprintf(stderr, "v2vctl: %s%sv2vd did not answer in time\n", ctx, sep);
                return -ETIMEDOUT;
        }
        if (set && error_is(error, SD_BUS_ERROR_INVALID_ARGS)) {
                fprintf(stderr, "v2vctl: %s%s%s\n", ctx, sep, msg);
                return -EINVAL;
        }
        fprintf(stderr, "v2vctl: %s%s%s\n", ctx, sep, msg);
        if (set && error_is(error, V2VD_ERROR_JOB_NOT_FINISHED))
                return -EBUSY;
        if (set && error_is(error, V2VD_ERROR_JOB_FINISHED))
                return -ESTALE;
        if (set && error_is(error, V2VD_ERROR_TOO_MANY_JOBS))
                return -EUSERS;
        return r < 0 ? r : -EIO;
}

int ctl_job_path(Ctl *c, const char *id, char **ret_path) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "GetJob",
                               &error, &reply, "s", id);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, NULL);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot read the reply of GetJob");
        *ret_path = g_strdup(path);
        return 0;
}

/* ------------------------------------------------------------ values → JSON */

/* A basic value (string, boolean, number) of type → a JSON value. */
static int read_basic_json(sd_bus_message *m, char type, JsonNode **ret) {
        union {
                const char *s;
                int b;
                uint8_t y;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
        } v = {};
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;
        switch (type) {
        case SD_BUS_TYPE_STRING:
        case SD_BUS_TYPE_OBJECT_PATH:
        case SD_BUS_TYPE_SIGNATURE: {
                /* what a job's owner wrote (messages, names, paths) reaches
                 * this terminal: no control character passes */
                g_autofree char *clean = v2v_text_escape(v.s, V2V_TEXT_KEEP_NEWLINE);
                *ret = json_node_init_string(json_node_alloc(), clean);
                return 0;
        }
        case SD_BUS_TYPE_BOOLEAN:
                *ret = json_node_init_boolean(json_node_alloc(), v.b);
                return 0;
        case SD_BUS_TYPE_DOUBLE:
                *ret = json_node_init_double(json_node_alloc(), v.d);
                return 0;
        case SD_BUS_TYPE_BYTE: *ret = json_node_init_int(json_node_alloc(), v.y); return 0;
        case SD_BUS_TYPE_INT16: *ret = json_node_init_int(json_node_alloc(), v.n); return 0;
        case SD_BUS_TYPE_UINT16: *ret = json_node_init_int(json_node_alloc(), v.q); return 0;
        case SD_BUS_TYPE_INT32: *ret = json_node_init_int(json_node_alloc(), v.i); return 0;
        case SD_BUS_TYPE_UINT32: *ret = json_node_init_int(json_node_alloc(), v.u); return 0;
        case SD_BUS_TYPE_INT64: *ret = json_node_init_int(json_node_alloc(), v.x); return 0;
        default:
                *ret = json_node_init_int(json_node_alloc(), v.t > INT64_MAX ? INT64_MAX : (int64_t) v.t);
                return 0;
        }
}

/* The entries of a dictionary (the container entered) → an object; a key
 * that is not a string becomes its JSON text. */
static int read_dict_json(sd_bus_message *m, const char *contents, JsonNode **ret) {
        g_autoptr(JsonObject) o = json_object_new();
        g_autofree char *entry = g_strndup(contents + 1, strlen(contents) - 2);
        int r;

        for (;;) {
                g_autoptr(JsonNode) key = NULL, value = NULL;
                g_autofree char *key_text = NULL;
                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = bus_message_read_json(m, &key);
                if (r < 0)
                        return r;
                r = bus_message_read_json(m, &value);
                if (r < 0)
                        return r;
                if (json_node_get_value_type(key) == G_TYPE_STRING)
                        key_text = g_strdup(json_node_get_string(key));
                else
                        key_text = json_to_string(key, FALSE);
                json_object_set_member(o, key_text, g_steal_pointer(&value));
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        *ret = json_node_init_object(json_node_alloc(), o);
        return 0;
}

/* The items of an array or struct (the container entered) → an array. */
static int read_items_json(sd_bus_message *m, JsonNode **ret) {
        g_autoptr(JsonArray) a = json_array_new();
        int r;

        for (;;) {
                g_autoptr(JsonNode) item = NULL;
                r = bus_message_read_json(m, &item);
                if (r == -ENODATA)
                        break;
                if (r < 0)
                        return r;
                json_array_add_element(a, g_steal_pointer(&item));
        }
        *ret = json_node_init_array(json_node_alloc(), a);
        return 0;
}

/* A container: a variant's value, a dictionary, or an array or struct. */
static int read_container_json(sd_bus_message *m, char type, const char *contents, JsonNode **ret) {
        g_autoptr(JsonNode) node = NULL;
        int r;

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;
        if (type == SD_BUS_TYPE_VARIANT)
                r = bus_message_read_json(m, &node);
        else if (type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN)
                r = read_dict_json(m, contents, &node);
        else
                r = read_items_json(m, &node);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&node);
        return 0;
}

int bus_message_read_json(sd_bus_message *m, JsonNode **ret) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENODATA;
        switch (type) {
        case SD_BUS_TYPE_STRING:
        case SD_BUS_TYPE_OBJECT_PATH:
        case SD_BUS_TYPE_SIGNATURE:
        case SD_BUS_TYPE_BOOLEAN:
        case SD_BUS_TYPE_BYTE:
        case SD_BUS_TYPE_INT16:
        case SD_BUS_TYPE_UINT16:
        case SD_BUS_TYPE_INT32:
        case SD_BUS_TYPE_UINT32:
        case SD_BUS_TYPE_INT64:
        case SD_BUS_TYPE_UINT64:
        case SD_BUS_TYPE_DOUBLE:
                return read_basic_json(m, type, ret);
        case SD_BUS_TYPE_VARIANT:
        case SD_BUS_TYPE_ARRAY:
        case SD_BUS_TYPE_STRUCT:
                return read_container_json(m, type, contents, ret);
        default:
                r = sd_bus_message_skip(m, (char[]) { type, 0 });
                if (r < 0)
                        return r;
                *ret = json_node_init_null(json_node_alloc());
                return 0;
        }
}

char *property_to_snake_case(const char *name) {
        GString *s = g_string_new(NULL);
        size_t n = strlen(name);

        /* "CPULimit" → "cpu_limit", "OwnerUID" → "owner_uid" */
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                if (i > 0 && g_ascii_isupper(ch) &&
                    (g_ascii_islower(name[i - 1]) || (i + 1 < n && g_ascii_islower(name[i + 1]))))
                        g_string_append_c(s, '_');
                g_string_append_c(s, g_ascii_tolower(ch));
        }
        return g_string_free(s, FALSE);
}

/* Turns the generic JSON of a few properties into something self-describing. */
static JsonNode *job_property_refine(const char *name, JsonNode *value) {
        if (g_str_equal(name, "Disks") && JSON_NODE_HOLDS_ARRAY(value)) {
                JsonArray *in = json_node_get_array(value);
                g_autoptr(JsonArray) out = json_array_new();
                for (guint i = 0; i < json_array_get_length(in); i++) {
                        JsonArray *pair = json_array_get_array_element(in, i);
                        JsonObject *d = json_object_new();
                        json_object_set_string_member(d, "path", json_array_get_string_element(pair, 0));
                        json_object_set_double_member(d, "progress", json_array_get_double_element(pair, 1));
                        json_array_add_object_element(out, d);
                }
                return json_node_init_array(json_node_alloc(), out);
        }
        if (g_str_equal(name, "LastMessage") && JSON_NODE_HOLDS_ARRAY(value)) {
                JsonArray *pair = json_node_get_array(value);
                g_autoptr(JsonObject) o = json_object_new();
                json_object_set_string_member(o, "type", json_array_get_string_element(pair, 0));
                json_object_set_string_member(o, "text", json_array_get_string_element(pair, 1));
                return json_node_init_object(json_node_alloc(), o);
        }
        if (g_str_equal(name, "Failure") && JSON_NODE_HOLDS_ARRAY(value)) {
                JsonArray *a = json_node_get_array(value);
                g_autoptr(JsonObject) o = json_object_new();
                json_object_set_string_member(o, "code", json_array_get_string_element(a, 0));
                json_object_set_string_member(o, "summary", json_array_get_string_element(a, 1));
                json_object_set_string_member(o, "remedy", json_array_get_string_element(a, 2));
                return json_node_init_object(json_node_alloc(), o);
        }
        if (g_str_equal(name, "Spec") && JSON_NODE_HOLDS_VALUE(value)) {
                g_autoptr(JsonParser) p = json_parser_new();
                const char *text = json_node_get_string(value);
                if (text && json_parser_load_from_data(p, text, -1, NULL) && json_parser_get_root(p))
                        return json_node_copy(json_parser_get_root(p));
        }
        return json_node_copy(value);
}

int job_properties_merge(sd_bus_message *m, JsonObject *o) {
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                g_autoptr(JsonNode) value = NULL;
                g_autofree char *key = NULL;
                const char *name;

                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = bus_message_read_json(m, &value);
                if (r < 0)
                        return r;
                key = property_to_snake_case(name);
                json_object_set_member(o, key, job_property_refine(name, value));
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

int ctl_job_properties(Ctl *c, const char *path, JsonObject **ret) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autoptr(JsonObject) o = json_object_new();
        int r;

        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", V2VD_JOB_INTERFACE);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, "cannot read the job's properties");
        r = job_properties_merge(reply, o);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot parse the job's properties");
        *ret = g_steal_pointer(&o);
        return 0;
}

/* --------------------------------------------------------------------- JSON */

const char *json_get_str(JsonObject *o, const char *key) {
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return "";
        return json_node_get_string(n);
}

double json_get_double(JsonObject *o, const char *key) {
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;

        if (!n || !JSON_NODE_HOLDS_VALUE(n))
                return 0;
        return json_node_get_double(n);
}

int64_t json_get_int(JsonObject *o, const char *key) {
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;

        if (!n || !JSON_NODE_HOLDS_VALUE(n))
                return 0;
        return json_node_get_int(n);
}

void json_print(const Ctl *c, JsonNode *node) {
        g_autoptr(JsonGenerator) g = json_generator_new();
        g_autofree char *text = NULL;

        json_generator_set_root(g, node);
        json_generator_set_pretty(g, c->json == JSON_PRETTY);
        json_generator_set_indent(g, 2);
        text = json_generator_to_data(g, NULL);
        fputs(text, stdout);
        fputc('\n', stdout);
}
