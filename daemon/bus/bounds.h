/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bounds of what crosses the bus, in one place (bounds.c):
 *
 *   - every incoming method call's arguments, by a table of the methods
 *     (any other call: a small default), checked before any handler runs
 *     and before polkit is asked, so a call held by polkit or an
 *     authentication agent pins at most its bound;
 *   - every reply and property read, which must fit the bus (whose
 *     messages stop at 32 MiB; a bigger one and the bus disconnects the
 *     sender): at most BUS_REPLY_MAX, refused with LimitsExceeded before it
 *     is built when an estimate says it would not fit.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

#include "job/manager.h"

/* Half the bus's message limit: room for the header, the marshalling's
 * padding and the escaping of a string. */
#define BUS_REPLY_MAX (16u * 1024 * 1024)

/* For the bus filter (polkit.c runs it first): 1 when the call was
 * refused with LimitsExceeded (it is answered and consumed), 0 to go on. */
int bus_bounds_check(Manager *m, sd_bus_message *call);

/* The limit of the arguments of interface.member (the table's, or the
 * default). */
size_t bus_bounds_args_max(const char *interface, const char *member);

/* Sets LimitsExceeded and returns it (negative) when a reply of SIZE bytes
 * (an upper estimate) would not fit; 0 otherwise. */
int bus_reply_check(size_t size, const char *what, sd_bus_error *error);
