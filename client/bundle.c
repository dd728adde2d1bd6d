/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * v2vctl bundle ID [-o FILE]: a support bundle, a tar (ustar) of what the
 * caller may read about a job. v2vctl assembles it, not the daemon: what
 * goes in is exactly what the caller could read anyway (the bus properties
 * with the daemon's access rules, the job's files with the caller's own
 * rights, ReadLog), so the bundle needs no privilege and adds no way for a
 * caller to make the daemon read or write anything. The spec is the Spec
 * property, secrets masked by the daemon; nothing else holds a secret (v2vd
 * never writes one to a log, a state file or the journal). Each member is
 * at most MEMBER_MAX bytes (a log's tail), so a bundle stays small enough to
 * attach to a bug report.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/bus-names.h"
#include "v2vctl.h"

#define MEMBER_MAX (16u * 1024 * 1024)
#define JOURNAL_LINES "20000"

typedef struct Tar {
        FILE *f;
        char *prefix;          /* "v2vd-job-ID" */
        GString *manifest;     /* what is in it, and what is not and why */
        int error;
} Tar;

static void tar_clear(Tar *t) {
        g_free(t->prefix);
        if (t->manifest)
                g_string_free(t->manifest, TRUE);
}

static void octal(char *field, size_t width, uint64_t v) {
        g_snprintf(field, width, "%0*" G_GINT64_MODIFIER "o", (int) width - 1, v);
}

/* One regular file of len bytes (ustar: names under 100 bytes here). */
static void tar_add(Tar *t, const char *name, const void *data, size_t len) {
        char h[512] = { 0 };
        static const char zeros[512];
        g_autofree char *full = g_strdup_printf("%s/%s", t->prefix, name);
        unsigned sum = 0;

        if (t->error)
                return;
        g_strlcpy(h, full, 100);
        octal(h + 100, 8, 0644);
        octal(h + 108, 8, 0);
        octal(h + 116, 8, 0);
        octal(h + 124, 12, len);
        octal(h + 136, 12, (uint64_t) time(NULL));
        memset(h + 148, ' ', 8);
        h[156] = '0';
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        for (size_t i = 0; i < sizeof h; i++)
                sum += (unsigned char) h[i];
        g_snprintf(h + 148, 8, "%06o", sum);
        h[155] = ' ';
        if (fwrite(h, 1, sizeof h, t->f) != sizeof h || (len && fwrite(data, 1, len, t->f) != len) ||
            (len % 512 && fwrite(zeros, 1, 512 - len % 512, t->f) != 512 - len % 512))
                t->error = -errno ?: -EIO;
        g_string_append_printf(t->manifest, "%-24s %zu bytes\n", name, len);
}

static void tar_add_text(Tar *t, const char *name, const char *text) {
        tar_add(t, name, text, strlen(text));
}

static void note(Tar *t, const char *name, const char *why) {
        g_string_append_printf(t->manifest, "%-24s not included: %s\n", name, why);
}

/* The last MEMBER_MAX bytes of a file the caller may read. */
static int read_tail(const char *path, char **ret, size_t *ret_len, bool *cut) {
        g_autofree char *buf = NULL;
        struct stat st;
        off_t from;
        ssize_t n;
        size_t got = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EINVAL;
        }
        from = st.st_size > (off_t) MEMBER_MAX ? st.st_size - (off_t) MEMBER_MAX : 0;
        *cut = from > 0;
        buf = g_malloc((size_t) (st.st_size - from) + 1);
        while (got < (size_t) (st.st_size - from) && (n = pread(fd, buf + got, (size_t) (st.st_size - from) - got,
                                                                 from + (off_t) got)) > 0)
                got += (size_t) n;
        close(fd);
        *ret = g_steal_pointer(&buf);
        *ret_len = got;
        return 0;
}

