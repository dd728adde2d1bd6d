/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "job/expire.h"
#include "job/job.h"
#include "job/budget.h"
#include "job/scheduler.h"
#include "job/job-events.h"
#include "job/metrics-file.h"
#include "host/scope.h"
#include "sources/sources.h"
#include "host/egress.h"
#include "core/job-id.h"
#include "host/file-write.h"
#include "host/helper.h"
#include "host/util.h"
#include "common/v2v-limits.h"
#include "core/config-check.h"

#define DEFAULT_MAX_RUNNING_JOBS 4
#define DEFAULT_MAX_RUNNING_JOBS_PER_SOURCE 20
#define DEFAULT_MAX_QUEUED_JOBS 10000
#define DEFAULT_CANCEL_GRACE_SEC 30
#define DEFAULT_PROGRESS_INTERVAL_MS 500

static void job_unref_from_table(gpointer p) {
        job_free(p);
}

static void probe_virt_v2v(Manager *m) {
        g_autofree char *out = NULL;
        g_autofree char *caps = NULL;
        char *argv_version[] = { m->virt_v2v, (char *) "--version", NULL };
        char *argv_caps[] = { m->virt_v2v, (char *) "--machine-readable", NULL };
        gint status = 0;

        if (g_spawn_sync(NULL, argv_version, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                         NULL, NULL, &out, NULL, &status, NULL) && g_spawn_check_wait_status(status, NULL))
                m->v2v_version = g_strstrip(g_steal_pointer(&out));
        else {
                log_warning("cannot run %s --version: conversions will fail until virt-v2v is installed", m->virt_v2v);
                m->v2v_version = g_strdup("");
        }
        if (g_spawn_sync(NULL, argv_caps, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                         NULL, NULL, &caps, NULL, &status, NULL) && g_spawn_check_wait_status(status, NULL))
                m->v2v_capabilities = g_strsplit(g_strstrip(caps), "\n", -1);
        else
                m->v2v_capabilities = g_new0(char *, 1);
}

/* [daemon]'s numeric keys. */
static int load_config_numbers(Manager *m, GKeyFile *kf, const char *path) {
        g_autoptr(GError) error = NULL;

#define GET_UINT(key, field, min)                                                              \
        if (g_key_file_has_key(kf, "daemon", key, NULL)) {                                     \
                gint64 v = g_key_file_get_int64(kf, "daemon", key, &error);                    \
                if (error || v < (min) || v > 1000000) {                                       \
                        log_error("%s: [daemon] " key "= expects a number from %d", path, (min)); \
                        return -EINVAL;                                                        \
                }                                                                              \
                field = (unsigned) v;                                                          \
        }
        GET_UINT("max_running_jobs", m->max_running_jobs, 1);
        GET_UINT("max_running_jobs_per_source", m->max_running_jobs_per_source, 0);
        GET_UINT("max_queued_jobs", m->max_queued_jobs, 1);
        GET_UINT("max_queued_jobs_per_user", m->max_queued_jobs_per_user, 0);
        GET_UINT("keep_finished_jobs_days", m->keep_finished_jobs_days, 0);
        GET_UINT("keep_finished_jobs", m->keep_finished_jobs, 0);
        GET_UINT("max_pending_authorizations_per_user", m->max_pending_auth_per_user, 1);

        GET_UINT("source_timeout_sec", m->source_timeout_sec, 1);
        if (m->source_timeout_sec > SOURCES_MAX_TIMEOUT_SEC) {
                log_error("%s: [daemon] source_timeout_sec= is at most %u", path, SOURCES_MAX_TIMEOUT_SEC);
                return -EINVAL;
        }
        if (g_key_file_has_key(kf, "daemon", "cancel_grace_sec", NULL)) {
                unsigned sec = 0;
                GET_UINT("cancel_grace_sec", sec, 1);
                m->cancel_grace_usec = (uint64_t) sec * 1000000ULL;
        }
        if (g_key_file_has_key(kf, "daemon", "progress_interval_ms", NULL)) {
                unsigned ms = 0;
                GET_UINT("progress_interval_ms", ms, 100);
                m->progress_interval_usec = (uint64_t) ms * 1000ULL;
        }
#undef GET_UINT
        return 0;
}

