/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "common/v2v-limits.h"
#include "v2vctl.h"

typedef int (*VerbFunction)(Ctl *c, int argc, char **argv);

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args; /* not counting the verb itself */
        VerbFunction run;
        const char *usage;
        const char *summary;
        const char *help;
} Verb;

static const Verb *find_verb(const char *name);

/* ------------------------------------------------------------------ helpers */

static int read_spec(const char *file, char **ret_text, char **ret_label) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        gsize len = 0;

        if (g_str_equal(file, "-")) {
                g_autoptr(GIOChannel) ch = g_io_channel_unix_new(STDIN_FILENO);
                g_io_channel_set_encoding(ch, NULL, NULL);
                if (g_io_channel_read_to_end(ch, &text, &len, &error) != G_IO_STATUS_NORMAL) {
                        fprintf(stderr, "v2vctl: cannot read the job spec from standard input: %s\n", error->message);
                        return -EIO;
                }
                *ret_label = g_strdup("standard input");
        } else {
                if (!g_file_get_contents(file, &text, &len, &error)) {
                        fprintf(stderr, "v2vctl: cannot read %s: %s\n", file, error->message);
                        return error->code == G_FILE_ERROR_ACCES ? -EACCES : -ENOENT;
                }
                *ret_label = g_strdup(file);
        }
        if (strlen(text) != len) {
                fprintf(stderr, "v2vctl: %s: the job spec contains a NUL byte\n", *ret_label);
                g_clear_pointer(ret_label, g_free);
                return -EBADMSG;
        }
        if (len == 0 || strspn(text, " \t\r\n") == len) {
                fprintf(stderr, "v2vctl: %s: the job spec is empty\n", *ret_label);
                g_clear_pointer(ret_label, g_free);
                return -EBADMSG;
        }
        *ret_text = g_steal_pointer(&text);
        return 0;
}

int ctl_create_job(Ctl *c, const char *text, const char *label, char **ret_id, char **ret_path) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        const char *id, *path;
        int r;

        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "CreateJob",
                               &error, &reply, "s", text);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, label);
        r = sd_bus_message_read(reply, "so", &id, &path);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot read the reply of CreateJob");
        *ret_id = g_strdup(id);
        *ret_path = g_strdup(path);
        return 0;
}

static char *context_for_job(const char *id) {
        return g_strdup_printf("job %s", id);
}

static bool use_legend(const Ctl *c) {
        return !c->no_legend;
}

bool use_legend_tty(const Ctl *c) {
        return use_legend(c) && output_is_tty();
}

static unsigned table_width(const Ctl *c) {
        return c->full ? 0 : output_columns();
}

static char *format_percent(double p) {
        return g_strdup_printf("%.1f%%", p);
}

/* -------------------------------------------------------------------- verbs */

/* --at: RFC 3339 ("2026-12-24T22:00:00+01:00"; without an offset, local
 * time) or HH:MM, the next such local time. */
static char *parse_at(const char *at) {
        g_autoptr(GTimeZone) local = g_time_zone_new_local();
        g_autoptr(GDateTime) now = g_date_time_new_now(local);
        g_autoptr(GDateTime) t = NULL;
        unsigned h, m;
        int n = 0;

        if (sscanf(at, "%2u:%2u%n", &h, &m, &n) == 2 && (size_t) n == strlen(at) && h < 24 && m < 60) {
                t = g_date_time_new(local, g_date_time_get_year(now), g_date_time_get_month(now),
                                    g_date_time_get_day_of_month(now), (int) h, (int) m, 0);
                if (t && g_date_time_compare(t, now) <= 0) {
                        GDateTime *next = g_date_time_add_days(t, 1);
                        g_date_time_unref(t);
                        t = next;
                }
        } else
                t = g_date_time_new_from_iso8601(at, local);
        return t ? g_date_time_format_iso8601(t) : NULL;
}

/* The spec with not_before set to --at. */
static int spec_set_not_before(const char *at, char **text) {
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(JsonGenerator) g = json_generator_new();
        g_autofree char *when = parse_at(at);
        JsonNode *root;

        if (!when) {
                fprintf(stderr, "v2vctl: --at: expected HH:MM or an RFC 3339 time "
                        "(2026-12-24T22:00:00+01:00), got \"%s\"\n", at);
                return -EINVAL;
        }
        if (!json_parser_load_from_data(p, *text, -1, NULL) || !(root = json_parser_get_root(p)) ||
            !JSON_NODE_HOLDS_OBJECT(root)) {
                fprintf(stderr, "v2vctl: --at: the spec is not a JSON object\n");
                return -EINVAL;
        }
        json_object_set_string_member(json_node_get_object(root), "not_before", when);
        json_generator_set_root(g, root);
        g_free(*text);
        *text = json_generator_to_data(g, NULL);
        return 0;
}

static int verb_submit(Ctl *c, int argc, char **argv) {
        g_autofree char *text = NULL, *label = NULL, *id = NULL, *path = NULL;
        int r;

        r = read_spec(argv[1], &text, &label);
        if (r < 0)
                return r;
        if (c->at) {
                r = spec_set_not_before(c->at, &text);
                if (r < 0)
                        return r;
        }
        r = c->check ? ctl_create_job_checked(c, text, label, &id, &path) : ctl_create_job(c, text, label, &id, &path);
        if (r < 0)
                return r;
        printf("%s\n", id);
        fflush(stdout);
        if (!c->wait)
                return 0;
        return watch_job(c, id, path);
}

static int verb_check(Ctl *c, int argc, char **argv) {
        g_autofree char *text = NULL, *label = NULL;
        int r;

        r = read_spec(argv[1], &text, &label);
        if (r < 0)
                return r;
        return ctl_check(c, text, label);
}

static int verb_bundle(Ctl *c, int argc, char **argv) {
        return ctl_bundle(c, argv[1], c->output);
}

static int get_job_phase(Ctl *c, const char *path, char **ret) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;
        int r;

        r = sd_bus_get_property_string(c->bus, V2VD_BUS_NAME, path, V2VD_JOB_INTERFACE, "Phase", &error, &s);
        if (r < 0)
                return r; /* removed in between: not worth a message */
        *ret = g_strdup(s);
        free(s);
        return 0;
}

static int get_job_wait_reason(Ctl *c, const char *path, char **ret) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;
        int r;

        r = sd_bus_get_property_string(c->bus, V2VD_BUS_NAME, path, V2VD_JOB_INTERFACE, "WaitReason", &error, &s);
        if (r < 0)
                return r;
        *ret = g_strdup(s);
        free(s);
        return 0;
}

