/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "bus/bus.h"
#include "bus/bus-access.h"
#include "bus/bus-job.h"
#include "bus/bus-manager.h"
#include "bus/source-call.h"
#include "host/util.h"
#include "job/job-events.h"

static void on_job_changed(Job *j, unsigned props, void *userdata) {
        bus_job_emit_changed(userdata, j, props);
}

static void on_job_added(Job *j, void *userdata) {
        bus_job_emit_new(userdata, j);
}

static void on_job_finished(Job *j, void *userdata) {
        bus_job_emit_finished(userdata, j);
}

static void on_job_removed(Job *j, void *userdata) {
        bus_job_emit_removed(userdata, j);
}

static void on_counts_changed(Manager *m, void *userdata) {
        bus_manager_emit_counts(userdata);
}

static const JobEvents bus_job_events = {
        .changed = on_job_changed,
        .added = on_job_added,
        .finished = on_job_finished,
        .removed = on_job_removed,
        .counts_changed = on_counts_changed,
};

Bus *bus_of_manager(Manager *m) {
        return job_events_userdata(m, &bus_job_events);
}

static int bus_open(Bus *b) {
        Manager *m = b->manager;
        __attribute__((cleanup(sd_bus_unrefp))) sd_bus *bus = NULL;
        int r;

        r = m->user_mode ? sd_bus_open_user_with_description(&bus, "v2vd")
                         : sd_bus_open_system_with_description(&bus, "v2vd");
        if (r < 0)
                return log_error_errno(r, "cannot connect to the %s bus: %m", m->user_mode ? "user" : "system");
        r = manager_attach_bus(m, bus);
        if (r < 0)
                return r;
        b->bus = m->bus;
        return 0;
}

int bus_new(Manager *m, Bus **ret) {
        g_autoptr(Bus) b = g_new0(Bus, 1);
        int r;

        b->manager = m;
        b->polkit = polkit_new(m->user_mode, m->max_pending_auth_per_user);
        r = bus_open(b);
        if (r < 0)
                return r;
        r = bus_manager_register(b);
        if (r < 0)
                return log_error_errno(r, "cannot register the manager object: %m");
        r = bus_job_register(b);
        if (r < 0)
                return log_error_errno(r, "cannot register job objects: %m");
        r = bus_access_setup(b);
        if (r < 0)
                return log_error_errno(r, "cannot install the access filter: %m");
        r = job_events_subscribe(m, &bus_job_events, b);
        if (r < 0)
                return log_error_errno(r, "cannot subscribe to the jobs' events: %m");
        r = sd_bus_request_name(b->bus, V2VD_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "cannot take the bus name %s: %m", V2VD_BUS_NAME);
        *ret = g_steal_pointer(&b);
        return 0;
}

Bus *bus_free(Bus *b) {
        if (!b)
                return NULL;
        source_calls_abort(b);
        create_calls_abort(b);
        job_events_unsubscribe(b->manager, &bus_job_events, b);
        sd_bus_slot_unref(b->details_filter);
        /* Questions to polkit still in flight are dropped. */
        polkit_free(b->polkit);
        g_free(b);
        return NULL;
}
