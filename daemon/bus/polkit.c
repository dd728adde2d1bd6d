/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "bus/bus-job.h"
#include "bus/bus-manager.h"
#include "bus/polkit.h"
#include "host/util.h"

#define POLKIT_DEST "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_FLAG_ALLOW_USER_INTERACTION 1u

#define POLKIT_MAX_PENDING_PER_SENDER 8u

#define POLKIT_TIMEOUT_USEC (25ULL * 1000000ULL)
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300ULL * 1000000ULL)

/* One question to polkit about one method call. */
typedef struct PolkitQuery {
        sd_bus_message *request;        /* the caller's method call (ref) */
        uid_t uid;                      /* the caller's */
        char *action;
        sd_bus_slot *slot;              /* CheckAuthorization in flight */
        sd_bus_message *reply;          /* its answer, once there */
        sd_event_source *free_source;   /* frees the query after the re-dispatch */
        Polkit *polkit;                 /* whose table holds it */
} PolkitQuery;

/* The module's state, in the Manager (m->polkit): the questions in
 * flight, keyed by the request message, and the filter's decision about
 * the message being dispatched. */
struct Polkit {
        GHashTable *queries;            /* sd_bus_message* → PolkitQuery* (owned) */
        sd_bus_slot *filter_slot;
        const sd_bus_message *details_message;  /* compared only, never dereferenced */
        bool details_allowed;
};

static uint8_t message_type(sd_bus_message *m) {
        uint8_t type = 0;

        (void) sd_bus_message_get_type(m, &type);
        return type;
}

static void polkit_query_free(PolkitQuery *q) {
        if (!q)
                return;
        sd_bus_slot_unref(q->slot);
        sd_event_source_disable_unref(q->free_source);
        sd_bus_message_unref(q->reply);
        sd_bus_message_unref(q->request);
        g_free(q->action);
        g_free(q);
}

Polkit *polkit_new(void) {
        Polkit *p = g_new0(Polkit, 1);

        p->queries = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) polkit_query_free);
        return p;
}

Polkit *polkit_free(Polkit *p) {
        if (!p)
                return NULL;
        p->filter_slot = sd_bus_slot_unref(p->filter_slot);
        g_clear_pointer(&p->queries, g_hash_table_unref);
        g_free(p);
        return NULL;
}

static int on_query_free(sd_event_source *s, void *userdata) {
        PolkitQuery *q = userdata;

        /* The re-dispatched call has been handled (or its handler no longer
         * asked): forget the answer. */
        g_hash_table_remove(q->polkit->queries, q->request);
        return 0;
}

static int on_check_authorization_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->reply = sd_bus_message_ref(reply);

        /* Free the query once the bus has dispatched the call again: an idle
         * defer runs after the bus's own (normal priority) processing. */
        r = sd_event_add_defer(sd_bus_get_event(bus), &q->free_source, on_query_free, q);
        if (r >= 0)
                r = sd_event_source_set_priority(q->free_source, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(q->free_source, SD_EVENT_ONESHOT);
        if (r >= 0)
                r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->request);
        if (r < 0) {
                log_warning("cannot resume a call after polkit's answer: %s", g_strerror(-r));
                if (message_type(q->request) == SD_BUS_MESSAGE_METHOD_CALL)
                        (void) sd_bus_reply_method_errorf(q->request, SD_BUS_ERROR_ACCESS_DENIED,
                                                          "cannot check authorization: %s", g_strerror(-r));
                g_hash_table_remove(q->polkit->queries, q->request);
        }
        return 1;
}

