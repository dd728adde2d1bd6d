/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scope: the transient systemd scope a job runs in, through
 * org.freedesktop.systemd1 on the daemon's bus (the system manager in
 * --system mode, the user's in --user mode).
 *
 * As machined does: StartTransientUnit with the runner's PID, then wait for
 * the JobRemoved signal of the returned job before letting virt-v2v start,
 * so that every process virt-v2v forks is born inside the scope with its CPU
 * quota already in place. Stopping is StopUnit: systemd sends SIGTERM to
 * every process in the scope and SIGKILL after TimeoutStopUSec.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define V2VD_SLICE "v2vd.slice"

char *scope_unit_name(const char *job_id);

/* Every scope being started waits here for its systemd job's JobRemoved:
 * one subscription to the service manager's signals, the waits keyed by
 * unit name. */
typedef struct ScopeWatch ScopeWatch;
typedef struct ScopeWait ScopeWait;

typedef enum ScopeOutcome {
        SCOPE_READY,            /* the scope runs, pid is in it */
        SCOPE_REFUSED,          /* StartTransientUnit failed: detail is systemd's error */
        SCOPE_BAD_REPLY,        /* StartTransientUnit's reply was not an object path */
        SCOPE_FAILED,           /* the start job ended otherwise: detail is its result */
        SCOPE_EXISTS,           /* StartTransientUnit: a unit of that name is still loaded */
} ScopeOutcome;

/* Called once; the wait is gone by then (forget the ScopeWait pointer). */
typedef void (*scope_outcome_t)(ScopeOutcome outcome, const char *detail, void *userdata);

/* Subscribes to the manager's signals on bus and matches JobRemoved. */
int scope_watch_new(sd_bus *bus, ScopeWatch **ret);
ScopeWatch *scope_watch_free(ScopeWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScopeWatch, scope_watch_free)

/* StartTransientUnit for pid in a scope of V2VD_SLICE, then wait for the
 * returned systemd job to end: outcome says how. cpu_quota_per_sec_usec:
 * UINT64_MAX = no quota. io_devices (NULL-ended block device nodes) are
 * limited to io_bytes_per_sec read and written each (IOReadBandwidthMax,
 * IOWriteBandwidthMax; 0 = none). */
int scope_start(ScopeWatch *w, const char *unit, pid_t pid, const char *description,
                uint64_t cpu_quota_per_sec_usec, uint64_t stop_timeout_usec,
                const char *const *io_devices, uint64_t io_bytes_per_sec,
                scope_outcome_t outcome, void *userdata, ScopeWait **ret);
/* StopUnit, then wait for the stop job to end: SCOPE_READY once the unit
 * is stopped (or was not there), else how it failed. */
int scope_stop_wait(ScopeWatch *w, const char *unit, scope_outcome_t outcome, void *userdata, ScopeWait **ret);
/* ResetFailedUnit, asynchronously, errors ignored: a failed scope that is
 * not yet collected goes, so that its name can be used again. */
int scope_reset_failed(ScopeWatch *w, const char *unit);
/* Stop waiting (the outcome callback is not called). NULL is fine. */
ScopeWait *scope_wait_cancel(ScopeWait *wait);

/* Change the CPU quota of a running scope at once (runtime only). */
int scope_set_cpu_quota(sd_bus *bus, const char *unit, uint64_t cpu_quota_per_sec_usec);

/* The disk limits of a running scope, at once (runtime only); 0 or no
 * devices removes them. */
int scope_set_io_limits(sd_bus *bus, const char *unit, const char *const *devices, uint64_t bytes_per_sec);

/* The budget of a whole slice, at once (runtime only): its CPU quota
 * (UINT64_MAX = none) and, on io_devices, its read and write bandwidth
 * each (0 or no devices = none). The reply goes to callback. */
int scope_set_slice_limits(sd_bus *bus, const char *slice, uint64_t cpu_quota_per_sec_usec,
                           const char *const *io_devices, uint64_t io_bytes_per_sec,
                           sd_bus_message_handler_t callback, void *userdata);

/* StopUnit, asynchronously; errors (unit already gone) are logged only. */
int scope_stop(sd_bus *bus, const char *unit);

/* Does /proc/PID/cgroup place pid in unit? */
int scope_pid_is_in_unit(pid_t pid, const char *unit);
