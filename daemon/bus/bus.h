/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus: the daemon's D-Bus face as one object — the connection, the Manager
 * and Job objects, the polkit client, the access filter and the source
 * calls in flight. It handles incoming calls by calling down into the job
 * layer, and subscribes to the job layer's events (job-events.h) to send
 * the signals. main.c makes it once the manager exists.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "bus/polkit.h"
#include "job/manager.h"

typedef struct Bus {
        Manager *manager;
        sd_bus *bus;                    /* the manager's connection */
        Polkit *polkit;
        sd_bus_slot *details_filter;    /* bus-access.c: the bounds, and the details --system */
        const sd_bus_message *details_message;  /* compared only, never dereferenced */
        bool details_allowed;
        GList *source_calls;            /* SourceCall* running (source-call.c) */
        GList *create_calls;            /* CreateJob calls whose spec a helper checks (bus-manager.c) */
} Bus;

/* Opens the system or user bus as the manager's mode says and hands it to
 * the manager, registers the objects, the access filter and the job
 * events, and takes the name. */
int bus_new(Manager *m, Bus **ret);
/* The Bus subscribed to m's job events (the one that registered the job
 * objects), or NULL. */
Bus *bus_of_manager(Manager *m);
/* Ends the source calls still running; leaves the connection to the manager. */
Bus *bus_free(Bus *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Bus, bus_free)
