/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "bus/bus-access.h"
#include "bus/bus-check.h"
#include "bus/bus-limits.h"
#include "bus/bus-manager.h"
#include "bus/source-call.h"
#include "host/cred.h"
#include "host/file-write.h"
#include "host/helper.h"
#include "host/owner.h"
#include "core/job-id.h"
#include "host/util.h"
#include "common/v2v-limits.h"
#include "job/budget.h"
#include "job/job.h"
#include "job/metrics-file.h"
#include "job/spec-checks.h"

char *home_of(uid_t uid) {
        Cred c;

        return passwd_lookup(uid, &c) < 0 ? NULL : g_strdup(c.home);
}

int bus_manager_spec_size_bound(const char *text, sd_bus_error *error) {
        if (strlen(text) > V2V_SPEC_MAX_SIZE)
                return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                         "the spec is %zu bytes, more than %u", strlen(text), V2V_SPEC_MAX_SIZE);
        return 0;
}

int bus_manager_create_job_bounds(Manager *m, const char *text, uid_t uid, sd_bus_error *error) {
        int r;

        r = bus_manager_spec_size_bound(text, error);
        if (r < 0)
                return r;
        if (manager_queue_is_full(m))
                return sd_bus_error_setf(error, V2VD_ERROR_TOO_MANY_JOBS,
                                         "%u jobs are already queued; wait or raise max_queued_jobs",
                                         g_queue_get_length(&m->queue));
        if (m->max_queued_jobs_per_user > 0 && manager_queued_of(m, uid) >= m->max_queued_jobs_per_user)
                return sd_bus_error_setf(error, V2VD_ERROR_TOO_MANY_JOBS,
                                         "uid %u has %u jobs queued already (max_queued_jobs_per_user=%u)",
                                         (unsigned) uid, manager_queued_of(m, uid), m->max_queued_jobs_per_user);
        return 0;
}

int bus_manager_helpers_busy(int r, uid_t uid, sd_bus_error *error) {
        if (r == -EUSERS)
                return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                         "%u of uid %u's calls are being checked or answered by a helper already; "
                                         "wait for them", HELPERS_PER_UID, (unsigned) uid);
        return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                 "%u calls (of all users) are being checked or answered by a helper already; "
                                 "try again later (uid %u)", HELPERS_MAX, (unsigned) uid);
}

const char *bus_manager_create_action(const char *text) {
        /* Starting outside the start window is an administrator's call:
         * manage-any-job, asked in place of create-job (one question per call). */
        return v2v_spec_text_ignores_window(text) ? V2VD_POLKIT_ACTION_MANAGE_ANY_JOB : V2VD_POLKIT_ACTION_CREATE_JOB;
}