/* [daemon]'s keys that take text: paths, limits, lists. */
static int load_config_strings(Manager *m, GKeyFile *kf, const char *path) {
        g_autoptr(GError) error = NULL;

        if (g_key_file_has_key(kf, "daemon", "virt_v2v", NULL)) {
                g_free(m->virt_v2v);
                m->virt_v2v = g_key_file_get_string(kf, "daemon", "virt_v2v", NULL);
        }
        if (g_key_file_has_key(kf, "daemon", "default_cpu", NULL)) {
                g_autofree char *cpu = g_key_file_get_string(kf, "daemon", "default_cpu", NULL);
                char buf[V2V_LIMIT_STRLEN];
                uint64_t q;
                if (v2v_cpu_limit_parse(cpu, 0, &q) < 0) {
                        log_error("%s: [daemon] default_cpu=: expected N%% (1%% to 10000%%) or \"unlimited\", got \"%s\"",
                                  path, cpu);
                        return -EINVAL;
                }
                g_free(m->default_cpu);
                m->default_cpu = g_strdup(v2v_cpu_limit_format(q, buf));
        }
        if (g_key_file_has_key(kf, "daemon", "default_network", NULL)) {
                g_autofree char *net = g_key_file_get_string(kf, "daemon", "default_network", NULL);
                if (v2v_network_limit_parse(net, &m->default_network) < 0) {
                        log_error("%s: [daemon] default_network=: expected bytes per second or \"unlimited\", got \"%s\"",
                                  path, net ?: "");
                        return -EINVAL;
                }
        }
        if (g_key_file_has_key(kf, "daemon", "egress_interfaces", NULL)) {
                g_autofree char *v = g_key_file_get_string(kf, "daemon", "egress_interfaces", NULL);
                g_strfreev(m->egress_interfaces);
                m->egress_interfaces = g_strsplit_set(v ? g_strstrip(v) : "", " ,", -1);
        }
        if (g_key_file_has_key(kf, "daemon", "throttle_name", NULL)) {
                g_free(m->egress_name);
                m->egress_name = g_key_file_get_string(kf, "daemon", "throttle_name", NULL);
        }
        if (g_key_file_has_key(kf, "daemon", "max_log_size", NULL)) {
                gint64 v = g_key_file_get_int64(kf, "daemon", "max_log_size", &error);
                if (error || (v != 0 && v < 1024 * 1024)) {
                        log_error("%s: [daemon] max_log_size= expects bytes, at least 1048576 (0: no cap)", path);
                        return -EINVAL;
                }
                m->max_log_size = (uint64_t) v;
        }
        if (g_key_file_has_key(kf, "daemon", "metrics_file", NULL)) {
                g_autofree char *v = g_strstrip(g_key_file_get_string(kf, "daemon", "metrics_file", NULL) ?: g_strdup(""));
                if (*v && !g_path_is_absolute(v)) {
                        log_error("%s: [daemon] metrics_file= expects an absolute path (or nothing: none), got \"%s\"",
                                  path, v);
                        return -EINVAL;
                }
                g_free(m->metrics_file);
                m->metrics_file = *v ? g_steal_pointer(&v) : NULL;
        }
        if (g_key_file_has_key(kf, "daemon", "root_outputs", NULL)) {
                g_autofree char *v = g_key_file_get_string(kf, "daemon", "root_outputs", NULL);
                g_strfreev(m->root_outputs);
                m->root_outputs = g_strsplit_set(v ? g_strstrip(v) : "", " ,", -1);
                for (char **o = m->root_outputs; *o; o++)
                        if (**o && !g_str_equal(*o, "openstack") && !g_str_equal(*o, "rhv")) {
                                log_error("%s: [daemon] root_outputs=: expected \"openstack\" and/or \"rhv\", got \"%s\"",
                                          path, *o);
                                return -EINVAL;
                        }
        }
        return 0;
}

