/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "bus/bus-access.h"
#include "bus/bus-job.h"
#include "bus/bus-limits.h"
#include "common/v2v-limits.h"
#include "core/job-id.h"
#include "job/scheduler.h"
#include "host/util.h"

/* The Bus that registered the job objects (bus.c subscribed with it). */
static Bus *bus_of(const Job *j) {
        return bus_of_manager(j->manager);
}

Job *bus_job_from_path(Manager *m, const char *path) {
        const char *id;

        if (!path || !g_str_has_prefix(path, V2VD_JOB_PATH_PREFIX "/"))
                return NULL;
        id = path + strlen(V2VD_JOB_PATH_PREFIX "/");
        if (!job_id_is_valid(id))
                return NULL;
        return g_hash_table_lookup(m->jobs, id);
}

static int job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                           void **found, sd_bus_error *error) {
        Job *j = bus_job_from_path(userdata, path);

        if (!j)
                return 0;
        *found = j;
        return 1;
}

static int job_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                               sd_bus_error *error) {
        Manager *m = userdata;
        GHashTableIter it;
        gpointer value;
        char **l = g_new0(char *, g_hash_table_size(m->jobs) + 1);
        size_t n = 0;

        g_hash_table_iter_init(&it, m->jobs);
        while (g_hash_table_iter_next(&it, NULL, &value))
                l[n++] = strdup(((Job *) value)->object_path);
        *nodes = l;
        return 1;
}

#define JOB_GETTER(name) \
        static int property_get_##name(sd_bus *bus, const char *path, const char *interface, \
                                       const char *property, sd_bus_message *reply, void *userdata, \
                                       sd_bus_error *error)

JOB_GETTER(id) { return sd_bus_message_append(reply, "s", ((Job *) userdata)->id); }
JOB_GETTER(vm_name) { return sd_bus_message_append(reply, "s", ((Job *) userdata)->vm_name); }
JOB_GETTER(owner_uid) { return sd_bus_message_append(reply, "u", (uint32_t) ((Job *) userdata)->record->owner_uid); }
/* A finished job keeps no spec in memory: its spec.json is read. */
JOB_GETTER(spec) {
        Job *j = userdata;
        g_autofree char *spec_path = NULL, *text = NULL;

        if (!bus_may_see_job_details(bus_of(j), j, reply))
                return sd_bus_message_append(reply, "s", "");
        if (j->spec_redacted)
                return sd_bus_message_append(reply, "s", j->spec_redacted);
        spec_path = g_build_filename(j->dir, "spec.json", NULL);
        if (read_small_file(spec_path, 16 * 1024 * 1024, &text, NULL) < 0 || !g_utf8_validate(text, -1, NULL))
                return sd_bus_message_append(reply, "s", "{}");
        return sd_bus_message_append(reply, "s", text);
}
JOB_GETTER(state) { return sd_bus_message_append(reply, "s", v2v_job_state_to_string(job_state(userdata))); }
/* virt-v2v's Phase, LastMessage and the Disks' paths name the source: for
 * the owner and manage-any-job only (bus-access.h), like Spec. */
JOB_GETTER(phase) {
        return sd_bus_message_append(reply, "s", bus_may_see_job_details(bus_of(userdata), userdata, reply) ? job_phase(userdata) : "");
}
JOB_GETTER(progress) { return sd_bus_message_append(reply, "d", job_progress(userdata)); }
JOB_GETTER(disk_count) { return sd_bus_message_append(reply, "u", ((Job *) userdata)->progress->disk_count); }
JOB_GETTER(created_at) { return sd_bus_message_append(reply, "t", ((Job *) userdata)->record->created_usec); }
JOB_GETTER(started_at) { return sd_bus_message_append(reply, "t", ((Job *) userdata)->record->started_usec); }
JOB_GETTER(finished_at) { return sd_bus_message_append(reply, "t", ((Job *) userdata)->record->finished_usec); }
JOB_GETTER(expected_end) { return sd_bus_message_append(reply, "t", ((Job *) userdata)->progress->expected_end_usec); }
JOB_GETTER(return_code) { return sd_bus_message_append(reply, "i", (int32_t) ((Job *) userdata)->record->return_code); }
JOB_GETTER(cpu_limit) { return sd_bus_message_append(reply, "s", ((Job *) userdata)->record->cpu_limit ?: "unlimited"); }
JOB_GETTER(disk_limit) { return sd_bus_message_append(reply, "t", ((Job *) userdata)->record->disk_limit); }
JOB_GETTER(network_limit) { return sd_bus_message_append(reply, "t", ((Job *) userdata)->record->network_limit); }
JOB_GETTER(priority) { return sd_bus_message_append(reply, "i", (int32_t) ((Job *) userdata)->record->priority); }
/* It names the job's source host: a detail (polkit.h). */
JOB_GETTER(wait_reason) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", bus_may_see_job_details(bus_of(j), j, reply) ? j->wait_reason ?: "" : "");
}
JOB_GETTER(pid) { return sd_bus_message_append(reply, "u", ((Job *) userdata)->v2v_pid); }