static int verb_list(Ctl *c, int argc, char **argv) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autoptr(JsonArray) jobs = json_array_new();
        g_autoptr(Table) t = table_new(5);
        const char *id, *path, *state, *vm;
        double progress;
        int r;

        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "ListJobs",
                               &error, &reply, NULL);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, "cannot list jobs");
        r = sd_bus_message_enter_container(reply, 'a', "(sossd)");
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot parse the job list");
        table_set_column(t, 0, "ID", COLUMN_LEFT);
        table_set_column(t, 1, "VM", COLUMN_SHRINK);
        table_set_column(t, 2, "STATE", COLUMN_LEFT);
        table_set_column(t, 3, "PROGRESS", COLUMN_RIGHT);
        table_set_column(t, 4, "PHASE", COLUMN_SHRINK);
        while ((r = sd_bus_message_read(reply, "(sossd)", &id, &path, &state, &vm, &progress)) > 0) {
                g_autofree char *phase = NULL, *why = NULL, *percent = format_percent(progress);
                JsonObject *o;

                (void) get_job_phase(c, path, &phase);
                if (g_str_equal(state, "queued"))
                        (void) get_job_wait_reason(c, path, &why);
                g_autofree char *vm_shown = v2v_text_escape(vm, 0), *phase_shown = v2v_text_escape(phase, 0);
                vm = vm_shown;
                g_autofree char *why_shown = v2v_text_escape(why, 0);
                o = json_object_new();
                json_object_set_string_member(o, "id", id);
                json_object_set_string_member(o, "path", path);
                json_object_set_string_member(o, "state", state);
                json_object_set_string_member(o, "vm_name", vm);
                json_object_set_double_member(o, "progress", progress);
                json_object_set_string_member(o, "phase", phase_shown);
                json_object_set_string_member(o, "wait_reason", why_shown);
                json_array_add_object_element(jobs, o);
                /* A queued job has no phase: why it waits instead. */
                if (*why_shown) {
                        table_add_row(t, id, vm, state, percent, why_shown);
                        continue;
                }
                /* A finished job's last phase says nothing more than its state. */
                table_add_row(t, id, vm, state, percent,
                              *phase_shown && (g_str_equal(state, "running") || g_str_equal(state, "queued")) ? phase_shown : "-");
        }
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot parse the job list");

        if (c->json != JSON_OFF) {
                g_autoptr(JsonNode) n = json_node_init_array(json_node_alloc(), jobs);
                json_print(c, n);
                return 0;
        }
        pager_open(c->no_pager);
        if (table_rows(t) > 0)
                table_print(t, stdout, use_legend(c), table_width(c));
        if (use_legend(c)) {
                if (table_rows(t) > 0)
                        printf("\n");
                printf("%u job%s listed.\n", table_rows(t), table_rows(t) == 1 ? "" : "s");
        }
        return 0;
}

int ctl_manager_properties(Ctl *c, JsonObject **ret) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autoptr(JsonObject) o = json_object_new();
        int r;

        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, V2VD_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                               "GetAll", &error, &reply, "s", V2VD_MANAGER_INTERFACE);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, "cannot read v2vd's properties");
        r = job_properties_merge(reply, o);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot parse v2vd's properties");
        *ret = g_steal_pointer(&o);
        return 0;
}

/* "virt-v2v 2.2.0" → "2.2.0" */
static const char *v2v_version(JsonObject *o) {
        const char *v = json_get_str(o, "v2v_version");

        if (g_str_has_prefix(v, "virt-v2v "))
                v += strlen("virt-v2v ");
        return *v ? v : "unknown";
}

static char *format_network_limit(int64_t bytes);

static int status_manager(Ctl *c) {
        g_autoptr(JsonObject) o = NULL;
        int r;

        r = ctl_manager_properties(c, &o);
        if (r < 0)
                return r;
        if (c->json != JSON_OFF) {
                g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), o);
                json_print(c, n);
                return 0;
        }
        printf("%s v2vd %s (%s mode%s%s)\n", output_utf8() ? "●" : "*", json_get_str(o, "version"),
               json_get_str(o, "mode"), c->host ? " on " : "", c->host ?: "");
        printf("     virt-v2v: %s\n", v2v_version(o));
        printf("      Running: %" G_GINT64_FORMAT " of at most %" G_GINT64_FORMAT "\n",
               json_get_int(o, "running_jobs"), json_get_int(o, "max_running_jobs"));
        printf("       Queued: %" G_GINT64_FORMAT "\n", json_get_int(o, "queued_jobs"));
        if (json_object_has_member(o, "host_cpu_limit")) {
                g_autofree char *net = format_network_limit(json_get_int(o, "host_network_limit"));
                g_autofree char *disk = format_network_limit(json_get_int(o, "host_disk_limit"));
                printf("  Host limits: CPU %s, network %s, disk %s\n", json_get_str(o, "host_cpu_limit"), net, disk);
        }
        return 0;
}


static void status_field(const Ctl *c, const char *key, const char *value, bool path) {
        unsigned width = table_width(c);
        const unsigned key_width = 13;
        g_autofree char *shown = NULL, *clean = NULL;

        if (!value || !*value)
                value = "-";
        clean = v2v_text_escape(value, V2V_TEXT_KEEP_NEWLINE);
        shown = width > key_width + 2 + 10 ? ellipsize(clean, width - key_width - 2, path) : g_strdup(clean);
        printf("%*s: %s\n", (int) key_width, key, shown);
}

static char *format_network_limit(int64_t bytes) {
        g_autofree char *b = NULL;

        if (bytes <= 0)
                return g_strdup("unlimited");
        b = format_bytes((uint64_t) bytes);
        return g_strdup_printf("%s/s (%" G_GINT64_FORMAT " bytes/s)", b, bytes);
}

static int status_job(Ctl *c, const char *id) {
        g_autofree char *path = NULL, *ctx = context_for_job(id);
        g_autoptr(JsonObject) o = NULL;
        uint64_t now = now_realtime_usec();
        const char *state;
        JsonNode *n;
        int r;

        r = ctl_job_path(c, id, &path);
        if (r < 0)
                return r;
        r = ctl_job_properties(c, path, &o);
        if (r < 0)
                return r;
        if (c->json != JSON_OFF) {
                g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), o);
                json_print(c, node);
                return 0;
        }

        pager_open(c->no_pager);
        state = json_get_str(o, "state");
        printf("%s Job %s (%s) - %s\n", output_utf8() ? "●" : "*", id, json_get_str(o, "vm_name"), state);
        status_field(c, "State", state, false);
        status_field(c, "Waiting", json_get_str(o, "wait_reason"), false);
        status_field(c, "Phase", json_get_str(o, "phase"), false);
        {
                g_autofree char *p = format_percent(json_get_double(o, "progress"));
                uint64_t eta = (uint64_t) json_get_int(o, "expected_end_time");
                g_autofree char *line = NULL;
                if (eta > now && !g_str_equal(state, "succeeded") && !g_str_equal(state, "failed")
                    && !g_str_equal(state, "cancelled")) {
                        g_autofree char *e = format_timestamp_relative(eta, now);
                        line = g_strdup_printf("%s, expected to end %s", p, e);
                } else
                        line = g_strdup(p);
                status_field(c, "Progress", line, false);
        }
        {
                g_autofree char *created = format_timestamp_relative((uint64_t) json_get_int(o, "created_at"), now);
                g_autofree char *started = format_timestamp_relative((uint64_t) json_get_int(o, "started_at"), now);
                g_autofree char *finished = format_timestamp_relative((uint64_t) json_get_int(o, "finished_at"), now);
                status_field(c, "Created", created, false);
                status_field(c, "Started", started, false);
                status_field(c, "Finished", finished, false);
        }
        {
                g_autofree char *owner = g_strdup_printf("%" G_GINT64_FORMAT, json_get_int(o, "owner_uid"));
                g_autofree char *unit = NULL;
                int64_t pid = json_get_int(o, "pid");
                if (*json_get_str(o, "unit") && pid > 0)
                        unit = g_strdup_printf("%s (virt-v2v PID %" G_GINT64_FORMAT ")", json_get_str(o, "unit"), pid);
                else
                        unit = g_strdup(json_get_str(o, "unit"));
                status_field(c, "Owner UID", owner, false);
                status_field(c, "Unit", unit, false);
        }
        {
                g_autofree char *net = format_network_limit(json_get_int(o, "network_limit"));
                g_autofree char *disk = format_network_limit(json_get_int(o, "disk_limit"));
                g_autofree char *limits = g_strdup_printf("CPU %s, network %s, disk %s", json_get_str(o, "cpu_limit"),
                                                          net, disk);
                status_field(c, "Limits", limits, false);
        }
        if (json_get_int(o, "priority") != 0 || g_str_equal(state, "queued")) {
                g_autofree char *prio = g_strdup_printf("%" G_GINT64_FORMAT, json_get_int(o, "priority"));
                status_field(c, "Priority", prio, false);
        }
        {
                int64_t rc = json_get_int(o, "return_code");
                g_autofree char *rcs = rc >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT, rc) : NULL;
                status_field(c, "Return code", rcs, false);
        }
        n = json_object_get_member(o, "last_message");
        if (n && JSON_NODE_HOLDS_OBJECT(n) && *json_get_str(json_node_get_object(n), "text")) {
                JsonObject *m = json_node_get_object(n);
                g_autofree char *msg = g_strdup_printf("%s: %s", json_get_str(m, "type"), json_get_str(m, "text"));
                status_field(c, "Last message", msg, false);
        }
        n = json_object_get_member(o, "failure");
        if (n && JSON_NODE_HOLDS_OBJECT(n) && *json_get_str(json_node_get_object(n), "code")) {
                JsonObject *f = json_node_get_object(n);
                g_autofree char *msg = g_strdup_printf("%s: %s", json_get_str(f, "code"), json_get_str(f, "summary"));
                /* Whole: what to do is the point of these two. */
                printf("%13s: %s\n", "Failure", msg);
                printf("%13s: %s\n", "Remedy", json_get_str(f, "remedy"));
        }
        status_field(c, "Log", json_get_str(o, "log_file"), true);
        status_field(c, "Machine log", json_get_str(o, "machine_log_file"), true);
        status_field(c, "State file", json_get_str(o, "state_file"), true);
        status_field(c, "Throttling", json_get_str(o, "throttling_file"), true);

        n = json_object_get_member(o, "disks");
        if (n && JSON_NODE_HOLDS_ARRAY(n) && json_array_get_length(json_node_get_array(n)) > 0) {
                JsonArray *a = json_node_get_array(n);
                g_autoptr(Table) t = table_new(3);

                table_set_column(t, 0, "DISK", COLUMN_RIGHT);
                table_set_column(t, 1, "PATH", COLUMN_SHRINK_MIDDLE);
                table_set_column(t, 2, "PROGRESS", COLUMN_RIGHT);
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        JsonObject *d = json_array_get_object_element(a, i);
                        g_autofree char *num = g_strdup_printf("%u/%u", i + 1, json_array_get_length(a));
                        g_autofree char *p = format_percent(json_get_double(d, "progress"));
                        table_add_row(t, num, json_get_str(d, "path"), p);
                }
                printf("\n");
                table_print(t, stdout, use_legend(c), table_width(c));
        }
        return 0;
}