/* Every [daemon] key load_config() reads. */
static const char *const daemon_keys[] = {
        "max_running_jobs", "max_queued_jobs", "max_queued_jobs_per_user", "keep_finished_jobs_days",
        "keep_finished_jobs", "max_pending_authorizations_per_user", "source_timeout_sec", "cancel_grace_sec",
        "progress_interval_ms", "virt_v2v", "default_cpu", "default_network", "egress_interfaces",
        "throttle_name", "max_log_size", "root_outputs", "metrics_file", "max_running_jobs_per_source",
        "start_window", "host_cpu", "host_disk", "host_network", NULL,
};

static bool config_key_known(const char *section, const char *key) {
        if (g_str_equal(section, "environment"))
                return true;
        if (g_str_equal(section, "daemon"))
                return !key || g_strv_contains(daemon_keys, key);
        if (g_str_has_prefix(section, "source:") && section[strlen("source:")])
                return !key || g_str_equal(key, "max_running_jobs");
        return false;
}

/* Unknown sections and keys: one warning each, with file and line. */
static unsigned config_warn_unknown(const char *path, bool to_stderr) {
        g_autofree char *text = NULL;
        g_autoptr(GPtrArray) problems = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return 0;
        problems = v2v_config_check_keys(path, text, config_key_known);
        for (guint i = 0; i < problems->len; i++)
                if (to_stderr)
                        fprintf(stderr, "%s\n", (char *) problems->pdata[i]);
                else
                        log_warning("%s", (char *) problems->pdata[i]);
        return problems->len;
}

/* The scheduler's: the start window, [source:HOST] caps. */
static int load_config_schedule(Manager *m, GKeyFile *kf, const char *path) {
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

        if (g_key_file_has_key(kf, "daemon", "start_window", NULL)) {
                g_autofree char *v = g_key_file_get_string(kf, "daemon", "start_window", NULL);
                if (v2v_window_parse(v ? g_strstrip(v) : "", &m->start_window) < 0) {
                        log_error("%s: [daemon] start_window=: expected HH:MM-HH:MM (local time, e.g. 22:00-06:00) "
                                  "or nothing, got \"%s\"", path, v ?: "");
                        return -EINVAL;
                }
        }
        for (char **g = groups; g && *g; g++) {
                g_autoptr(GError) error = NULL;
                const char *host = *g + strlen("source:");
                gint64 v;

                if (!g_str_has_prefix(*g, "source:") || !*host || !g_key_file_has_key(kf, *g, "max_running_jobs", NULL))
                        continue;
                v = g_key_file_get_int64(kf, *g, "max_running_jobs", &error);
                if (error || v < 0 || v > 1000000) {
                        log_error("%s: [%s] max_running_jobs= expects a number from 0", path, *g);
                        return -EINVAL;
                }
                if (!m->source_caps)
                        m->source_caps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
                g_hash_table_replace(m->source_caps, g_ascii_strdown(host, -1), GUINT_TO_POINTER((unsigned) v));
        }
        return 0;
}

/* The host-wide budget (budget.c). */
static int load_config_budget(Manager *m, GKeyFile *kf, const char *path) {
        if (g_key_file_has_key(kf, "daemon", "host_cpu", NULL)) {
                g_autofree char *cpu = g_key_file_get_string(kf, "daemon", "host_cpu", NULL);
                char buf[V2V_LIMIT_STRLEN];
                uint64_t q;
                if (v2v_cpu_limit_parse(cpu, 0, &q) < 0) {
                        log_error("%s: [daemon] host_cpu=: expected N%% (1%% to 10000%%) or \"unlimited\", got \"%s\"",
                                  path, cpu ?: "");
                        return -EINVAL;
                }
                g_free(m->host_cpu);
                m->host_cpu = g_strdup(v2v_cpu_limit_format(q, buf));
        }
        if (g_key_file_has_key(kf, "daemon", "host_network", NULL)) {
                g_autofree char *net = g_key_file_get_string(kf, "daemon", "host_network", NULL);
                if (v2v_network_limit_parse(net, &m->host_network) < 0) {
                        log_error("%s: [daemon] host_network=: expected bytes per second or \"unlimited\", got \"%s\"",
                                  path, net ?: "");
                        return -EINVAL;
                }
        }
        if (g_key_file_has_key(kf, "daemon", "host_disk", NULL)) {
                g_autofree char *disk = g_key_file_get_string(kf, "daemon", "host_disk", NULL);
                if (v2v_network_limit_parse(disk, &m->host_disk) < 0) {
                        log_error("%s: [daemon] host_disk=: expected bytes per second or \"unlimited\", got \"%s\"",
                                  path, disk ?: "");
                        return -EINVAL;
                }
        }
        return 0;
}

