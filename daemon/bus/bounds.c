/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "bus/bounds.h"
#include "bus/bus-job.h"
#include "core/spec.h"
#include "host/util.h"

/* What a call may carry, per method (the body's bytes as marshalled,
 * strings counted with their length and NUL). A call not listed (the
 * standard interfaces' other methods, unknown ones) gets ARGS_DEFAULT. */
#define ARGS_DEFAULT 4096u
#define ARGS_SOURCE (64u * 1024)        /* a source: a URI, an OVA path, a password */

typedef struct Bound {
        const char *interface;
        const char *member;
        size_t args_max;
        const char *note;       /* for the error message */
} Bound;

G_STATIC_ASSERT(V2V_SPEC_MAX_SIZE == 1048576);

static const Bound bounds[] = {
        { V2VD_MANAGER_INTERFACE, "CreateJob", V2V_SPEC_MAX_SIZE + 64,
          " (a spec of at most 1 MiB, 1048576 bytes)" },
        { V2VD_MANAGER_INTERFACE, "CheckJob", V2V_SPEC_MAX_SIZE + 64,
          " (a spec of at most 1 MiB, 1048576 bytes)" },
        { V2VD_MANAGER_INTERFACE, "CheckJobWithOptions", V2V_SPEC_MAX_SIZE + 1024,
          " (a spec of at most 1 MiB, 1048576 bytes, and 1 KiB of options)" },
        { V2VD_MANAGER_INTERFACE, "CreateJobWithOptions", V2V_SPEC_MAX_SIZE + 1024,
          " (a spec of at most 1 MiB, 1048576 bytes, and 1 KiB of options)" },
        { V2VD_MANAGER_INTERFACE, "ListJobs", 0 },
        { V2VD_MANAGER_INTERFACE, "GetJob", 256 },
        { V2VD_MANAGER_INTERFACE, "ListSourceVMs", ARGS_SOURCE },
        { V2VD_MANAGER_INTERFACE, "InspectSourceVM", ARGS_SOURCE + 1024 },
        { V2VD_MANAGER_INTERFACE, "ListProfiles", 0 },
        { V2VD_JOB_INTERFACE, "Cancel", 0 },
        { V2VD_JOB_INTERFACE, "Remove", 0 },
        { V2VD_MANAGER_INTERFACE, "SetHostLimits", 1024 },
        { V2VD_MANAGER_INTERFACE, "GetMetrics", 0 },
        { V2VD_JOB_INTERFACE, "SetThrottling", 1024 },
        { V2VD_JOB_INTERFACE, "SetPriority", 16 },
        { V2VD_JOB_INTERFACE, "ReadLog", 16 },
        { "org.freedesktop.DBus.Properties", "Get", 512 },
        { "org.freedesktop.DBus.Properties", "GetAll", 256 },
        { "org.freedesktop.DBus.Properties", "Set", 1024 },
        { "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", 0 },
        { "org.freedesktop.DBus.Introspectable", "Introspect", 0 },
        { "org.freedesktop.DBus.Peer", "Ping", 0 },
        { "org.freedesktop.DBus.Peer", "GetMachineId", 0 },
};

static const Bound *bound_of(const char *interface, const char *member) {
        static const Bound other = { NULL, NULL, ARGS_DEFAULT, NULL };

        for (size_t i = 0; i < G_N_ELEMENTS(bounds); i++)
                if (g_strcmp0(bounds[i].interface, interface) == 0 && g_strcmp0(bounds[i].member, member) == 0)
                        return &bounds[i];
        return &other;
}

size_t bus_bounds_args_max(const char *interface, const char *member) {
        return bound_of(interface, member)->args_max;
}

static bool type_is_fixed(char t) {
        return t && strchr("ybnqiuxtdh", t);
}

/* Adds the marshalled size of the rest of the current container to *size,
 * stopping as soon as it passes LIMIT. Reads: rewind afterwards. */
