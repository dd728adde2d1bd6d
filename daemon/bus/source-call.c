/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus/bounds.h"
#include "bus/bus-access.h"
#include "bus/bus-check.h"
#include "bus/bus-manager.h"
#include "bus/source-call.h"
#include "common/bus-names.h"
#include "host/cred.h"
#include "host/helper.h"
#include "host/scope.h"
#include "host/spawn.h"
#include "host/util.h"
#include "sources/preflight.h"
#include "sources/sources.h"

/* The answer goes out as one string: it must fit the bus (bounds.h). */
#define MAX_REPLY (BUS_REPLY_MAX - 4096)
#define MAX_REQUEST (60u * 1024)        /* fits a pipe's buffer: the write never blocks */

typedef struct SourceCall {
        Bus *bus;
        sd_bus_message *message;        /* NULL once answered */
        char *what;                     /* "ListSourceVMs test:///default", for messages */
        unsigned timeout_sec;
        uid_t uid;                      /* the caller */
        bool slot;                      /* counts as one of uid's helpers (helper_slot_take) */
        pid_t pid;
        int in_fd;                      /* the helper's stdin until the request is written */
        char *request;                  /* holds the password: wiped */
        char *unit;                     /* its transient scope v2vd-source-PID.scope */
        ScopeWait *scope_wait;          /* until the helper is in it */
        int out_fd;
        GString *out;
        JsonNode *check_findings;       /* CheckJob: the daemon's findings; the reply is a(ssss) (bus-check.c) */
        bool inspect;                   /* CheckJob with inspect: boots a libguestfs appliance */
        bool eof, exited;
        int status;
        sd_event_source *io, *child, *timer;
} SourceCall;

static void source_call_free(SourceCall *c) {
        if (!c)
                return;
        c->bus->source_calls = g_list_remove(c->bus->source_calls, c);
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->child);
        sd_event_source_disable_unref(c->timer);
        if (c->out_fd >= 0)
                close(c->out_fd);
        if (c->in_fd >= 0)
                close(c->in_fd);
        secret_string_free(c->request);
        scope_wait_cancel(c->scope_wait);
        g_free(c->unit);
        sd_bus_message_unref(c->message);
        if (c->out)
                g_string_free(c->out, TRUE);
        if (c->check_findings)
                json_node_unref(c->check_findings);
        if (c->slot)
                helper_slot_release(c->uid);
        g_free(c->what);
        g_free(c);
}

/* The helper and whatever it started (its process group: libvirt's ssh,
 * virt-v2v), and its scope. */
static void kill_helper(SourceCall *c) {
        (void) kill(-c->pid, SIGKILL);
        if (c->unit)
                (void) scope_stop(c->bus->bus, c->unit);
}

/* A CheckJob call answers with its findings and, last, an error finding
 * (code): a check that did not finish is no pass. */
static void reply_failure(SourceCall *c, const char *code, const char *text) {
        if (!c->message)
                return;
        if (c->check_findings) {
                json_array_add_element(json_node_get_array(c->check_findings),
                                       preflight_finding("error", code, "", text));
                if (bus_check_reply(c->bus, c->message, c->check_findings, "[]") < 0)
                        (void) sd_bus_reply_method_errorf(c->message, V2VD_ERROR_SOURCE_ERROR, "%s", text);
        } else
                (void) sd_bus_reply_method_errorf(c->message, V2VD_ERROR_SOURCE_ERROR, "%s", text);
        c->message = sd_bus_message_unref(c->message);
}

static void reply_error(SourceCall *c, const char *text) {
        reply_failure(c, "check-failed", text);
}

