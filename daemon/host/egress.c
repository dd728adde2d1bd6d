/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Egress shaping keyed on the scope's cgroup v2 directory. See egress.h
 * for what is installed and the configuration keys.
 *
 * Why nftables `socket cgroupv2` + the packet priority + HTB, and not a tc
 * BPF classifier (bpf_skb_ancestor_cgroup_id) or net_cls:
 *   - net_cls is a v1 controller: gone on a v2 host, and on a hybrid host
 *     (Debian 12 without systemd as PID 1: v1 controllers, v2 at
 *     /sys/fs/cgroup/unified) it is often not mounted at all. Since Linux
 *     5.15 a socket records its v2 cgroup whatever v1 controllers do, so a
 *     match on the v2 cgroup works on both layouts.
 *   - `socket cgroupv2 level N` compares the ancestor at depth N of the
 *     sending socket's cgroup, so every process virt-v2v forks (nbdkit,
 *     qemu, curl…) in the scope or any cgroup below it is caught, and
 *     sockets opened before the rule existed too (the match is per packet).
 *   - It needs only the standard, already required tools (nft, tc): no
 *     compiler, no BPF object to ship, no pinned maps to clean up, and an
 *     administrator can read the state with `nft list table inet v2vd` and
 *     `tc -s class show dev eth0`.
 *   - nft resolves the cgroup path below /sys/fs/cgroup when a rule is
 *     added. On a hybrid host the v2 tree is /sys/fs/cgroup/unified, so the
 *     path given to nft is prefixed with where the v2 hierarchy is mounted
 *     relative to /sys/fs/cgroup (found in /proc/self/mountinfo); the level
 *     is the depth in the v2 tree itself.
 *   - The development headers of libnftables/libnl are not part of the
 *     build dependencies; the tools are spawned with argument vectors
 *     (never a shell) and their JSON output (`tc -j`) is parsed.
 * Limits: only traffic this host sends (what virt-v2v receives is limited by
 * --bandwidth-file on the input side); an interface whose root qdisc was set
 * up by someone else (not a kernel default) is left alone and reported.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/egress.h"
#include "host/util.h"

/* Root qdiscs the kernel (or a distribution default) installs: replacing
 * them with our HTB takes nothing from an administrator. */
static const char *const default_qdiscs[] = {
        "noqueue", "pfifo_fast", "fq_codel", "mq", "fq", "pfifo", "noop", "cake", NULL,
};

/* Minors the host budget's classes use; jobs take 1..JOB_MINOR_MAX. */
#define HOST_MINOR   0xfffe
#define OTHERS_MINOR 0xfffd
#define JOB_MINOR_MAX 0xfffc

typedef struct ThrottleJob {
        char *id;
        char *cgroup;              /* v2 path as in /proc/PID/cgroup, "/a/b/x.scope" */
        unsigned level;            /* its depth in the v2 tree */
        uint64_t bytes_per_sec;
        unsigned minor;            /* HTB class MAJ:minor */
} ThrottleJob;

struct Egress {
        char *name;                /* nft table inet <name> */
        unsigned major;            /* HTB handle */
        char **interfaces;         /* configured; NULL = default routes */
        bool disabled;             /* egress_interfaces=none */
        char *nft;
        char *tc;
        GHashTable *jobs;          /* id → ThrottleJob* */
        GHashTable *used_ifaces;   /* interfaces we put a qdisc on: set of char* */
        /* The host-wide budget: every socket of the slice's cgroup through
         * class HOST_MINOR (rate = ceil = host_bytes), the shaped jobs'
         * classes under it, the others' traffic in OTHERS_MINOR. */
        uint64_t host_bytes;       /* 0 = none */
        char *host_cgroup;         /* the slice's v2 path, "/…/v2vd.slice" */
        unsigned host_level;
        char *error;               /* what the last failure was, in words */
};

/* Record what failed, for egress_last_error(); returns r (negative errno). */
static int fail(Egress *t, int r, const char *format, ...) G_GNUC_PRINTF(3, 4);
static int fail(Egress *t, int r, const char *format, ...) {
        va_list ap;

        g_free(t->error);
        va_start(ap, format);
        t->error = g_strdup_vprintf(format, ap);
        va_end(ap);
        return r;
}

const char *egress_last_error(const Egress *t) {
        return t->error ?: "";
}