static int body_size(sd_bus_message *m, size_t limit, size_t *size, unsigned depth) {
        for (;;) {
                const char *contents;
                char type;
                int r;

                if (*size > limit)
                        return 0;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r <= 0)
                        return r;
                if (type == SD_BUS_TYPE_ARRAY && type_is_fixed(contents[0]) && !contents[1]) {
                        const void *p;
                        size_t n;
                        r = sd_bus_message_read_array(m, contents[0], &p, &n);
                        if (r < 0)
                                return r;
                        *size += 4 + n;
                } else if (type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT || type == SD_BUS_TYPE_VARIANT ||
                           type == SD_BUS_TYPE_DICT_ENTRY) {
                        if (depth >= 64)
                                return -EBADMSG;
                        r = sd_bus_message_enter_container(m, type, contents);
                        if (r < 0)
                                return r;
                        *size += 8 + (type == SD_BUS_TYPE_VARIANT ? strlen(contents) + 2 : 0);
                        r = body_size(m, limit, size, depth + 1);
                        if (r < 0)
                                return r;
                        if (*size > limit)
                                return 0;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                } else if (type == SD_BUS_TYPE_STRING || type == SD_BUS_TYPE_OBJECT_PATH ||
                           type == SD_BUS_TYPE_SIGNATURE) {
                        const char *s;
                        r = sd_bus_message_read_basic(m, type, &s);
                        if (r < 0)
                                return r;
                        *size += 5 + strlen(s);
                } else {
                        uint64_t v;     /* the largest basic type; an fd arrives as an index */
                        r = sd_bus_message_read_basic(m, type, &v);
                        if (r < 0)
                                return r;
                        *size += 8;
                }
        }
}

int bus_reply_check(size_t size, const char *what, sd_bus_error *error) {
        if (size <= BUS_REPLY_MAX)
                return 0;
        return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                 "%s would be about %zu MiB, more than the %u MiB a reply may be on the bus",
                                 what, size >> 20, BUS_REPLY_MAX >> 20);
}

/* An upper estimate of the replies that grow with the jobs: their
 * properties (the spec, the last message, the disks' paths) and the list. */
static size_t reply_estimate(Manager *m, sd_bus_message *call, const char **ret_what) {
        const char *iface = sd_bus_message_get_interface(call), *member = sd_bus_message_get_member(call);
        const char *path = sd_bus_message_get_path(call);
        GHashTableIter it;
        gpointer value;
        size_t size = 0;
        Job *j;

        if (!iface || !member)
                return 0;
        if (g_str_equal(iface, "org.freedesktop.DBus.ObjectManager") && g_str_equal(member, "GetManagedObjects")) {
                *ret_what = "GetManagedObjects (every job's properties)";
                g_hash_table_iter_init(&it, m->jobs);
                while (g_hash_table_iter_next(&it, NULL, &value))
                        size += bus_job_properties_size(value);
                return size;
        }
        if (g_str_equal(iface, V2VD_MANAGER_INTERFACE) && g_str_equal(member, "ListJobs")) {
                *ret_what = "ListJobs";
                return (size_t) g_hash_table_size(m->jobs) * 512;
        }
        if (g_str_equal(iface, "org.freedesktop.DBus.Properties") &&
            (g_str_equal(member, "GetAll") || g_str_equal(member, "Get")) && (j = bus_job_from_path(m, path))) {
                *ret_what = "the job's properties";
                return bus_job_properties_size(j);
        }
        return 0;
}

int bus_bounds_check(Manager *m, sd_bus_message *call) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *iface = sd_bus_message_get_interface(call), *member = sd_bus_message_get_member(call);
        const char *what = NULL;
        uint8_t type = 0;
        size_t max, size = 0;
        int r;

        if (sd_bus_message_get_type(call, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL)
                return 0;
        const Bound *bound = bound_of(iface, member);
        max = bound->args_max;
        r = sd_bus_message_rewind(call, true);
        if (r >= 0)
                r = body_size(call, max, &size, 0);
        (void) sd_bus_message_rewind(call, true);
        if (r < 0)
                (void) sd_bus_error_setf(&error, SD_BUS_ERROR_INVALID_ARGS, "cannot read the arguments: %s",
                                         g_strerror(-r));
        else if (size > max)
                (void) sd_bus_error_setf(&error, V2VD_ERROR_LIMITS_EXCEEDED,
                                         "the arguments of %s.%s are more than %zu bytes%s", iface ?: "?",
                                         member ?: "?", max, bound->note ?: "");
        else
                (void) bus_reply_check(reply_estimate(m, call, &what), what, &error);
        if (!sd_bus_error_is_set(&error))
                return 0;
        r = sd_bus_reply_method_error(call, &error);
        if (r < 0)
                log_warning("cannot refuse a call of %s.%s: %s", iface ?: "?", member ?: "?", g_strerror(-r));
        return 1;
}