static int load_config(Manager *m, const char *path, bool explicit) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) keys = NULL;
        g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
        int r;

        if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
                if (!explicit && g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        return 0;
                log_error("%s: %s", path, error->message);
                return -EINVAL;
        }
        if (!m->config_checking)
                (void) config_warn_unknown(path, false);
        r = load_config_numbers(m, kf, path);
        if (r >= 0)
                r = load_config_strings(m, kf, path);
        if (r >= 0)
                r = load_config_schedule(m, kf, path);
        if (r >= 0)
                r = load_config_budget(m, kf, path);
        if (r < 0)
                return r;
        keys = g_key_file_get_keys(kf, "environment", NULL, NULL);
        for (char **k = keys; k && *k; k++) {
                g_autofree char *v = g_key_file_get_string(kf, "environment", *k, NULL);
                g_ptr_array_add(env, g_strdup_printf("%s=%s", *k, v ?: ""));
        }
        g_ptr_array_add(env, NULL);
        g_strfreev(m->extra_env);
        m->extra_env = (char **) g_ptr_array_free(g_steal_pointer(&env), FALSE);
        if (!m->config_checking)
                log_info("configuration read from %s", path);
        return 0;
}

static char *config_path(const ManagerOptions *opts) {
        if (opts->config_file)
                return g_strdup(opts->config_file);
        if (opts->user_mode)
                return g_build_filename(g_get_user_config_dir(), "v2vd", "v2vd.conf", NULL);
        return g_build_filename(V2VD_SYSCONFDIR, "v2vd", "v2vd.conf", NULL);
}

int manager_check_config(const ManagerOptions *opts) {
        g_autofree char *path = config_path(opts);
        Manager scratch = { .config_checking = true };
        unsigned problems;
        int r;

        if (!g_file_test(path, G_FILE_TEST_EXISTS) && !opts->config_file) {
                printf("%s: no such file; the defaults apply\n", path);
                return 0;
        }
        problems = config_warn_unknown(path, true);
        r = load_config(&scratch, path, true);
        g_free(scratch.virt_v2v);
        g_free(scratch.default_cpu);
        g_free(scratch.egress_name);
        g_strfreev(scratch.egress_interfaces);
        g_strfreev(scratch.root_outputs);
        g_strfreev(scratch.extra_env);
        g_free(scratch.metrics_file);
        g_clear_pointer(&scratch.source_caps, g_hash_table_unref);
        g_free(scratch.host_cpu);
        if (r < 0)
                problems++;
        if (problems == 0)
                printf("%s: no problems\n", path);
        return (int) problems;
}