int bus_manager_admit(Bus *b, sd_bus_message *message, const char *text, uid_t uid, bool create,
                      const char *action, const char **ret_text, sd_bus_error *error) {
        int r;

        if (create) {
                r = bus_manager_create_job_bounds(b->manager, text, uid, error);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = bus_check_action(b, message, action, error);
        if (r <= 0)
                return r;
        r = sd_bus_message_read(message, "s", ret_text);
        if (r < 0)
                return r;
        return 1;
}

static int method_create_job(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        const char *text;
        uid_t uid;
        int r;

        r = sd_bus_message_read(message, "s", &text);
        if (r < 0)
                return r;
        r = bus_sender_uid(message, &uid);
        if (r < 0)
                return r;
        r = bus_manager_admit(b, message, text, uid, true, bus_manager_create_action(text), &text, error);
        if (r <= 0)
                return r < 0 ? r : 1;   /* 0: polkit asked, we reply later */
        return bus_manager_create_job(b->manager, message, text, uid, NULL, error);
}

/* The spec, its paths checked by the caller's helper: parse, create, reply. */
static int create_job_finish(Manager *m, sd_bus_message *message, const char *text, uid_t uid,
                             const char *disk_sizes, const char *check_json, sd_bus_error *error) {
        g_autoptr(V2vSpec) spec = NULL;
        g_autoptr(GError) gerror = NULL;
        g_autofree char *home = home_of(uid);
        Job *j;
        int r;

        {
                V2vSpecContext ctx = {
                        .owner_uid = uid,
                        .owner_home = home,
                        .profile_dirs = (const char *const *) m->profile_dirs,
                        .paths_checked = true,
                        .sizes_given = true,
                };
                spec = v2v_spec_parse(text, &ctx, &gerror);
        }
        if (!spec)
                return sd_bus_error_setf(error, V2VD_ERROR_INVALID_SPEC, "%s", gerror->message);
        /* The sizes as the owner's helper saw them: the daemon looks at no
         * path of the spec (one may not answer). Else unknown (0). */
        (void) v2v_spec_set_disk_sizes(spec, disk_sizes);
        if (!m->user_mode && uid != 0 && owner_root_output(spec) &&
            owner_job_uid(m->user_mode, m->root_outputs, uid, spec) != (uid_t) -1)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "the %s output (-o %s) needs root, and v2vd runs a job as its owner "
                                         "(uid %u); an administrator can allow it with root_outputs=%s in v2vd.conf",
                                         owner_root_output(spec), owner_root_output(spec), (unsigned) uid,
                                         owner_root_output(spec));

        r = job_create(m, &spec, uid, &j);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot create the job: %s", g_strerror(-r));
        if (check_json) {
                /* The checks it was created after, for v2vctl bundle. */
                g_autofree char *p = g_build_filename(j->dir, "check.json", NULL);
                r = write_file_atomic(p, check_json, strlen(check_json), 0640);
                if (r < 0)
                        log_full(LOG_WARNING, j->id, "cannot write %s: %s", p, g_strerror(-r));
        }

        return sd_bus_reply_method_return(message, "so", j->id, j->object_path);
}

/* A job creation whose spec a helper checks as the caller (owner.c), also
 * for the daemon's own uid: the checks may wait on a path (FUSE, a FIFO)
 * or a libvirt connection (spec-checks.c), never on the loop.
 *
 * The daemon's own calls (root's in --system, all in --user) are answered
 * in the order they came, each job created once every earlier one is: a
 * client writing many CreateJob calls back to back gets ids in that order.
 * Beyond the helpers a uid may run at once (helper.h) they wait for a
 * running check to end; a caller of another uid is refused instead (a
 * stalled path of its own cannot hold the daemon's own calls). */
typedef struct CreateCall {
        Bus *bus;
        sd_bus_message *message;
        char *text;
        char *check_json;
        uid_t uid;
        Helper *helper;
        bool own;               /* the daemon's own uid: in order */
        bool started;           /* its helper runs or ran */
        bool checked;           /* result and result_message hold the answer */
        int result;             /* OwnerCheckDone's r */
        char *result_message;   /* its message: the error, or the disk sizes */
} CreateCall;

/* Own calls that wait for a helper slot, at most. */
#define CREATE_CALLS_WAITING_MAX 1024u

static void create_call_free(CreateCall *c) {
        c->bus->create_calls = g_list_remove(c->bus->create_calls, c);
        sd_bus_message_unref(c->message);
        g_free(c->text);
        g_free(c->check_json);
        g_free(c->result_message);
        g_free(c);
}

static void on_spec_checked(int r, const char *message, void *userdata);

static int create_call_start(CreateCall *c) {
        Manager *m = c->bus->manager;
        g_autofree char *home = home_of(c->uid);
        V2vSpecContext ctx = {
                .owner_uid = c->uid,
                .owner_home = home,
                .profile_dirs = (const char *const *) m->profile_dirs,
        };
        int r;

        r = owner_check_spec(m->event, c->uid, c->text, &ctx, spec_checks, on_spec_checked, c, &c->helper);
        if (r >= 0)
                c->started = true;
        return r;
}

static int create_start_error(int r, uid_t uid, sd_bus_error *error) {
        if (r == -EUSERS || r == -EAGAIN)
                return bus_manager_helpers_busy(r, uid, error);
        return sd_bus_error_set_errnof(error, r, "cannot check the spec as uid %u: %s", (unsigned) uid,
                                       g_strerror(-r));
}