static void throttle_job_free(gpointer p) {
        ThrottleJob *tj = p;

        if (!tj)
                return;
        g_free(tj->id);
        g_free(tj->cgroup);
        g_free(tj);
}

static char *find_tool(const char *name) {
        static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
        char *p = g_find_program_in_path(name);

        if (p)
                return p;
        for (const char *const *d = dirs; *d; d++) {
                g_autofree char *c = g_build_filename(*d, name, NULL);
                if (access(c, X_OK) == 0)
                        return g_steal_pointer(&c);
        }
        return NULL;
}

char *egress_default_name(const char *state_dir, bool user_mode) {
        if (!user_mode && g_str_equal(state_dir, "/var/lib/v2vd"))
                return g_strdup("v2vd");
        return g_strdup_printf("v2vd_%08x", g_str_hash(state_dir));
}

static bool name_is_valid(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n > max || !g_ascii_isalpha(s[0]))
                return false;
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && *c != '_' && *c != '-')
                        return false;
        return true;
}

static bool iface_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 15)
                return false;
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("._-@", *c))
                        return false;
        return true;
}

int egress_new(const char *name, char *const *interfaces, Egress **ret) {
        g_autoptr(Egress) t = g_new0(Egress, 1);

        if (!name_is_valid(name, 64))
                return -EINVAL;
        for (char *const *i = interfaces; i && *i; i++)
                if (!iface_is_valid(*i))
                        return -EINVAL;
        t->name = g_strdup(name);
        t->disabled = interfaces && interfaces[0] && g_str_equal(interfaces[0], "none") && !interfaces[1];
        /* 0x1000–0xefff: clear of 0 (unspecified), 1:/ffff: (customary and
         * ingress) and of another instance's major unless the hashes meet. */
        t->major = 0x1000 + g_str_hash(name) % 0xe000;
        if (interfaces && interfaces[0])
                t->interfaces = g_strdupv((char **) interfaces);
        t->nft = find_tool("nft");
        t->tc = find_tool("tc");
        t->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, throttle_job_free);
        t->used_ifaces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        *ret = g_steal_pointer(&t);
        return 0;
}

Egress *egress_free(Egress *t) {
        if (!t)
                return NULL;
        g_free(t->name);
        g_strfreev(t->interfaces);
        g_free(t->nft);
        g_free(t->tc);
        g_clear_pointer(&t->jobs, g_hash_table_unref);
        g_clear_pointer(&t->used_ifaces, g_hash_table_unref);
        g_free(t->host_cgroup);
        g_free(t->error);
        g_free(t);
        return NULL;
}

/* Run a tool; its stdout in *ret_out (may be NULL). On failure the
 * error's text holds its stderr. Synchronous: nft and tc answer in
 * milliseconds. */
static int run_tool(Egress *t, char **argv, char **ret_out) {
        g_autofree char *out = NULL;
        g_autofree char *err = NULL;
        g_autoptr(GError) e = NULL;
        gint status = 0;

        if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                          &out, &err, &status, &e))
                return fail(t, -ENOEXEC, "cannot run %s: %s", argv[0], e->message);
        if (!g_spawn_check_wait_status(status, NULL)) {
                g_autofree char *cmd = g_strjoinv(" ", argv);
                g_strstrip(err);
                return fail(t, -EIO, "%s failed: %s", cmd, *err ? err : "(no message)");
        }
        if (ret_out)
                *ret_out = g_steal_pointer(&out);
        return 0;
}

/* /proc/self/mountinfo: where the v2 hierarchy is, relative to
 * /sys/fs/cgroup, as nft wants it ("" or "unified/"). */
static int cgroup2_prefix(Egress *t, char **ret) {
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;
        int r;

        r = read_small_file("/proc/self/mountinfo", 4 * 1024 * 1024, &text, NULL);
        if (r < 0)
                return fail(t, r, "cannot read /proc/self/mountinfo: %s", g_strerror(-r));
        lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) f = g_strsplit(*l, " ", -1);
                guint n = g_strv_length(f);
                const char *root, *mnt;
                guint dash;

                for (dash = 6; dash < n && !g_str_equal(f[dash], "-"); dash++)
                        ;
                if (dash + 1 >= n || !g_str_equal(f[dash + 1], "cgroup2"))
                        continue;
                root = f[3];
                mnt = f[4];
                if (!g_str_equal(root, "/"))
                        continue;
                if (g_str_equal(mnt, "/sys/fs/cgroup")) {
                        *ret = g_strdup("");
                        return 0;
                }
                if (g_str_has_prefix(mnt, "/sys/fs/cgroup/")) {
                        *ret = g_strdup_printf("%s/", mnt + strlen("/sys/fs/cgroup/"));
                        return 0;
                }
        }
        return fail(t, -ENOENT, "no cgroup v2 hierarchy is mounted below /sys/fs/cgroup");
}