static int verb_status(Ctl *c, int argc, char **argv) {
        if (argc < 2)
                return status_manager(c);
        return status_job(c, argv[1]);
}

static int call_job_method(Ctl *c, const char *id, const char *method, const char *what) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL, *ctx = NULL;
        int r;

        r = ctl_job_path(c, id, &path);
        if (r < 0)
                return r;
        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, path, V2VD_JOB_INTERFACE, method, &error, NULL, NULL);
        if (r < 0) {
                ctx = g_strdup_printf("cannot %s job %s", what, id);
                return ctl_log_bus_error(c, &error, r, ctx);
        }
        return 0;
}

/* call_job_method on each job argv[1..]; the first error. */
static int call_each_job(Ctl *c, int argc, char **argv, const char *method, const char *what) {
        int ret = 0;

        for (int i = 1; i < argc; i++) {
                int r = call_job_method(c, argv[i], method, what);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

static int verb_cancel(Ctl *c, int argc, char **argv) {
        return call_each_job(c, argc, argv, "Cancel", "cancel");
}

static int verb_priority(Ctl *c, int argc, char **argv) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL, *ctx = NULL;
        char *end = NULL;
        long prio;
        int r;

        errno = 0;
        prio = strtol(argv[2], &end, 10);
        if (errno || !*argv[2] || *end || prio < -1000 || prio > 1000) {
                fprintf(stderr, "v2vctl: priority: expected an integer from -1000 to 1000, got \"%s\"\n", argv[2]);
                return -EINVAL;
        }
        r = ctl_job_path(c, argv[1], &path);
        if (r < 0)
                return r;
        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, path, V2VD_JOB_INTERFACE, "SetPriority", &error, NULL, "i",
                               (int32_t) prio);
        if (r < 0) {
                ctx = g_strdup_printf("cannot change the priority of job %s", argv[1]);
                return ctl_log_bus_error(c, &error, r, ctx);
        }
        return 0;
}

static int verb_remove(Ctl *c, int argc, char **argv) {
        return call_each_job(c, argc, argv, "Remove", "remove");
}

/* The daemon's own rules (v2v-limits.h): v2vctl refuses exactly what it would. */
static bool cpu_limit_is_valid(const char *s) {
        uint64_t quota;

        return v2v_cpu_limit_parse(s, 0, &quota) >= 0;
}

static bool network_limit_is_valid(const char *s) {
        uint64_t bytes;

        return v2v_network_limit_parse(s, &bytes) >= 0;
}

/* --network and --disk, as SetThrottling and SetHostLimits take them. */
static int check_byte_limits(Ctl *c) {
        const char *const names[] = { "network", "disk" };
        const char *const values[] = { c->network, c->disk };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
                if (values[i] && !network_limit_is_valid(values[i])) {
                        fprintf(stderr, "v2vctl: --%s: expected bytes per second as digits (1048576) or \"unlimited\"; got \"%s\"\n",
                                names[i], values[i]);
                        return -EINVAL;
                }
        return 0;
}

/* SetThrottling or SetHostLimits with --cpu, --network and --disk as given;
 * failed: the start of the error message. */
static int call_set_limits(Ctl *c, const char *path, const char *interface, const char *method, const char *failed) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, V2VD_BUS_NAME, path, interface, method);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && c->cpu)
                r = sd_bus_message_append(m, "{sv}", "cpu", "s", c->cpu);
        if (r >= 0 && c->network)
                r = sd_bus_message_append(m, "{sv}", "network", "s", c->network);
        if (r >= 0 && c->disk)
                r = sd_bus_message_append(m, "{sv}", "disk", "s", c->disk);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                g_autofree char *ctx = g_strdup_printf("cannot build the %s call", method);
                return ctl_log_bus_error(c, NULL, r, ctx);
        }
        r = sd_bus_call(c->bus, m, 0, &error, NULL);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, failed);
        return 0;
}

static int verb_throttle(Ctl *c, int argc, char **argv) {
        g_autofree char *path = NULL, *ctx = NULL;
        int r;

        if (!c->cpu && !c->network && !c->disk) {
                fprintf(stderr, "v2vctl: throttle needs --cpu, --network and/or --disk (see 'v2vctl throttle --help')\n");
                return -EINVAL;
        }
        if (c->cpu && !cpu_limit_is_valid(c->cpu)) {
                fprintf(stderr, "v2vctl: --cpu: expected a percentage of one CPU from 1%% to 10000%% such as 50%% or 150%%, or \"unlimited\"; got \"%s\"\n",
                        c->cpu);
                return -EINVAL;
        }
        r = check_byte_limits(c);
        if (r < 0)
                return r;
        r = ctl_job_path(c, argv[1], &path);
        if (r < 0)
                return r;
        ctx = g_strdup_printf("cannot throttle job %s", argv[1]);
        return call_set_limits(c, path, V2VD_JOB_INTERFACE, "SetThrottling", ctx);
}

static int verb_log(Ctl *c, int argc, char **argv) {
        g_autofree char *path = NULL;
        int r;

        r = ctl_job_path(c, argv[1], &path);
        if (r < 0)
                return r;
        if (!c->follow)
                pager_open(c->no_pager);
        return show_log(c, argv[1], path, c->follow);
}

static int verb_watch(Ctl *c, int argc, char **argv) {
        g_autofree char *path = NULL;
        int r;

        r = ctl_job_path(c, argv[1], &path);
        if (r < 0)
                return r;
        return watch_job(c, argv[1], path);
}

