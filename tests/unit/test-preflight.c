/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sources/preflight.c's pure parts: virt-v2v-inspector's XML (a real
 * run's, tests/data/inspector/) and the inspector's command line made from
 * virt-v2v's. The checks themselves need files, libvirt and ssh: the
 * integration test test_v2vctl_check.py drives each finding. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "sources/preflight.h"

static void test_inspection(void) {
        g_autofree char *path = g_build_filename(g_getenv("V2VD_TEST_DATA"), "inspector", "debian12.xml", NULL);
        g_autofree char *xml = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) n = NULL;
        gsize len = 0;
        JsonObject *os, *disk;

        g_assert_true(g_file_get_contents(path, &xml, &len, NULL));
        n = preflight_parse_inspection(xml, len, &error);
        g_assert_no_error(error);
        os = json_object_get_object_member(json_node_get_object(n), "os");
        g_assert_cmpstr(json_object_get_string_member(os, "name"), ==, "linux");
        g_assert_cmpstr(json_object_get_string_member(os, "distro"), ==, "debian");
        g_assert_cmpstr(json_object_get_string_member(os, "osinfo"), ==, "debian12");
        g_assert_cmpstr(json_object_get_string_member(os, "product_name"), ==, "12.15");
        disk = json_array_get_object_element(json_object_get_array_member(json_node_get_object(n), "disks"), 0);
        g_assert_cmpint(json_object_get_int_member(disk, "virtual_size"), ==, 1313809920);
        g_assert_cmpint(json_object_get_int_member(disk, "allocated"), ==, 708007424);
}

static void test_inspection_bad(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) n = preflight_parse_inspection("<other/>", 8, &error);

        g_assert_null(n);
        g_assert_nonnull(error);
        g_clear_error(&error);
        g_assert_null(preflight_parse_inspection("not xml", 7, &error));
        g_assert_nonnull(error);
}

static void test_inspector_argv(void) {
        char *v2v[] = { (char *) "/usr/bin/virt-v2v", (char *) "--root", (char *) "first",
                        (char *) "--machine-readable=file:/s/m.log", (char *) "-i", (char *) "libvirt",
                        (char *) "-ic", (char *) "esx://h", (char *) "-ip", (char *) "/r/libvirt_password",
                        (char *) "--bandwidth-file", (char *) "/s/bw", (char *) "-o", (char *) "local",
                        (char *) "-os", (char *) "/out", (char *) "-of", (char *) "qcow2", (char *) "-on", (char *) "x",
                        (char *) "--bridge", (char *) "a:b", (char *) "--mac", (char *) "52:54:00:00:00:01:network:n",
                        (char *) "guest", NULL };
        g_autoptr(GPtrArray) a = preflight_inspector_argv("/usr/bin/virt-v2v-inspector", v2v, "/t/out.xml");
        g_autofree char *joined = g_strjoinv(" ", (char **) a->pdata);

        g_assert_cmpstr(joined, ==, "/usr/bin/virt-v2v-inspector --root first -i libvirt -ic esx://h "
                                    "-ip /r/libvirt_password guest -O /t/out.xml");
}

static void test_uefi_firmware(void) {
        g_autofree char *dir = g_dir_make_tmp("test-preflight-XXXXXX", NULL);
        g_autofree char *code = g_build_filename(dir, "OVMF_CODE.fd", NULL);
        g_autofree char *missing = g_build_filename(dir, "nosuch.fd", NULL);
        const char *none[] = { missing, NULL };
        const char *some[] = { missing, code, NULL };

        g_assert_null(preflight_find_uefi_firmware(none));
        g_assert_true(g_file_set_contents(code, "x", 1, NULL));
        g_assert_cmpstr(preflight_find_uefi_firmware(some), ==, code);
        g_assert_cmpint(unlink(code), ==, 0);
        g_assert_cmpint(rmdir(dir), ==, 0);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/preflight/inspection", test_inspection);
        g_test_add_func("/preflight/inspection-bad", test_inspection_bad);
        g_test_add_func("/preflight/inspector-argv", test_inspector_argv);
        g_test_add_func("/preflight/uefi-firmware", test_uefi_firmware);
        return g_test_run();
}