int manager_new(const ManagerOptions *opts, Manager **ret) {
        g_autoptr(Manager) m = g_new0(Manager, 1);
        g_autofree char *config = NULL;
        g_autofree char *last_id_path = NULL;
        g_autofree char *last_id = NULL;
        const char *env;
        struct rlimit rl;
        int r;

        m->user_mode = opts->user_mode;
        m->max_running_jobs = DEFAULT_MAX_RUNNING_JOBS;
        m->max_running_jobs_per_source = DEFAULT_MAX_RUNNING_JOBS_PER_SOURCE;
        m->max_queued_jobs = DEFAULT_MAX_QUEUED_JOBS;
        m->max_pending_auth_per_user = 32;
        m->max_log_size = 256ULL * 1024 * 1024;
        m->cancel_grace_usec = DEFAULT_CANCEL_GRACE_SEC * 1000000ULL;
        m->progress_interval_usec = DEFAULT_PROGRESS_INTERVAL_MS * 1000ULL;
        m->default_cpu = g_strdup("unlimited");
        m->host_cpu = g_strdup("unlimited");
        m->source_timeout_sec = SOURCES_DEFAULT_TIMEOUT_SEC;
        m->virt_v2v = g_strdup("virt-v2v");
        m->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, job_unref_from_table);
        g_queue_init(&m->queue);

        if (m->user_mode) {
                m->state_dir = g_strdup(opts->state_dir) ?: g_build_filename(g_get_user_state_dir(), "v2vd", NULL);
                m->runtime_dir = g_strdup(opts->runtime_dir) ?: g_build_filename(g_get_user_runtime_dir(), "v2vd", NULL);
                m->profile_dirs = g_new0(char *, 3);
                m->profile_dirs[0] = g_build_filename(g_get_user_config_dir(), "v2vd", "profiles.d", NULL);
                m->profile_dirs[1] = g_build_filename(V2VD_SYSCONFDIR, "v2vd", "profiles.d", NULL);
        } else {
                m->state_dir = g_strdup(opts->state_dir ?: "/var/lib/v2vd");
                m->runtime_dir = g_strdup(opts->runtime_dir ?: "/run/v2vd");
                m->profile_dirs = g_new0(char *, 2);
                m->profile_dirs[0] = g_build_filename(V2VD_SYSCONFDIR, "v2vd", "profiles.d", NULL);
        }
        config = config_path(opts);
        r = load_config(m, config, opts->config_file != NULL);
        if (r < 0)
                return r;
        env = getenv("V2VD_TEST_PAUSE_AT");
        if (env && *env)
                m->test_pause_at = g_strdup(env);
        env = getenv("V2VD_VIRT_V2V");
        if (env && *env) {
                g_free(m->virt_v2v);
                m->virt_v2v = g_strdup(env);
        }
        {
                g_autofree char *dir = g_path_get_dirname(m->virt_v2v);
                m->virt_v2v_in_place = g_str_equal(dir, ".") ? g_strdup("virt-v2v-in-place")
                                                             : g_build_filename(dir, "virt-v2v-in-place", NULL);
        }
        m->runner_path = find_libexec_program("V2VD_RUNNER", "v2vd-runner");
        m->jobs_dir = g_build_filename(m->state_dir, "jobs", NULL);

        last_id_path = g_build_filename(m->state_dir, "last-job-id", NULL);
        if (read_small_file(last_id_path, 64, &last_id, NULL) >= 0)
                m->last_id = g_ascii_strtoull(last_id, NULL, 10);

        /* Two log files per running job stay watched; 200 jobs must fit. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = MIN(rl.rlim_max, (rlim_t) 65536);
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }

        {
                g_autofree char *name = m->egress_name ? g_strdup(m->egress_name)
                                                         : egress_default_name(m->state_dir, m->user_mode);
                g_autoptr(GPtrArray) ifs = g_ptr_array_new();
                for (char **i = m->egress_interfaces; i && *i; i++)
                        if (**i)
                                g_ptr_array_add(ifs, *i);
                g_ptr_array_add(ifs, NULL);
                r = egress_new(name, (char *const *) ifs->pdata, &m->egress);
                if (r < 0)
                        return log_error_errno(r, "[daemon] throttle_name=%s or egress_interfaces= is not usable", name);
        }
        probe_virt_v2v(m);
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        metrics_file_free(m);
        g_free(m->metrics_file);
        g_queue_clear(&m->queue);
        scheduler_free(m);
        budget_free(m);
        g_clear_pointer(&m->jobs, g_hash_table_unref);
        m->scope_watch = scope_watch_free(m->scope_watch);
        sd_event_source_disable_unref(m->status_defer);
        sd_event_source_disable_unref(m->schedule_defer);
        sd_event_source_disable_unref(m->expire_timer);
        sd_event_source_disable_unref(m->expire_defer);
        helpers_free_all();     /* those still running for callers */
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        g_free(m->state_dir);
        g_free(m->jobs_dir);
        g_free(m->runtime_dir);
        g_free(m->virt_v2v);
        g_free(m->virt_v2v_in_place);
        g_free(m->runner_path);
        g_free(m->v2v_version);
        g_strfreev(m->v2v_capabilities);
        g_strfreev(m->profile_dirs);
        g_free(m->default_cpu);
        g_strfreev(m->extra_env);
        g_strfreev(m->egress_interfaces);
        g_strfreev(m->root_outputs);
        g_free(m->egress_name);
        g_free(m->test_pause_at);
        egress_free(m->egress);
        g_free(m);
        return NULL;
}

