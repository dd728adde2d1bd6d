/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/failure.h"
#include "core/input-checks.h"
#include "core/progress.h"
#include "core/spec.h"
#include "core/v2v-argv.h"
#include "sources/preflight.h"
#include "sources/sources.h"
#include "sources/xml-util.h"

#define DEFAULT_VDDK_LIBDIR "/opt/vmware-vix-disklib-distrib"
#define DEFAULT_VIRTIO_WIN "/usr/share/virtio-win/virtio-win.iso"
#define SSH_TIMEOUT_SEC 15
#define MIB (1024.0 * 1024.0)

JsonNode *preflight_finding(const char *severity, const char *code, const char *key, const char *message) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "severity");
        json_builder_add_string_value(b, severity);
        json_builder_set_member_name(b, "code");
        json_builder_add_string_value(b, code);
        json_builder_set_member_name(b, "key");
        json_builder_add_string_value(b, key ?: "");
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, message);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

typedef struct Check {
        JsonArray *findings;
        uint64_t deadline_usec;     /* CLOCK_MONOTONIC: stop what holds secret files before it, 0 = none */
        const PreflightRequest *req;
        V2vSpec *spec;
        JsonObject *root;
        uint64_t estimate;          /* bytes the output will take, 0 = unknown */
        const char *estimate_from;  /* what the estimate is */
        gboolean uefi;              /* the source VM boots with UEFI (libvirt, OVA) */
        gboolean windows;
        gboolean inspected;
} Check;

G_GNUC_PRINTF(5, 6)
static void add(Check *c, const char *severity, const char *code, const char *key, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        json_array_add_element(c->findings, preflight_finding(severity, code, key, msg));
}

static const char *str(Check *c, const char *key) {
        JsonNode *n = json_object_get_member(c->root, key);

        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
                                                                                             : NULL;
}

/* Seconds a program started now may run: until a little before the
 * daemon kills the helper (at least 1), at most max (0: no max). */
static unsigned budget(const Check *c, unsigned max) {
        int64_t left;

        if (!c->deadline_usec)
                return max;
        left = ((int64_t) c->deadline_usec - g_get_monotonic_time()) / G_USEC_PER_SEC - 3;
        left = MAX(left, 1);
        return max ? MIN((unsigned) left, max) : (unsigned) left;
}

/* ------------------------------------------------------------- input */

static void check_readable(Check *c, const char *key, const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0) {
                add(c, "error", "input-unreadable", key, "%s: cannot open it: %s; give a path you may read",
                    path, g_strerror(errno));
                return;
        }
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
                c->estimate += (uint64_t) st.st_blocks * 512;
                c->estimate_from = "the source files' allocated size";
        }
        close(fd);
}

static void note_firmware(Check *c, JsonObject *vm) {
        c->uefi |= g_str_equal(json_object_get_string_member_with_default(vm, "firmware", ""), "uefi");
}

static void add_disks_allocation(Check *c, JsonObject *vm) {
        JsonArray *disks = json_object_has_member(vm, "disks") ? json_object_get_array_member(vm, "disks") : NULL;

        for (guint i = 0; disks && i < json_array_get_length(disks); i++) {
                JsonObject *d = json_array_get_object_element(disks, i);
                gint64 a = json_object_get_int_member_with_default(d, "allocation_bytes",
                                                                   json_object_get_int_member_with_default(d, "capacity_bytes", 0));
                if (a > 0) {
                        c->estimate += (uint64_t) a;
                        c->estimate_from = "the source disks' allocation";
                }
        }
}

/* A local libvirtd's socket closed to the caller is no credential problem:
 * only the host's administrator opens it. */
static void socket_refused(Check *c, const char *msg) {
        add(c, "error", "source-access", "libvirt_uri",
            "%s: you may not use this libvirtd's read-write socket, which virt-v2v opens; the host's "
            "administrator lets you in by adding you to the socket's group (unix_sock_group in libvirtd.conf, "
            "often libvirt), and the job then runs with that group", msg);
}

/* A URI of a libvirtd on this host (qemu:///system): no host, no transport. */
static bool local_uri(const char *uri) {
        g_autoptr(GUri) u = uri ? g_uri_parse(uri, G_URI_FLAGS_NONE, NULL) : NULL;

        return u && !strchr(g_uri_get_scheme(u), '+') && (!g_uri_get_host(u) || !*g_uri_get_host(u));
}

