/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The export domain's 36:36 check decided by the kernel (host/access-as.c)
 * and, without a probe, by the mode bits and the POSIX ACL
 * (core/input-checks.c), on directories whose ACLs setfacl(1) sets. Root
 * only (the probe takes uid 36): exit 77 otherwise. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "core/input-checks.h"
#include "host/access-as.h"

static char *top;

static void setfacl(const char *spec, const char *path) {
        const char *argv[] = { "setfacl", "-m", spec, path, NULL };
        g_autoptr(GError) error = NULL;
        int status = 0;

        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                                   &error));
        g_assert_no_error(error);
        g_assert_cmpint(status, ==, 0);
}

/* A fresh export domain under top/NAME: mount point, SD-UUID, images and
 * master/vms, mode 0755, root's. */
static char *make_domain(const char *name, char **ret_images, char **ret_vms) {
        g_autofree char *mnt = g_build_filename(top, name, NULL);
        g_autofree char *sd = g_build_filename(mnt, "6f0e5b4a-2bd9-4b3e-9c1a-4d8e3c21b5b8", NULL);
        char *images = g_build_filename(sd, "images", NULL);
        char *vms = g_build_filename(sd, "master", "vms", NULL);

        g_assert_cmpint(g_mkdir_with_parents(images, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(vms, 0755), ==, 0);
        *ret_images = images;
        *ret_vms = vms;
        return g_steal_pointer(&mnt);
}

static void check_both(const char *mnt, bool expect, const char *const *needles) {
        InputAccessProbe probes[] = { access_as, NULL };

        for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
                g_autoptr(GError) error = NULL;
                bool ok = input_check_export_domain_writable(mnt, 36, 36, probes[i], &error);

                if (g_test_verbose())
                        g_printerr("%s probe: %s\n", probes[i] ? "kernel" : "in-process",
                                   error ? error->message : "accepted");
                g_assert_cmpint(ok, ==, expect);
                if (expect) {
                        g_assert_no_error(error);
                        continue;
                }
                g_assert_nonnull(error);
                for (const char *const *n = needles; n && *n; n++)
                        if (!strstr(error->message, *n))
                                g_error("\"%s\" not in: %s", *n, error->message);
        }
}

static void test_acl_grants(void) {
        g_autofree char *images = NULL, *vms = NULL;
        g_autofree char *mnt = make_domain("grants", &images, &vms);
        g_autofree char *images_owner = g_strdup_printf("%s (owner 0:0, mode 0755)", images);
        const char *const refused[] = { images_owner, "cannot write into", NULL };

        /* root's, 0755, no ACL: refused, the message names it, no ACL */
        check_both(mnt, false, refused);
        /* writable for 36 only through an ACL: accepted */
        setfacl("u:36:rwx", images);
        setfacl("u:36:rwx", vms);
        check_both(mnt, true, NULL);
}

static void test_acl_denies(void) {
        g_autofree char *images = NULL, *vms = NULL;
        g_autofree char *mnt = make_domain("denies", &images, &vms);
        g_autofree char *named = g_strdup_printf("cannot write into %s (owner 0:0, mode 0777, ACL ", images);
        const char *const refused[] = { named, "user:36:---", NULL };
        g_autofree char *master = g_path_get_dirname(vms);
        g_autofree char *master_named = g_strdup_printf("cannot enter %s (owner 0:0, mode 0755, ACL ", master);
        const char *const refused_master[] = { master_named, "group:36:---", NULL };

        g_assert_cmpint(g_chmod(images, 0777), ==, 0);
        g_assert_cmpint(g_chmod(vms, 0777), ==, 0);
        check_both(mnt, true, NULL);
        /* mode 0777, but an ACL entry u:36:---: refused, naming it */
        setfacl("u:36:---", images);
        check_both(mnt, false, refused);
        /* a directory on the way whose ACL shuts group 36 out */
        setfacl("u:36:rwx", images);
        setfacl("g:36:---", master);
        check_both(mnt, false, refused_master);
}

int main(int argc, char **argv) {
        g_autoptr(GError) error = NULL;
        int r;

        if (geteuid() != 0) {
                g_printerr("not root: uid 36's access needs root to ask\n");
                return 77;
        }
        g_test_init(&argc, &argv, NULL);
        top = g_dir_make_tmp("v2vd-test-access-as-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(g_chmod(top, 0755), ==, 0);
        g_test_add_func("/access-as/acl-grants", test_acl_grants);
        g_test_add_func("/access-as/acl-denies", test_acl_denies);
        r = g_test_run();
        {
                const char *argv_rm[] = { "rm", "-rf", top, NULL };
                (void) g_spawn_sync(NULL, (char **) argv_rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                                    NULL);
        }
        g_free(top);
        return r;
}
