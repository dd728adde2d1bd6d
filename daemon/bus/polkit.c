/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "bus/polkit.h"
#include "common/bus-names.h"
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

/* The questions in flight, keyed by the request message. */
struct Polkit {
        bool user_mode;
        unsigned max_pending_per_uid;
        GHashTable *queries;            /* sd_bus_message* → PolkitQuery* (owned) */
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

Polkit *polkit_new(bool user_mode, unsigned max_pending_per_uid) {
        Polkit *p = g_new0(Polkit, 1);

        p->user_mode = user_mode;
        p->max_pending_per_uid = max_pending_per_uid;
        p->queries = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) polkit_query_free);
        return p;
}

Polkit *polkit_free(Polkit *p) {
        if (!p)
                return NULL;
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

static int polkit_pending_check(Polkit *p, sd_bus_message *call, uid_t uid, sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(call);
        unsigned same_sender = 0, same_uid = 0;
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, p->queries);
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
        if (same_uid >= p->max_pending_per_uid)
                return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                         "%u authorization checks of uid %u are still pending "
                                         "(max_pending_authorizations_per_user=%u)",
                                         same_uid, (unsigned) uid, p->max_pending_per_uid);
        return 0;
}

int polkit_check_async(Polkit *p, sd_bus_message *call, uid_t uid, const char *action, const char *const *details,
                       bool interactive, sd_bus_error *error) {
        PolkitQuery *q;
        int r;

        if (p->user_mode || uid == 0)
                return 1;
        q = g_hash_table_lookup(p->queries, call);
        if (q && q->reply && g_str_equal(q->action, action))
                return polkit_query_result(q, uid, error);
        if (q && !q->reply && g_str_equal(q->action, action))
                return 0;   /* still waiting */

        /* Each question in flight holds the caller's message (a spec of up
         * to 1 MiB) for as long as polkit or an authentication agent takes:
         * bounded per connection and per uid, before polkit is asked. */
        r = polkit_pending_check(p, call, uid, error);
        if (r < 0)
                return r;
        interactive = interactive && sd_bus_message_get_allow_interactive_authorization(call) > 0;
        r = polkit_query_start(p, call, uid, action, details, interactive, &q);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot ask polkit about %s: %s", action, g_strerror(-r));
        return 0;
}
