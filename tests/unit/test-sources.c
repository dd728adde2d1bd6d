/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of the sources module: ova.c (tar and zip listing from
 * memory, OVF, manifest, allocation units, path safety) and sources.c (the
 * source object, domain XML → VM object, the virt-v2v hint). */

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sources/ova.h"
#include "sources/sources.h"

/* ---------------------------------------------------- in-memory archive */

typedef struct {
        GByteArray *bytes;
} Mem;

static gssize mem_read(void *userdata, const OvaMember *m, guint64 off, void *buf, gsize len, GError **error) {
        Mem *mem = userdata;

        g_assert_null(m);
        if (off >= mem->bytes->len)
                return 0;
        len = MIN(len, mem->bytes->len - off);
        memcpy(buf, mem->bytes->data + off, len);
        return (gssize) len;
}

static void tar_add(GByteArray *a, const char *name, const char *data, gsize len) {
        unsigned char h[512] = { 0 };
        unsigned sum = 0;
        static const unsigned char zero[512];

        g_assert_cmpuint(strlen(name), <, 100);
        memcpy(h, name, strlen(name));
        memcpy(h + 100, "0000644", 7);
        memcpy(h + 108, "0000000", 7);
        memcpy(h + 116, "0000000", 7);
        g_snprintf((char *) h + 124, 12, "%011lo", (unsigned long) len);
        memcpy(h + 136, "00000000000", 11);
        h[156] = '0';
        memcpy(h + 257, "ustar\0" "00", 8);
        memset(h + 148, ' ', 8);
        for (int i = 0; i < 512; i++)
                sum += h[i];
        g_snprintf((char *) h + 148, 8, "%06o", sum);
        g_byte_array_append(a, h, 512);
        g_byte_array_append(a, (const guint8 *) data, (guint) len);
        g_byte_array_append(a, zero, (guint) ((512 - len % 512) % 512));
}

static void tar_end(GByteArray *a) {
        static const unsigned char zero[1024];
        g_byte_array_append(a, zero, sizeof zero);
}

static const char OVF[] =
        "<?xml version='1.0'?>\n"
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1' xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:rasd='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData'"
        " xmlns:vmw='http://www.vmware.com/schema/ovf'>\n"
        "<References><File ovf:id='f1' ovf:href='d1.vmdk'/></References>\n"
        "<DiskSection><Disk ovf:diskId='vmdisk1' ovf:fileRef='f1' ovf:capacity='4' ovf:capacityAllocationUnits='byte * 2^30'"
        " ovf:format='http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized'/></DiskSection>\n"
        "<NetworkSection><Network ovf:name='LAN'/></NetworkSection>\n"
        "<VirtualSystem ovf:id='vm1'><Name>vm1</Name>\n"
        "<OperatingSystemSection ovf:id='101' vmw:osType='otherLinux64Guest'><Description>Linux</Description></OperatingSystemSection>\n"
        "<VirtualHardwareSection>\n"
        "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>\n"
        "<Item><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>\n"
        "<Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>\n"
        "<Item><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>\n"
        "<Item><rasd:Connection>LAN</rasd:Connection><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>\n"
        "</VirtualHardwareSection></VirtualSystem></Envelope>\n";

static JsonNode *inspect_tar(GByteArray *a, GError **error) {
        Mem mem = { a };
        g_autoptr(OvaArchive) ar = ova_archive_open(mem_read, &mem, a->len, error);

        return ar ? ova_inspect(ar, error) : NULL;
}

