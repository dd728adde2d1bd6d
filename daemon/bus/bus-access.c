/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "bus/bounds.h"
#include "bus/bus-access.h"
#include "bus/bus-job.h"
#include "host/util.h"

int bus_sender_uid(sd_bus_message *message, uid_t *ret) {
        __attribute__((cleanup(sd_bus_creds_unrefp))) sd_bus_creds *creds = NULL;
        int r;

        r = sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        /* Augmented credentials (read from /proc, racy) are not trusted. */
        if (sd_bus_creds_get_augmented_mask(creds) & SD_BUS_CREDS_EUID)
                return -EPERM;
        return sd_bus_creds_get_euid(creds, ret);
}

static uint8_t message_type(sd_bus_message *m) {
        uint8_t type = 0;

        (void) sd_bus_message_get_type(m, &type);
        return type;
}

int bus_check_action(Bus *b, sd_bus_message *message, const char *action, sd_bus_error *error) {
        uid_t uid;
        int r;

        if (b->manager->user_mode)
                return 1;
        r = bus_sender_uid(message, &uid);
        if (r == -EPERM)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "the caller's uid is not known reliably");
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot tell who is calling: %s", g_strerror(-r));
        return polkit_check_async(b->polkit, message, uid, action, NULL, true, error);
}

int bus_check_job_access(Bus *b, sd_bus_message *message, uid_t owner, sd_bus_error *error) {
        g_autofree char *owner_text = g_strdup_printf("%u", (unsigned) owner);
        const char *path = sd_bus_message_get_path(message);
        const char *id = path && strrchr(path, '/') ? strrchr(path, '/') + 1 : "";
        const char *const details[] = { "job_id", id, "owner_uid", owner_text, NULL };
        uid_t uid;
        int r;

        if (b->manager->user_mode)
                return 1;
        r = bus_sender_uid(message, &uid);
        if (r < 0)
                return r;
        return polkit_check_async(b->polkit, message, uid,
                                  uid == owner ? V2VD_POLKIT_ACTION_MANAGE_JOB : V2VD_POLKIT_ACTION_MANAGE_ANY_JOB,
                                  details, true, error);
}

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

static int details_filter(sd_bus_message *call, void *userdata, sd_bus_error *ret_error) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        Bus *b = userdata;
        g_autofree char *owner = NULL;
        Job *j = NULL;
        uid_t uid;
        int r;

        b->details_message = call;
        b->details_allowed = false;
        /* Every call's bounds first (bounds.c), before polkit is asked
         * about it here or by its handler. */
        if (bus_bounds_check(b->manager, call) > 0)
                return 1;
        if (b->manager->user_mode || message_type(call) != SD_BUS_MESSAGE_METHOD_CALL ||
            !(sd_bus_message_is_method_call(call, "org.freedesktop.DBus.Properties", NULL) ||
              sd_bus_message_is_method_call(call, "org.freedesktop.DBus.ObjectManager", NULL)))
                return 0;
        if (bus_sender_uid(call, &uid) < 0)
                return 0;
        if (uid == 0) {
                b->details_allowed = true;
                return 0;
        }
        if (!call_reads_others_details(b->manager, call, uid, &j))
                return 0;
        if (j)
                owner = g_strdup_printf("%u", (unsigned) j->record->owner_uid);
        {
                const char *const details[] = { "job_id", j ? j->id : "*", "owner_uid", owner ?: "*", NULL };
                r = polkit_check_async(b->polkit, call, uid, V2VD_POLKIT_ACTION_MANAGE_ANY_JOB, details, false, &error);
        }
        if (r == 0)
                return 1;   /* consumed: dispatched again once polkit answers */
        b->details_allowed = r > 0;
        return 0;
}

/* One filter, also in user mode: the bounds of every call, then the
 * details of others' jobs. */
int bus_access_setup(Bus *b) {
        return sd_bus_add_filter(b->bus, &b->details_filter, details_filter, b);
}

bool bus_may_see_job_details(Bus *b, const Job *j, sd_bus_message *reply) {
        sd_bus_message *current;
        uid_t uid;

        if (b->manager->user_mode)
                return true;
        /* A signal reaches every listener on the system bus. */
        if (message_type(reply) != SD_BUS_MESSAGE_METHOD_RETURN)
                return false;
        current = sd_bus_get_current_message(sd_bus_message_get_bus(reply));
        if (!current)
                return false;
        if (bus_sender_uid(current, &uid) < 0)
                return false;
        if (uid == 0 || uid == j->record->owner_uid)
                return true;
        return b->details_message == current && b->details_allowed;
}