#define SOURCE_CALL_TIMEOUT_USEC ((uint64_t) (3600 + 60) * 1000000ULL)

/* The source argument of sources/inspect as the JSON ListSourceVMs takes. */
static int source_json(Ctl *c, const char *arg, char **ret) {
        g_autoptr(JsonBuilder) b = NULL;
        g_autoptr(JsonGenerator) g = NULL;
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *password = NULL;

        if (arg && c->print_source) {
                fprintf(stderr, "v2vctl: with a source JSON object, give \"print_source\": true in it\n");
                return -EINVAL;
        }
        if (arg && (c->uri || c->ova)) {
                fprintf(stderr, "v2vctl: give the source either as JSON or with --uri/--ova, not both\n");
                return -EINVAL;
        }
        if (arg) {
                g_autoptr(JsonParser) p = json_parser_new();
                g_autoptr(GError) error = NULL;
                if (!json_parser_load_from_data(p, arg, -1, &error) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
                        fprintf(stderr, "v2vctl: the source must be a JSON object such as "
                                "'{\"uri\": \"qemu:///system\"}' or '{\"ova\": \"/path/vm.ova\"}'%s%s\n",
                                error ? ": " : "", error ? error->message : "");
                        return -EINVAL;
                }
                *ret = g_strdup(arg);
                return 0;
        }
        if (!c->uri && !c->ova) {
                fprintf(stderr, "v2vctl: which source? Give --uri URI, --ova PATH or a source JSON object\n");
                return -EINVAL;
        }
        if (c->password_file) {
                g_autoptr(GError) error = NULL;
                if (!g_file_get_contents(c->password_file, &password, NULL, &error)) {
                        fprintf(stderr, "v2vctl: cannot read %s: %s\n", c->password_file, error->message);
                        return -EINVAL;
                }
                g_strchomp(password);
        }
        b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, c->uri ? "uri" : "ova");
        json_builder_add_string_value(b, c->uri ?: c->ova);
        if (password) {
                json_builder_set_member_name(b, "password");
                json_builder_add_string_value(b, password);
        }
        if (c->print_source) {
                json_builder_set_member_name(b, "print_source");
                json_builder_add_boolean_value(b, TRUE);
        }
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        g = json_generator_new();
        json_generator_set_root(g, root);
        *ret = json_generator_to_data(g, NULL);
        if (password)
                memset(password, 0, strlen(password));
        return 0;
}

static void print_json_text(Ctl *c, const char *text) {
        g_autoptr(JsonParser) p = json_parser_new();

        if (json_parser_load_from_data(p, text, -1, NULL) && json_parser_get_root(p)) {
                Ctl pretty = *c;
                if (pretty.json == JSON_OFF)
                        pretty.json = JSON_PRETTY;
                json_print(&pretty, json_parser_get_root(p));
        } else
                printf("%s\n", text);
}

static int verb_sources(Ctl *c, int argc, char **argv) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autoptr(JsonParser) p = json_parser_new();
        g_autofree char *source = NULL;
        g_autoptr(Table) t = NULL;
        JsonArray *vms;
        const char *text;
        int r;

        r = source_json(c, argc > 1 ? argv[1] : NULL, &source);
        if (r < 0)
                return r;
        /* The daemon answers at its own timeout for the source (60 s unless
         * configured or given as "timeout", at most an hour): wait for it. */
        (void) sd_bus_set_method_call_timeout(c->bus, SOURCE_CALL_TIMEOUT_USEC);
        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "ListSourceVMs",
                               &error, &reply, "s", source);
        if (source)
                memset(source, 0, strlen(source));
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, "cannot list the source's VMs");
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot read the reply of ListSourceVMs");
        if (c->json != JSON_OFF || !json_parser_load_from_data(p, text, -1, NULL) ||
            !JSON_NODE_HOLDS_ARRAY(json_parser_get_root(p))) {
                print_json_text(c, text);
                return 0;
        }
        vms = json_node_get_array(json_parser_get_root(p));
        t = table_new(6);
        table_set_column(t, 0, "NAME", COLUMN_SHRINK);
        table_set_column(t, 1, "STATE", COLUMN_LEFT);
        table_set_column(t, 2, "VCPUS", COLUMN_RIGHT);
        table_set_column(t, 3, "MEMORY", COLUMN_RIGHT);
        table_set_column(t, 4, "DISKS", COLUMN_RIGHT);
        table_set_column(t, 5, "FIRMWARE", COLUMN_LEFT);
        for (guint i = 0; i < json_array_get_length(vms); i++) {
                JsonObject *vm = json_array_get_object_element(vms, i);
                JsonNode *d = vm ? json_object_get_member(vm, "disks") : NULL;
                g_autofree char *vcpus = NULL, *mem = NULL, *disks = NULL;
                if (!vm)
                        continue;
                vcpus = g_strdup_printf("%" G_GINT64_FORMAT, json_get_int(vm, "vcpus"));
                mem = format_bytes((uint64_t) json_get_int(vm, "memory_bytes"));
                disks = g_strdup_printf("%u", d && JSON_NODE_HOLDS_ARRAY(d) ? json_array_get_length(json_node_get_array(d)) : 0);
                table_add_row(t, json_get_str(vm, "name"), json_get_str(vm, "state"), vcpus, mem, disks,
                              json_get_str(vm, "firmware"));
        }
        pager_open(c->no_pager);
        table_print(t, stdout, use_legend(c), table_width(c));
        if (use_legend(c))
                printf("\n%u VM%s listed.\n", table_rows(t), table_rows(t) == 1 ? "" : "s");
        return 0;
}

/* A member as text: strings as they are, numbers in digits, else NULL. */
static char *member_text(JsonObject *o, const char *key) {
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;

        if (!n || !JSON_NODE_HOLDS_VALUE(n))
                return NULL;
        if (json_node_get_value_type(n) == G_TYPE_STRING)
                return g_strdup(json_node_get_string(n));
        if (json_node_get_value_type(n) == G_TYPE_INT64)
                return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
        if (json_node_get_value_type(n) == G_TYPE_BOOLEAN)
                return g_strdup(json_node_get_boolean(n) ? "yes" : "no");
        return NULL;
}

static char *member_bytes(JsonObject *o, const char *key) {
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
                return NULL;
        return format_bytes((uint64_t) json_node_get_int(n));
}