static void test_tar(void) {
        g_autoptr(GByteArray) a = g_byte_array_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) vm = NULL;
        g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA1, "DISK", -1);
        g_autofree char *mf = g_strdup_printf("SHA1(d1.vmdk)= %s\n", digest);
        JsonObject *o, *d;

        tar_add(a, "./vm1.ovf", OVF, strlen(OVF));
        tar_add(a, "vm1.mf", mf, strlen(mf));
        tar_add(a, "d1.vmdk", "DISK", 4);
        tar_end(a);
        vm = inspect_tar(a, &error);
        g_assert_no_error(error);
        o = json_node_get_object(vm);
        g_assert_cmpstr(json_object_get_string_member(o, "name"), ==, "vm1");
        g_assert_cmpint(json_object_get_int_member(o, "vcpus"), ==, 2);
        g_assert_cmpint(json_object_get_int_member(o, "memory_bytes"), ==, 1024LL << 20);
        g_assert_cmpstr(json_object_get_string_member(o, "firmware"), ==, "bios");
        g_assert_cmpstr(json_object_get_string_member(o, "archive"), ==, "tar");
        g_assert_cmpstr(json_object_get_string_member(o, "ovf"), ==, "vm1.ovf");
        d = json_array_get_object_element(json_object_get_array_member(o, "disks"), 0);
        g_assert_cmpint(json_object_get_int_member(d, "capacity_bytes"), ==, 4LL << 30);
        g_assert_cmpstr(json_object_get_string_member(d, "bus"), ==, "ide");
        g_assert_cmpstr(json_object_get_string_member(d, "format"), ==, "vmdk");
        g_assert_cmpint(json_object_get_int_member(d, "file_bytes"), ==, 4);
        g_assert_cmpstr(json_object_get_string_member(
                        json_array_get_object_element(json_object_get_array_member(o, "nics"), 0), "model"), ==, "E1000");
        g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "os"), "type"), ==,
                        "otherLinux64Guest");
        g_assert_cmpint(json_array_get_length(json_object_get_array_member(
                        json_object_get_object_member(o, "manifest"), "verified")), ==, 1);
}

/* Before queueing: the .ovf's digest is checked, a disk's is not (its size
 * is over the limit), a file the manifest names must be there. */
static gboolean check_tar_manifest(GByteArray *a, guint64 limit, GError **error) {
        Mem mem = { a };
        g_autoptr(OvaArchive) ar = ova_archive_open(mem_read, &mem, a->len, error);

        return ar && ova_check_manifest(ar, limit, error);
}

static void test_check_manifest(void) {
        g_autofree char *ovf_sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, OVF, -1);
        g_autofree char *bad_sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "another OVF", -1);
        g_autofree char *disk_bad = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "NOT THE DISK", -1);
        static char disk[8192];
        struct { const char *mf; gboolean with_disk; const char *message; } cases[] = {
                { g_strdup_printf("SHA256(vm1.ovf)= %s\nSHA256(d1.vmdk)= %s\n", ovf_sum, disk_bad), TRUE, NULL },
                { g_strdup_printf("SHA256(vm1.ovf)= %s\n", bad_sum), TRUE,
                  "checksum mismatch for vm1.ovf: the manifest has SHA256 " },
                { g_strdup_printf("SHA256(vm1.ovf)= %s\nSHA256(d1.vmdk)= %s\n", ovf_sum, disk_bad), FALSE,
                  "vm1.mf names d1.vmdk, which is not in the archive" },
        };

        memset(disk, 'D', sizeof disk);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GByteArray) a = g_byte_array_new();
                g_autoptr(GError) error = NULL;
                g_autofree char *mf = (char *) cases[i].mf;

                tar_add(a, "vm1.ovf", OVF, strlen(OVF));
                tar_add(a, "vm1.mf", mf, strlen(mf));
                if (cases[i].with_disk)
                        tar_add(a, "d1.vmdk", disk, sizeof disk);
                tar_end(a);
                /* the limit is the OVF's size: the bigger disk is not hashed */
                if (!cases[i].message) {
                        g_assert_true(check_tar_manifest(a, strlen(OVF), &error));
                        g_assert_no_error(error);
                        /* with every digest checked, the wrong disk digest shows */
                        g_assert_false(check_tar_manifest(a, G_MAXUINT64, &error));
                        g_assert_nonnull(strstr(error->message, "checksum mismatch for d1.vmdk"));
                        continue;
                }
                g_assert_false(check_tar_manifest(a, strlen(OVF), &error));
                g_assert_nonnull(error);
                if (!strstr(error->message, cases[i].message))
                        g_error("case %zu: %s", i, error->message);
        }
}

static void expect_tar_error(const char *what, GByteArray *a, const char *message) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) vm = inspect_tar(a, &error);

        g_test_message("%s: %s", what, error ? error->message : "(no error)");
        g_assert_null(vm);
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, message));
}