JOB_GETTER(unit) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", job_state(j) == V2V_JOB_QUEUED ? "" : j->record->unit ?: "");
}

JOB_GETTER(disks) {
        Job *j = userdata;
        GArray *disks = j->progress->disks;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sd)");
        if (r < 0)
                return r;
        if (!bus_may_see_job_details(bus_of(j), j, reply))
                disks = NULL;
        for (guint i = 0; disks && i < disks->len; i++) {
                const V2vDiskProgress *d = &g_array_index(disks, V2vDiskProgress, i);
                r = sd_bus_message_append(reply, "(sd)", d->path ?: "", d->progress);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

JOB_GETTER(last_message) {
        const char *type, *text;

        if (!bus_may_see_job_details(bus_of(userdata), userdata, reply))
                return sd_bus_message_append(reply, "(ss)", "", "");
        job_last_message(userdata, &type, &text);
        return sd_bus_message_append(reply, "(ss)", type, text);
}

JOB_GETTER(failure) {
        const char *code, *summary, *remedy;

        if (!bus_may_see_job_details(bus_of(userdata), userdata, reply))
                return sd_bus_message_append(reply, "(sss)", "", "", "");
        job_failure(userdata, &code, &summary, &remedy);
        return sd_bus_message_append(reply, "(sss)", code, summary, remedy);
}

/* The properties only root, the owner and who may manage any job read
 * (bus-access.h): the spec, the paths of the job's files, and what virt-v2v
 * says (its phases, messages and the disks' paths name the source). */
static const char *const job_detail_properties[] = {
        "Spec", "StateFile", "LogFile", "MachineLogFile", "ThrottlingFile", "Phase", "LastMessage", "Failure", "Disks",
        "WaitReason", NULL
};

bool bus_job_property_is_detail(const char *name) {
        return name && g_strv_contains(job_detail_properties, name);
}

size_t bus_job_properties_size(Job *j) {
        const char *type, *text;
        size_t size = 4096 + strlen(j->id) + strlen(j->object_path) + strlen(j->vm_name) + strlen(job_phase(j));
        GArray *disks = j->progress->disks;

        if (j->spec_redacted)
                size += strlen(j->spec_redacted);
        else {
                g_autofree char *spec_path = g_build_filename(j->dir, "spec.json", NULL);
                struct stat st;
                if (stat(spec_path, &st) >= 0)
                        size += (size_t) st.st_size;
        }
        job_last_message(j, &type, &text);
        size += strlen(type) + strlen(text ?: "");
        for (guint i = 0; disks && i < disks->len; i++) {
                const V2vDiskProgress *d = &g_array_index(disks, V2vDiskProgress, i);
                size += 16 + (d->path ? strlen(d->path) : 0);
        }
        size += 4 * (strlen(j->dir) + 64);     /* the files' paths */
        return size;
}

/* Paths of others' jobs only for who may manage them (bus-access.h). */
static int append_path(sd_bus_message *reply, const Job *j, char *p) {
        g_autofree char *path = p;
        return sd_bus_message_append(reply, "s", bus_may_see_job_details(bus_of(j), j, reply) ? path : "");
}

JOB_GETTER(state_file) { return append_path(reply, userdata, job_state_file_path(userdata)); }
JOB_GETTER(log_file) { return append_path(reply, userdata, job_log_path(userdata)); }
JOB_GETTER(machine_log_file) { return append_path(reply, userdata, job_machine_log_path(userdata)); }
JOB_GETTER(throttling_file) { return append_path(reply, userdata, job_throttling_file_path(userdata)); }

static int bus_job_error_finished(const Job *j, sd_bus_error *error) {
        return sd_bus_error_setf(error, V2VD_ERROR_JOB_FINISHED, "job %s has already ended (%s)",
                                 j->id, v2v_job_state_to_string(job_state(j)));
}

static int method_cancel(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r;

        r = bus_check_job_access(bus_of(j), message, j->record->owner_uid, error);
        if (r <= 0)
                return r < 0 ? r : 1;   /* 0: polkit asked, we reply later */
        r = job_cancel(j);
        if (r == -ESTALE)
                return bus_job_error_finished(j, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, NULL);
}

static int method_set_throttling(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        g_autofree char *cpu = NULL;
        int64_t network = -1, disk = -1;
        int r;

        r = bus_check_job_access(bus_of(j), message, j->record->owner_uid, error);
        if (r <= 0)
                return r < 0 ? r : 1;   /* 0: polkit asked, we reply later */
        r = bus_read_limits(message, "throttling key", &cpu, &network, &disk, error);
        if (r < 0)
                return r;

        r = job_set_limits(j, cpu, network, disk);
        if (r == -ESTALE)
                return bus_job_error_finished(j, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, NULL);
}

static int method_set_priority(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int32_t priority;
        int r;

        r = bus_check_job_access(bus_of(j), message, j->record->owner_uid, error);
        if (r <= 0)
                return r < 0 ? r : 1;   /* 0: polkit asked, we reply later */
        r = sd_bus_message_read(message, "i", &priority);
        if (r < 0)
                return r;
        r = scheduler_set_priority(j, priority);
        if (r == -ERANGE)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "priority: expected %d to %d, got %d",
                                         V2V_PRIORITY_MIN, V2V_PRIORITY_MAX, priority);
        if (r == -ESTALE)
                return sd_bus_error_setf(error, V2VD_ERROR_JOB_NOT_QUEUED, "job %s is %s: only a queued job's "
                                         "priority changes", j->id, v2v_job_state_to_string(job_state(j)));
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, NULL);
}