static void check_libvirt_source(Check *c) {
        g_autoptr(SourceSpec) s = g_new0(SourceSpec, 1);
        g_autoptr(GError) error = NULL, rw_error = NULL;
        g_autoptr(JsonNode) vm = NULL;
        g_autofree char *running = NULL;
        JsonArray *warnings;

        s->uri = g_strdup(str(c, "libvirt_uri"));
        s->password = g_strdup(str(c, "libvirt_password"));
        vm = sources_inspect(s, c->spec->vm_name, &error);
        if (!vm) {
                const char *msg = error->message;

                if (strstr(msg, "Domain not found") || strstr(msg, "no domain with"))
                        add(c, "error", "source-vm-missing", "vm_name",
                            "%s: give the name of a VM of this source (v2vctl sources --uri %s)", msg, s->uri);
                else if (strstr(msg, "Failed to connect socket") && strstr(msg, "Permission denied"))
                        socket_refused(c, msg);
                else if (strstr(msg, "auth") || strstr(msg, "Permission denied") || strstr(msg, "password"))
                        add(c, "error", "source-auth", "libvirt_password",
                            "%s: check the user in libvirt_uri and libvirt_password", msg);
                else
                        add(c, "error", "source-connect", "libvirt_uri",
                            "%s: check the URI and that the host answers", msg);
                return;
        }
        running = sources_running_vm_message(
                c->spec->vm_name, json_object_get_string_member_with_default(json_node_get_object(vm), "state", ""));
        if (running)
                add(c, "error", "source-running", "vm_name", "%s", running);
        /* Listing took the read-only socket, which a local libvirtd opens to
         * anyone; virt-v2v needs the read-write one. */
        if (local_uri(s->uri) && !sources_check_read_write(s, &rw_error)) {
                if (strstr(rw_error->message, "Permission denied"))
                        socket_refused(c, rw_error->message);
                else
                        add(c, "error", "source-access", "libvirt_uri",
                            "%s: virt-v2v opens the source read-write, which this libvirtd refuses you",
                            rw_error->message);
        }
        warnings = json_object_get_array_member(json_node_get_object(vm), "warnings");
        for (guint i = 0; warnings && i < json_array_get_length(warnings); i++) {
                const char *w = json_array_get_string_element(warnings, i);
                if (!strstr(w, "is not shut off"))
                        add(c, "warning", "source-warning", "libvirt_uri", "%s", w);
        }
        add_disks_allocation(c, json_node_get_object(vm));
        note_firmware(c, json_node_get_object(vm));
}

static void check_ova(Check *c) {
        g_autoptr(SourceSpec) s = g_new0(SourceSpec, 1);
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) vm = NULL;
        const char *ova = str(c, "ova");

        if (!ova)
                return;
        if (access(ova, R_OK) < 0) {
                add(c, "error", "input-unreadable", "ova", "%s: %s; give an OVA you may read", ova, g_strerror(errno));
                return;
        }
        s->ova = g_strdup(ova);
        vm = sources_list(s, &error);
        if (!vm) {
                add(c, "error", "ova-invalid", "ova", "%s: %s: fix or export the OVA again", ova, error->message);
                return;
        }
        for (guint i = 0; JSON_NODE_HOLDS_ARRAY(vm) && i < json_array_get_length(json_node_get_array(vm)); i++) {
                add_disks_allocation(c, json_array_get_object_element(json_node_get_array(vm), i));
                note_firmware(c, json_array_get_object_element(json_node_get_array(vm), i));
        }
}

/* user@host[:port] of an ssh:// URI, NULL when it is not one. */
static char *ssh_target(const char *uri, char **ret_port) {
        g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);

        if (!u || g_strcmp0(g_uri_get_scheme(u), "ssh") != 0 || !g_uri_get_host(u))
                return NULL;
        *ret_port = g_uri_get_port(u) > 0 ? g_strdup_printf("%d", g_uri_get_port(u)) : NULL;
        return g_strdup_printf("%s@%s", g_uri_get_user(u) ?: "root", g_uri_get_host(u));
}

