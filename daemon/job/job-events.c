/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "job/job-events.h"

void job_events_subscribe(Manager *m, const JobEvents *events, void *userdata) {
        m->events = events;
        m->events_userdata = events ? userdata : NULL;
}

void job_events_changed(Job *j, unsigned props) {
        const JobEvents *e = j->manager->events;

        if (e && e->changed && props)
                e->changed(j, props, j->manager->events_userdata);
}

void job_events_added(Job *j) {
        const JobEvents *e = j->manager->events;

        if (e && e->added)
                e->added(j, j->manager->events_userdata);
}

void job_events_finished(Job *j) {
        const JobEvents *e = j->manager->events;

        if (e && e->finished)
                e->finished(j, j->manager->events_userdata);
}

void job_events_removed(Job *j) {
        const JobEvents *e = j->manager->events;

        if (e && e->removed)
                e->removed(j, j->manager->events_userdata);
}

void job_events_counts_changed(Manager *m) {
        if (m->events && m->events->counts_changed)
                m->events->counts_changed(m, m->events_userdata);
}