static JsonArray *member_array(JsonObject *o, const char *key) {
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;

        return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* InspectSourceVM's object for people: the VM, its disks and NICs as
 * tables, the warnings, and how virt-v2v would convert it. */
static void print_source_vm(Ctl *c, JsonObject *vm) {
        static const char *const fields[][2] = {
                { "Name", "name" }, { "UUID", "uuid" }, { "State", "state" }, { "vCPUs", "vcpus" },
                { "Firmware", "firmware" }, { "Machine", "machine" }, { "Snapshots", "snapshot_count" },
                { "Convertible", "convertible" }, { "Source", "source" }, { "Archive", "archive" },
        };
        JsonObject *os = json_object_get_member(vm, "os") && JSON_NODE_HOLDS_OBJECT(json_object_get_member(vm, "os"))
                                 ? json_object_get_object_member(vm, "os") : NULL;
        JsonObject *v2v = json_object_get_member(vm, "v2v") && JSON_NODE_HOLDS_OBJECT(json_object_get_member(vm, "v2v"))
                                  ? json_object_get_object_member(vm, "v2v") : NULL;
        JsonArray *disks = member_array(vm, "disks"), *nics = member_array(vm, "nics");
        JsonArray *warnings = member_array(vm, "warnings"), *snaps = member_array(vm, "snapshots");
        g_autofree char *mem = member_bytes(vm, "memory_bytes");

        for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
                g_autofree char *v = member_text(vm, fields[i][1]);
                if (v)
                        printf("%12s: %s\n", fields[i][0], v);
                if (g_str_equal(fields[i][1], "vcpus") && mem)
                        printf("%12s: %s\n", "Memory", mem);
        }
        if (os) {
                g_autofree char *id = member_text(os, "libosinfo_id"), *type = member_text(os, "type");
                g_autofree char *desc = member_text(os, "description"), *arch = member_text(os, "arch");
                g_autofree char *text = g_strjoin(" ", desc ?: type ?: "", arch ?: "", id ?: "", NULL);
                printf("%12s: %s\n", "OS", g_strstrip(text));
        }
        for (guint i = 0; snaps && i < json_array_get_length(snaps); i++)
                printf("%12s  %s\n", "", json_array_get_string_element(snaps, i));
        if (disks && json_array_get_length(disks)) {
                g_autoptr(Table) t = table_new(6);
                table_set_column(t, 0, "DISK", COLUMN_LEFT);
                table_set_column(t, 1, "SOURCE", COLUMN_SHRINK_MIDDLE);
                table_set_column(t, 2, "FORMAT", COLUMN_LEFT);
                table_set_column(t, 3, "BUS", COLUMN_LEFT);
                table_set_column(t, 4, "CAPACITY", COLUMN_RIGHT);
                table_set_column(t, 5, "ALLOCATED", COLUMN_RIGHT);
                for (guint i = 0; i < json_array_get_length(disks); i++) {
                        JsonObject *d = json_array_get_object_element(disks, i);
                        g_autofree char *target = member_text(d, "target") ?: member_text(d, "disk_id");
                        g_autofree char *path = member_text(d, "path") ?: member_text(d, "file");
                        g_autofree char *fmt = member_text(d, "format"), *bus = member_text(d, "bus");
                        g_autofree char *cap = member_bytes(d, "capacity_bytes");
                        g_autofree char *alloc = member_bytes(d, "allocation_bytes") ?: member_bytes(d, "populated_bytes");
                        g_autofree char *dev = member_text(d, "device");
                        g_autofree char *name = dev && !g_str_equal(dev, "disk") ? g_strdup_printf("%s (%s)", target, dev)
                                                                               : g_strdup(target);
                        table_add_row(t, name, path, fmt, bus, cap, alloc);
                }
                printf("\n");
                table_print(t, stdout, true, table_width(c));
        }
        if (nics && json_array_get_length(nics)) {
                g_autoptr(Table) t = table_new(3);
                table_set_column(t, 0, "NIC MAC", COLUMN_LEFT);
                table_set_column(t, 1, "NETWORK", COLUMN_SHRINK);
                table_set_column(t, 2, "MODEL", COLUMN_LEFT);
                for (guint i = 0; i < json_array_get_length(nics); i++) {
                        JsonObject *n = json_array_get_object_element(nics, i);
                        g_autofree char *mac = member_text(n, "mac"), *net = member_text(n, "network");
                        g_autofree char *model = member_text(n, "model");
                        table_add_row(t, mac, net, model);
                }
                printf("\n");
                table_print(t, stdout, true, table_width(c));
        }
        for (guint i = 0; warnings && i < json_array_get_length(warnings); i++)
                printf("%sWarning: %s\n", i == 0 ? "\n" : "", json_array_get_string_element(warnings, i));
        if (json_object_get_member(vm, "print_source") &&
            JSON_NODE_HOLDS_OBJECT(json_object_get_member(vm, "print_source"))) {
                JsonObject *ps = json_object_get_object_member(vm, "print_source");
                g_autofree char *status = member_text(ps, "exit_status"), *out = member_text(ps, "output");
                g_autofree char *err = member_text(ps, "errors");
                printf("\nvirt-v2v --print-source (exit status %s):\n%s%s", status ?: "?", out ?: "", err ?: "");
        }
        if (v2v) {
                JsonArray *opts = member_array(v2v, "options");
                JsonNode *spec = json_object_get_member(v2v, "spec");
                g_autofree char *mode = member_text(v2v, "input_mode");
                printf("\nvirt-v2v input: %s; options:", mode ?: "?");
                for (guint i = 0; opts && i < json_array_get_length(opts); i++) {
                        g_autofree char *q = g_shell_quote(json_array_get_string_element(opts, i));
                        printf(" %s", q);
                }
                if (spec) {
                        g_autofree char *text = json_to_string(spec, FALSE);
                        printf("\nspec keys (v2vctl submit; add the output keys): %s", text);
                }
                printf("\n");
        }
}

static int verb_inspect(Ctl *c, int argc, char **argv) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autoptr(JsonParser) p = json_parser_new();
        g_autofree char *source = NULL, *ctx = NULL;
        const char *vm = argv[argc - 1], *text;
        int r;

        r = source_json(c, argc > 2 ? argv[1] : NULL, &source);
        if (r < 0)
                return r;
        (void) sd_bus_set_method_call_timeout(c->bus, SOURCE_CALL_TIMEOUT_USEC);
        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "InspectSourceVM",
                               &error, &reply, "ss", source, vm);
        if (source)
                memset(source, 0, strlen(source));
        if (r < 0) {
                ctx = g_strdup_printf("cannot inspect %s", vm);
                return ctl_log_bus_error(c, &error, r, ctx);
        }
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot read the reply of InspectSourceVM");
        if (c->json != JSON_OFF || !json_parser_load_from_data(p, text, -1, NULL) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
                print_json_text(c, text);
                return 0;
        }
        pager_open(c->no_pager);
        print_source_vm(c, json_node_get_object(json_parser_get_root(p)));
        return 0;
}

static int verb_capabilities(Ctl *c, int argc, char **argv) {
        g_autoptr(JsonObject) o = NULL;
        JsonNode *n;
        int r;

        r = ctl_manager_properties(c, &o);
        if (r < 0)
                return r;
        n = json_object_get_member(o, "v2v_capabilities");
        if (c->json != JSON_OFF) {
                g_autoptr(JsonObject) out = json_object_new();
                json_object_set_string_member(out, "version", json_get_str(o, "version"));
                json_object_set_string_member(out, "mode", json_get_str(o, "mode"));
                json_object_set_string_member(out, "v2v_version", json_get_str(o, "v2v_version"));
                if (n)
                        json_object_set_member(out, "capabilities", json_node_copy(n));
                else
                        json_object_set_array_member(out, "capabilities", json_array_new());
                {
                        g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), out);
                        json_print(c, root);
                }
                return 0;
        }
        pager_open(c->no_pager);
        if (use_legend(c))
                printf("# v2vd %s (%s mode), virt-v2v %s\n", json_get_str(o, "version"), json_get_str(o, "mode"),
                       v2v_version(o));
        if (n && JSON_NODE_HOLDS_ARRAY(n)) {
                JsonArray *a = json_node_get_array(n);
                for (guint i = 0; i < json_array_get_length(a); i++)
                        printf("%s\n", json_array_get_string_element(a, i));
        }
        return 0;
}

static int verb_profiles(Ctl *c, int argc, char **argv) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autoptr(JsonNode) n = NULL;
        int r;

        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "ListProfiles",
                               &error, &reply, NULL);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, "cannot list profiles");
        r = bus_message_read_json(reply, &n);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot parse the profile list");
        if (c->json != JSON_OFF) {
                json_print(c, n);
                return 0;
        }
        {
                JsonArray *a = json_node_get_array(n);
                for (guint i = 0; i < json_array_get_length(a); i++)
                        printf("%s\n", json_array_get_string_element(a, i));
                if (use_legend(c) && output_is_tty())
                        printf("\n%u profile%s listed.\n", json_array_get_length(a),
                               json_array_get_length(a) == 1 ? "" : "s");
        }
        return 0;
}