static void maybe_finish(SourceCall *c) {
        if (!c->exited || !c->eof)
                return;
        if (c->message) {
                if (c->check_findings && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0) {
                        if (bus_check_reply(c->bus, c->message, c->check_findings, c->out->str) < 0)
                                reply_error(c, "the helper's answer is not a list of findings");
                        else
                                c->message = sd_bus_message_unref(c->message);
                } else if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 && g_utf8_validate(c->out->str, -1, NULL)) {
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
                        if (c->message) {
                                (void) sd_bus_reply_method_errorf(c->message, V2VD_ERROR_LIMITS_EXCEEDED,
                                                                  "%s: the answer is larger than the %u MiB a "
                                                                  "reply may be on the bus", c->what,
                                                                  BUS_REPLY_MAX >> 20);
                                c->message = sd_bus_message_unref(c->message);
                        }
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
        g_autofree char *t = c->check_findings
                ? g_strdup_printf("the checks did not finish within %u s (a source or host that does not answer?); "
                                  "give a longer timeout", c->timeout_sec)
                : g_strdup_printf("%s: no answer within %u s (timeout); the source is slow or unreachable",
                                  c->what, c->timeout_sec);

        log_warning("%s", t);
        reply_failure(c, "check-timeout", t);
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

/* The helper is in its scope (the request follows), or no scope came. */
static void on_scope_outcome(ScopeOutcome outcome, const char *detail, void *userdata) {
        SourceCall *c = userdata;

        c->scope_wait = NULL;
        if (outcome != SCOPE_READY)
                scope_failed(c, detail);
        else if (c->in_fd >= 0)
                send_request(c);
}

/* How the helper runs virt-v2v (--print-source, the checks): the
 * request's "virt_v2v" and "environment". */
static void add_virt_v2v(JsonBuilder *b, Manager *m) {
        json_builder_set_member_name(b, "virt_v2v");
        json_builder_add_string_value(b, m->virt_v2v);
        json_builder_set_member_name(b, "environment");
        json_builder_begin_array(b);
        for (char **e = m->extra_env; e && *e; e++)
                json_builder_add_string_value(b, *e);
        json_builder_end_array(b);
}

/* What v2vd-sources gets on stdin: the object exactly as the caller gave
 * it, what to do with it, and for --print-source how to run virt-v2v. */
static char *helper_request(Manager *m, const char *op, const char *source_json, const char *vm_name,
                            bool print_source) {
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        if (!json_parser_load_from_data(p, source_json, -1, NULL))
                return NULL;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "op");
        json_builder_add_string_value(b, op);
        if (vm_name) {
                json_builder_set_member_name(b, "vm");
                json_builder_add_string_value(b, vm_name);
        }
        json_builder_set_member_name(b, "source");
        json_builder_add_value(b, json_node_copy(json_parser_get_root(p)));
        if (print_source)
                add_virt_v2v(b, m);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        return json_to_string(root, FALSE);
}

/* The environment of a helper running as the caller (cred, or NULL for
 * the daemon's own rights). */
static char **helper_environment(const Cred *cred) {
        char **env = spawn_environment();

        if (cred) {
                env = g_environ_setenv(env, "HOME", cred->home, TRUE);
                env = g_environ_setenv(env, "USER", cred->name, TRUE);
                env = g_environ_setenv(env, "LOGNAME", cred->name, TRUE);
                env = g_environ_unsetenv(env, "XDG_RUNTIME_DIR");
                env = g_environ_unsetenv(env, "XDG_CONFIG_HOME");
                env = g_environ_unsetenv(env, "XDG_CACHE_HOME");
                env = g_environ_unsetenv(env, "TMPDIR");        /* the daemon's, which the caller may not write */
        }
        return env;
}

/* v2vd-sources in a process group of its own (kill(-pid) reaches libvirt's
 * ssh and virt-v2v), as the caller, request on stdin, answer on stdout;
 * its stderr (and that of whatever libvirt starts for the caller, such as
 * a qemu+ext:// command) is the caller's words, logged as such
 * (helper_stderr_watch). */
static int spawn_helper(SourceCall *c, const Cred *cred) {
        g_autofree char *helper = find_libexec_program("V2VD_SOURCES_HELPER", "v2vd-sources");
        g_auto(GStrv) env = helper_environment(cred);
        /* the method alone: the rest of what may name a source's user */
        g_autofree char *what = g_strdup_printf("v2vd-sources for %.*s", (int) strcspn(c->what, " "), c->what);
        char *argv[] = { (char *) "v2vd-sources", NULL };
        SpawnOptions o = {
                .path = helper,
                .argv = argv,
                .envp = env,
                .cred = cred,
                .flags = SPAWN_STDIN_PIPE | SPAWN_STDOUT_PIPE | SPAWN_STDERR_PIPE | SPAWN_NEW_PROCESS_GROUP,
        };
        Spawned child;
        int r;

        r = spawn(&o, &child);
        if (r < 0)
                return r;
        c->pid = child.pid;
        c->in_fd = child.stdin_fd;
        c->out_fd = child.stdout_fd;
        r = helper_stderr_watch(c->bus->manager->event, child.stderr_fd, c->uid, what, NULL);
        if (r < 0)
                log_warning("cannot follow the stderr of v2vd-sources: %s", g_strerror(-r));
        return 0;
}

/* SOURCE_CALLS_MAX in all (each is a scope and a libvirt connection); a
 * caller other than root (--system) is bounded as for every helper that
 * acts for it (helper.h: HELPERS_PER_UID at once, with its path checks,
 * counted until reaped). */
static int check_bounds(Bus *b, uid_t uid, sd_bus_error *error) {
        if (g_list_length(b->source_calls) >= SOURCE_CALLS_MAX)
                return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                         "%u source calls and checks are running already; try again later (uid %u)",
                                         SOURCE_CALLS_MAX, (unsigned) uid);
        return 0;
}

