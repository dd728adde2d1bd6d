/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/scope.h"
#include "host/util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_IFACE "org.freedesktop.systemd1.Manager"

char *scope_unit_name(const char *job_id) {
        return g_strdup_printf("v2vd-job-%s.scope", job_id);
}

int scope_start(sd_bus *bus, const char *unit, pid_t pid, const char *description,
                uint64_t cpu_quota_per_sec_usec, uint64_t stop_timeout_usec,
                sd_bus_message_handler_t callback, void *userdata, sd_bus_slot **ret_slot) {
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_IFACE, "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)",
                                  "PIDs", "au", 1, (uint32_t) pid,
                                  "Slice", "s", V2VD_SLICE,
                                  "Description", "s", description,
                                  "TimeoutStopUSec", "t", stop_timeout_usec,
                                  "CollectMode", "s", "inactive-or-failed");
        if (r < 0)
                return r;
        if (cpu_quota_per_sec_usec != UINT64_MAX) {
                r = sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t", cpu_quota_per_sec_usec);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, ret_slot, m, callback, userdata, 0);
}

int scope_watch_job_removed(sd_bus *bus, sd_bus_message_handler_t callback, void *userdata,
                            sd_bus_slot **ret_slot) {
        int r;

        r = sd_bus_match_signal_async(bus, ret_slot, SD_DEST, SD_PATH, SD_IFACE, "JobRemoved",
                                      callback, NULL, userdata);
        if (r < 0)
                return r;
        /* Without Subscribe the manager sends JobRemoved to nobody. */
        return sd_bus_call_method_async(bus, NULL, SD_DEST, SD_PATH, SD_IFACE, "Subscribe",
                                        NULL, NULL, NULL);
}

static int scope_reply_log(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        g_autofree char *what = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                log_warning("%s: %s", what, e->message ?: e->name);
        return 0;
}

int scope_set_cpu_quota(sd_bus *bus, const char *unit, uint64_t cpu_quota_per_sec_usec) {
        return sd_bus_call_method_async(bus, NULL, SD_DEST, SD_PATH, SD_IFACE, "SetUnitProperties",
                                        scope_reply_log, g_strdup_printf("setting the CPU quota of %s", unit),
                                        "sba(sv)", unit, 1, 1,
                                        "CPUQuotaPerSecUSec", "t", cpu_quota_per_sec_usec);
}

int scope_stop(sd_bus *bus, const char *unit) {
        return sd_bus_call_method_async(bus, NULL, SD_DEST, SD_PATH, SD_IFACE, "StopUnit",
                                        scope_reply_log, g_strdup_printf("stopping %s", unit),
                                        "ss", unit, "replace");
}

int scope_pid_is_in_unit(pid_t pid, const char *unit) {
        g_autofree char *path = g_strdup_printf("/proc/%d/cgroup", (int) pid);
        g_autofree char *contents = NULL;
        g_autofree char *needle = g_strdup_printf("/%s", unit);
        g_autofree char *needle_dir = g_strdup_printf("/%s/", unit);
        int r;

        r = read_small_file(path, 64 * 1024, &contents, NULL);
        if (r < 0)
                return r;
        for (char *line = strtok(contents, "\n"); line; line = strtok(NULL, "\n"))
                if (g_str_has_suffix(line, needle) || strstr(line, needle_dir))
                        return 1;
        return 0;
}