int egress_cgroup_of_pid(Egress *t, pid_t pid, char **ret_path) {
        g_autofree char *path = g_strdup_printf("/proc/%d/cgroup", (int) pid);
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;
        int r;

        r = read_small_file(path, 64 * 1024, &text, NULL);
        if (r < 0)
                return fail(t, r, "cannot read %s: %s", path, g_strerror(-r));
        lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++)
                if (g_str_has_prefix(*l, "0::/")) {
                        *ret_path = g_strdup(*l + 3);
                        return 0;
                }
        return fail(t, -ENOMEDIUM, "%s has no cgroup v2 line", path);
}

static bool cgroup_path_is_safe(const char *p) {
        for (const char *c = p; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("/._-@:\\", *c))
                        return false;
        return true;
}

int egress_set(Egress *t, const char *job_id, const char *cgroup_path, uint64_t bytes_per_sec,
                 bool *ret_changed) {
        ThrottleJob *tj = g_hash_table_lookup(t->jobs, job_id);
        g_auto(GStrv) parts = NULL;
        unsigned level = 0;

        *ret_changed = false;
        if (bytes_per_sec == 0) {
                *ret_changed = g_hash_table_remove(t->jobs, job_id);
                return 0;
        }
        if (!cgroup_path || cgroup_path[0] != '/' || !cgroup_path_is_safe(cgroup_path))
                return fail(t, -EINVAL, "unusable cgroup path \"%s\"", cgroup_path ?: "");
        parts = g_strsplit(cgroup_path, "/", -1);
        for (char **p = parts; *p; p++)
                if (**p)
                        level++;
        if (level == 0)
                return fail(t, -EINVAL, "the scope is the root cgroup");
        if (tj && tj->bytes_per_sec == bytes_per_sec && g_str_equal(tj->cgroup, cgroup_path))
                return 0;
        if (!tj) {
                unsigned minor;
                bool used;
                GHashTableIter it;
                gpointer v;

                /* The smallest free minor: 1..JOB_MINOR_MAX. */
                for (minor = 1; minor <= JOB_MINOR_MAX; minor++) {
                        used = false;
                        g_hash_table_iter_init(&it, t->jobs);
                        while (!used && g_hash_table_iter_next(&it, NULL, &v))
                                used = ((ThrottleJob *) v)->minor == minor;
                        if (!used)
                                break;
                }
                if (minor > JOB_MINOR_MAX)
                        return fail(t, -ENOSPC, "too many shaped jobs");
                tj = g_new0(ThrottleJob, 1);
                tj->id = g_strdup(job_id);
                tj->minor = minor;
                g_hash_table_insert(t->jobs, g_strdup(job_id), tj);
        }
        g_free(tj->cgroup);
        tj->cgroup = g_strdup(cgroup_path);
        tj->level = level;
        tj->bytes_per_sec = bytes_per_sec;
        *ret_changed = true;
        return 0;
}

static bool host_active(const Egress *t) {
        return t->host_bytes > 0 && t->host_cgroup;
}

/* Anything to put on the host: shaped jobs, or the budget. */
static bool has_work(const Egress *t) {
        return g_hash_table_size(t->jobs) > 0 || host_active(t);
}