/* The helper's answer → the reply (a job, or an error). */
static void create_call_answer(CreateCall *c) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        Manager *m = c->bus->manager;
        int r = c->result;

        if (r == -ETIME)
                (void) sd_bus_error_setf(&error, SD_BUS_ERROR_TIMEOUT,
                                         "the spec's paths could not be checked as uid %u within %u s (a path "
                                         "that does not answer: a FIFO, a FUSE or network mount?)",
                                         (unsigned) c->uid, (unsigned) (OWNER_CHECK_TIMEOUT_USEC / 1000000));
        else if (r < 0)
                (void) sd_bus_error_set_errnof(&error, -r, "cannot check the spec as uid %u: %s", (unsigned) c->uid,
                                               g_strerror(-r));
        else if (r == 0)
                (void) sd_bus_error_setf(&error, V2VD_ERROR_INVALID_SPEC, "%s", c->result_message);
        else {
                /* the queue again: other calls may have filled it meanwhile */
                r = bus_manager_create_job_bounds(m, c->text, c->uid, &error);
                if (r >= 0)
                        r = create_job_finish(m, c->message, c->text, c->uid, c->result_message, c->check_json,
                                              &error);
                if (r < 0 && !sd_bus_error_is_set(&error))
                        (void) sd_bus_error_set_errno(&error, r);
        }
        if (sd_bus_error_is_set(&error))
                (void) sd_bus_reply_method_error(c->message, &error);
}

/* The own calls, in order: answer those whose earlier ones are answered,
 * start those waiting for a helper while the uid has room. One that cannot
 * start while none of the own calls runs is refused: nothing would wake
 * it (the slots are held by killed checks not yet reaped). */
static void own_calls_advance(Bus *b) {
        bool running = false;

        for (;;) {
                CreateCall *head = NULL;
                for (GList *l = b->create_calls; l && !head; l = l->next)
                        if (((CreateCall *) l->data)->own)
                                head = l->data;
                if (!head || !head->checked)
                        break;
                create_call_answer(head);
                create_call_free(head);
        }
        for (GList *l = b->create_calls; l; l = l->next) {
                CreateCall *c = l->data;
                if (c->own && c->started && !c->checked)
                        running = true;
        }
        for (GList *l = b->create_calls, *next; l; l = next) {
                CreateCall *c = l->data;
                __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
                int r;

                next = l->next;
                if (!c->own || c->started)
                        continue;
                r = create_call_start(c);
                if (r >= 0) {
                        running = true;
                        continue;
                }
                if ((r == -EUSERS || r == -EAGAIN) && running)
                        break;
                (void) create_start_error(r, c->uid, &error);
                (void) sd_bus_reply_method_error(c->message, &error);
                create_call_free(c);
        }
}

static void on_spec_checked(int r, const char *message, void *userdata) {
        CreateCall *c = userdata;
        Bus *b = c->bus;

        c->helper = NULL;
        c->checked = true;
        c->result = r;
        c->result_message = g_strdup(message);
        if (c->own) {
                own_calls_advance(b);
                return;
        }
        create_call_answer(c);
        create_call_free(c);
}