#define READ_LOG_MAX (1024 * 1024)

/* The job's v2v.log from offset, at most max_bytes (capped at 1 MiB); empty
 * at the end or while there is no log yet. Through the daemon so that the
 * same access rules hold as for Cancel, also over v2vctl -H where no file
 * descriptor can be passed. */
static int method_read_log(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autofree char *path = NULL;
        g_autofree uint8_t *buf = NULL;
        _cleanup_close_ int fd = -1;
        uint64_t offset;
        uint32_t max_bytes;
        ssize_t n = 0;
        int r;

        r = bus_check_job_access(bus_of(j), message, j->record->owner_uid, error);
        if (r <= 0)
                return r < 0 ? r : 1;   /* 0: polkit asked, we reply later */
        r = sd_bus_message_read(message, "tu", &offset, &max_bytes);
        if (r < 0)
                return r;
        if (offset > INT64_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "offset %" PRIu64 " is too large", offset);
        max_bytes = MIN(max_bytes, (uint32_t) READ_LOG_MAX);
        path = job_log_path(j);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno != ENOENT)
                return sd_bus_error_set_errnof(error, errno, "cannot open the log of job %s: %m", j->id);
        if (fd >= 0 && max_bytes > 0) {
                buf = g_malloc(max_bytes);
                do
                        n = pread(fd, buf, max_bytes, (off_t) offset);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return sd_bus_error_set_errnof(error, errno, "cannot read the log of job %s: %m", j->id);
        }
        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(reply, 'y', buf ?: (uint8_t *) "", (size_t) n);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_remove(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r;

        r = bus_check_job_access(bus_of(j), message, j->record->owner_uid, error);
        if (r <= 0)
                return r < 0 ? r : 1;   /* 0: polkit asked, we reply later */
        if (!v2v_job_state_is_finished(job_state(j)))
                return sd_bus_error_setf(error, V2VD_ERROR_JOB_NOT_FINISHED,
                                         "job %s is %s; cancel it first", j->id,
                                         v2v_job_state_to_string(job_state(j)));
        r = job_remove(j);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, NULL);
}

