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

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define V2VD_SLICE "v2vd.slice"

char *scope_unit_name(const char *job_id);

/* cpu_quota_per_sec_usec: UINT64_MAX = no quota. The reply (an object path
 * of the systemd job) goes to callback. */
int scope_start(sd_bus *bus, const char *unit, pid_t pid, const char *description,
                uint64_t cpu_quota_per_sec_usec, uint64_t stop_timeout_usec,
                sd_bus_message_handler_t callback, void *userdata, sd_bus_slot **ret_slot);

/* Subscribe to the manager's signals and match JobRemoved. */
int scope_watch_job_removed(sd_bus *bus, sd_bus_message_handler_t callback, void *userdata,
                            sd_bus_slot **ret_slot);

/* Change the CPU quota of a running scope at once (runtime only). */
int scope_set_cpu_quota(sd_bus *bus, const char *unit, uint64_t cpu_quota_per_sec_usec);

/* StopUnit, asynchronously; errors (unit already gone) are logged only. */
int scope_stop(sd_bus *bus, const char *unit);

/* Does /proc/PID/cgroup place pid in unit? */
int scope_pid_is_in_unit(pid_t pid, const char *unit);