static void test_tar_errors(void) {
        g_autofree char *bad_mf = g_strdup_printf("SHA1(d1.vmdk)= %040d\n", 0);
        g_autoptr(GByteArray) mismatch = g_byte_array_new(), trav = g_byte_array_new(), missing = g_byte_array_new();
        g_autoptr(GByteArray) junk = g_byte_array_new(), noovf = g_byte_array_new(), badxml = g_byte_array_new();
        g_autoptr(GByteArray) corrupt = NULL;
        static const char broken[] = "<Envelope><VirtualSystem>\n <Name>x</Nam></VirtualSystem></Envelope>";

        tar_add(mismatch, "vm1.ovf", OVF, strlen(OVF));
        tar_add(mismatch, "vm1.mf", bad_mf, strlen(bad_mf));
        tar_add(mismatch, "d1.vmdk", "DISK", 4);
        tar_end(mismatch);
        expect_tar_error("mismatch", mismatch, "checksum mismatch for d1.vmdk");

        tar_add(trav, "vm1.ovf", OVF, strlen(OVF));
        tar_add(trav, "a/../../x", "x", 1);
        tar_end(trav);
        expect_tar_error("traversal", trav, "member path escapes the archive: a/../../x");

        tar_add(missing, "vm1.ovf", OVF, strlen(OVF));
        tar_end(missing);
        expect_tar_error("missing disk", missing, "disk file d1.vmdk (disk vmdisk1), which is not in the archive");

        g_byte_array_append(junk, (const guint8 *) "hello world, this is no archive", 31);
        g_byte_array_set_size(junk, 2048);
        expect_tar_error("junk", junk, "not a tar or zip archive");

        tar_add(noovf, "d1.vmdk", "DISK", 4);
        tar_end(noovf);
        expect_tar_error("no ovf", noovf, "no .ovf file");

        tar_add(badxml, "x.ovf", broken, strlen(broken));
        tar_end(badxml);
        expect_tar_error("bad xml", badxml, "x.ovf: OVF: XML error at line 2, column");

        corrupt = g_byte_array_new();
        tar_add(corrupt, "vm1.ovf", OVF, strlen(OVF));
        tar_add(corrupt, "d1.vmdk", "DISK", 4);
        tar_end(corrupt);
        corrupt->data[512 + ((strlen(OVF) + 511) / 512) * 512 + 3] ^= 0x55;
        expect_tar_error("corrupt", corrupt, "corrupt tar header at offset");
}

static void test_manifest(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) e = NULL;
        const char *sha256 = "SHA256(a b.vmdk)= ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789\r\n"
                             "\nSHA1 (x.ovf) = 0123456789abcdef0123456789abcdef01234567\n";

        e = ova_manifest_parse(sha256, strlen(sha256), &error);
        g_assert_no_error(error);
        g_assert_cmpuint(e->len, ==, 2);
        g_assert_cmpstr(((OvaManifestEntry *) e->pdata[0])->file, ==, "a b.vmdk");
        g_assert_cmpstr(((OvaManifestEntry *) e->pdata[0])->digest, ==,
                        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
        g_assert_cmpstr(((OvaManifestEntry *) e->pdata[1])->algorithm, ==, "SHA1");
        g_clear_pointer(&e, g_ptr_array_unref);
        e = ova_manifest_parse("MD5(x)= 00\n", 11, &error);
        g_assert_null(e);
        g_assert_nonnull(strstr(error->message, "line 1: unknown algorithm \"MD5\""));
        g_clear_error(&error);
        e = ova_manifest_parse("SHA1(x)= 0123\n", 14, &error);
        g_assert_null(e);
        g_assert_nonnull(strstr(error->message, "not 40 hex digits"));
        g_clear_error(&error);
        e = ova_manifest_parse("garbage\n", 8, &error);
        g_assert_null(e);
        g_assert_nonnull(strstr(error->message, "manifest line 1"));
}