/* The state and runtime directories: made once the bus is there, so that
 * a daemon that cannot run leaves nothing behind. */
int manager_make_dirs(Manager *m) {
        mode_t rt_mode;
        int r;

        r = mkdir_parents_mode(m->state_dir, 0755);
        if (r >= 0)
                r = mkdir_parents_mode(m->jobs_dir, 0755);
        /* --system: 0755 whatever the umask (the unit's is 0027), so that a
         * job's virt-v2v, running as its owner, reaches its own job
         * directory (0750 plus an ACL for that owner, owner.c). */
        if (r >= 0 && !m->user_mode && (chmod(m->state_dir, 0755) < 0 || chmod(m->jobs_dir, 0755) < 0))
                r = -errno;
        if (r < 0)
                return log_error_errno(r, "cannot create %s: %m", m->jobs_dir);
        /* --system: 0711, so that a job's virt-v2v, running as its owner,
         * reaches its own secret directory (owner.c), listing none. */
        rt_mode = m->user_mode ? 0700 : 0711;
        r = mkdir_parents_mode(m->runtime_dir, rt_mode);
        if (r >= 0) {
                g_autofree char *jobs = g_build_filename(m->runtime_dir, "jobs", NULL);
                r = mkdir_parents_mode(jobs, rt_mode);
                if (r >= 0 && (chmod(m->runtime_dir, rt_mode) < 0 || chmod(jobs, rt_mode) < 0))
                        r = -errno;
        }
        if (r < 0)
                return log_error_errno(r, "cannot create %s: %m", m->runtime_dir);
        return 0;
}

int manager_attach_bus(Manager *m, sd_bus *bus) {
        int r;

        m->bus = sd_bus_ref(bus);
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        /* Losing the bus (dbus or the service manager restarted) ends the
         * loop with a failure, so that Restart= brings the daemon back; the
         * conversions go on in their scopes and are re-adopted. */
        r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r < 0)
                return r;
        r = scope_watch_new(m->bus, &m->scope_watch);
        if (r < 0)
                return log_error_errno(r, "cannot watch systemd's jobs: %m");
        return 0;
}

static gint compare_ids(gconstpointer a, gconstpointer b) {
        return job_id_compare(*(char *const *) a, *(char *const *) b);
}

/* After a restart: shape the running jobs again and remove every rule and
 * class of jobs that are not (they ended while the daemon was down). */
static void manager_restore_egress(Manager *m) {
        Egress *t = m->egress;
        g_autofree char *where = NULL;
        GHashTableIter it;
        gpointer v;

        if (!t || egress_is_disabled(t))
                return;
        g_hash_table_iter_init(&it, m->jobs);
        while (g_hash_table_iter_next(&it, NULL, &v))
                job_register_egress(v);
        where = egress_describe(t, NULL);
        /* Everything else in our table and on our qdiscs is stale. */
        if (egress_sync(t) < 0) {
                if (egress_count(t) > 0)
                        log_warning("egress shaping (%s): %s", where, egress_last_error(t));
                else
                        log_notice("cannot check for stale egress shaping (%s): %s", where, egress_last_error(t));
        } else
                log_info("egress shaping: %s, %zu running job(s) shaped", where, egress_count(t));
}

