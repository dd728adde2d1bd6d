/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
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

struct ScopeWatch {
        sd_bus *bus;
        sd_bus_slot *match;
        GHashTable *waits;              /* unit → ScopeWait* (owned by whoever started it) */
};

struct ScopeWait {
        ScopeWatch *watch;
        char *unit;
        char *job_path;                 /* systemd's start job, once StartTransientUnit answered */
        sd_bus_slot *slot;              /* StartTransientUnit in flight */
        scope_outcome_t outcome;
        void *userdata;
};

static void scope_wait_free(ScopeWait *wait) {
        sd_bus_slot_unref(wait->slot);
        g_free(wait->unit);
        g_free(wait->job_path);
        g_free(wait);
}

ScopeWait *scope_wait_cancel(ScopeWait *wait) {
        if (!wait)
                return NULL;
        if (g_hash_table_lookup(wait->watch->waits, wait->unit) == wait)
                g_hash_table_remove(wait->watch->waits, wait->unit);
        scope_wait_free(wait);
        return NULL;
}

/* The end of a wait: off the table first, so that the callback may start
 * the same unit again. */
static void scope_wait_end(ScopeWait *wait, ScopeOutcome outcome, const char *detail) {
        scope_outcome_t fn = wait->outcome;
        void *userdata = wait->userdata;

        scope_wait_cancel(wait);
        fn(outcome, detail, userdata);
}

static int on_job_removed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        ScopeWatch *w = userdata;
        const char *path, *unit, *result;
        ScopeWait *wait;
        uint32_t id;

        if (sd_bus_message_read(message, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        wait = g_hash_table_lookup(w->waits, unit);
        if (!wait || !wait->job_path || !g_str_equal(wait->job_path, path))
                return 0;
        if (g_str_equal(result, "done"))
                scope_wait_end(wait, SCOPE_READY, result);
        else
                scope_wait_end(wait, SCOPE_FAILED, result);
        return 0;
}

int scope_watch_new(sd_bus *bus, ScopeWatch **ret) {
        g_autoptr(ScopeWatch) w = g_new0(ScopeWatch, 1);
        int r;

        w->bus = sd_bus_ref(bus);
        w->waits = g_hash_table_new(g_str_hash, g_str_equal);
        r = sd_bus_match_signal_async(bus, &w->match, SD_DEST, SD_PATH, SD_IFACE, "JobRemoved",
                                      on_job_removed, NULL, w);
        if (r < 0)
                return r;
        /* Without Subscribe the manager sends JobRemoved to nobody. */
        r = sd_bus_call_method_async(bus, NULL, SD_DEST, SD_PATH, SD_IFACE, "Subscribe", NULL, NULL, NULL);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&w);
        return 0;
}

ScopeWatch *scope_watch_free(ScopeWatch *w) {
        if (!w)
                return NULL;
        /* The waits belong to their starters, who cancel them. */
        g_hash_table_unref(w->waits);
        sd_bus_slot_unref(w->match);
        sd_bus_unref(w->bus);
        g_free(w);
        return NULL;
}

/* A wait for unit, not yet in the table (one wait a unit: -EBUSY). */
static int scope_wait_new(ScopeWatch *w, const char *unit, scope_outcome_t outcome, void *userdata,
                          ScopeWait **ret) {
        ScopeWait *wait;

        if (g_hash_table_contains(w->waits, unit))
                return -EBUSY;
        wait = g_new0(ScopeWait, 1);
        wait->watch = w;
        wait->unit = g_strdup(unit);
        wait->outcome = outcome;
        wait->userdata = userdata;
        *ret = wait;
        return 0;
}

/* r: how sending the wait's call went; on success the wait is in the
 * table and *ret, else it is freed. */
static int scope_wait_add(ScopeWait *wait, int r, ScopeWait **ret) {
        if (r < 0) {
                scope_wait_free(wait);
                return r;
        }
        g_hash_table_insert(wait->watch->waits, wait->unit, wait);
        *ret = wait;
        return 0;
}

/* systemd answered a call with its job (JobRemoved ends the wait), or with
 * an error other than the one each caller expects. */
static void scope_wait_queued(ScopeWait *wait, sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *path;

        if (e) {
                scope_wait_end(wait, SCOPE_REFUSED, e->message ?: e->name);
                return;
        }
        if (sd_bus_message_read(reply, "o", &path) < 0) {
                scope_wait_end(wait, SCOPE_BAD_REPLY, "bad reply from systemd");
                return;
        }
        wait->job_path = g_strdup(path);
}

/* StartTransientUnit answered with systemd's job; the process is in the
 * scope only when that job is done (JobRemoved). */
