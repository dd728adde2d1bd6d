/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus/bus-manager.h"
#include "host/scope.h"
#include "bus/source-call.h"
#include "sources/sources.h"
#include "host/util.h"

#define MAX_REPLY (64u * 1024 * 1024)
#define MAX_REQUEST (60u * 1024)        /* fits a pipe's buffer: the write never blocks */

typedef struct SourceCall {
        Manager *manager;
        sd_bus_message *message;        /* NULL once answered */
        char *what;                     /* "ListSourceVMs test:///default", for messages */
        unsigned timeout_sec;
        uid_t uid;                      /* the caller */
        pid_t pid;
        int in_fd;                      /* the helper's stdin until the request is written */
        char *request;                  /* holds the password: wiped */
        char *unit;                     /* its transient scope v2vd-source-PID.scope */
        char *scope_job;                /* systemd's job starting it, until JobRemoved */
        sd_bus_slot *scope_slot;
        int out_fd;
        GString *out;
        bool eof, exited;
        int status;
        sd_event_source *io, *child, *timer;
} SourceCall;

static void source_call_free(SourceCall *c) {
        if (!c)
                return;
        c->manager->source_calls = g_list_remove(c->manager->source_calls, c);
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->child);
        sd_event_source_disable_unref(c->timer);
        if (c->out_fd >= 0)
                close(c->out_fd);
        if (c->in_fd >= 0)
                close(c->in_fd);
        secret_string_free(c->request);
        sd_bus_slot_unref(c->scope_slot);
        g_free(c->unit);
        g_free(c->scope_job);
        sd_bus_message_unref(c->message);
        if (c->out)
                g_string_free(c->out, TRUE);
        g_free(c->what);
        g_free(c);
}

/* The helper and whatever it started (its process group: libvirt's ssh,
 * virt-v2v), and its scope. */
static void kill_helper(SourceCall *c) {
        (void) kill(-c->pid, SIGKILL);
        if (c->unit)
                (void) scope_stop(c->manager->bus, c->unit);
}

static void reply_error(SourceCall *c, const char *text) {
        if (!c->message)
                return;
        (void) sd_bus_reply_method_errorf(c->message, V2VD_ERROR_SOURCE_ERROR, "%s", text);
        c->message = sd_bus_message_unref(c->message);
}

static void maybe_finish(SourceCall *c) {
        if (!c->exited || !c->eof)
                return;
        if (c->message) {
                if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 && g_utf8_validate(c->out->str, -1, NULL)) {
                        (void) sd_bus_reply_method_return(c->message, "s", c->out->str);
                        c->message = sd_bus_message_unref(c->message);
                } else if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 2 && c->out->len &&
                           g_utf8_validate(c->out->str, -1, NULL))
                        reply_error(c, c->out->str);
                else {
                        g_autofree char *t = g_strdup_printf("%s: the v2vd-sources helper failed (%s %d)", c->what,
                                                             WIFSIGNALED(c->status) ? "signal" : "exit status",
                                                             WIFSIGNALED(c->status) ? WTERMSIG(c->status)
                                                                                    : WEXITSTATUS(c->status));
                        reply_error(c, t);
                }
        }
        source_call_free(c);
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        SourceCall *c = userdata;
        char buf[65536];
        ssize_t n;

        for (;;) {
                n = read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0)
                        break;
                if (c->out->len + (size_t) n > MAX_REPLY) {
                        g_autofree char *t = g_strdup_printf("%s: the answer is larger than %u MiB", c->what,
                                                             MAX_REPLY >> 20);
                        reply_error(c, t);
                        kill_helper(c);
                        break;
                }
                g_string_append_len(c->out, buf, n);
        }
        c->eof = true;
        c->io = sd_event_source_disable_unref(c->io);
        maybe_finish(c);
        return 0;
}

static int on_exit_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        SourceCall *c = userdata;

        c->exited = true;
        c->status = si->si_code == CLD_EXITED ? W_EXITCODE(si->si_status, 0) : si->si_status;
        c->child = sd_event_source_disable_unref(c->child);
        maybe_finish(c);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        SourceCall *c = userdata;
        g_autofree char *t = g_strdup_printf("%s: no answer within %u s (timeout); the source is slow or unreachable",
                                             c->what, c->timeout_sec);

        log_warning("%s", t);
        reply_error(c, t);
        kill_helper(c);
        return 0;
}

/* The request on the helper's stdin: it fits the pipe, so this never blocks. */
static void send_request(SourceCall *c) {
        ssize_t n = write(c->in_fd, c->request, strlen(c->request));

        if (n < 0)
                log_warning("%s: cannot hand the request to v2vd-sources: %m", c->what);
        g_clear_pointer(&c->request, secret_string_free);
        close(c->in_fd);
        c->in_fd = -1;
}

static void scope_failed(SourceCall *c, const char *why) {
        g_autofree char *t = g_strdup_printf("%s: cannot start the scope %s for v2vd-sources: %s",
                                             c->what, c->unit, why);

        g_clear_pointer(&c->unit, g_free);
        reply_error(c, t);
        kill_helper(c);
}

