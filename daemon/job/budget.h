/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * budget: the host-wide limits of all conversions together, on v2vd.slice
 * — total CPU ([daemon] host_cpu=, CPUQuotaPerSecUSec), total disk
 * bandwidth ([daemon] host_disk=, IOReadBandwidthMax and
 * IOWriteBandwidthMax on every block device a job has used) and total
 * network egress ([daemon] host_network=, one HTB class over the slice's
 * sockets: egress.c) — so that the host stays usable for its other work
 * however many jobs run. Set from the configuration at start and live
 * through SetHostLimits.
 */
#pragma once

#include <stdint.h>

#include "job/manager.h"

/* Put the budget on the slice (after the bus is connected, and whenever it
 * or the device list changes). */
void budget_apply(Manager *m);

/* SetHostLimits: cpu "N%"/"unlimited" or NULL to keep; network and disk
 * bytes/s, 0 = unlimited, -1 keep. -EINVAL for a bad cpu. */
int budget_set(Manager *m, const char *cpu, int64_t network, int64_t disk);

/* A job's scope runs (its runner is pid): the slice's cgroup is known from
 * it, for the network budget. */
void budget_job_started(Manager *m, pid_t runner_pid);

/* Block devices a job uses: the disk budget covers them from now on. */
void budget_add_devices(Manager *m, const GPtrArray *devices);

void budget_free(Manager *m);