/* The helper (and libvirt's ssh, virt-v2v --print-source) runs in a
 * transient scope of its own; the request follows once systemd has moved
 * the helper there. Then its output, its end and the timeout are watched. */
static int source_call_watch(SourceCall *c, sd_bus_error *error) {
        Manager *m = c->bus->manager;
        g_autofree char *desc = g_strdup_printf("v2vd: %s", c->what);
        int r;

        c->unit = g_strdup_printf("v2vd-source-%d.scope", (int) c->pid);
        r = m->scope_watch ? scope_start(m->scope_watch, c->unit, c->pid, desc, UINT64_MAX, 5 * 1000000ULL, NULL, 0,
                                         on_scope_outcome, c, &c->scope_wait)
                           : -ENOTCONN;
        if (r < 0) {
                g_clear_pointer(&c->unit, g_free);
                (void) kill(-c->pid, SIGKILL);
                (void) waitpid(c->pid, NULL, 0);
                return sd_bus_error_set_errnof(error, r, "cannot start a scope for v2vd-sources: %s", g_strerror(-r));
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
                return sd_bus_error_set_errnof(error, r, "cannot watch v2vd-sources: %s", g_strerror(-r));
        }
        return 0;
}

/* Starts v2vd-sources as the caller with request on its stdin and answers
 * message when it is done, or at timeout_sec. Takes what, request (a
 * secret) and check_findings. */
static int source_call_launch(Bus *b, sd_bus_message *message, char *what, unsigned timeout_sec, char *request,
                              JsonNode *check_findings, sd_bus_error *error) {
        Manager *m = b->manager;
        static Cred cred;   /* big (groups); the daemon is single-threaded */
        g_autofree char *what_owned = what;
        g_autoptr(JsonNode) findings_owned = check_findings;
        bool drop = false;
        SourceCall *c;
        uid_t uid = 0;
        int r;

        if (!request)
                return -EINVAL;
        if (!m->user_mode) {
                r = bus_sender_uid(message, &uid);
                if (r < 0)
                        goto fail;
        }
        r = check_bounds(b, uid, error);
        if (r < 0)
                goto fail;
        if (!m->user_mode && uid != 0) {
                r = cred_lookup(uid, &cred);
                if (r < 0) {
                        r = sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR, "cannot find user %u's groups: %s",
                                              (unsigned) uid, g_strerror(-r));
                        goto fail;
                }
                drop = true;
                r = helper_slot_take(uid);
                if (r < 0) {
                        r = bus_manager_helpers_busy(r, uid, error);
                        goto fail;
                }
        }

        c = g_new0(SourceCall, 1);
        c->slot = drop;
        c->bus = b;
        c->out_fd = -1;
        c->in_fd = -1;
        c->out = g_string_new(NULL);
        c->what = g_steal_pointer(&what_owned);
        c->timeout_sec = timeout_sec;
        c->uid = uid;
        c->request = g_steal_pointer(&request);
        c->check_findings = g_steal_pointer(&findings_owned);
        b->source_calls = g_list_prepend(b->source_calls, c);
        r = spawn_helper(c, drop ? &cred : NULL);
        if (r < 0) {
                source_call_free(c);
                return sd_bus_error_set_errnof(error, r, "cannot start v2vd-sources: %s", g_strerror(-r));
        }
        r = source_call_watch(c, error);
        if (r < 0) {
                source_call_free(c);
                return r;
        }
        c->message = sd_bus_message_ref(message);
        log_debug("%s: started v2vd-sources (pid %d, timeout %u s)", c->what, (int) c->pid, c->timeout_sec);
        return 1;