static void check_ssh(Check *c, const char *tmpdir) {
        const char *uri = str(c, "vmware_uri"), *key = str(c, "ssh_key");
        g_autofree char *port = NULL, *keyfile = NULL, *err = NULL, *target = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        int status = -1;

        g_autofree char *limit = g_strdup_printf("%u", budget(c, 0) ?: 60);

        target = uri ? ssh_target(uri, &port) : NULL;
        if (!target) {
                add(c, "error", "ssh-uri", "vmware_uri", "%s is not an ssh:// URI: write ssh://root@HOST/vmfs/volumes/DS/VM/VM.vmx",
                    uri ?: "(none)");
                return;
        }
        /* ConnectTimeout does not cover a host that answers and then says
         * nothing; timeout(1) does. */
        g_ptr_array_add(argv, (char *) "timeout");
        g_ptr_array_add(argv, (char *) "--kill-after=1");
        g_ptr_array_add(argv, limit);
        g_ptr_array_add(argv, (char *) "ssh");
        g_ptr_array_add(argv, (char *) "-o");
        g_ptr_array_add(argv, (char *) "BatchMode=yes");
        g_ptr_array_add(argv, (char *) "-o");
        g_ptr_array_add(argv, (char *) "ConnectTimeout=" G_STRINGIFY(SSH_TIMEOUT_SEC));
        if (key) {
                keyfile = g_build_filename(tmpdir, "ssh_key", NULL);
                if (!g_file_set_contents_full(keyfile, key, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error)) {
                        add(c, "warning", "ssh-not-checked", "ssh_key", "cannot write the key to check it: %s", error->message);
                        return;
                }
                g_ptr_array_add(argv, (char *) "-o");
                g_ptr_array_add(argv, (char *) "IdentitiesOnly=yes");
                g_ptr_array_add(argv, (char *) "-i");
                g_ptr_array_add(argv, keyfile);
        }
        if (port) {
                g_ptr_array_add(argv, (char *) "-p");
                g_ptr_array_add(argv, port);
        }
        g_ptr_array_add(argv, target);
        g_ptr_array_add(argv, (char *) "true");
        g_ptr_array_add(argv, NULL);
        if (!g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                          G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, NULL, &err, &status, &error))
                add(c, "warning", "ssh-not-checked", "vmware_uri", "cannot run ssh: %s", error->message);
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 124)
                add(c, "error", "ssh-login", "vmware_uri", "ssh %s did not log in within %s s: the host does not "
                    "answer as an SSH server", target, limit);
        else if (!g_spawn_check_wait_status(status, NULL)) {
                g_autofree char *why = v2v_failure_first_line(err && *err ? err : "ssh failed");
                struct passwd *pw = getpwuid(getuid());
                /* ssh reads the known_hosts of the passwd entry's home, not
                 * $HOME; the job's ssh runs as this same user. */
                g_autofree char *known = pw && pw->pw_dir ? g_build_filename(pw->pw_dir, ".ssh", "known_hosts", NULL)
                                                          : g_strdup("known_hosts");
                add(c, "error", "ssh-login", key ? "ssh_key" : "vmware_uri",
                    "ssh %s did not log in without a prompt (%s): virt-v2v needs key login; put the key in ssh_key "
                    "and its public half in the host's authorized_keys, and the host in %s", target, why, known);
        }
        if (keyfile)
                (void) unlink(keyfile);
}

static void check_vddk(Check *c) {
        const char *libdir = str(c, "vddk_libdir") ?: DEFAULT_VDDK_LIBDIR;
        g_autofree char *lib = g_build_filename(libdir, "lib64", NULL);
        g_autoptr(GDir) d = NULL;
        gboolean found = FALSE;
        int status = -1;

        if (!g_file_test(libdir, G_FILE_TEST_IS_DIR))
                add(c, "error", "vddk-libdir", "vddk_libdir",
                    "%s is not a directory: install VMware's VDDK there or set vddk_libdir", libdir);
        else {
                d = g_dir_open(lib, 0, NULL);
                for (const char *n; d && (n = g_dir_read_name(d));)
                        found |= g_str_has_prefix(n, "libvixDiskLib.so.");
                if (!found)
                        add(c, "error", "vddk-libdir", "vddk_libdir",
                            "%s has no libvixDiskLib.so.*: the VDDK there is incomplete", lib);
        }
        if (!g_spawn_sync(NULL, (char *[]) { (char *) "nbdkit", (char *) "vddk", (char *) "--dump-plugin", NULL }, NULL,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                          NULL, NULL, &status, NULL) ||
            !g_spawn_check_wait_status(status, NULL))
                add(c, "error", "vddk-plugin", "transport_method",
                    "nbdkit's VDDK plugin is not installed or does not load: install it (it is not in Debian; "
                    "build nbdkit with VDDK support) or use another transport");
        add(c, "info", "remote-not-checked", "vmware_uri",
            "not checked without contacting VMware: the vCenter/ESXi login, the VM's state and snapshots, whether "
            "vmware_fingerprint matches the server's certificate");
}