int bus_manager_create_job(Manager *m, sd_bus_message *message, const char *text, uid_t uid, const char *check_json,
                           sd_bus_error *error) {
        Bus *b = bus_of_manager(m);
        bool own = uid == geteuid();
        CreateCall *c;
        unsigned waiting = 0;
        int r;

        if (own) {
                for (GList *l = b->create_calls; l; l = l->next)
                        waiting += ((CreateCall *) l->data)->own && !((CreateCall *) l->data)->started;
                if (waiting >= CREATE_CALLS_WAITING_MAX)
                        return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                                 "%u CreateJob calls of uid %u wait for their checks already; "
                                                 "wait for them", waiting, (unsigned) uid);
        }
        c = g_new0(CreateCall, 1);
        c->bus = b;
        c->uid = uid;
        c->own = own;
        c->message = sd_bus_message_ref(message);
        c->text = g_strdup(text);
        c->check_json = g_strdup(check_json);
        if (own) {
                /* Appended: the list's order is the own calls' order. */
                b->create_calls = g_list_append(b->create_calls, c);
                own_calls_advance(b);
                return 1;
        }

        /* The caller's paths are checked with the caller's rights, in a
         * helper the loop does not wait for (owner.c): no message about
         * what it cannot see, and no path that hangs stops the daemon. */
        r = create_call_start(c);
        if (r < 0) {
                create_call_free(c);    /* never listed: its removal is a no-op */
                return create_start_error(r, uid, error);
        }
        b->create_calls = g_list_prepend(b->create_calls, c);
        return 1;
}

void create_calls_abort(Bus *b) {
        while (b->create_calls) {
                CreateCall *c = b->create_calls->data;
                helper_abandon(c->helper);
                create_call_free(c);
        }
}

static int method_list_jobs(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = ((Bus *) userdata)->manager;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autoptr(GPtrArray) jobs = manager_sorted_jobs(m);
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sossd)");
        if (r < 0)
                return r;
        for (guint i = 0; i < jobs->len; i++) {
                Job *j = jobs->pdata[i];
                r = sd_bus_message_append(reply, "(sossd)", j->id, j->object_path,
                                          v2v_job_state_to_string(job_state(j)), j->vm_name, job_progress(j));
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_job(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = ((Bus *) userdata)->manager;
        const char *id;
        Job *j;
        int r;

        r = sd_bus_message_read(message, "s", &id);
        if (r < 0)
                return r;
        j = job_id_is_valid(id) ? g_hash_table_lookup(m->jobs, id) : NULL;
        if (!j)
                return sd_bus_error_setf(error, V2VD_ERROR_NO_SUCH_JOB, "no job \"%s\"", id);
        return sd_bus_reply_method_return(message, "o", j->object_path);
}

/* Browsing a source (polkit's browse-sources on the system bus) runs in the
 * v2vd-sources helper as the caller; the reply follows from the loop
 * (source-call.c). */
static int method_list_source_vms(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        const char *source;
        int r;

        r = bus_check_action(userdata, message, V2VD_POLKIT_ACTION_BROWSE_SOURCES, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = sd_bus_message_read(message, "s", &source);
        if (r < 0)
                return r;
        return source_call_start(userdata, message, "list", source, NULL, error);
}

static int method_inspect_source_vm(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        const char *source, *vm;
        int r;

        r = bus_check_action(userdata, message, V2VD_POLKIT_ACTION_BROWSE_SOURCES, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = sd_bus_message_read(message, "ss", &source, &vm);
        if (r < 0)
                return r;
        if (!*vm)
                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR, "which VM? vm_name is empty");
        return source_call_start(userdata, message, "inspect", source, vm, error);
}

static int method_list_profiles(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = ((Bus *) userdata)->manager;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autoptr(GPtrArray) names = v2v_spec_list_profiles((const char *const *) m->profile_dirs);
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        g_ptr_array_add(names, NULL);
        r = sd_bus_message_append_strv(reply, (char **) names->pdata);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_metrics(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        g_autofree char *text = metrics_text(b->manager);

        return sd_bus_reply_method_return(message, "s", text);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", V2VD_VERSION);
}

static int property_get_mode(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", ((Bus *) userdata)->manager->user_mode ? "user" : "system");
}

static int property_get_v2v_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", ((Bus *) userdata)->manager->v2v_version ?: "");
}

static int property_get_v2v_capabilities(sd_bus *bus, const char *path, const char *interface, const char *property,
                                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        char *empty[] = { NULL };
        Manager *m = ((Bus *) userdata)->manager;

        return sd_bus_message_append_strv(reply, m->v2v_capabilities ?: empty);
}

static int property_get_queued(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "u", (uint32_t) g_queue_get_length(&((Bus *) userdata)->manager->queue));
}

static int property_get_max_running(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "u", (uint32_t) ((Bus *) userdata)->manager->max_running_jobs);
}