static void add_file(Tar *t, const char *dir, const char *name) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *data = NULL;
        size_t len = 0;
        bool cut = false;
        int r;

        r = read_tail(path, &data, &len, &cut);
        if (r < 0) {
                note(t, name, g_strerror(-r));
                return;
        }
        tar_add(t, name, data, len);
        if (cut)
                g_string_append_printf(t->manifest, "%-24s (its last %u MiB only)\n", "", MEMBER_MAX >> 20);
}

/* v2v.log through the bus (ReadLog): its last MEMBER_MAX bytes. */
static void add_log_over_bus(Tar *t, Ctl *c, const char *path, uint64_t size) {
        g_autoptr(GByteArray) b = g_byte_array_new();
        uint64_t offset = size > MEMBER_MAX ? size - MEMBER_MAX : 0;

        for (;;) {
                __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
                __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
                const void *data;
                size_t n;

                if (sd_bus_call_method(c->bus, V2VD_BUS_NAME, path, V2VD_JOB_INTERFACE, "ReadLog", &error, &reply, "tu",
                                       offset, (uint32_t) (1024 * 1024)) < 0 ||
                    sd_bus_message_read_array(reply, 'y', &data, &n) < 0) {
                        note(t, "v2v.log", error.message ?: "ReadLog failed");
                        return;
                }
                if (n == 0 || b->len + n > MEMBER_MAX)
                        break;
                g_byte_array_append(b, data, (guint) n);
                offset += n;
        }
        tar_add(t, "v2v.log", b->data, b->len);
}

static char *run(const char *const *argv) {
        g_autofree char *out = NULL, *err = NULL;
        int status;

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                          &out, &err, &status, NULL))
                return NULL;
        if (!g_spawn_check_wait_status(status, NULL))
                return g_strdup_printf("(exit status %d) %s%s", WEXITSTATUS(status), out ?: "", err ?: "");
        return g_steal_pointer(&out);
}