static void test_units(void) {
        static const struct { const char *u; guint64 v; gboolean ok; } cases[] = {
                { NULL, 1, TRUE }, { "byte", 1, TRUE }, { "bytes", 1, TRUE }, { "byte * 2^20", 1 << 20, TRUE },
                { "byte*2^30", 1ULL << 30, TRUE }, { "MegaBytes", 1 << 20, TRUE }, { "KiloBytes", 1024, TRUE },
                { "GigaBytes", 1ULL << 30, TRUE }, { "byte * 1024", 1024, TRUE }, { "byte * 10^3", 1000, TRUE },
                { "hertz * 10^6", 0, FALSE }, { "byte * 2^65", 0, FALSE }, { "byte *", 0, FALSE },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
                guint64 v = 0;
                g_assert_cmpint(ova_parse_allocation_units(cases[i].u, &v), ==, cases[i].ok);
                if (cases[i].ok)
                        g_assert_cmpuint(v, ==, cases[i].v);
        }
}

static void test_paths(void) {
        g_assert_true(ova_path_is_safe("a/b.vmdk"));
        g_assert_true(ova_path_is_safe("a..b"));
        g_assert_false(ova_path_is_safe("/etc/passwd"));
        g_assert_false(ova_path_is_safe("../x"));
        g_assert_false(ova_path_is_safe("a/../../x"));
        g_assert_false(ova_path_is_safe("http://host/x.vmdk"));
        g_assert_false(ova_path_is_safe(""));
}

static void test_ovf_errors(void) {
        static const struct { const char *xml, *message; } cases[] = {
                { "<x/>", "the root element is <x>, not <Envelope>" },
                { "<Envelope/>", "no <VirtualSystem>" },
                { "<Envelope><VirtualSystem/></Envelope>", "no <VirtualHardwareSection>" },
                { "<Envelope><VirtualSystem><Name>a</Name><VirtualHardwareSection><Item><ResourceType>4</ResourceType>"
                  "<VirtualQuantity>1</VirtualQuantity><AllocationUnits>furlongs</AllocationUnits></Item>"
                  "</VirtualHardwareSection></VirtualSystem></Envelope>", "unknown allocation units \"furlongs\"" },
                { "<Envelope><DiskSection><Disk diskId='d' capacity='1' fileRef='nope'/></DiskSection><VirtualSystem>"
                  "<Name>a</Name><VirtualHardwareSection/></VirtualSystem></Envelope>", "does not list" },
                { "<Envelope>\n<!DOCTYPE", "XML error at line 2" },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(JsonNode) vm = ova_ovf_parse(cases[i].xml, strlen(cases[i].xml), &error);
                g_assert_null(vm);
                g_test_message("%s", error->message);
                g_assert_nonnull(strstr(error->message, cases[i].message));
        }
}

static void test_source_spec(void) {
        static const struct { const char *json, *message; } bad[] = {
                { "[]", "expected a JSON object" },
                { "{}", "exactly one of" },
                { "{\"uri\": \"test:///default\", \"ova\": \"/x\"}", "exactly one of" },
                { "{\"uri\": \"esx://root:secret@host\"}", "holds a password" },
                { "{\"ova\": \"x.ova\"}", "absolute path" },
                { "{\"ova\": \"/x.ova\", \"password\": \"p\"}", "not an OVA" },
                { "{\"uri\": \"test:///default\", \"timeout\": 0}", "\"timeout\"" },
                { "{\"uri\": \"test:///default\", \"pasword\": \"p\"}", "unknown key \"pasword\"" },
                { "{\"uri\": \"test:///default\", \"password\": \"a\", \"password_file\": \"/f\"}", "not both" },
                { "{\"uri\": \"test:///default\", \"print_source\": 1}", "true or false" },
                { "{\"uri\": \"test:///default\"} {}", "not a JSON object: " },
                { "{\"uri\": \"test:///default\"", "not a JSON object: " },
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(SourceSpec) s = source_spec_parse(
                "{\"uri\": \"vpx://admin@vc/DC/host?no_verify=1\", \"user\": \"u\", \"password\": \"p\", \"timeout\": 5}",
                &error);

        g_assert_no_error(error);
        g_assert_cmpstr(s->uri, ==, "vpx://admin@vc/DC/host?no_verify=1");
        g_assert_cmpuint(s->timeout_sec, ==, 5);
        g_assert_cmpstr(source_spec_describe(s), ==, s->uri);
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(GError) e = NULL;
                g_autoptr(SourceSpec) x = source_spec_parse(bad[i].json, &e);
                g_assert_null(x);
                g_assert_nonnull(strstr(e->message, bad[i].message));
                g_assert_null(strstr(e->message, "secret"));
        }
}