fail:
        secret_string_free(request);
        return r;
}

int source_call_start(Bus *b, sd_bus_message *message, const char *op, const char *source_json,
                      const char *vm_name, sd_bus_error *error) {
        Manager *m = b->manager;
        g_autoptr(SourceSpec) spec = NULL;
        g_autoptr(GError) gerror = NULL;

        if (strlen(source_json) > MAX_REQUEST - 4096)
                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR, "source: longer than %u bytes", MAX_REQUEST - 4096);
        spec = source_spec_parse(source_json, &gerror);
        if (!spec)
                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR, "%s", gerror->message);
        if (spec->print_source && !vm_name)
                return sd_bus_error_setf(error, V2VD_ERROR_SOURCE_ERROR,
                                         "source: \"print_source\" is for InspectSourceVM, not ListSourceVMs");
        return source_call_launch(b, message,
                                  g_strdup_printf("%s %s%s%s", sd_bus_message_get_member(message),
                                                  source_spec_describe(spec), vm_name ? " " : "", vm_name ?: ""),
                                  spec->timeout_sec ?: m->source_timeout_sec,
                                  helper_request(m, op, source_json, vm_name, spec->print_source), NULL, error);
}

int source_call_start_check(Bus *b, sd_bus_message *message, const char *spec_json, bool inspect,
                            unsigned timeout_sec, JsonNode *findings, sd_bus_error *error) {
        Manager *m = b->manager;
        g_autoptr(JsonNode) owned = findings;
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(JsonBuilder) jb = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        char *request;
        int r;

        if (strlen(spec_json) > MAX_REQUEST - 4096)
                return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED, "the spec is longer than %u bytes",
                                         MAX_REQUEST - 4096);
        if (inspect) {
                /* Each inspection is an appliance with its own memory: a few at once. */
                unsigned n = 0;
                for (GList *l = b->source_calls; l; l = l->next)
                        n += ((SourceCall *) l->data)->inspect && ((SourceCall *) l->data)->message;
                if (n >= CHECK_INSPECTIONS_MAX)
                        return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED,
                                                 "%u guest inspections are running already; try again later", n);
        }
        if (!json_parser_load_from_data(p, spec_json, -1, NULL) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
                return -EINVAL;
        json_builder_begin_object(jb);
        json_builder_set_member_name(jb, "op");
        json_builder_add_string_value(jb, "check");
        json_builder_set_member_name(jb, "spec");
        json_builder_add_value(jb, json_node_copy(json_parser_get_root(p)));
        json_builder_set_member_name(jb, "inspect");
        json_builder_add_boolean_value(jb, inspect);
        /* The helper stops what it runs before the daemon kills it (so
         * that it removes the secret files they hold), the inspector
         * early enough for its finding to say so. */
        json_builder_set_member_name(jb, "timeout");
        json_builder_add_int_value(jb, timeout_sec);
        json_builder_set_member_name(jb, "inspect_timeout");
        json_builder_add_int_value(jb, timeout_sec > 20 ? timeout_sec - 15 : timeout_sec);
        json_builder_set_member_name(jb, "profile_dirs");
        json_builder_begin_array(jb);
        for (char **d = m->profile_dirs; d && *d; d++)
                json_builder_add_string_value(jb, *d);
        json_builder_end_array(jb);
        add_virt_v2v(jb, m);
        json_builder_end_object(jb);
        root = json_builder_get_root(jb);
        request = json_to_string(root, FALSE);
        if (strlen(request) > MAX_REQUEST) {
                secret_string_free(request);
                return sd_bus_error_setf(error, V2VD_ERROR_LIMITS_EXCEEDED, "the spec is too long to check");
        }
        r = source_call_launch(b, message, g_strdup(sd_bus_message_get_member(message)), timeout_sec, request,
                               g_steal_pointer(&owned), error);
        if (r > 0 && b->source_calls)
                ((SourceCall *) b->source_calls->data)->inspect = inspect;   /* the call just added */
        return r;
}

void source_calls_abort(Bus *b) {
        while (b->source_calls) {
                SourceCall *c = b->source_calls->data;
                if (!c->exited) {
                        kill_helper(c);
                        (void) waitpid(c->pid, NULL, 0);
                }
                source_call_free(c);
        }
}
