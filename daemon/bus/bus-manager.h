/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-manager: the org.v2vd.V2V1.Manager interface at /org/v2vd/V2V1 and
 * the ObjectManager there. The names are bus-names.h's.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "bus/bus.h"
#include "common/bus-names.h"

int bus_manager_register(Bus *b);
void bus_manager_emit_counts(Bus *b);