static void test_domain_xml(void) {
        static const char xml[] =
                "<domain type='vmware'><name>w2k19</name><uuid>42</uuid><memory unit='GiB'>8</memory><vcpu>4</vcpu>"
                "<os><type arch='x86_64'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>"
                "<metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>"
                "<libosinfo:os id='http://microsoft.com/win/2k19'/></libosinfo:libosinfo></metadata>"
                "<devices><disk type='file' device='disk'><source file='[datastore1] w2k19/w2k19.vmdk'/>"
                "<target dev='sda' bus='scsi'/></disk>"
                "<disk type='network' device='disk'><driver type='raw'/><source protocol='rbd' name='pool/img'/>"
                "<target dev='vdb' bus='virtio'/></disk>"
                "<interface type='bridge'><mac address='00:50:56:01:02:03'/><source bridge='VM Network'/>"
                "<model type='vmxnet3'/></interface></devices></domain>";
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) vm = sources_domain_from_xml(xml, &error);
        g_autoptr(SourceSpec) s = source_spec_parse("{\"uri\": \"esx://root@esx1?no_verify=1\"}", &error);
        JsonObject *o, *d, *n, *hint;

        g_assert_no_error(error);
        o = json_node_get_object(vm);
        g_assert_cmpint(json_object_get_int_member(o, "memory_bytes"), ==, 8LL << 30);
        g_assert_cmpint(json_object_get_int_member(o, "vcpus"), ==, 4);
        g_assert_cmpstr(json_object_get_string_member(o, "firmware"), ==, "uefi");
        g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "os"), "libosinfo_id"), ==,
                        "http://microsoft.com/win/2k19");
        d = json_array_get_object_element(json_object_get_array_member(o, "disks"), 0);
        g_assert_cmpstr(json_object_get_string_member(d, "path"), ==, "[datastore1] w2k19/w2k19.vmdk");
        g_assert_cmpstr(json_object_get_string_member(d, "datastore"), ==, "datastore1");
        d = json_array_get_object_element(json_object_get_array_member(o, "disks"), 1);
        g_assert_cmpstr(json_object_get_string_member(d, "path"), ==, "rbd:pool/img");
        n = json_array_get_object_element(json_object_get_array_member(o, "nics"), 0);
        g_assert_cmpstr(json_object_get_string_member(n, "network"), ==, "VM Network");
        g_assert_cmpstr(json_object_get_string_member(n, "model"), ==, "vmxnet3");

        json_object_set_string_member(o, "state", "shutoff");
        sources_add_v2v_hint(s, o);
        g_assert_true(json_object_get_boolean_member(o, "convertible"));
        hint = json_object_get_object_member(o, "v2v");
        g_assert_cmpstr(json_object_get_string_member(hint, "input_mode"), ==, "libvirt");
        g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(hint, "options"), 1), ==,
                        "esx://root@esx1?no_verify=1");

        g_clear_pointer(&vm, json_node_unref);
        vm = sources_domain_from_xml("<domain><name>x</name><memory unit='parsec'>1</memory></domain>", &error);
        g_assert_null(vm);
        g_assert_nonnull(strstr(error->message, "parsec"));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ova/tar", test_tar);
        g_test_add_func("/ova/tar-errors", test_tar_errors);
        g_test_add_func("/ova/manifest", test_manifest);
        g_test_add_func("/ova/check-manifest", test_check_manifest);
        g_test_add_func("/ova/units", test_units);
        g_test_add_func("/ova/paths", test_paths);
        g_test_add_func("/ova/ovf-errors", test_ovf_errors);
        g_test_add_func("/sources/source-spec", test_source_spec);
        g_test_add_func("/sources/domain-xml", test_domain_xml);
        return g_test_run();
}