/* The daemon's own text (Manager.GetMetrics): v2vctl only prints it. */
static int verb_metrics(Ctl *c, int argc, char **argv) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        const char *text;
        int r;

        r = sd_bus_call_method(c->bus, V2VD_BUS_NAME, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "GetMetrics",
                               &error, &reply, NULL);
        if (r < 0)
                return ctl_log_bus_error(c, &error, r, "cannot get the metrics");
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return ctl_log_bus_error(c, NULL, r, "cannot read the metrics");
        fputs(text, stdout);
        return fflush(stdout) == 0 ? 0 : -errno;
}

/* virt-v2v-wrapper's entry point (wrapper.c): options on stdin, paths on stdout. */
static int verb_wrapper(Ctl *c, int argc, char **argv) {
        g_autofree char *text = NULL, *label = NULL;
        int r;

        r = read_spec("-", &text, &label);
        if (r < 0)
                return r;
        return wrapper_run(c, text, label);
}

/* SetHostLimits: the budget of all jobs together (v2vd.slice). */
static int verb_host_limits(Ctl *c, int argc, char **argv) {
        int r;

        if (!c->cpu && !c->network && !c->disk)
                return status_manager(c);
        if (c->cpu && !cpu_limit_is_valid(c->cpu)) {
                fprintf(stderr, "v2vctl: --cpu: expected a percentage of CPUs from 1%% to 10000%% such as 400%%, or \"unlimited\"; got \"%s\"\n",
                        c->cpu);
                return -EINVAL;
        }
        r = check_byte_limits(c);
        if (r < 0)
                return r;
        return call_set_limits(c, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "SetHostLimits",
                               "cannot set the host limits");
}

static int verb_help(Ctl *c, int argc, char **argv);

/* ------------------------------------------------------------------ the table */

static const Verb verbs[] = {
        { "submit", 1, 1, verb_submit, "submit FILE|- [--wait] [--at TIME] [--check [--inspect]]", "Create a conversion job from a job spec",
          "Reads the job spec (JSON, see v2vctl(1) and the v2vd API) from FILE, or from\n"
          "standard input with -, asks v2vd to create the job and prints its id.\n\n"
          "  --wait      show the job's progress until it ends; exit 0 only if it\n"
          "              succeeded (^C stops waiting, the job goes on)\n"
          "  --at TIME   start no earlier than TIME: HH:MM (the next such local time)\n"
          "              or RFC 3339 (2026-12-24T22:00:00+01:00); the spec's not_before\n"
          "  --check     run the checks of 'v2vctl check' first; create the job only\n"
          "              if none is an error (exit 6 otherwise)\n"
          "  --inspect   with --check: inspect the guest too\n" },
        { "check", 1, 1, verb_check, "check FILE|- [--inspect] [--timeout SECONDS] [--json]",
          "Check a job spec before submitting it",
          "Asks v2vd what would stop or slow down a job of this spec: the spec itself,\n"
          "its paths with your rights, the source (connection, credentials, the VM\n"
          "shut off, OVA manifest, SSH key login), the destination (writable, free\n"
          "space, libvirt pool and networks), virtio-win, the queue and limits. One\n"
          "line per finding: severity (error, warning, info), code, spec key, what to\n"
          "do. Exit 0 when no finding is an error, 1 otherwise.\n\n"
          "  --inspect          inspect the guest with virt-v2v-inspector (OS, disks,\n"
          "                     the space it needs): a minute or more\n"
          "  --timeout SECONDS  how long v2vd may take (default 60, with --inspect 900)\n"
          "  --json             the findings as a JSON array\n" },
        { "bundle", 1, 1, verb_bundle, "bundle ID [-o FILE]", "Write a job's support bundle (a tar)",
          "Writes what you may read about job ID into one tar for a bug report: the\n"
          "spec (secrets masked), its properties and Failure, state.json, job.json,\n"
          "v2v.log, v2v-machine.log, the checks it was created with, the v2vd,\n"
          "virt-v2v and libguestfs versions and its journal lines (V2VD_JOB=ID).\n"
          "MANIFEST.txt says what is in it and what is not, and why.\n\n"
          "  -o, --output FILE   where (default v2vd-job-ID.tar; - for standard output)\n" },
        { "list", 0, 0, verb_list, "list [--json] [--no-legend]", "List the jobs",
          "Lists the jobs you may see: id, VM name, state, progress and phase (for a\n"
          "queued job: why it waits).\n\n"
          "  --json[=pretty|short]  one JSON array of {id, path, state, vm_name,\n"
          "                         progress, phase, wait_reason}\n"
          "  --no-legend            no header and footer\n"
          "  -l, --full             do not shorten columns to fit the terminal\n" },
        { "status", 0, 1, verb_status, "status [ID] [--json]", "Show a job's state (or v2vd's, without ID)",
          "Shows everything v2vd knows about job ID: state, phase, progress, times,\n"
          "unit, limits, last message, files and per-disk progress. Without ID,\n"
          "shows v2vd's version, mode and job counts.\n\n"
          "  --json[=pretty|short]  the job's properties as one JSON object\n"
          "                         (D-Bus property names in snake_case)\n" },
        { "watch", 1, 1, verb_watch, "watch ID", "Show a job's progress live until it ends",
          "On a terminal: one live line per disk (bar, percentage, rate, ETA) under a\n"
          "header with the state and phase; phases and warnings scroll above it.\n"
          "Otherwise: one plain line per change. Exits 0 if the job succeeded, 1 if it\n"
          "failed or was cancelled; ^C stops watching and leaves the job running.\n" },
        { "cancel", 1, UINT_MAX, verb_cancel, "cancel ID...", "Cancel jobs",
          "Drops a queued job; stops a running one (SIGTERM, then SIGKILL) and removes\n"
          "the partial output it created. The job ends 'cancelled'.\n" },
        { "throttle", 1, 1, verb_throttle, "throttle ID [--cpu 50%|unlimited] [--network BYTES|unlimited] [--disk BYTES|unlimited]",
          "Change a job's CPU, network or disk limit",
          "Applies the limits to the running job at once (kept for a queued one).\n\n"
          "  --cpu PERCENT     CPU time in percent of one CPU (50%, 150%) or unlimited\n"
          "  --network BYTES   bytes per second, or unlimited\n"
          "  --disk BYTES      bytes per second read and written each, on the disks of\n"
          "                    the job's inputs and outputs, or unlimited\n" },
        { "log", 1, 1, verb_log, "log ID [-f]", "Show a job's virt-v2v log",
          "Prints virt-v2v's output for job ID.\n\n"
          "  -f, --follow   keep printing new output until the job ends\n" },
        { "host-limits", 0, 0, verb_host_limits, "host-limits [--cpu 400%|unlimited] [--network BYTES|unlimited] [--disk BYTES|unlimited]",
          "Show or set the budget of all jobs together",
          "Without options, shows v2vd's status with the host-wide limits. With them,\n"
          "sets the limits of all conversions together (v2vd.slice) at once, until\n"
          "v2vd restarts (then the configuration's host_cpu=, host_network=,\n"
          "host_disk= hold).\n\n"
          "  --cpu PERCENT     CPU time of all jobs in percent of one CPU, or unlimited\n"
          "  --network BYTES   egress bytes per second of all jobs, or unlimited\n"
          "  --disk BYTES      bytes per second read and written each, on the disks\n"
          "                    jobs use, or unlimited\n" },
        { "priority", 2, 2, verb_priority, "priority ID N", "Move a queued job in the queue",
          "Sets the priority of queued job ID to N (-1000 to 1000, default 0): higher\n"
          "priorities start first, equal ones in the order they were created.\n" },
        { "remove", 1, UINT_MAX, verb_remove, "remove ID...", "Forget finished jobs and delete their files",
          "Removes finished jobs and their directories (state file, logs).\n" },
        { "sources", 0, 1, verb_sources, "sources SOURCE_JSON | --uri URI | --ova PATH [--password-file FILE]",
          "List the VMs on a source hypervisor",
          "Lists the VMs of a libvirt source (--uri esx://…, vpx://…, xen+ssh://…,\n"
          "qemu:///system, test:///default) or an OVA (--ova: a .ova tar or zip, or\n"
          "a directory), or of a source given as JSON with the keys uri or ova, user,\n"
          "password or password_file (0600), timeout (seconds), e.g.\n"
          "'{\"uri\": \"esx://root@esx1?no_verify=1\", \"password_file\": \"/root/esx.pw\"}'.\n\n"
          "  --password-file FILE   the source's password (first line of FILE)\n"
          "  --json                 the VM list as JSON\n" },
        { "inspect", 1, 2, verb_inspect, "inspect [SOURCE_JSON] --uri URI|--ova PATH [--print-source] VM", "Show the details of a source VM",
          "Shows what v2vd finds out about VM on the source: firmware, machine, OS,\n"
          "snapshots, its disks and NICs as tables, warnings, and the virt-v2v input\n"
          "and job spec keys that would convert it (--json: the object; its v2v.spec\n"
          "plus output keys is a job spec, see v2vctl(1)).\n"
          "  --password-file FILE   the source's password (first line of FILE)\n"
          "  --print-source         add what virt-v2v --print-source says about it\n" },
        { "capabilities", 0, 0, verb_capabilities, "capabilities [--json]", "Show virt-v2v's capabilities",
          "Prints the virt-v2v features v2vd found (virt-v2v --machine-readable).\n" },
        { "profiles", 0, 0, verb_profiles, "profiles [--json]", "List the output profiles",
          "Lists the output profiles a job spec can name with \"profile\".\n" },
        { "metrics", 0, 0, verb_metrics, "metrics", "Print v2vd's metrics (OpenMetrics)",
          "Prints the daemon's metrics as OpenMetrics text (Prometheus can read it):\n"
          "jobs by state, queued and running counts, each job's progress, bytes\n"
          "copied and limits, job durations, failures by reason, the limits in\n"
          "force. The same text v2vd writes to metrics_file= (v2vd.conf(5)).\n" },
        { "wrapper", 0, 0, verb_wrapper, "wrapper", "Drop-in for virt-v2v-wrapper",
          "Reads the virt-v2v-wrapper's JSON on standard input (as ManageIQ sends it),\n"
          "submits it and prints {\"v2v_log\", \"wrapper_log\", \"state_file\",\n"
          "\"throttling_file\"}; then follows the job in the background, keeping those\n"
          "files (owned by sudo's SUDO_UID, else the caller) up to date until it ends.\n"
          "Keys the old wrapper ignored are ignored with a line in wrapper_log; warm:\n"
          "true and osp_source_vm_id are refused. SIGTERM to the pid in the state file\n"
          "cancels a queued job. Installed as /usr/bin/virt-v2v-wrapper; see v2vctl(1).\n" },
        { "help", 0, 1, verb_help, "help [COMMAND]", "Show help", NULL },
};