static void check_input(Check *c, const char *tmpdir) {
        switch (c->spec->input) {
        case V2V_INPUT_DISK: {
                JsonArray *a = json_object_get_array_member(c->root, "disk");
                for (guint i = 0; a && i < json_array_get_length(a); i++)
                        check_readable(c, "disk", json_array_get_string_element(a, i));
                break;
        }
        case V2V_INPUT_LIBVIRTXML:
                if (str(c, "libvirtxml"))
                        check_readable(c, "libvirtxml", str(c, "libvirtxml"));
                break;
        case V2V_INPUT_OVA:
                check_ova(c);
                break;
        case V2V_INPUT_LIBVIRT:
                check_libvirt_source(c);
                break;
        case V2V_INPUT_SSH:
                check_ssh(c, tmpdir);
                break;
        case V2V_INPUT_VDDK:
                check_vddk(c);
                break;
        case V2V_INPUT_VMX: {
                g_autoptr(GError) e = NULL;
                if (str(c, "vmx") && !input_check_vmx_disks(str(c, "vmx"), &e))
                        add(c, "error", "vmx-disk", "vmx", "%s", e->message);
                break;
        }
        }
}

/* ------------------------------------------------------------- guest */

static guint64 child_u64(xmlNode *n, const char *name) {
        xmlNode *x = xml_child(n, name);
        g_autofree char *t = x ? (char *) xmlNodeGetContent(x) : NULL;
        guint64 v = 0;

        if (t)
                (void) g_ascii_string_to_unsigned(g_strstrip(t), 10, 0, G_MAXUINT64, &v, NULL);
        return v;
}

JsonNode *preflight_parse_inspection(const char *xml, gsize len, GError **error) {
        g_autoptr(xmlDoc) doc = xml_parse("virt-v2v-inspector's output", xml, len, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, error);
        g_autoptr(JsonBuilder) b = json_builder_new();
        xmlNode *root, *os, *disks;
        static const char *const os_keys[] = { "name", "distro", "osinfo", "arch", "major_version", "minor_version",
                                                "product_name", NULL };

        if (!doc)
                return NULL;
        root = xmlDocGetRootElement(doc);
        if (!root || !g_str_equal((const char *) root->name, "v2v-inspection")) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "virt-v2v-inspector's output: no <v2v-inspection>");
                return NULL;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "os");
        json_builder_begin_object(b);
        os = xml_child(root, "operatingsystem");
        for (const char *const *k = os_keys; os && *k; k++) {
                xmlNode *x = xml_child(os, *k);
                g_autofree char *t = x ? (char *) xmlNodeGetContent(x) : NULL;
                if (t) {
                        json_builder_set_member_name(b, *k);
                        json_builder_add_string_value(b, g_strstrip(t));
                }
        }
        json_builder_end_object(b);
        json_builder_set_member_name(b, "disks");
        json_builder_begin_array(b);
        disks = xml_child(root, "disks");
        for (xmlNode *d = disks ? xml_child(disks, "disk") : NULL; d; d = xml_next(d, "disk")) {
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "virtual_size");
                json_builder_add_int_value(b, (gint64) MIN(child_u64(d, "virtual-size"), (guint64) G_MAXINT64));
                json_builder_set_member_name(b, "allocated");
                json_builder_add_int_value(b, (gint64) MIN(child_u64(d, "allocated"), (guint64) G_MAXINT64));
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

GPtrArray *preflight_inspector_argv(const char *inspector, char **v2v_argv, const char *xml_out) {
        static const char *const drop_pair[] = { "-o", "-os", "-oc", "-op", "-oo", "-of", "-oa", "-on", "--bandwidth-file",
                                                 "--mac", "--network", "--bridge", "-n", "-b", NULL };
        GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

        g_ptr_array_add(a, g_strdup(inspector));
        for (char **p = v2v_argv + 1; *p; p++) {
                if (g_str_has_prefix(*p, "--machine-readable"))
                        continue;
                if (g_strv_contains(drop_pair, *p)) {
                        if (p[1])
                                p++;
                        continue;
                }
                g_ptr_array_add(a, g_strdup(*p));
        }
        g_ptr_array_add(a, g_strdup("-O"));
        g_ptr_array_add(a, g_strdup(xml_out));
        g_ptr_array_add(a, NULL);
        return a;
}

static int write_secret(const char *dir, const V2vSecret *s) {
        g_autofree char *path = g_build_filename(dir, s->file_name, NULL);
        return g_file_set_contents_full(path, s->value, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL) ? 0 : -EIO;
}