#define CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define CONST SD_BUS_VTABLE_PROPERTY_CONST

/* On the system bus a signal reaches every listener: the details there
 * change by invalidation (the name only; listeners read them again, with
 * their own rights). v2vctl watch reloads on invalidation. */
#define JOB_VTABLE(NAME, DETAIL)                                                                 \
static const sd_bus_vtable NAME[] = {                                                                \
        SD_BUS_VTABLE_START(0),                                                                      \
        SD_BUS_PROPERTY("Id", "s", property_get_id, 0, CONST),                                       \
        SD_BUS_PROPERTY("VmName", "s", property_get_vm_name, 0, CONST),                              \
        SD_BUS_PROPERTY("OwnerUID", "u", property_get_owner_uid, 0, CONST),                          \
        SD_BUS_PROPERTY("Spec", "s", property_get_spec, 0, CONST),                                   \
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, CHANGE),                                \
        SD_BUS_PROPERTY("Phase", "s", property_get_phase, 0, DETAIL),                                \
        SD_BUS_PROPERTY("Progress", "d", property_get_progress, 0, CHANGE),                          \
        SD_BUS_PROPERTY("Disks", "a(sd)", property_get_disks, 0, DETAIL),                            \
        SD_BUS_PROPERTY("DiskCount", "u", property_get_disk_count, 0, CHANGE),                       \
        SD_BUS_PROPERTY("CreatedAt", "t", property_get_created_at, 0, CONST),                        \
        SD_BUS_PROPERTY("StartedAt", "t", property_get_started_at, 0, CHANGE),                       \
        SD_BUS_PROPERTY("FinishedAt", "t", property_get_finished_at, 0, CHANGE),                     \
        SD_BUS_PROPERTY("ExpectedEndTime", "t", property_get_expected_end, 0, CHANGE),               \
        SD_BUS_PROPERTY("ReturnCode", "i", property_get_return_code, 0, CHANGE),                     \
        SD_BUS_PROPERTY("LastMessage", "(ss)", property_get_last_message, 0, DETAIL),                \
        SD_BUS_PROPERTY("Failure", "(sss)", property_get_failure, 0, DETAIL),                        \
        SD_BUS_PROPERTY("CPULimit", "s", property_get_cpu_limit, 0, CHANGE),                         \
        SD_BUS_PROPERTY("NetworkLimit", "t", property_get_network_limit, 0, CHANGE),                 \
        SD_BUS_PROPERTY("DiskLimit", "t", property_get_disk_limit, 0, CHANGE),                       \
        SD_BUS_PROPERTY("Unit", "s", property_get_unit, 0, CHANGE),                                  \
        SD_BUS_PROPERTY("PID", "u", property_get_pid, 0, CHANGE),                                    \
        SD_BUS_PROPERTY("Priority", "i", property_get_priority, 0, CHANGE),                          \
        SD_BUS_PROPERTY("WaitReason", "s", property_get_wait_reason, 0, DETAIL),                     \
        SD_BUS_PROPERTY("StateFile", "s", property_get_state_file, 0, CONST),                        \
        SD_BUS_PROPERTY("LogFile", "s", property_get_log_file, 0, CONST),                            \
        SD_BUS_PROPERTY("MachineLogFile", "s", property_get_machine_log_file, 0, CONST),             \
        SD_BUS_PROPERTY("ThrottlingFile", "s", property_get_throttling_file, 0, CONST),              \
        SD_BUS_METHOD("Cancel", "", "", method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),                  \
        SD_BUS_METHOD_WITH_ARGS("SetThrottling", SD_BUS_ARGS("a{sv}", limits), SD_BUS_NO_RESULT,     \
                                method_set_throttling, SD_BUS_VTABLE_UNPRIVILEGED),                  \
        SD_BUS_METHOD("Remove", "", "", method_remove, SD_BUS_VTABLE_UNPRIVILEGED),                  \
        SD_BUS_METHOD_WITH_ARGS("SetPriority", SD_BUS_ARGS("i", priority), SD_BUS_NO_RESULT,         \
                                method_set_priority, SD_BUS_VTABLE_UNPRIVILEGED),                    \
        SD_BUS_METHOD_WITH_ARGS("ReadLog", SD_BUS_ARGS("t", offset, "u", max_bytes), SD_BUS_RESULT("ay", data), \
                                method_read_log, SD_BUS_VTABLE_UNPRIVILEGED),                        \
        SD_BUS_VTABLE_END                                                                            \
}
JOB_VTABLE(job_vtable_user, CHANGE);
JOB_VTABLE(job_vtable_system, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION);


