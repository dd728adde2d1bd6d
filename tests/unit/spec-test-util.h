/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by test-spec.c and test-argv.c (header-only, so the unit test
 * meson.build stays one source per test).
 *
 * A temporary directory T holds what validation looks at: disk images, an
 * OVA, a domain XML, output directories, a CA file, a virtio-win ISO and
 * two profile directories. Spec texts say "@T@" for it.
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "core/spec.h"
#include "core/v2v-argv.h"

static char *T;                 /* the temporary directory */
static char *T_home;            /* the owner's home: T/home */
static char *T_prof[3];         /* T/prof1, T/prof2, NULL */
static char *T_virtio_absent;

static G_GNUC_UNUSED void t_write(const char *rel, const char *content, int mode) {
        g_autofree char *path = g_build_filename(T, rel, NULL);
        g_autoptr(GError) error = NULL;

        g_assert_true(g_file_set_contents(path, content, -1, &error));
        g_assert_no_error(error);
        g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static void t_setup(void) {
        static const char *const dirs[] = { "home", "prof1", "prof2", "out", "qemu", "kube",
                                           "11111111-2222-3333-4444-555555555555", NULL };
        g_autoptr(GError) error = NULL;

        T = g_dir_make_tmp("v2vd-spec-XXXXXX", &error);
        g_assert_no_error(error);
        for (const char *const *d = dirs; *d; d++) {
                g_autofree char *p = g_build_filename(T, *d, NULL);
                g_assert_cmpint(g_mkdir(p, 0700), ==, 0);
        }
        T_home = g_build_filename(T, "home", NULL);
        T_prof[0] = g_build_filename(T, "prof1", NULL);
        T_prof[1] = g_build_filename(T, "prof2", NULL);
        T_virtio_absent = g_build_filename(T, "no-virtio-win.iso", NULL);
        t_write("disk1.img", "0123456789", 0644);      /* 10 bytes */
        t_write("disk2.qcow2", "01234567890123456789", 0644);
        t_write("guest.ova", "not really an ova", 0644);
        t_write("guest.xml", "<domain/>", 0644);
        t_write("guest.vmx", "displayName = \"guest\"\n", 0644);
        t_write("ca.pem", "-----BEGIN CERTIFICATE-----", 0644);
        t_write("virtio-win.iso", "iso", 0644);
        t_write("unreadable.img", "x", 0000);
}

static void t_rm_rf(const char *path) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *e;

        if (dir)
                while ((e = g_dir_read_name(dir))) {
                        g_autofree char *p = g_build_filename(path, e, NULL);
                        t_rm_rf(p);
                }
        g_remove(path);
}

static void t_teardown(void) {
        t_rm_rf(T);
        g_free(T);
        g_free(T_home);
        g_free(T_prof[0]);
        g_free(T_prof[1]);
        g_free(T_virtio_absent);
}

/* tmpl with every "@T@" replaced by the temporary directory. */
static char *t_expand(const char *tmpl) {
        g_auto(GStrv) parts = g_strsplit(tmpl, "@T@", -1);
        return g_strjoinv(T, parts);
}

static V2vSpecContext t_ctx(void) {
        return (V2vSpecContext) {
                .owner_uid = getuid(),
                .owner_home = T_home,
                .profile_dirs = (const char *const *) T_prof,
                .virtio_win_default = T_virtio_absent,
        };
}

static V2vSpec *t_parse(const char *tmpl, GError **error) {
        g_autofree char *json = t_expand(tmpl);
        V2vSpecContext ctx = t_ctx();
        return v2v_spec_parse(json, &ctx, error);
}

static G_GNUC_UNUSED V2vSpec *t_parse_ok(const char *tmpl) {
        g_autoptr(GError) error = NULL;
        V2vSpec *spec = t_parse(tmpl, &error);

        if (!spec)
                g_test_message("unexpected error: %s\nspec: %s", error->message, tmpl);
        g_assert_no_error(error);
        g_assert_nonnull(spec);
        return spec;
}

static const char *const t_caps[] = {
        "virt-v2v", "virt-v2v-2.0", "libguestfs-rewrite", "vcenter-https", "xen-ssh", "vddk",
        "colours-option", "vdsm-compat-option", "io/oo", "mac-option", "bandwidth-option",
        "mac-ip-option", "input:disk", "input:libvirt", "input:libvirtxml", "input:ova",
        "input:vmx", "output:glance", "output:kubevirt", "output:libvirt", "output:local",
        "output:null", "output:openstack", "output:qemu", "output:rhv", "output:rhv-upload",
        "output:vdsm", "convert:linux", "convert:windows", "ovf:ovirt", "ovf:rhvexp", NULL
};

static G_GNUC_UNUSED V2vCommandPaths t_paths(void) {
        return (V2vCommandPaths) {
                .virt_v2v = "/usr/bin/virt-v2v",
                .virt_v2v_in_place = "/usr/bin/virt-v2v-in-place",
                .machine_log = "/J/v2v-machine.log",
                .secret_dir = "/S",
                .bandwidth_file = "/J/bandwidth",
                .ssh_auth_sock = "/S/agent.sock",
                .capabilities = t_caps,
        };
}

static G_GNUC_UNUSED char *t_join(GPtrArray *a) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < a->len && a->pdata[i]; i++)
                g_string_append_printf(s, "%s[%s]", i ? " " : "", (const char *) a->pdata[i]);
        return g_strdup(s->str);
}

/* a: a NULL-terminated GPtrArray of char*; want: NULL-terminated, with
 * "@T@" expanded. */
static G_GNUC_UNUSED void t_assert_strv(GPtrArray *a, const char *const *want) {
        g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *got_s = NULL, *want_s = NULL;

        for (; *want; want++)
                g_ptr_array_add(w, t_expand(*want));
        got_s = t_join(a);
        want_s = t_join(w);
        g_assert_cmpuint(a->len, >, 0);
        g_assert_null(a->pdata[a->len - 1]);
        g_assert_cmpstr(got_s, ==, want_s);
        g_assert_cmpuint(a->len - 1, ==, w->len);
}