static const Verb *find_verb(const char *name) {
        for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
                if (g_str_equal(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

static void help_main(void) {
        printf("v2vctl [OPTIONS...] COMMAND ...\n\n"
               "Convert VMs with virt-v2v through the v2vd daemon.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
                printf("  %-14s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nOptions:\n"
               "  -h --help              show this help, or a command's with COMMAND --help\n"
               "     --version           show the version\n"
               "     --system            talk to the system's v2vd (default)\n"
               "     --user              talk to your own v2vd on the user bus\n"
               "  -H --host=[USER@]HOST[:PORT]\n"
               "                         talk to v2vd on HOST over ssh\n"
               "     --json[=pretty|short]  JSON output (list, status, capabilities, ...)\n"
               "     --no-legend         no column headers and footers\n"
               "     --no-pager          do not pipe output into a pager\n"
               "  -l --full              do not shorten columns\n"
               "     --wait              submit: follow the job until it ends\n"
               "     --check, --inspect, --timeout  check, submit: run the checks first\n"
               "  -f --follow            log: follow the log\n"
               "     --cpu, --network    throttle: the new limits\n"
               "     --uri, --ova, --password-file  sources, inspect: the source\n"
               "\nSee v2vctl(1) for the exit statuses, v2vd.job(5) for the job spec and org.v2vd.V2V1(5) for the D-Bus API.\n");
}

static void help_verb(const Verb *v) {
        printf("v2vctl [OPTIONS...] %s\n\n%s.\n", v->usage, v->summary);
        if (v->help)
                printf("\n%s", v->help);
        printf("\nCommon options: --user, --system, -H [USER@]HOST, --no-pager. See v2vctl(1).\n");
}

static int verb_help(Ctl *c, int argc, char **argv) {
        const Verb *v;

        if (argc < 2) {
                help_main();
                return 0;
        }
        v = find_verb(argv[1]);
        if (!v) {
                fprintf(stderr, "v2vctl: unknown command \"%s\"; see 'v2vctl --help'\n", argv[1]);
                return -EINVAL;
        }
        help_verb(v);
        return 0;
}

/* ---------------------------------------------------------------------- main */

enum {
        ARG_VERSION = 0x100,
        ARG_USER,
        ARG_SYSTEM,
        ARG_JSON,
        ARG_NO_LEGEND,
        ARG_NO_PAGER,
        ARG_WAIT,
        ARG_AT,
        ARG_CPU,
        ARG_NETWORK,
        ARG_DISK,
        ARG_URI,
        ARG_OVA,
        ARG_PASSWORD_FILE,
        ARG_PRINT_SOURCE,
        ARG_CHECK,
        ARG_INSPECT,
        ARG_TIMEOUT,
};

static int parse_argv(Ctl *c, int argc, char **argv, bool *ret_help) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "user", no_argument, NULL, ARG_USER },
                { "system", no_argument, NULL, ARG_SYSTEM },
                { "host", required_argument, NULL, 'H' },
                { "json", optional_argument, NULL, ARG_JSON },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "full", no_argument, NULL, 'l' },
                { "quiet", no_argument, NULL, 'q' },
                { "wait", no_argument, NULL, ARG_WAIT },
                { "at", required_argument, NULL, ARG_AT },
                { "follow", no_argument, NULL, 'f' },
                { "cpu", required_argument, NULL, ARG_CPU },
                { "network", required_argument, NULL, ARG_NETWORK },
                { "disk", required_argument, NULL, ARG_DISK },
                { "uri", required_argument, NULL, ARG_URI },
                { "ova", required_argument, NULL, ARG_OVA },
                { "password-file", required_argument, NULL, ARG_PASSWORD_FILE },
                { "print-source", no_argument, NULL, ARG_PRINT_SOURCE },
                { "check", no_argument, NULL, ARG_CHECK },
                { "output", required_argument, NULL, 'o' },
                { "inspect", no_argument, NULL, ARG_INSPECT },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {}
        };
        int ch;

        while ((ch = getopt_long(argc, argv, "hH:lqfo:", options, NULL)) >= 0) {
                switch (ch) {
                case 'h':
                        *ret_help = true;
                        break;
                case ARG_VERSION:
                        printf("v2vctl %s\n", V2VD_VERSION);
                        return 0;
                case ARG_USER:
                        c->user = true;
                        break;
                case ARG_SYSTEM:
                        c->user = false;
                        break;
                case 'H':
                        c->host = optarg;
                        break;
                case ARG_JSON:
                        if (!optarg)
                                c->json = output_is_tty() ? JSON_PRETTY : JSON_SHORT;
                        else if (g_str_equal(optarg, "pretty"))
                                c->json = JSON_PRETTY;
                        else if (g_str_equal(optarg, "short"))
                                c->json = JSON_SHORT;
                        else if (g_str_equal(optarg, "off"))
                                c->json = JSON_OFF;
                        else {
                                fprintf(stderr, "v2vctl: --json=%s: expected pretty, short or off\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_NO_LEGEND:
                        c->no_legend = true;
                        break;
                case ARG_NO_PAGER:
                        c->no_pager = true;
                        break;
                case 'l':
                        c->full = true;
                        break;
                case 'q':
                        c->quiet = true;
                        break;
                case ARG_WAIT:
                        c->wait = true;
                        break;
                case ARG_AT:
                        c->at = optarg;
                        break;
                case 'f':
                        c->follow = true;
                        break;
                case ARG_CPU:
                        c->cpu = optarg;
                        break;
                case ARG_NETWORK:
                        c->network = optarg;
                        break;
                case ARG_DISK:
                        c->disk = optarg;
                        break;
                case ARG_URI:
                        c->uri = optarg;
                        break;
                case ARG_OVA:
                        c->ova = optarg;
                        break;
                case ARG_PASSWORD_FILE:
                        c->password_file = optarg;
                        break;
                case ARG_PRINT_SOURCE:
                        c->print_source = true;
                        break;
                case ARG_CHECK:
                        c->check = true;
                        break;
                case 'o':
                        c->output = optarg;
                        break;
                case ARG_INSPECT:
                        c->inspect = true;
                        break;
                case ARG_TIMEOUT: {
                        guint64 v;
                        if (!g_ascii_string_to_unsigned(optarg, 10, 1, 3600, &v, NULL)) {
                                fprintf(stderr, "v2vctl: --timeout %s: expected seconds, 1 to 3600\n", optarg);
                                return -EINVAL;
                        }
                        c->timeout = (unsigned) v;
                        break;
                }
                case '?':
                        fprintf(stderr, "v2vctl: see 'v2vctl --help'\n");
                        return -EINVAL;
                default:
                        g_assert_not_reached();
                }
        }
        return 1;
}

/* Options that belong to one command are refused elsewhere, so that
 * `v2vctl list --wait` does not silently do something else. */
static int check_options(const Ctl *c, const Verb *v) {
        const char *name = v->name;
        struct {
                bool set;
                const char *option;
                const char *const verbs_ok[4];
        } checks[] = {
                { c->wait, "--wait", { "submit" } },
                { c->at != NULL, "--at", { "submit" } },
                { c->follow, "--follow", { "log" } },
                { c->cpu != NULL, "--cpu", { "throttle", "host-limits" } },
                { c->network != NULL, "--network", { "throttle", "host-limits" } },
                { c->disk != NULL, "--disk", { "throttle", "host-limits" } },
                { c->uri != NULL, "--uri", { "sources", "inspect" } },
                { c->ova != NULL, "--ova", { "sources", "inspect" } },
                { c->password_file != NULL, "--password-file", { "sources", "inspect" } },
                { c->print_source, "--print-source", { "inspect" } },
                { c->check, "--check", { "submit" } },
                { c->output != NULL, "--output", { "bundle" } },
                { c->inspect, "--inspect", { "check", "submit" } },
                { c->timeout > 0, "--timeout", { "check", "submit" } },
                { c->json != JSON_OFF, "--json", { "list", "status", "capabilities", "profiles" } },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(checks); i++) {
                bool ok = false;
                if (!checks[i].set)
                        continue;
                for (size_t k = 0; k < G_N_ELEMENTS(checks[i].verbs_ok) && checks[i].verbs_ok[k]; k++)
                        ok = ok || g_str_equal(checks[i].verbs_ok[k], name);
                /* sources and inspect print JSON anyway; allow --json there too. */
                if (!ok && g_str_equal(checks[i].option, "--json") &&
                    (g_str_equal(name, "sources") || g_str_equal(name, "inspect") || g_str_equal(name, "wrapper") ||
                     g_str_equal(name, "check")))
                        ok = true;
                if (!ok) {
                        fprintf(stderr, "v2vctl: %s does not apply to '%s'; see 'v2vctl %s --help'\n",
                                checks[i].option, name, name);
                        return -EINVAL;
                }
        }
        return 0;
}

static int exit_status(int r) {
        switch (r) {
        case 0:
                return EXIT_OK;
        case -EINVAL:
                return EXIT_USAGE;
        case -EHOSTDOWN:
                return EXIT_NOT_RUNNING;
        case -EACCES:
        case -EPERM:
                return EXIT_ACCESS_DENIED;
        case -ENXIO:
                return EXIT_NO_SUCH_JOB;
        case -EBADMSG:
                return EXIT_INVALID_SPEC;
        case -EOPNOTSUPP:
                return EXIT_NOT_SUPPORTED;
        case -EINTR:
                return EXIT_INTERRUPTED;
        default:
                return EXIT_FAILED;
        }
}

/* Run as /usr/bin/virt-v2v-wrapper: the old wrapper's command line (no
 * arguments; --version). */
static int main_wrapper(int argc, char **argv) {
        Ctl c = {};
        int r;

        if (argc > 1 && g_str_equal(argv[1], "--version")) {
                printf("virt-v2v-wrapper (v2vd %s)\n", V2VD_VERSION);
                return EXIT_OK;
        }
        if (argc > 1 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"))) {
                printf("virt-v2v-wrapper [--version]\n\n"
                       "Reads a virt-v2v-wrapper document (JSON) on standard input, has v2vd\n"
                       "convert the VM and prints the paths of the state, log and throttling\n"
                       "files (JSON). The same as 'v2vctl wrapper'; see v2vctl(1).\n");
                return EXIT_OK;
        }
        if (argc > 1) {
                fprintf(stderr, "virt-v2v-wrapper: unknown argument \"%s\"; the options are JSON on standard input\n",
                        argv[1]);
                return EXIT_USAGE;
        }
        r = ctl_connect(&c);
        if (r >= 0)
                r = verb_wrapper(&c, 1, argv);
        fflush(stdout);
        if (c.bus)
                sd_bus_flush_close_unref(c.bus);
        return exit_status(r);
}

int main(int argc, char **argv) {
        Ctl c = {};
        bool help = false;
        const Verb *v;
        unsigned n_args;
        int r;

        setlocale(LC_ALL, "");
        if (g_str_equal(program_invocation_short_name, "virt-v2v-wrapper"))
                return main_wrapper(argc, argv);
        r = parse_argv(&c, argc, argv, &help);
        if (r <= 0)
                return exit_status(r);

        if (optind >= argc) {
                if (help) {
                        help_main();
                        return EXIT_OK;
                }
                fprintf(stderr, "v2vctl: which command? See 'v2vctl --help'\n");
                return EXIT_USAGE;
        }
        v = find_verb(argv[optind]);
        if (!v) {
                fprintf(stderr, "v2vctl: unknown command \"%s\"; see 'v2vctl --help'\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (help) {
                if (v->run == verb_help)
                        help_main();
                else
                        help_verb(v);
                return EXIT_OK;
        }
        n_args = (unsigned) (argc - optind - 1);
        if (n_args < v->min_args || n_args > v->max_args) {
                fprintf(stderr, "v2vctl: %s: expected %s%s\n", v->name,
                        n_args < v->min_args ? "more arguments: " : "fewer arguments: ", v->usage);
                return EXIT_USAGE;
        }
        r = check_options(&c, v);
        if (r < 0)
                return exit_status(r);
        if (v->run == verb_help)
                return exit_status(verb_help(&c, argc - optind, argv + optind));

        r = ctl_connect(&c);
        if (r >= 0)
                r = v->run(&c, argc - optind, argv + optind);
        fflush(stdout);
        pager_close();
        if (c.bus)
                sd_bus_flush_close_unref(c.bus);
        return exit_status(r);
}