static int property_get_running(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "u", (uint32_t) ((Bus *) userdata)->manager->n_running);
}

static int property_get_host_cpu(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", ((Bus *) userdata)->manager->host_cpu ?: "unlimited");
}

static int property_get_host_network(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", ((Bus *) userdata)->manager->host_network);
}

static int property_get_host_disk(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", ((Bus *) userdata)->manager->host_disk);
}

/* The host-wide budget of v2vd.slice (budget.c): an administrator's call. */
static int method_set_host_limits(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        g_autofree char *cpu = NULL;
        int64_t disk = -1, network = -1;
        int r;

        r = bus_check_action(b, message, V2VD_POLKIT_ACTION_MANAGE_ANY_JOB, error);
        if (r <= 0)
                return r < 0 ? r : 1;   /* 0: polkit asked, we reply later */
        r = bus_read_limits(message, "host limit", &cpu, &network, &disk, error);
        if (r < 0)
                return r;
        r = budget_set(b->manager, cpu, network, disk);
        if (r < 0)
                return r;
        (void) sd_bus_emit_properties_changed(b->bus, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE,
                                              "HostCPULimit", "HostNetworkLimit", "HostDiskLimit", NULL);
        return sd_bus_reply_method_return(message, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Mode", "s", property_get_mode, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("V2VVersion", "s", property_get_v2v_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("V2VCapabilities", "as", property_get_v2v_capabilities, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MaxRunningJobs", "u", property_get_max_running, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RunningJobs", "u", property_get_running, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("QueuedJobs", "u", property_get_queued, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HostCPULimit", "s", property_get_host_cpu, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HostNetworkLimit", "t", property_get_host_network, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HostDiskLimit", "t", property_get_host_disk, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("CreateJob", SD_BUS_ARGS("s", spec), SD_BUS_RESULT("s", id, "o", job),
                                method_create_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateJobWithOptions", SD_BUS_ARGS("s", spec, "a{sv}", options),
                                SD_BUS_RESULT("s", id, "o", job), bus_check_method_create_job_with_options,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckJob", SD_BUS_ARGS("s", spec), SD_BUS_RESULT("a(ssss)", findings),
                                bus_check_method_check_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckJobWithOptions", SD_BUS_ARGS("s", spec, "a{sv}", options),
                                SD_BUS_RESULT("a(ssss)", findings), bus_check_method_check_job,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sossd)", jobs),
                                method_list_jobs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetJob", SD_BUS_ARGS("s", id), SD_BUS_RESULT("o", job),
                                method_get_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSourceVMs", SD_BUS_ARGS("s", source), SD_BUS_RESULT("s", vms),
                                method_list_source_vms, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("InspectSourceVM", SD_BUS_ARGS("s", source, "s", vm_name), SD_BUS_RESULT("s", details),
                                method_inspect_source_vm, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetHostLimits", SD_BUS_ARGS("a{sv}", limits), SD_BUS_NO_RESULT,
                                method_set_host_limits, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListProfiles", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", profiles),
                                method_list_profiles, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetMetrics", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", metrics),
                                method_get_metrics, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("JobNew", SD_BUS_ARGS("s", id, "o", job), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobFinished", SD_BUS_ARGS("s", id, "o", job, "s", result), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobRemoved", SD_BUS_ARGS("s", id, "o", job), 0),
        SD_BUS_VTABLE_END
};

int bus_manager_register(Bus *b) {
        int r;

        r = sd_bus_add_object_vtable(b->bus, NULL, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, manager_vtable, b);
        if (r < 0)
                return r;
        return sd_bus_add_object_manager(b->bus, NULL, V2VD_MANAGER_PATH);
}

void bus_manager_emit_counts(Bus *b) {
        (void) sd_bus_emit_properties_changed(b->bus, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE,
                                                      "RunningJobs", "QueuedJobs", NULL);
}
