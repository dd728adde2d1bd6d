/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "job/job-events.h"

int job_events_subscribe(Manager *m, const JobEvents *events, void *userdata) {
        for (size_t i = 0; i < JOB_EVENTS_MAX_SUBSCRIBERS; i++)
                if (!m->events[i].events) {
                        m->events[i].events = events;
                        m->events[i].userdata = userdata;
                        return 0;
                }
        return -ENOSPC;
}

void job_events_unsubscribe(Manager *m, const JobEvents *events, void *userdata) {
        for (size_t i = 0; i < JOB_EVENTS_MAX_SUBSCRIBERS; i++)
                if (m->events[i].events == events && m->events[i].userdata == userdata)
                        m->events[i] = (struct JobEventsSubscriber) { 0 };
}

void *job_events_userdata(Manager *m, const JobEvents *events) {
        for (size_t i = 0; i < JOB_EVENTS_MAX_SUBSCRIBERS; i++)
                if (m->events[i].events == events)
                        return m->events[i].userdata;
        return NULL;
}

/* Each subscriber with a handler for the event, in subscription order. */
#define FOREACH_HANDLER(m, member, s)                                            \
        for (const struct JobEventsSubscriber *s = (m)->events;                 \
             s < (m)->events + JOB_EVENTS_MAX_SUBSCRIBERS; s++)                  \
                if (s->events && s->events->member)

void job_events_changed(Job *j, unsigned props) {
        if (!props)
                return;
        FOREACH_HANDLER(j->manager, changed, s)
                s->events->changed(j, props, s->userdata);
}

void job_events_added(Job *j) {
        FOREACH_HANDLER(j->manager, added, s)
                s->events->added(j, s->userdata);
}

void job_events_finished(Job *j) {
        FOREACH_HANDLER(j->manager, finished, s)
                s->events->finished(j, s->userdata);
}

void job_events_removed(Job *j) {
        FOREACH_HANDLER(j->manager, removed, s)
                s->events->removed(j, s->userdata);
}

void job_events_counts_changed(Manager *m) {
        FOREACH_HANDLER(m, counts_changed, s)
                s->events->counts_changed(m, s->userdata);
}
