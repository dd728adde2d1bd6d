/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * input-checks: the mistakes told before a job is queued, each naming the
 * file and the problem; and the right layouts pass.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "core/input-checks.h"

static char *T;

static void put(const char *rel, const char *text) {
        g_autofree char *p = g_build_filename(T, rel, NULL);
        g_autofree char *d = g_path_get_dirname(p);
        g_assert_cmpint(g_mkdir_with_parents(d, 0755), ==, 0);
        g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

static char *path(const char *rel) {
        return g_build_filename(T, rel, NULL);
}

static const char *VMX =
        ".encoding = \"UTF-8\"\n"
        "displayName = \"guest\"\n"
        "scsi0:0.present = \"TRUE\"\n"
        "scsi0:0.deviceType = \"scsi-hardDisk\"\n"
        "scsi0:0.fileName = \"guest.vmdk\"\n"
        "ide1:0.present = \"TRUE\"\n"
        "ide1:0.deviceType = \"cdrom-image\"\n"
        "ide1:0.fileName = \"/vmfs/volumes/iso/missing.iso\"\n"
        "sata0:1.present = \"FALSE\"\n"
        "sata0:1.fileName = \"gone.vmdk\"\n";

static const char *DESCRIPTOR =
        "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\n"
        "# Extent description\nRW 2097152 FLAT \"guest-flat.vmdk\" 0\n";

static void test_vmx(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *vmx = path("ds/guest/guest.vmx");
        g_autofree char *flat = path("ds/guest/guest-flat.vmdk");

        put("ds/guest/guest.vmx", VMX);
        /* the VMDK it names is missing */
        g_assert_false(input_check_vmx_disks(vmx, &error));
        g_assert_error(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, "names the disk guest.vmdk (scsi0:0.fileName), but"));
        g_assert_nonnull(strstr(error->message, "guest.vmdk: No such file or directory"));
        g_clear_error(&error);

        /* the descriptor is there, its -flat.vmdk is not */
        put("ds/guest/guest.vmdk", DESCRIPTOR);
        g_assert_false(input_check_vmx_disks(vmx, &error));
        g_assert_nonnull(strstr(error->message, "guest-flat.vmdk: No such file or directory"));
        g_clear_error(&error);

        /* complete: the CD-ROM and the absent disk are not looked at */
        put("ds/guest/guest-flat.vmdk", "data");
        g_assert_true(input_check_vmx_disks(vmx, &error));
        g_assert_no_error(error);

        /* a .vmx naming no disk */
        put("ds/empty.vmx", "displayName = \"x\"\n");
        g_autofree char *empty = path("ds/empty.vmx");
        g_assert_false(input_check_vmx_disks(empty, &error));
        g_assert_nonnull(strstr(error->message, "names no disk"));
        g_clear_error(&error);
        g_assert_cmpint(g_unlink(flat), ==, 0);
}

static void test_export_domain(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *mnt = path("export");
        g_autofree char *ed = path("export/2bd9b5b8-4b3e-4d8e-9c1a-6f0e5b4a3c21");
        g_autofree char *images = g_build_filename(ed, "images", NULL);
        g_autofree char *vms = g_build_filename(ed, "master", "vms", NULL);
        g_autofree char *master = g_build_filename(ed, "master", NULL);

        g_assert_cmpint(g_mkdir_with_parents(mnt, 0755), ==, 0);
        g_assert_false(input_check_export_domain_layout(mnt, &error));
        g_assert_nonnull(strstr(error->message, "is not an export storage domain: it holds no domain directory"));
        g_clear_error(&error);
        g_assert_cmpint(g_mkdir_with_parents(images, 0755), ==, 0);
        g_assert_false(input_check_export_domain_layout(mnt, &error));
        g_assert_nonnull(strstr(error->message, "2bd9b5b8-4b3e-4d8e-9c1a-6f0e5b4a3c21 has no master/vms/"));
        g_clear_error(&error);
        g_assert_cmpint(g_mkdir_with_parents(vms, 0755), ==, 0);
        g_assert_true(input_check_export_domain_layout(mnt, &error));
        g_assert_no_error(error);

        /* owned by us (not 36), mode 0755: vdsm:kvm cannot write */
        if (getuid() != 36) {
                g_assert_false(input_check_export_domain_writable(mnt, 36, 36, NULL, &error));
                g_assert_nonnull(strstr(error->message, "36:36 (vdsm:kvm, as which virt-v2v writes the export domain) "
                                                        "cannot write into"));
                g_assert_nonnull(strstr(error->message, "/images (owner"));
                g_clear_error(&error);
        }
        /* world-writable (as a test stand-in for chown 36:36): fine */
        g_assert_cmpint(g_chmod(images, 0777), ==, 0);
        g_assert_cmpint(g_chmod(vms, 0777), ==, 0);
        g_assert_true(input_check_export_domain_writable(mnt, 36, 36, NULL, &error));
        g_assert_no_error(error);
        /* a directory on the way that 36 cannot enter */
        g_assert_cmpint(g_chmod(master, 0700), ==, 0);
        if (getuid() != 36) {
                g_assert_false(input_check_export_domain_writable(mnt, 36, 36, NULL, &error));
                g_assert_nonnull(strstr(error->message, "cannot enter"));
                g_assert_nonnull(strstr(error->message, "/master (owner"));
                g_clear_error(&error);
        }
        g_assert_cmpint(g_chmod(master, 0755), ==, 0);
        /* two domains under one mount point: which one? */
        g_autofree char *other = path("export/0f0e5b4a-3c21-4b3e-4d8e-9c1a2bd9b5b8");
        g_assert_cmpint(g_mkdir(other, 0755), ==, 0);
        g_assert_false(input_check_export_domain_layout(mnt, &error));
        g_assert_nonnull(strstr(error->message, "holds more than one directory"));
        g_clear_error(&error);
}

static void rm_rf(const char *p) {
        g_autoptr(GDir) d = g_dir_open(p, 0, NULL);
        const char *e;

        if (d)
                while ((e = g_dir_read_name(d))) {
                        g_autofree char *c = g_build_filename(p, e, NULL);
                        rm_rf(c);
                }
        g_remove(p);
}

int main(int argc, char **argv) {
        int r;

        g_test_init(&argc, &argv, NULL);
        T = g_dir_make_tmp("v2vd-input-checks-XXXXXX", NULL);
        g_assert_nonnull(T);
        g_assert_cmpint(g_chmod(T, 0755), ==, 0);
        g_test_add_func("/input-checks/vmx", test_vmx);
        g_test_add_func("/input-checks/export-domain", test_export_domain);
        r = g_test_run();
        rm_rf(T);
        g_free(T);
        return r;
}