static int on_scope_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ScopeWait *wait = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        wait->slot = sd_bus_slot_unref(wait->slot);
        if (e && sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists"))
                scope_wait_end(wait, SCOPE_EXISTS, e->message ?: e->name);
        else
                scope_wait_queued(wait, reply);
        return 0;
}

/* StopUnit answered with its job, or the unit is already gone. */
static int on_scope_stopping(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ScopeWait *wait = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        wait->slot = sd_bus_slot_unref(wait->slot);
        if (e && sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                scope_wait_end(wait, SCOPE_READY, "gone");
        else
                scope_wait_queued(wait, reply);
        return 0;
}

int scope_stop_wait(ScopeWatch *w, const char *unit, scope_outcome_t outcome, void *userdata, ScopeWait **ret) {
        ScopeWait *wait;
        int r;

        r = scope_wait_new(w, unit, outcome, userdata, &wait);
        if (r < 0)
                return r;
        r = sd_bus_call_method_async(w->bus, &wait->slot, SD_DEST, SD_PATH, SD_IFACE, "StopUnit",
                                     on_scope_stopping, wait, "ss", unit, "replace");
        return scope_wait_add(wait, r, ret);
}

int scope_reset_failed(ScopeWatch *w, const char *unit) {
        return sd_bus_call_method_async(w->bus, NULL, SD_DEST, SD_PATH, SD_IFACE, "ResetFailedUnit",
                                        NULL, NULL, "s", unit);
}

/* IOReadBandwidthMax and IOWriteBandwidthMax, each device at bytes/s; an
 * empty list (no devices, or 0 = unlimited) removes the limits. */
static int append_io_limits(sd_bus_message *m, const char *const *devices, uint64_t bytes_per_sec) {
        int r;

        for (const char *const *p = (const char *const[]) { "IOReadBandwidthMax", "IOWriteBandwidthMax", NULL }; *p; p++) {
                r = sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", *p);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a(st)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(st)");
                for (const char *const *d = devices; r >= 0 && bytes_per_sec > 0 && d && *d; d++)
                        r = sd_bus_message_append(m, "(st)", *d, bytes_per_sec);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int start_transient_unit(sd_bus *bus, const char *unit, pid_t pid, const char *description,
                                uint64_t cpu_quota_per_sec_usec, uint64_t stop_timeout_usec,
                                const char *const *io_devices, uint64_t io_bytes_per_sec,
                                ScopeWait *wait) {
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
        if (io_devices && *io_devices && io_bytes_per_sec > 0) {
                r = append_io_limits(m, io_devices, io_bytes_per_sec);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, &wait->slot, m, on_scope_started, wait, 0);
}

int scope_start(ScopeWatch *w, const char *unit, pid_t pid, const char *description,
                uint64_t cpu_quota_per_sec_usec, uint64_t stop_timeout_usec,
                const char *const *io_devices, uint64_t io_bytes_per_sec,
                scope_outcome_t outcome, void *userdata, ScopeWait **ret) {
        ScopeWait *wait;
        int r;

        r = scope_wait_new(w, unit, outcome, userdata, &wait);
        if (r < 0)
                return r;
        r = start_transient_unit(w->bus, unit, pid, description, cpu_quota_per_sec_usec, stop_timeout_usec,
                                 io_devices, io_bytes_per_sec, wait);
        return scope_wait_add(wait, r, ret);
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

/* SetUnitProperties (runtime) on unit: the CPU quota if with_cpu
 * (UINT64_MAX: none), and the disk limits (append_io_limits). */
static int set_unit_limits(sd_bus *bus, const char *unit, bool with_cpu, uint64_t cpu_quota_per_sec_usec,
                           const char *const *io_devices, uint64_t io_bytes_per_sec,
                           sd_bus_message_handler_t callback, void *userdata) {
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_IFACE, "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", unit, 1);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0 && with_cpu)
                r = sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t", cpu_quota_per_sec_usec);
        if (r >= 0)
                r = append_io_limits(m, io_devices, io_bytes_per_sec);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, NULL, m, callback, userdata, 0);
}

int scope_set_io_limits(sd_bus *bus, const char *unit, const char *const *devices, uint64_t bytes_per_sec) {
        g_autofree char *what = g_strdup_printf("setting the disk limits of %s", unit);
        int r;

        r = set_unit_limits(bus, unit, false, 0, devices, bytes_per_sec, scope_reply_log, what);
        if (r >= 0)
                g_steal_pointer(&what);
        return r;
}

int scope_set_slice_limits(sd_bus *bus, const char *slice, uint64_t cpu_quota_per_sec_usec,
                           const char *const *io_devices, uint64_t io_bytes_per_sec,
                           sd_bus_message_handler_t callback, void *userdata) {
        return set_unit_limits(bus, slice, true, cpu_quota_per_sec_usec, io_devices, io_bytes_per_sec, callback, userdata);
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