int manager_load_jobs(Manager *m) {
        g_autoptr(GDir) d = NULL;
        g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        const char *name;

        d = g_dir_open(m->jobs_dir, 0, &error);
        if (!d) {
                log_error("%s", error->message);
                return -EIO;
        }
        while ((name = g_dir_read_name(d)))
                if (job_id_is_valid(name))
                        g_ptr_array_add(ids, g_strdup(name));
        g_ptr_array_sort(ids, compare_ids);

        for (guint i = 0; i < ids->len; i++) {
                const char *id = ids->pdata[i];
                uint64_t n = g_ascii_strtoull(id, NULL, 10);
                Job *j;

                m->last_id = MAX(m->last_id, n);
                if (job_load(m, id, &j) < 0)
                        log_warning("job %s: skipped, its directory %s/%s is not usable", id, m->jobs_dir, id);
        }
        for (guint i = 0; i < ids->len; i++) {
                Job *j = g_hash_table_lookup(m->jobs, ids->pdata[i]);
                if (j)
                        job_adopt(j);
        }
        manager_restore_egress(m);
        budget_apply(m);
        log_info("%u jobs loaded: %u running, %u queued", g_hash_table_size(m->jobs), m->n_running,
                 g_queue_get_length(&m->queue));
        return 0;
}

char *manager_next_job_id(Manager *m) {
        g_autofree char *path = g_build_filename(m->state_dir, "last-job-id", NULL);
        g_autofree char *text = NULL;
        char *id;

        /* Skip ids whose directory exists (a lost last-job-id). */
        do {
                m->last_id++;
                g_free(text);
                text = g_strdup_printf("%" G_GUINT64_FORMAT, m->last_id);
                {
                        g_autofree char *dir = g_build_filename(m->jobs_dir, text, NULL);
                        if (!g_file_test(dir, G_FILE_TEST_EXISTS))
                                break;
                }
        } while (true);
        id = g_strdup(text);
        {
                g_autofree char *line = g_strdup_printf("%s\n", text);
                (void) write_file_atomic(path, line, strlen(line), 0644);
        }
        return id;
}

/* A pass of the scheduler (scheduler.c). A start that fails at once ends
 * its job (job_set_state), which asks for scheduling again: that only
 * re-arms this source, so a queue of jobs that all fail to start is a loop
 * here, not a recursion. */
static int on_schedule_defer(sd_event_source *s, void *userdata) {
        scheduler_run(userdata);
        return 0;
}

void manager_schedule(Manager *m) {
        int r;

        if (!m->schedule_defer) {
                r = sd_event_add_defer(m->event, &m->schedule_defer, on_schedule_defer, m);
                if (r < 0) {
                        log_error("cannot schedule the queue: %s", g_strerror(-r));
                        return;
                }
                sd_event_source_set_description(m->schedule_defer, "schedule");
        }
        sd_event_source_set_enabled(m->schedule_defer, SD_EVENT_ONESHOT);
}

bool manager_queue_is_full(const Manager *m) {
        return g_queue_get_length((GQueue *) &m->queue) >= m->max_queued_jobs;
}

unsigned manager_queued_of(const Manager *m, uid_t uid) {
        unsigned n = 0;

        for (GList *l = m->queue.head; l; l = l->next)
                n += ((Job *) l->data)->record->owner_uid == uid;
        return n;
}

static gint compare_jobs(gconstpointer a, gconstpointer b) {
        return job_id_compare((*(Job *const *) a)->id, (*(Job *const *) b)->id);
}

GPtrArray *manager_sorted_jobs(Manager *m) {
        GPtrArray *a = g_ptr_array_sized_new(g_hash_table_size(m->jobs));
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, m->jobs);
        while (g_hash_table_iter_next(&it, NULL, &value))
                g_ptr_array_add(a, value);
        g_ptr_array_sort(a, compare_jobs);
        return a;
}

static int on_status_defer(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        job_events_counts_changed(m);
        (void) sd_notifyf(false, "STATUS=%u running, %u queued", m->n_running, g_queue_get_length(&m->queue));
        return 0;
}

void manager_counts_changed(Manager *m) {
        int r;

        if (!m->status_defer) {
                r = sd_event_add_defer(m->event, &m->status_defer, on_status_defer, m);
                if (r < 0)
                        return;
                sd_event_source_set_description(m->status_defer, "status");
        }
        sd_event_source_set_enabled(m->status_defer, SD_EVENT_ONESHOT);
        expire_soon(m);
}