int egress_set_host(Egress *t, const char *slice_cgroup, uint64_t bytes_per_sec, bool *ret_changed) {
        g_auto(GStrv) parts = NULL;
        unsigned level = 0;

        *ret_changed = false;
        if (slice_cgroup) {
                if (slice_cgroup[0] != '/' || !cgroup_path_is_safe(slice_cgroup))
                        return fail(t, -EINVAL, "unusable cgroup path \"%s\"", slice_cgroup);
                parts = g_strsplit(slice_cgroup, "/", -1);
                for (char **p = parts; *p; p++)
                        if (**p)
                                level++;
                if (level == 0)
                        return fail(t, -EINVAL, "the slice is the root cgroup");
                if (!t->host_cgroup || !g_str_equal(t->host_cgroup, slice_cgroup)) {
                        g_free(t->host_cgroup);
                        t->host_cgroup = g_strdup(slice_cgroup);
                        t->host_level = level;
                        *ret_changed = host_active(t) || bytes_per_sec > 0;
                }
        }
        if (t->host_bytes != bytes_per_sec) {
                t->host_bytes = bytes_per_sec;
                *ret_changed = true;
        }
        return 0;
}

/* The non-empty words of a /proc/net table line split on blanks
 * (borrowed from f). */
static GPtrArray *nonempty_fields(char **f) {
        GPtrArray *w = g_ptr_array_new();

        for (char **x = f; *x; x++)
                if (**x)
                        g_ptr_array_add(w, *x);
        return w;
}