static void inspect_guest(Check *c, const char *tmpdir) {
        g_autofree char *dir = g_path_get_dirname(c->req->virt_v2v ?: "virt-v2v");
        g_autofree char *inspector = g_str_equal(dir, ".") ? g_strdup("virt-v2v-inspector")
                                                           : g_build_filename(dir, "virt-v2v-inspector", NULL);
        g_autofree char *xml_out = g_build_filename(tmpdir, "inspection.xml", NULL);
        g_autofree char *machine = g_build_filename(tmpdir, "machine.log", NULL);
        g_autofree char *timeout = g_strdup_printf("%u", budget(c, c->req->inspect_timeout_sec ?: 600));
        g_autofree char *out = NULL, *err = NULL, *xml = NULL, *found = NULL;
        g_autoptr(V2vCommand) cmd = NULL;
        g_autoptr(GPtrArray) argv = NULL, full = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) result = NULL;
        g_auto(GStrv) env = g_get_environ();
        V2vCommandPaths paths = { .virt_v2v = c->req->virt_v2v ?: "virt-v2v", .machine_log = machine, .secret_dir = tmpdir };
        gsize len = 0;
        int status = -1;
        JsonObject *os;
        JsonArray *disks;
        uint64_t allocated = 0, virtual_size = 0;

        if (c->spec->input == V2V_INPUT_SSH || c->spec->input == V2V_INPUT_VDDK) {
                add(c, "info", "not-inspected", "", "the guest of a %s input is not inspected here (it reads the remote "
                    "disks); the conversion inspects it", c->spec->input == V2V_INPUT_SSH ? "vmx over SSH" : "VDDK");
                return;
        }
        found = g_path_is_absolute(inspector) ? (access(inspector, X_OK) == 0 ? g_strdup(inspector) : NULL)
                                              : g_find_program_in_path(inspector);
        if (!found) {
                add(c, "warning", "not-inspected", "", "%s is not installed: the guest was not inspected "
                    "(it comes with virt-v2v 2.2)", inspector);
                return;
        }
        cmd = v2v_command_build(c->spec, &paths, &error);
        if (!cmd) {
                add(c, "warning", "not-inspected", "", "cannot build the inspector's command: %s", error->message);
                return;
        }
        for (guint i = 0; i < c->spec->secrets->len; i++)
                (void) write_secret(tmpdir, c->spec->secrets->pdata[i]);
        argv = preflight_inspector_argv(inspector, (char **) cmd->argv->pdata, xml_out);
        /* timeout(1) kills it (and its appliance: --kill-after) at its own
         * timeout, within the helper's. */
        g_ptr_array_add(full, (char *) "timeout");
        g_ptr_array_add(full, (char *) "--kill-after=10");
        g_ptr_array_add(full, timeout);
        for (guint i = 0; i < argv->len; i++)
                g_ptr_array_add(full, argv->pdata[i]);
        for (char **e = c->req->environment; e && *e; e++) {
                g_auto(GStrv) kv = g_strsplit(*e, "=", 2);
                if (kv[0] && kv[1])
                        env = g_environ_setenv(env, kv[0], kv[1], TRUE);
        }
        if (!g_spawn_sync(NULL, (char **) full->pdata, env, G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
                          NULL, &out, &err, &status, &error)) {
                add(c, "warning", "not-inspected", "", "cannot run virt-v2v-inspector: %s", error->message);
                return;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 124) {
                add(c, "warning", "inspect-timeout", "", "virt-v2v-inspector did not finish within %s s: the guest "
                    "was not inspected (give a longer inspect timeout)", timeout);
                return;
        }
        if (!g_spawn_check_wait_status(status, NULL)) {
                g_autoptr(V2vProgress) p = v2v_progress_new();
                g_autofree char *mlog = NULL;
                gsize mlen = 0;
                g_autoptr(V2vFailure) f = NULL;
                V2vFailureInput in = { .state = V2V_JOB_FAILED };

                if (g_file_get_contents(machine, &mlog, &mlen, NULL))
                        v2v_progress_feed_machine(p, mlog, mlen, 0);
                v2v_progress_feed_log(p, out ?: "", strlen(out ?: ""), 0);
                v2v_progress_feed_log(p, err ?: "", strlen(err ?: ""), 0);
                in.first_error = p->first_error;
                in.last_error = p->last_error;
                in.other_lines = p->other_lines->str;
                f = v2v_failure_classify(&in);
                add(c, "error", g_str_equal(f->code, V2V_FAILURE_UNKNOWN) ? "inspect-failed" : f->code, "",
                    "inspecting the guest failed: %s. %s", f->summary, f->remedy);
                return;
        }
        if (!g_file_get_contents(xml_out, &xml, &len, &error) ||
            !(result = preflight_parse_inspection(xml, len, &error))) {
                add(c, "warning", "not-inspected", "", "%s", error->message);
                return;
        }
        c->inspected = TRUE;
        os = json_object_get_object_member(json_node_get_object(result), "os");
        disks = json_object_get_array_member(json_node_get_object(result), "disks");
        for (guint i = 0; i < json_array_get_length(disks); i++) {
                JsonObject *d = json_array_get_object_element(disks, i);
                allocated += (uint64_t) json_object_get_int_member_with_default(d, "allocated", 0);
                virtual_size += (uint64_t) json_object_get_int_member_with_default(d, "virtual_size", 0);
        }
        c->windows = g_str_equal(json_object_get_string_member_with_default(os, "name", ""), "windows");
        if (allocated > 0) {
                c->estimate = allocated;
                c->estimate_from = "virt-v2v-inspector's estimate";
        }
        add(c, "info", "guest", "", "%s (%s %s.%s, %s), %u disk%s, %.0f MiB virtual, about %.0f MiB to copy",
            json_object_get_string_member_with_default(os, "product_name", "unknown"),
            json_object_get_string_member_with_default(os, "distro", "?"),
            json_object_get_string_member_with_default(os, "major_version", "?"),
            json_object_get_string_member_with_default(os, "minor_version", "?"),
            json_object_get_string_member_with_default(os, "arch", "?"), json_array_get_length(disks),
            json_array_get_length(disks) == 1 ? "" : "s", virtual_size / MIB, allocated / MIB);
}

