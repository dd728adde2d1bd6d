/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>

#include "common/message-ids.h"
#include "job/job-events.h"
#include "job/job-journal.h"
#include "host/util.h"

/* j has just entered state (queued: it was created). */
static void job_journal_state(const Job *j, V2vJobState state) {
        g_autofree char *vm = g_strdup_printf("V2VD_VM=%s", j->vm_name ?: "");
        g_autofree char *owner = g_strdup_printf("V2VD_OWNER_UID=%u", (unsigned) j->record->owner_uid);
        g_autofree char *result = g_strdup_printf("V2VD_RESULT=%s", v2v_job_state_to_string(state));
        g_autofree char *unit = NULL;
        g_autofree char *rc = NULL;
        const char *fields[6] = { vm, owner, result };
        size_t n = 3;
        const char *type, *text;

        if (j->record->unit && j->record->unit[0])
                fields[n++] = unit = g_strdup_printf("V2VD_UNIT=%s", j->record->unit);
        if (v2v_job_state_is_finished(state) && j->record->return_code >= 0)
                fields[n++] = rc = g_strdup_printf("V2VD_RETURN_CODE=%d", j->record->return_code);
        job_last_message(j, &type, &text);

        switch (state) {
        case V2V_JOB_QUEUED:
                log_struct(LOG_INFO, j->id, V2VD_MESSAGE_JOB_CREATED, fields,
                           "job %s created: converting VM %s for uid %u, queued",
                           j->id, j->vm_name, (unsigned) j->record->owner_uid);
                break;
        case V2V_JOB_RUNNING:
                log_struct(LOG_INFO, j->id, V2VD_MESSAGE_JOB_STARTED, fields,
                           "job %s started: converting VM %s in %s", j->id, j->vm_name,
                           j->record->unit ?: "?");
                break;
        case V2V_JOB_SUCCEEDED:
                log_struct(LOG_INFO, j->id, V2VD_MESSAGE_JOB_SUCCEEDED, fields,
                           "job %s succeeded: VM %s converted", j->id, j->vm_name);
                break;
        case V2V_JOB_FAILED:
                log_struct(LOG_ERR, j->id, V2VD_MESSAGE_JOB_FAILED, fields,
                           "job %s failed: VM %s not converted%s%s", j->id, j->vm_name,
                           text[0] ? ": " : "", text);
                break;
        case V2V_JOB_CANCELLED:
                log_struct(LOG_NOTICE, j->id, V2VD_MESSAGE_JOB_CANCELLED, fields,
                           "job %s cancelled: VM %s not converted%s%s", j->id, j->vm_name,
                           text[0] ? ": " : "", text);
                break;
        default:
                break;
        }
}

static void on_added(Job *j, void *userdata) {
        job_journal_state(j, V2V_JOB_QUEUED);
}

/* A state change is published at once (job_mark_dirty), alone or with what
 * was pending: STATE in props is the transition itself. Back to queued (a
 * job requeued before virt-v2v ran) has no entry. */
static void on_changed(Job *j, unsigned props, void *userdata) {
        if ((props & JOB_PROP_STATE) && job_state(j) == V2V_JOB_RUNNING)
                job_journal_state(j, V2V_JOB_RUNNING);
}

static void on_finished(Job *j, void *userdata) {
        job_journal_state(j, job_state(j));
}

static const JobEvents journal_events = {
        .added = on_added,
        .changed = on_changed,
        .finished = on_finished,
};

int job_journal_subscribe(Manager *m) {
        return job_events_subscribe(m, &journal_events, NULL);
}