int ctl_bundle(Ctl *c, const char *id, const char *output) {
        g_autofree char *path = NULL, *dir = NULL, *target = NULL, *tmp = NULL;
        g_autoptr(JsonObject) props = NULL, mgr = NULL;
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(GString) versions = g_string_new(NULL);
        __attribute__((cleanup(tar_clear))) Tar t = { 0 };
        JsonNode *n;
        int r;

        r = ctl_job_path(c, id, &path);
        if (r < 0)
                return r;
        r = ctl_job_properties(c, path, &props);
        if (r < 0)
                return r;
        r = ctl_manager_properties(c, &mgr);
        if (r < 0)
                return r;

        t.manifest = g_string_new(NULL);
        t.prefix = g_strdup_printf("v2vd-job-%s", id);
        target = g_strdup(output ?: "");
        if (!*target) {
                g_free(target);
                target = g_strdup_printf("%s.tar", t.prefix);
        }
        if (g_str_equal(target, "-"))
                t.f = stdout;
        else {
                tmp = g_strdup_printf("%s.XXXXXX", target);
                int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
                if (fd < 0) {
                        fprintf(stderr, "v2vctl: cannot create %s: %s\n", tmp, g_strerror(errno));
                        return -errno;
                }
                t.f = fdopen(fd, "w");
        }
        g_string_append_printf(t.manifest, "v2vd support bundle of job %s, made by v2vctl %s%s%s\n\n", id,
                               V2VD_VERSION, c->host ? " for host " : "", c->host ?: "");

        /* The masked spec (the daemon masks secrets in Spec). */
        n = json_object_get_member(props, "spec");
        if (n && JSON_NODE_HOLDS_OBJECT(n)) {
                g_autofree char *s = NULL;
                json_generator_set_pretty(gen, TRUE);
                json_generator_set_root(gen, n);
                s = json_generator_to_data(gen, NULL);
                tar_add_text(&t, "spec.json", s);
        } else
                note(&t, "spec.json", "the job's Spec is not readable for you");
        {
                g_autofree char *s = NULL;
                g_autoptr(JsonNode) pn = json_node_init_object(json_node_alloc(), props);
                json_generator_set_pretty(gen, TRUE);
                json_generator_set_root(gen, pn);
                s = json_generator_to_data(gen, NULL);
                tar_add_text(&t, "properties.json", s);
        }
        n = json_object_get_member(props, "failure");
        if (n && JSON_NODE_HOLDS_OBJECT(n) && *json_get_str(json_node_get_object(n), "code")) {
                JsonObject *f = json_node_get_object(n);
                g_autofree char *s = g_strdup_printf("code: %s\nsummary: %s\nremedy: %s\n", json_get_str(f, "code"),
                                                     json_get_str(f, "summary"), json_get_str(f, "remedy"));
                tar_add_text(&t, "failure.txt", s);
        }

        /* The job's files, with the caller's rights, where they are local. */
        dir = *json_get_str(props, "state_file") ? g_path_get_dirname(json_get_str(props, "state_file")) : NULL;
        if (dir && !c->host) {
                add_file(&t, dir, "state.json");
                add_file(&t, dir, "job.json");
                add_file(&t, dir, "v2v.log");
                add_file(&t, dir, "v2v-machine.log");
                add_file(&t, dir, "check.json");
        } else {
                struct stat st;
                note(&t, "state.json", c->host ? "on the remote host" : "the job's directory is not shown to you");
                note(&t, "job.json", c->host ? "on the remote host" : "the job's directory is not shown to you");
                note(&t, "v2v-machine.log", c->host ? "on the remote host" : "the job's directory is not shown to you");
                add_log_over_bus(&t, c, path, dir && stat(json_get_str(props, "log_file"), &st) == 0 ? (uint64_t) st.st_size : 0);
        }

        /* Versions: the daemon's and virt-v2v's from the daemon; libguestfs's
         * from this machine's guestfish, when it is the daemon's machine. */
        g_string_append_printf(versions, "v2vd: %s (%s mode)\nvirt-v2v: %s\nv2vctl: %s\n", json_get_str(mgr, "version"),
                               json_get_str(mgr, "mode"), json_get_str(mgr, "v2v_version"), V2VD_VERSION);
        if (!c->host) {
                g_autofree char *g = run((const char *const[]) { "guestfish", "--version", NULL });
                g_string_append_printf(versions, "libguestfs: %s", g ? g : "guestfish not found\n");
        } else
                g_string_append(versions, "libguestfs: not known (the daemon runs on the remote host)\n");
        tar_add_text(&t, "versions.txt", versions->str);

        /* The job's journal lines (V2VD_JOB=ID), as far as the caller may read the journal. */
        if (!c->host) {
                g_autofree char *match = g_strdup_printf("V2VD_JOB=%s", id);
                g_autofree char *j = run((const char *const[]) { "journalctl", c->user ? "--user" : "--system",
                                                                 "--no-pager", "-o", "short-iso", "-n", JOURNAL_LINES,
                                                                 match, NULL });
                if (j)
                        tar_add_text(&t, "journal.txt", j);
                else
                        note(&t, "journal.txt", "journalctl did not run");
        } else
                note(&t, "journal.txt", "on the remote host: journalctl V2VD_JOB=ID there");

        tar_add_text(&t, "MANIFEST.txt", t.manifest->str);
        if (!t.error) {
                static const char end[1024];
                if (fwrite(end, 1, sizeof end, t.f) != sizeof end || fflush(t.f) != 0)
                        t.error = -errno ?: -EIO;
        }
        if (t.f != stdout && fclose(t.f) != 0 && !t.error)
                t.error = -errno ?: -EIO;
        if (t.error) {
                fprintf(stderr, "v2vctl: cannot write %s: %s\n", tmp ?: "standard output", g_strerror(-t.error));
                if (tmp)
                        (void) unlink(tmp);
                r = t.error;
        } else if (tmp && rename(tmp, target) < 0) {
                r = -errno;
                fprintf(stderr, "v2vctl: cannot write %s: %s\n", target, g_strerror(-r));
                (void) unlink(tmp);
        } else if (tmp)
                fprintf(stderr, "v2vctl: wrote %s\n", target);
        return r;
}