/* StartTransientUnit answered with systemd's job; the helper is in the
 * scope only when that job is done (JobRemoved), as for a conversion. */
static int on_scope_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SourceCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *job;

        c->scope_slot = sd_bus_slot_unref(c->scope_slot);
        if (e) {
                scope_failed(c, e->message ?: e->name);
                return 0;
        }
        if (sd_bus_message_read(reply, "o", &job) < 0) {
                scope_failed(c, "bad reply from systemd");
                return 0;
        }
        c->scope_job = g_strdup(job);
        return 0;
}

int source_call_scope_job_removed(Manager *m, const char *job_path, const char *result) {
        for (GList *l = m->source_calls; l; l = l->next) {
                SourceCall *c = l->data;
                if (!c->scope_job || !g_str_equal(c->scope_job, job_path))
                        continue;
                g_clear_pointer(&c->scope_job, g_free);
                if (!g_str_equal(result, "done"))
                        scope_failed(c, result);
                else if (c->in_fd >= 0)
                        send_request(c);
                break;
        }
        return 0;
}

/* The caller's user, primary group and supplementary groups, computed
 * before fork (getgrouplist is not async-signal-safe). */
typedef struct {
        bool drop;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        int ngroups;
        char *home, *user;
} Identity;

static void identity_clear(Identity *id) {
        g_clear_pointer(&id->groups, g_free);
        g_clear_pointer(&id->home, g_free);
        g_clear_pointer(&id->user, g_free);
}

static int identity_of(uid_t uid, Identity *id) {
        struct passwd pw, *result = NULL;
        char buf[4096];

        id->drop = true;
        id->uid = uid;
        if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) != 0 || !result)
                return -ESRCH;
        id->gid = pw.pw_gid;
        id->ngroups = 64;
        id->groups = g_new(gid_t, id->ngroups);
        if (getgrouplist(pw.pw_name, pw.pw_gid, id->groups, &id->ngroups) < 0) {
                /* ngroups is now the number needed. */
                id->groups = g_renew(gid_t, id->groups, id->ngroups);
                if (getgrouplist(pw.pw_name, pw.pw_gid, id->groups, &id->ngroups) < 0)
                        return -E2BIG;
        }
        id->home = g_strdup(pw.pw_dir);
        id->user = g_strdup(pw.pw_name);
        return 0;
}