static int polkit_query_start(Polkit *p, sd_bus_message *call, uid_t uid, const char *action,
                              const char *const *details,
                              bool interactive, PolkitQuery **ret) {
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        const char *sender = sd_bus_message_get_sender(call);
        PolkitQuery *q;
        int r;

        if (!sender)
                return -EBADMSG;
        r = sd_bus_message_new_method_call(bus, &m, POLKIT_DEST, POLKIT_PATH, POLKIT_IFACE, "CheckAuthorization");
        if (r < 0)
                return r;
        /* subject: (sa{sv}) — the caller's unique bus name, which polkit
         * resolves to a process and user itself through the bus. */
        r = sd_bus_message_append(m, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        for (const char *const *d = details; d && d[0] && d[1]; d += 2) {
                r = sd_bus_message_append(m, "{ss}", d[0], d[1]);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "us", interactive ? POLKIT_FLAG_ALLOW_USER_INTERACTION : 0u, "");
        if (r < 0)
                return r;

        q = g_new0(PolkitQuery, 1);
        q->request = sd_bus_message_ref(call);
        q->uid = uid;
        q->action = g_strdup(action);
        q->polkit = p;
        r = sd_bus_call_async(bus, &q->slot, m, on_check_authorization_reply, q,
                              interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }
        g_hash_table_replace(p->queries, call, q);
        *ret = q;
        return 0;
}

/* polkit's answer → 1 or a negative errno with error set. */
static int polkit_query_result(const PolkitQuery *q, uid_t uid, sd_bus_error *error) {
        const sd_bus_error *e = sd_bus_message_get_error(q->reply);
        int authorized = 0, challenge = 0, r;

        if (e)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "cannot check authorization for %s with polkit: %s",
                                         q->action, e->message ?: e->name);
        r = sd_bus_message_enter_container(q->reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(q->reply, "bb", &authorized, &challenge);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "cannot check authorization for %s: unexpected answer from polkit", q->action);
        (void) sd_bus_message_rewind(q->reply, true);
        if (authorized)
                return 1;
        if (challenge)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "uid %u needs to authenticate for %s (call with interactive "
                                         "authorization allowed and an authentication agent running)",
                                         (unsigned) uid, q->action);
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "uid %u is not authorized for %s",
                                 (unsigned) uid, q->action);
}

static int polkit_pending_check(Manager *m, sd_bus_message *call, uid_t uid, sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(call);
        unsigned same_sender = 0, same_uid = 0;
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, m->polkit->queries);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                const PolkitQuery *q = value;
                if (q->reply)
                        continue;
                if (q->uid == uid)
                        same_uid++;
                if (sender && g_strcmp0(sender, sd_bus_message_get_sender(q->request)) == 0)
                        same_sender++;
        }
        if (same_sender >= POLKIT_MAX_PENDING_PER_SENDER)
                return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                         "%u authorization checks of this connection (%s) are still pending; "
                                         "wait for their answers", same_sender, sender);
        if (same_uid >= m->max_pending_auth_per_user)
                return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                         "%u authorization checks of uid %u are still pending "
                                         "(max_pending_authorizations_per_user=%u)",
                                         same_uid, (unsigned) uid, m->max_pending_auth_per_user);
        return 0;
}

int polkit_check_async(Manager *m, sd_bus_message *call, const char *action, const char *const *details,
                       bool interactive, sd_bus_error *error) {
        __attribute__((cleanup(sd_bus_creds_unrefp))) sd_bus_creds *creds = NULL;
        PolkitQuery *q;
        uid_t uid;
        int r;

        if (m->user_mode)
                return 1;
        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot tell who is calling: %s", g_strerror(-r));
        /* Augmented credentials (read from /proc, racy) are not trusted. */
        if (sd_bus_creds_get_augmented_mask(creds) & SD_BUS_CREDS_EUID)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "the caller's uid is not known reliably");
        if (uid == 0)
                return 1;

        q = g_hash_table_lookup(m->polkit->queries, call);
        if (q && q->reply && g_str_equal(q->action, action))
                return polkit_query_result(q, uid, error);
        if (q && !q->reply && g_str_equal(q->action, action))
                return 0;   /* still waiting */

        /* Each question in flight holds the caller's message (a spec of up
         * to 1 MiB) for as long as polkit or an authentication agent takes:
         * bounded per connection and per uid, before polkit is asked. */
        r = polkit_pending_check(m, call, uid, error);
        if (r < 0)
                return r;
        interactive = interactive && sd_bus_message_get_allow_interactive_authorization(call) > 0;
        r = polkit_query_start(m->polkit, call, uid, action, details, interactive, &q);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot ask polkit about %s: %s", action, g_strerror(-r));
        return 0;
}

/* ------------------------------------------------------------------ details of others' jobs */