/* ------------------------------------------------------------- output */

static void check_space(Check *c, const char *key, const char *where, uint64_t avail) {
        if (c->estimate == 0) {
                add(c, "info", "dest-space", key, "%s has %.0f MiB free; the space the guest needs is not known here "
                    "(v2vctl check --inspect estimates it)", where, avail / MIB);
                return;
        }
        if (avail < c->estimate)
                add(c, "error", "dest-space", key, "%s has %.0f MiB free, the conversion needs about %.0f MiB (%s): "
                    "free space or choose another destination", where, avail / MIB, c->estimate / MIB, c->estimate_from);
        else if (avail < c->estimate + c->estimate / 10)
                add(c, "warning", "dest-space", key, "%s has %.0f MiB free, just over the %.0f MiB the conversion "
                    "needs (%s)", where, avail / MIB, c->estimate / MIB, c->estimate_from);
}

static void check_dir(Check *c, const char *key) {
        const char *dir = str(c, key);
        struct statvfs sv;

        if (!dir)
                return;
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
                add(c, "error", "dest-missing", key, "%s is not a directory: create it first", dir);
                return;
        }
        if (access(dir, W_OK | X_OK) < 0) {
                add(c, "error", "dest-unwritable", key, "%s: you cannot write there (%s): choose a directory of yours "
                    "or change its permissions", dir, g_strerror(errno));
                return;
        }
        if (statvfs(dir, &sv) == 0)
                check_space(c, key, dir, (uint64_t) sv.f_bavail * sv.f_frsize);
}

static void silent_error(void *userdata, virErrorPtr e) {
}

static void check_libvirt_output(Check *c) {
        const char *uri = str(c, "libvirt_output_uri"), *pool_name = str(c, "libvirt_pool") ?: "default";
        virConnectPtr conn;
        virStoragePoolPtr pool;
        virStoragePoolInfo info;
        JsonArray *maps = json_object_has_member(c->root, "network_mappings")
                                  ? json_object_get_array_member(c->root, "network_mappings") : NULL;

        virSetErrorFunc(NULL, silent_error);
        conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, VIR_CONNECT_RO);
        if (!conn) {
                const virError *e = virGetLastError();
                add(c, "error", "dest-connect", "libvirt_output_uri", "cannot connect to %s: %s", uri,
                    e && e->message ? e->message : "unknown error");
                return;
        }
        pool = virStoragePoolLookupByName(conn, pool_name);
        if (!pool)
                add(c, "error", "pool-missing", "libvirt_pool", "%s has no storage pool %s: create it or name another "
                    "(virsh pool-list --all)", uri, pool_name);
        else {
                if (virStoragePoolGetInfo(pool, &info) == 0) {
                        g_autofree char *where = g_strdup_printf("the pool %s", pool_name);
                        if (info.state != VIR_STORAGE_POOL_RUNNING)
                                add(c, "error", "pool-inactive", "libvirt_pool", "the pool %s is not active: "
                                    "virsh pool-start %s", pool_name, pool_name);
                        else
                                check_space(c, "libvirt_pool", where, info.available);
                }
                virStoragePoolFree(pool);
        }
        for (guint i = 0; maps && i < json_array_get_length(maps); i++) {
                JsonObject *mp = json_array_get_object_element(maps, i);
                const char *dst = mp ? json_object_get_string_member_with_default(mp, "destination", NULL) : NULL;
                const char *type = mp ? json_object_get_string_member_with_default(mp, "type", "bridge") : NULL;
                virNetworkPtr net;

                if (!dst || !g_str_equal(type, "network"))
                        continue;
                net = virNetworkLookupByName(conn, dst);
                if (!net)
                        add(c, "error", "network-unknown", "network_mappings", "%s has no network %s: the converted VM "
                            "would not start; map to one of virsh net-list --all", uri, dst);
                else
                        virNetworkFree(net);
        }
        virConnectClose(conn);
}