static int spawn_helper(const Identity *id, char **env, int *ret_in, int *ret_out, pid_t *ret_pid) {
        g_autofree char *helper = find_libexec_program("V2VD_SOURCES_HELPER", "v2vd-sources");
        int in[2], out[2];
        pid_t pid;

        if (pipe2(in, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(out, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return -errno;
        }
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(in[0]), close(in[1]), close(out[0]), close(out[1]);
                return r;
        }
        if (pid == 0) {
                sigset_t none;
                char *argv[] = { (char *) "v2vd-sources", NULL };
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                (void) setpgid(0, 0);
                if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
                        _exit(127);
                if (id->drop && (setgroups((size_t) id->ngroups, id->groups) < 0 ||
                                 setresgid(id->gid, id->gid, id->gid) < 0 || setresuid(id->uid, id->uid, id->uid) < 0))
                        _exit(126);
                execve(helper, argv, env);
                _exit(127);
        }
        (void) setpgid(pid, pid);      /* both sides: no window for kill(-pid) */
        close(in[0]);
        close(out[1]);
        *ret_in = in[1];
        *ret_out = out[0];
        *ret_pid = pid;
        return 0;
}

static char **helper_environment(const Identity *id) {
        char **env = g_get_environ();
        static const char *const drop[] = { "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_PID",
                                            "LISTEN_FDS", "LISTEN_FDNAMES", NULL };

        for (const char *const *d = drop; *d; d++)
                env = g_environ_unsetenv(env, *d);
        if (id->drop) {
                env = g_environ_setenv(env, "HOME", id->home, TRUE);
                env = g_environ_setenv(env, "USER", id->user, TRUE);
                env = g_environ_setenv(env, "LOGNAME", id->user, TRUE);
                env = g_environ_unsetenv(env, "XDG_RUNTIME_DIR");
                env = g_environ_unsetenv(env, "XDG_CONFIG_HOME");
                env = g_environ_unsetenv(env, "XDG_CACHE_HOME");
        }
        return env;
}

int source_call_start(Manager *m, sd_bus_message *message, const char *op, const char *source_json,
                      const char *vm_name, sd_bus_error *error) {
        g_autoptr(SourceSpec) spec = NULL;
        g_autoptr(GError) gerror = NULL;
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *request = NULL;
        g_auto(GStrv) env = NULL;
        __attribute__((cleanup(identity_clear))) Identity id = { 0 };
        SourceCall *c;
        uid_t uid = 0;
        int r;

        if (strlen(source_json) > MAX_REQUEST - 4096)
                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR, "source: longer than %u bytes", MAX_REQUEST - 4096);
        spec = source_spec_parse(source_json, &gerror);
        if (!spec)
                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR, "%s", gerror->message);
        if (spec->print_source && !vm_name)
                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR,
                                         "source: \"print_source\" is for InspectSourceVM, not ListSourceVMs");
        if (g_list_length(m->source_calls) >= SOURCE_CALLS_MAX)
                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR,
                                         "%u source calls are already running; try again later", SOURCE_CALLS_MAX);
        if (!m->user_mode) {
                unsigned mine = 0;
                r = bus_sender_uid(message, &uid);
                if (r < 0)
                        return r;
                for (GList *l = m->source_calls; l; l = l->next)
                        mine += ((SourceCall *) l->data)->uid == uid && ((SourceCall *) l->data)->message;
                if (uid != 0 && mine >= SOURCE_CALLS_PER_CALLER)
                        return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR,
                                                 "you have %u source calls running already; wait for one to end",
                                                 mine);
                if (uid != 0) {
                        r = identity_of(uid, &id);
                        if (r < 0)
                                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR, "cannot find user %u's groups: %s",
                                                         (unsigned) uid, g_strerror(-r));
                }
        }

        /* The helper gets the object exactly as the caller gave it. */
        if (!json_parser_load_from_data(p, source_json, -1, NULL))
                return -EINVAL;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "op");
        json_builder_add_string_value(b, op);
        if (vm_name) {
                json_builder_set_member_name(b, "vm");
                json_builder_add_string_value(b, vm_name);
        }
        json_builder_set_member_name(b, "source");
        json_builder_add_value(b, json_node_copy(json_parser_get_root(p)));
        if (spec->print_source) {
                json_builder_set_member_name(b, "virt_v2v");
                json_builder_add_string_value(b, m->virt_v2v);
                json_builder_set_member_name(b, "environment");
                json_builder_begin_array(b);
                for (char **e = m->extra_env; e && *e; e++)
                        json_builder_add_string_value(b, *e);
                json_builder_end_array(b);
        }
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        request = json_to_string(root, FALSE);

        env = helper_environment(&id);
        c = g_new0(SourceCall, 1);
        c->manager = m;
        c->out_fd = -1;
        c->in_fd = -1;
        c->out = g_string_new(NULL);
        c->what = g_strdup_printf("%s %s%s%s", sd_bus_message_get_member(message), source_spec_describe(spec),
                                  vm_name ? " " : "", vm_name ?: "");
        c->timeout_sec = spec->timeout_sec ?: m->source_timeout_sec;
        c->uid = uid;
        c->request = g_steal_pointer(&request);
        m->source_calls = g_list_prepend(m->source_calls, c);
        r = spawn_helper(&id, env, &c->in_fd, &c->out_fd, &c->pid);
        if (r < 0) {
                source_call_free(c);
                return sd_bus_error_set_errnof(error, r, "cannot start v2vd-sources: %s", g_strerror(-r));
        }
        {
                /* The helper (and libvirt's ssh, virt-v2v --print-source)
                 * runs in a transient scope of its own; the request follows
                 * once systemd has moved the helper there. */
                g_autofree char *desc = g_strdup_printf("v2vd: %s", c->what);
                c->unit = g_strdup_printf("v2vd-source-%d.scope", (int) c->pid);
                r = scope_start(m->bus, c->unit, c->pid, desc, UINT64_MAX, 5 * 1000000ULL, on_scope_started, c,
                                &c->scope_slot);
                if (r < 0) {
                        g_clear_pointer(&c->unit, g_free);
                        (void) kill(-c->pid, SIGKILL);
                        (void) waitpid(c->pid, NULL, 0);
                        source_call_free(c);
                        return sd_bus_error_set_errnof(error, r, "cannot start a scope for v2vd-sources: %s",
                                                       g_strerror(-r));
                }
        }
        (void) fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
        r = sd_event_add_io(m->event, &c->io, c->out_fd, EPOLLIN, on_output, c);
        if (r >= 0)
                r = sd_event_add_child(m->event, &c->child, c->pid, WEXITED, on_exit_child, c);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &c->timer, CLOCK_MONOTONIC,
                                               (uint64_t) c->timeout_sec * 1000000ULL, 0, on_timeout, c);
        if (r < 0) {
                kill_helper(c);
                (void) waitpid(c->pid, NULL, 0);
                source_call_free(c);
                return sd_bus_error_set_errnof(error, r, "cannot watch v2vd-sources: %s", g_strerror(-r));
        }
        c->message = sd_bus_message_ref(message);
        log_debug("%s: started v2vd-sources (pid %d, timeout %u s)", c->what, (int) c->pid, c->timeout_sec);
        return 1;
}

void source_calls_abort(Manager *m) {
        while (m->source_calls) {
                SourceCall *c = m->source_calls->data;
                if (!c->exited) {
                        kill_helper(c);
                        (void) waitpid(c->pid, NULL, 0);
                }
                source_call_free(c);
        }
}