int bus_job_register(Bus *b) {
        Manager *m = b->manager;
        int r;

        r = sd_bus_add_fallback_vtable(b->bus, NULL, V2VD_JOB_PATH_PREFIX, V2VD_JOB_INTERFACE,
                                       m->user_mode ? job_vtable_user : job_vtable_system,
                                       job_object_find, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(b->bus, NULL, V2VD_JOB_PATH_PREFIX, job_node_enumerator, m);
}

static const struct {
        unsigned bit;
        const char *name;
} job_property_names[] = {
        { JOB_PROP_STATE, "State" },
        { JOB_PROP_PHASE, "Phase" },
        { JOB_PROP_PROGRESS, "Progress" },
        { JOB_PROP_DISKS, "Disks" },
        { JOB_PROP_DISK_COUNT, "DiskCount" },
        { JOB_PROP_STARTED_AT, "StartedAt" },
        { JOB_PROP_FINISHED_AT, "FinishedAt" },
        { JOB_PROP_EXPECTED_END, "ExpectedEndTime" },
        { JOB_PROP_RETURN_CODE, "ReturnCode" },
        { JOB_PROP_LAST_MESSAGE, "LastMessage" },
        { JOB_PROP_CPU_LIMIT, "CPULimit" },
        { JOB_PROP_NETWORK_LIMIT, "NetworkLimit" },
        { JOB_PROP_DISK_LIMIT, "DiskLimit" },
        { JOB_PROP_UNIT, "Unit" },
        { JOB_PROP_PID, "PID" },
        { JOB_PROP_PRIORITY, "Priority" },
        { JOB_PROP_WAIT_REASON, "WaitReason" },
        { JOB_PROP_FAILURE, "Failure" },
};

void bus_job_emit_changed(Bus *b, Job *j, unsigned props) {
        const char *names[G_N_ELEMENTS(job_property_names) + 1];
        size_t n = 0;
        int r;

        for (size_t i = 0; i < G_N_ELEMENTS(job_property_names); i++)
                if (props & job_property_names[i].bit)
                        names[n++] = job_property_names[i].name;
        names[n] = NULL;
        if (n == 0)
                return;
        r = sd_bus_emit_properties_changed_strv(b->bus, j->object_path, V2VD_JOB_INTERFACE, (char **) names);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot send PropertiesChanged: %s", g_strerror(-r));
}

void bus_job_emit_new(Bus *b, Job *j) {
        sd_bus *bus = b->bus;

        (void) sd_bus_emit_object_added(bus, j->object_path);
        (void) sd_bus_emit_signal(bus, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "JobNew", "so", j->id, j->object_path);
}

void bus_job_emit_finished(Bus *b, Job *j) {
        sd_bus *bus = b->bus;

        (void) sd_bus_emit_signal(bus, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "JobFinished", "sos", j->id,
                                  j->object_path, v2v_job_state_to_string(job_state(j)));
}

void bus_job_emit_removed(Bus *b, Job *j) {
        sd_bus *bus = b->bus;

        (void) sd_bus_emit_object_removed(bus, j->object_path);
        (void) sd_bus_emit_signal(bus, V2VD_MANAGER_PATH, V2VD_MANAGER_INTERFACE, "JobRemoved", "so", j->id, j->object_path);
}
