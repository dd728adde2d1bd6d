/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-limits: the a{sv} of limits SetThrottling (a job's) and SetHostLimits
 * (v2vd.slice's) take: "cpu" (N% or "unlimited"), "network" and "disk"
 * (bytes per second or "unlimited"), each a string, each optional.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

/* Reads the dictionary from message. *ret_cpu is the cpu value as given
 * (NULL when absent; the caller frees it), *ret_network and *ret_disk the
 * bytes per second (-1 when absent). what names a key in the error for an
 * unknown one ("unknown <what> \"x\""). 0, or a negative errno (with error
 * set when the argument is wrong). */
int bus_read_limits(sd_bus_message *message, const char *what, char **ret_cpu, int64_t *ret_network,
                    int64_t *ret_disk, sd_bus_error *error);