/* The interfaces of the default routes, IPv4 and IPv6. */
static char **default_route_interfaces(void) {
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *v4 = NULL;
        g_autofree char *v6 = NULL;

        if (read_small_file("/proc/net/route", 1024 * 1024, &v4, NULL) >= 0) {
                g_auto(GStrv) lines = g_strsplit(v4, "\n", -1);
                /* Iface Destination Gateway Flags RefCnt Use Metric Mask … */
                for (char **l = lines; *l; l++) {
                        g_auto(GStrv) f = g_strsplit_set(*l, " \t", -1);
                        g_autoptr(GPtrArray) w = nonempty_fields(f);
                        if (w->len >= 8 && g_str_equal(w->pdata[1], "00000000") &&
                            g_str_equal(w->pdata[7], "00000000") && iface_is_valid(w->pdata[0]) &&
                            !g_ptr_array_find_with_equal_func(out, w->pdata[0], g_str_equal, NULL))
                                g_ptr_array_add(out, g_strdup(w->pdata[0]));
                }
        }
        if (read_small_file("/proc/net/ipv6_route", 4 * 1024 * 1024, &v6, NULL) >= 0) {
                g_auto(GStrv) lines = g_strsplit(v6, "\n", -1);
                /* dst dstlen src srclen nexthop metric refcnt use flags iface */
                for (char **l = lines; *l; l++) {
                        g_auto(GStrv) f = g_strsplit_set(*l, " \t", -1);
                        g_autoptr(GPtrArray) w = nonempty_fields(f);
                        if (w->len >= 10 && g_str_equal(w->pdata[0], "00000000000000000000000000000000") &&
                            g_str_equal(w->pdata[1], "00") && !g_str_equal(w->pdata[9], "lo") &&
                            /* RTF_GATEWAY: a real default route, not the unreachable one */
                            (g_ascii_strtoull(w->pdata[8], NULL, 16) & 0x2) &&
                            iface_is_valid(w->pdata[9]) &&
                            !g_ptr_array_find_with_equal_func(out, w->pdata[9], g_str_equal, NULL))
                                g_ptr_array_add(out, g_strdup(w->pdata[9]));
                }
        }
        g_ptr_array_add(out, NULL);
        return (char **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

static char **throttle_interfaces(Egress *t) {
        return t->interfaces ? g_strdupv(t->interfaces) : default_route_interfaces();
}

static gint compare_minor(gconstpointer a, gconstpointer b) {
        const ThrottleJob *x = *(ThrottleJob *const *) a, *y = *(ThrottleJob *const *) b;

        return (gint) x->minor - (gint) y->minor;
}

static int sync_nft(Egress *t, char **ifaces) {
        g_autoptr(GString) s = g_string_new(NULL);
        g_autoptr(GString) set = g_string_new(NULL);
        g_autoptr(GPtrArray) sorted = g_ptr_array_new();
        g_autofree char *prefix = NULL;
        char *argv[] = { t->nft, NULL, NULL };
        GHashTableIter it;
        gpointer v;
        int r;

        /* Add before delete: deleting a table that is not there fails. */
        g_string_append_printf(s, "add table inet %s\ndelete table inet %s\n", t->name, t->name);
        if (has_work(t) && ifaces[0]) {
                r = cgroup2_prefix(t, &prefix);
                if (r < 0)
                        return r;
                for (char **i = ifaces; *i; i++)
                        g_string_append_printf(set, "%s\"%s\"", i == ifaces ? "" : ", ", *i);
                g_string_append_printf(s, "add table inet %s\n", t->name);
                g_string_append_printf(s, "add chain inet %s egress { type filter hook output priority 0 ; policy accept ; }\n",
                                       t->name);
                /* The slice's rule first: a job's own rule, later, sets
                 * the priority again for its sockets. */
                if (host_active(t))
                        g_string_append_printf(s, "add rule inet %s egress oifname { %s } socket cgroupv2 level %u \"%s%s\" "
                                               "meta priority set %x:%x comment \"v2vd host budget\"\n",
                                               t->name, set->str, t->host_level, prefix, t->host_cgroup + 1,
                                               t->major, OTHERS_MINOR);
                g_hash_table_iter_init(&it, t->jobs);
                while (g_hash_table_iter_next(&it, NULL, &v))
                        g_ptr_array_add(sorted, v);
                g_ptr_array_sort(sorted, compare_minor);
                for (guint n = 0; n < sorted->len; n++) {
                        const ThrottleJob *tj = sorted->pdata[n];

                        g_string_append_printf(s, "add rule inet %s egress oifname { %s } socket cgroupv2 level %u \"%s%s\" "
                                               "meta priority set %x:%x comment \"v2vd job %s\"\n",
                                               t->name, set->str, tj->level, prefix, tj->cgroup + 1,
                                               t->major, tj->minor, tj->id);
                }
        }
        argv[1] = s->str;
        return run_tool(t, argv, NULL);
}

/* The root qdisc of iface: kind and handle ("htb", "1234:"). */
static int root_qdisc(Egress *t, const char *iface, char **ret_kind, char **ret_handle) {
        g_autofree char *out = NULL;
        g_autoptr(JsonParser) p = json_parser_new();
        char *argv[] = { t->tc, (char *) "-j", (char *) "qdisc", (char *) "show", (char *) "dev",
                         (char *) iface, (char *) "root", NULL };
        JsonNode *root;
        int r;

        r = run_tool(t, argv, &out);
        if (r < 0)
                return r;
        *ret_kind = g_strdup("");
        *ret_handle = g_strdup("");
        if (!json_parser_load_from_data(p, out, -1, NULL))
                return 0;
        root = json_parser_get_root(p);
        if (!JSON_NODE_HOLDS_ARRAY(root))
                return 0;
        for (guint i = 0; i < json_array_get_length(json_node_get_array(root)); i++) {
                JsonObject *o = json_array_get_object_element(json_node_get_array(root), i);
                if (!o || !json_object_get_boolean_member_with_default(o, "root", FALSE))
                        continue;
                g_free(*ret_kind);
                g_free(*ret_handle);
                *ret_kind = g_strdup(json_object_get_string_member_with_default(o, "kind", ""));
                *ret_handle = g_strdup(json_object_get_string_member_with_default(o, "handle", ""));
                break;
        }
        return 0;
}

/* Minors of our HTB's classes on iface. */
static int our_classes(Egress *t, const char *iface, GArray **ret) {
        g_autofree char *out = NULL;
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(GArray) minors = g_array_new(FALSE, FALSE, sizeof(unsigned));
        char *argv[] = { t->tc, (char *) "-j", (char *) "class", (char *) "show", (char *) "dev",
                         (char *) iface, NULL };
        JsonNode *root;
        int r;

        r = run_tool(t, argv, &out);
        if (r < 0)
                return r;
        if (json_parser_load_from_data(p, out, -1, NULL) &&
            JSON_NODE_HOLDS_ARRAY((root = json_parser_get_root(p))))
                for (guint i = 0; i < json_array_get_length(json_node_get_array(root)); i++) {
                        JsonObject *o = json_array_get_object_element(json_node_get_array(root), i);
                        unsigned maj, min;
                        const char *h;

                        if (!o)
                                continue;
                        h = json_object_get_string_member_with_default(o, "handle", "");
                        if (sscanf(h, "%x:%x", &maj, &min) == 2 && maj == t->major)
                                g_array_append_val(minors, min);
                }
        else {
                /* tc 6.1 prints HTB classes as text even with -j:
                 * "class htb MAJ:MIN parent … rate …". */
                g_auto(GStrv) lines = g_strsplit(out ?: "", "\n", -1);

                for (char **l = lines; *l; l++) {
                        unsigned maj, min;

                        if (sscanf(*l, "class htb %x:%x", &maj, &min) == 2 && maj == t->major)
                                g_array_append_val(minors, min);
                }
        }
        *ret = g_steal_pointer(&minors);
        return 0;
}

static int sync_iface(Egress *t, const char *iface) {
        g_autofree char *kind = NULL;
        g_autofree char *handle = NULL;
        g_autofree char *ours = g_strdup_printf("%x:", t->major);
        g_autoptr(GArray) present = NULL;
        bool is_ours;
        GHashTableIter it;
        gpointer v;
        int r;

        r = root_qdisc(t, iface, &kind, &handle);
        if (r < 0)
                return r;
        is_ours = g_str_equal(kind, "htb") && g_str_equal(handle, ours);
        /* HTB moves no class to another parent: when the host class comes
         * or goes, the tree is built anew. */
        if (is_ours) {
                g_autoptr(GArray) before = NULL;
                bool host_there = false;

                r = our_classes(t, iface, &before);
                if (r < 0)
                        return r;
                for (guint i = 0; i < before->len; i++)
                        host_there = host_there || g_array_index(before, unsigned, i) == HOST_MINOR;
                if (host_there != host_active(t))
                        is_ours = !is_ours;   /* rebuilt below */
        }
        if (!is_ours && g_str_equal(kind, "htb") && g_str_equal(handle, ours)) {
                char *argv[] = { t->tc, (char *) "qdisc", (char *) "del", (char *) "dev", (char *) iface,
                                 (char *) "root", NULL };
                r = run_tool(t, argv, NULL);
                if (r < 0)
                        return r;
                g_free(kind);
                kind = g_strdup("");
        }

        if (!has_work(t)) {
                char *argv[] = { t->tc, (char *) "qdisc", (char *) "del", (char *) "dev", (char *) iface,
                                 (char *) "root", NULL };
                g_hash_table_remove(t->used_ifaces, iface);
                return is_ours ? run_tool(t, argv, NULL) : 0;
        }
        if (!is_ours) {
                char *argv[] = { t->tc, (char *) "qdisc", (char *) "replace", (char *) "dev", (char *) iface,
                                 (char *) "root", (char *) "handle", ours, (char *) "htb", (char *) "default",
                                 (char *) "0", NULL };
                if (*kind && !g_strv_contains(default_qdiscs, kind))
                        return fail(t, -EBUSY, "%s has a root qdisc \"%s %s\" that v2vd did not set up; left alone",
                                    iface, kind, handle);
                r = run_tool(t, argv, NULL);
                if (r < 0)
                        return r;
        }
        g_hash_table_add(t->used_ifaces, g_strdup(iface));

        if (host_active(t)) {
                g_autofree char *host = g_strdup_printf("%x:%x", t->major, HOST_MINOR);
                g_autofree char *others = g_strdup_printf("%x:%x", t->major, OTHERS_MINOR);
                g_autofree char *rate = g_strdup_printf("%" G_GUINT64_FORMAT "bit", egress_rate_bits(t->host_bytes));
                char *argv_host[] = { t->tc, (char *) "class", (char *) "replace", (char *) "dev", (char *) iface,
                                      (char *) "parent", ours, (char *) "classid", host, (char *) "htb",
                                      (char *) "rate", rate, (char *) "ceil", rate, (char *) "quantum",
                                      (char *) "60000", NULL };
                char *argv_others[] = { t->tc, (char *) "class", (char *) "replace", (char *) "dev", (char *) iface,
                                        (char *) "parent", host, (char *) "classid", others, (char *) "htb",
                                        (char *) "rate", (char *) "8kbit", (char *) "ceil", rate, (char *) "quantum",
                                        (char *) "60000", NULL };
                r = run_tool(t, argv_host, NULL);
                if (r >= 0)
                        r = run_tool(t, argv_others, NULL);
                if (r < 0)
                        return r;
        }
        g_hash_table_iter_init(&it, t->jobs);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                const ThrottleJob *tj = v;
                uint64_t bytes = host_active(t) ? MIN(tj->bytes_per_sec, t->host_bytes) : tj->bytes_per_sec;
                uint64_t bits = egress_rate_bits(bytes);
                g_autofree char *classid = g_strdup_printf("%x:%x", t->major, tj->minor);
                g_autofree char *parent = host_active(t) ? g_strdup_printf("%x:%x", t->major, HOST_MINOR) : g_strdup(ours);
                g_autofree char *rate = g_strdup_printf("%" G_GUINT64_FORMAT "bit", bits);
                /* Under the host class, a job is guaranteed little and
                 * may borrow up to its own limit. */
                char *argv[] = { t->tc, (char *) "class", (char *) "replace", (char *) "dev", (char *) iface,
                                 (char *) "parent", parent, (char *) "classid", classid, (char *) "htb",
                                 (char *) "rate", host_active(t) ? (char *) "8kbit" : rate, (char *) "ceil", rate,
                                 (char *) "quantum", (char *) "60000", NULL };
                r = run_tool(t, argv, NULL);
                if (r < 0)
                        return r;
        }
        r = our_classes(t, iface, &present);
        if (r < 0)
                return r;
        for (guint i = 0; i < present->len; i++) {
                unsigned minor = g_array_index(present, unsigned, i);
                bool wanted = false;
                g_autofree char *classid = g_strdup_printf("%x:%x", t->major, minor);
                char *argv[] = { t->tc, (char *) "class", (char *) "del", (char *) "dev", (char *) iface,
                                 (char *) "classid", classid, NULL };

                if (minor == 0 || (host_active(t) && (minor == HOST_MINOR || minor == OTHERS_MINOR)))
                        continue;
                g_hash_table_iter_init(&it, t->jobs);
                while (!wanted && g_hash_table_iter_next(&it, NULL, &v))
                        wanted = ((ThrottleJob *) v)->minor == minor;
                if (!wanted && (r = run_tool(t, argv, NULL)) < 0)
                        return r;
        }
        return 0;
}

int egress_sync(Egress *t) {
        g_auto(GStrv) ifaces = throttle_interfaces(t);
        g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) problems = g_string_new(NULL);
        GHashTableIter it;
        gpointer k;
        int r, ret = 0;

        if (t->disabled)
                return fail(t, -EOPNOTSUPP, "disabled by [daemon] egress_interfaces=none");
        if (!t->nft || !t->tc)
                return fail(t, -ENOENT, "%s not found", !t->nft ? "nft (nftables)" : "tc (iproute2)");
        if (has_work(t) && !ifaces[0])
                return fail(t, -ENXIO, "no egress interface: no default route and no [daemon] egress_interfaces=");
        /* The classes first, so no packet gets a priority naming a class
         * that is not there yet (it would go unshaped, not be dropped). */
        for (char **i = ifaces; *i; i++)
                g_ptr_array_add(all, g_strdup(*i));
        g_hash_table_iter_init(&it, t->used_ifaces);
        while (g_hash_table_iter_next(&it, &k, NULL))
                if (!g_strv_contains((const char *const *) ifaces, k))
                        g_ptr_array_add(all, g_strdup(k));
        for (guint n = 0; n < all->len; n++)
                if ((r = sync_iface(t, all->pdata[n])) < 0) {
                        g_string_append_printf(problems, "%s%s", problems->len ? "; " : "", t->error);
                        ret = ret ?: r;
                }
        if ((r = sync_nft(t, ifaces)) < 0) {
                g_string_append_printf(problems, "%s%s", problems->len ? "; " : "", t->error);
                ret = ret ?: r;
        }
        if (ret < 0)
                return fail(t, ret, "%s", problems->str);
        return 0;
}

bool egress_is_disabled(const Egress *t) {
        return t->disabled;
}

size_t egress_count(const Egress *t) {
        return g_hash_table_size(t->jobs);
}

bool egress_has_job(const Egress *t, const char *job_id) {
        return g_hash_table_contains(t->jobs, job_id);
}

char *egress_describe(const Egress *t, const char *job_id) {
        const ThrottleJob *tj = job_id ? g_hash_table_lookup(t->jobs, job_id) : NULL;

        if (tj)
                return g_strdup_printf("nft table inet %s, class %x:%x", t->name, t->major, tj->minor);
        return g_strdup_printf("nft table inet %s, HTB handle %x:", t->name, t->major);
}