/* Does this call read job details, and of jobs not all owned by uid?
 * Returns the job for a single-object call (to name it to polkit). */
static bool call_reads_others_details(Manager *m, sd_bus_message *call, uid_t uid, Job **ret_job) {
        const char *iface = sd_bus_message_get_interface(call);
        const char *member = sd_bus_message_get_member(call);
        const char *path = sd_bus_message_get_path(call);
        Job *j;

        *ret_job = NULL;
        if (!iface || !member)
                return false;
        if (g_str_equal(iface, "org.freedesktop.DBus.ObjectManager") && g_str_equal(member, "GetManagedObjects")) {
                GHashTableIter it;
                gpointer value;

                g_hash_table_iter_init(&it, m->jobs);
                while (g_hash_table_iter_next(&it, NULL, &value))
                        if (((Job *) value)->record->owner_uid != uid)
                                return true;
                return false;
        }
        if (!g_str_equal(iface, "org.freedesktop.DBus.Properties"))
                return false;
        j = bus_job_from_path(m, path);
        if (!j || j->record->owner_uid == uid)
                return false;
        if (g_str_equal(member, "Get")) {
                const char *interface = NULL, *property = NULL;
                bool detail;

                if (sd_bus_message_read(call, "ss", &interface, &property) < 0)
                        property = NULL;
                detail = bus_job_property_is_detail(property);
                (void) sd_bus_message_rewind(call, true);
                if (!detail)
                        return false;
        } else if (!g_str_equal(member, "GetAll"))
                return false;
        *ret_job = j;
        return true;
}

static int polkit_details_filter(sd_bus_message *call, void *userdata, sd_bus_error *ret_error) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_creds_unrefp))) sd_bus_creds *creds = NULL;
        Manager *m = userdata;
        g_autofree char *owner = NULL;
        Job *j = NULL;
        uid_t uid;
        int r;

        m->polkit->details_message = call;
        m->polkit->details_allowed = false;
        if (message_type(call) != SD_BUS_MESSAGE_METHOD_CALL ||
            !(sd_bus_message_is_method_call(call, "org.freedesktop.DBus.Properties", NULL) ||
              sd_bus_message_is_method_call(call, "org.freedesktop.DBus.ObjectManager", NULL)))
                return 0;
        if (sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds) < 0 ||
            sd_bus_creds_get_euid(creds, &uid) < 0)
                return 0;
        if (uid == 0) {
                m->polkit->details_allowed = true;
                return 0;
        }
        if (!call_reads_others_details(m, call, uid, &j))
                return 0;
        if (j)
                owner = g_strdup_printf("%u", (unsigned) j->record->owner_uid);
        {
                const char *const details[] = { "job_id", j ? j->id : "*", "owner_uid", owner ?: "*", NULL };
                r = polkit_check_async(m, call, V2VD_POLKIT_ACTION_MANAGE_ANY_JOB, details, false, &error);
        }
        if (r == 0)
                return 1;   /* consumed: dispatched again once polkit answers */
        m->polkit->details_allowed = r > 0;
        return 0;
}

int polkit_setup(Manager *m) {
        if (m->user_mode)
                return 0;
        return sd_bus_add_filter(m->bus, &m->polkit->filter_slot, polkit_details_filter, m);
}

bool polkit_may_see_job_details(const Job *j, sd_bus_message *reply) {
        __attribute__((cleanup(sd_bus_creds_unrefp))) sd_bus_creds *creds = NULL;
        sd_bus_message *current;
        uid_t uid;

        if (j->manager->user_mode)
                return true;
        /* A signal reaches every listener on the system bus. */
        if (message_type(reply) != SD_BUS_MESSAGE_METHOD_RETURN)
                return false;
        current = sd_bus_get_current_message(sd_bus_message_get_bus(reply));
        if (!current)
                return false;
        if (sd_bus_query_sender_creds(current, SD_BUS_CREDS_EUID, &creds) < 0 ||
            sd_bus_creds_get_euid(creds, &uid) < 0)
                return false;
        if (uid == 0 || uid == j->record->owner_uid)
                return true;
        return j->manager->polkit->details_message == current && j->manager->polkit->details_allowed;
}