static void check_output(Check *c) {
        const char *cafile = str(c, "rhv_cafile");

        switch (c->spec->output) {
        case V2V_OUTPUT_LOCAL:
                check_dir(c, "output_dir");
                break;
        case V2V_OUTPUT_QEMU:
                check_dir(c, "qemu_dir");
                break;
        case V2V_OUTPUT_KUBEVIRT:
                check_dir(c, "kubevirt_dir");
                break;
        case V2V_OUTPUT_LIBVIRT:
                check_libvirt_output(c);
                break;
        case V2V_OUTPUT_RHV_UPLOAD:
                if (cafile && access(cafile, R_OK) < 0)
                        add(c, "error", "rhv-cafile", "rhv_cafile", "%s: %s; give the engine's CA certificate (PEM)",
                            cafile, g_strerror(errno));
                add(c, "info", "remote-not-checked", "rhv_url",
                    "not checked without contacting oVirt: the login, the cluster, the storage domain and its free space");
                break;
        case V2V_OUTPUT_RHV: {
                const char *ed = str(c, "export_domain");
                g_autoptr(GError) e = NULL;
                if (!ed || !g_path_is_absolute(ed)) {
                        add(c, "info", "remote-not-checked", "export_domain",
                            "not checked here: the export domain's NFS mount, its free space and its 36:36 ownership");
                        break;
                }
                if (!input_check_export_domain_layout(ed, &e) ||
                    (geteuid() == 0 && !input_check_export_domain_writable(ed, V2V_VDSM_UID, V2V_VDSM_GID, NULL, &e)))
                        add(c, "error", "export-domain", "export_domain", "%s", e->message);
                break;
        }
        case V2V_OUTPUT_VDSM:
                check_dir(c, "vdsm_storage_domain");
                check_dir(c, "vdsm_ovf_dir");
                break;
        case V2V_OUTPUT_NULL:
                break;
        case V2V_OUTPUT_OPENSTACK:
                add(c, "info", "remote-not-checked", "osp_environment",
                    "not checked without contacting OpenStack: the credentials, the conversion server, the volume quota");
                break;
        case V2V_OUTPUT_NONE:
                break;
        }
}

/* Where virt-v2v 2.2 looks for x86_64 UEFI code (common/utils/uefi.c):
 * the first that exists. */
static const char *const uefi_x86_64_code[] = {
        "/usr/share/OVMF/OVMF_CODE.secboot.fd",
        "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd",
        "/usr/share/edk2/ovmf/OVMF_CODE.fd",
        "/usr/share/edk2-ovmf/x64/OVMF_CODE.secboot.fd",
        "/usr/share/edk2-ovmf/x64/OVMF_CODE.fd",
        "/usr/share/qemu/ovmf-x86_64-code.bin",
        "/usr/share/qemu/edk2-x86_64-code.fd",
        NULL,
};

const char *preflight_find_uefi_firmware(const char *const *candidates) {
        for (const char *const *p = candidates ?: uefi_x86_64_code; *p; p++)
                if (access(*p, R_OK) == 0)
                        return *p;
        return NULL;
}

/* A UEFI guest converted for a local, libvirt or qemu output needs OVMF on
 * this host (virt-v2v's "cannot find firmware for UEFI guests"). */
static void check_firmware(Check *c) {
        const char *found;

        if (!c->uefi || (c->spec->output != V2V_OUTPUT_LOCAL && c->spec->output != V2V_OUTPUT_LIBVIRT &&
                         c->spec->output != V2V_OUTPUT_QEMU))
                return;
        found = preflight_find_uefi_firmware(NULL);
        if (found)
                add(c, "info", "firmware", "", "the VM boots with UEFI; this host has its firmware (%s)", found);
        else
                add(c, "error", "firmware", "", "the VM boots with UEFI and this host has no OVMF: install it "
                    "(Debian: ovmf) or virt-v2v fails with \"cannot find firmware for UEFI guests\"");
}

static void check_virtio_win(Check *c) {
        const char *vw = str(c, "virtio_win") ?: DEFAULT_VIRTIO_WIN;
        JsonNode *inst = json_object_get_member(c->root, "install_drivers");
        gboolean wanted = inst && JSON_NODE_HOLDS_VALUE(inst) && json_node_get_value_type(inst) == G_TYPE_BOOLEAN &&
                          json_node_get_boolean(inst);

        if (str(c, "virtio_win") && access(vw, R_OK) < 0) {
                add(c, "error", "virtio-win-missing", "virtio_win", "%s: %s; give the virtio-win ISO or directory",
                    vw, g_strerror(errno));
                return;
        }
        if (!c->windows && !wanted)
                return;
        if (access(vw, R_OK) < 0)
                add(c, "warning", "virtio-win-missing", "virtio_win",
                    "%s: %s; without virtio-win a Windows guest gets slow emulated disks and network: install virtio-win "
                    "or give its ISO in virtio_win", vw, g_strerror(errno));
}

static gboolean has_error_for(Check *c, const char *key) {
        for (guint i = 0; i < json_array_get_length(c->findings); i++) {
                JsonObject *o = json_array_get_object_element(c->findings, i);
                if (g_str_equal(json_object_get_string_member(o, "severity"), "error") &&
                    g_str_equal(json_object_get_string_member(o, "key"), key))
                        return TRUE;
        }
        return FALSE;
}

/* What else CreateJob would refuse about the paths, as the caller (the
 * parser stops at the first; the checks above found theirs by key). */
static void check_other_paths(Check *c) {
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vSpec) spec = NULL;
        g_autofree char *key = NULL;
        V2vSpecContext ctx = {
                .owner_uid = getuid(),
                .owner_home = g_get_home_dir(),
                .profile_dirs = c->req->profile_dirs,
        };
        size_t n;

        spec = v2v_spec_parse(c->req->spec_json, &ctx, &error);
        if (spec)
                return;
        n = strspn(error->message, "abcdefghijklmnopqrstuvwxyz_0123456789");
        key = g_strndup(error->message, n);
        if (!has_error_for(c, key))
                add(c, "error", "spec-invalid", key, "%s", error->message);
}

JsonNode *preflight_run(const PreflightRequest *req) {
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vSpec) spec = NULL;
        g_autofree char *tmpdir = NULL;
        JsonNode *node = json_node_new(JSON_NODE_ARRAY);
        Check c = {
                .findings = json_array_new(),
                .req = req,
                .deadline_usec = req->timeout_sec ? (uint64_t) g_get_monotonic_time() +
                                                            (uint64_t) req->timeout_sec * G_USEC_PER_SEC : 0,
        };
        V2vSpecContext ctx = {
                .owner_uid = getuid(),
                .owner_home = g_get_home_dir(),
                .profile_dirs = req->profile_dirs,
        };

        json_node_take_array(node, c.findings);
        /* The structure (the daemon checked it already), then the paths
         * one by one below, with the caller's rights. */
        ctx.paths_checked = true;
        spec = v2v_spec_parse(req->spec_json, &ctx, &error);
        if (!spec) {
                add(&c, "error", "spec-invalid", "", "%s", error->message);
                return node;
        }
        c.spec = spec;
        c.root = json_node_get_object(spec->root);
        tmpdir = g_dir_make_tmp("v2vd-check-XXXXXX", &error);
        if (!tmpdir) {
                add(&c, "error", "check-failed", "", "cannot make a temporary directory: %s", error->message);
                return node;
        }
        check_input(&c, tmpdir);
        if (req->inspect)
                inspect_guest(&c, tmpdir);
        else
                add(&c, "info", "not-inspected", "", "the guest was not inspected (its OS, firmware and the space it "
                    "needs): v2vctl check --inspect does (minutes under TCG)");
        check_output(&c);
        check_firmware(&c);
        check_virtio_win(&c);
        check_other_paths(&c);
        for (guint i = 0; i < spec->warnings->len; i++)
                add(&c, "warning", "spec-warning", "", "%s", (const char *) spec->warnings->pdata[i]);
        {
                /* The secrets written for the inspector, the key, its output. */
                g_autoptr(GDir) d = g_dir_open(tmpdir, 0, NULL);
                for (const char *n; d && (n = g_dir_read_name(d));) {
                        g_autofree char *p = g_build_filename(tmpdir, n, NULL);
                        (void) unlink(p);
                }
                (void) rmdir(tmpdir);
        }
        return node;
}
