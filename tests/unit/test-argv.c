/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * v2v-argv: the exact command line and environment for each input and
 * output family. The expected lists follow the synopses of virt-v2v(1),
 * virt-v2v-input-vmware(1), virt-v2v-input-xen(1), virt-v2v-output-rhv(1),
 * virt-v2v-output-openstack(1), virt-v2v-output-local(1) and
 * virt-v2v-in-place(1) of virt-v2v 2.2.0.
 */
#include <json-glib/json-glib.h>

#include "spec-test-util.h"

#define PROLOGUE "/usr/bin/virt-v2v", "--root", "first", "--machine-readable=file:/J/v2v-machine.log"
#define FP "1A:3F:26:C6:DC:2C:44:88:AA:33:81:3C:18:6E:5D:9F:C0:EE:DF:5C"

/* Every secret value the specs below use. */
static const char *const all_secrets[] = {
        "secret-password", "hunter2", "s3cr3t-vc", "xen-pw", "tok-abc123", "appsecret-xyz",
        "OPENSSH PRIVATE KEY", "luks-key-one", "luks-key-two", NULL
};

static void assert_no_secret(const V2vSpec *spec, const V2vCommand *cmd) {
        g_autofree char *redacted = v2v_spec_render_redacted(spec);

        for (const char *const *s = all_secrets; *s; s++) {
                for (guint i = 0; i + 1 < cmd->argv->len; i++)
                        g_assert_null(strstr(cmd->argv->pdata[i], *s));
                for (guint i = 0; i + 1 < cmd->env->len; i++)
                        g_assert_null(strstr(cmd->env->pdata[i], *s));
                g_assert_null(strstr(redacted, *s));
        }
}

static V2vCommand *build(const V2vSpec *spec) {
        V2vCommandPaths paths = t_paths();
        g_autoptr(GError) error = NULL;
        V2vCommand *cmd = v2v_command_build(spec, &paths, &error);

        g_assert_no_error(error);
        g_assert_nonnull(cmd);
        assert_no_secret(spec, cmd);
        return cmd;
}

static const char *secret_value(const V2vSpec *spec, const char *name) {
        for (guint i = 0; i < spec->secrets->len; i++) {
                const V2vSecret *s = spec->secrets->pdata[i];
                if (strcmp(s->file_name, name) == 0)
                        return s->value;
        }
        return NULL;
}

static char *load_fixture(const char *name) {
        const char *dir = g_getenv("V2VD_TEST_DATA");
        g_autofree char *path = NULL;
        g_autoptr(GError) error = NULL;
        char *text = NULL;

        g_assert_nonnull(dir);
        path = g_build_filename(dir, name, NULL);
        g_assert_true(g_file_get_contents(path, &text, NULL, &error));
        g_assert_no_error(error);
        return text;
}

static const char *const no_env[] = { NULL };

static void test_wrapper_vddk_rhv(void) {
        g_autofree char *text = load_fixture("wrapper-vddk-rhv.json");
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *vault = g_build_filename(T, "vault.json", NULL);
        g_autofree char *json = NULL;
        g_autoptr(V2vSpec) spec = NULL;
        g_autoptr(V2vCommand) cmd = NULL;
        V2vSpecContext ctx = t_ctx();
        JsonObject *o;

        t_write("vault.json",
                "{\"My_Machine\": [{\"device\": \"/dev/sda1\", \"key\": \"luks-key-one\"},"
                "                  {\"device\": \"/dev/sda2\", \"key\": \"luks-key-two\"}],"
                " \"other\": [{\"device\": \"/dev/sda1\", \"key\": \"x\"}]}", 0600);
        g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
        g_assert_no_error(error);
        o = json_node_get_object(json_parser_get_root(parser));
        json_object_set_string_member(o, "luks_keys_vault", vault);
        json = json_to_string(json_parser_get_root(parser), false);

        spec = v2v_spec_parse(json, &ctx, &error);
        g_assert_no_error(error);
        g_assert_cmpint(spec->input, ==, V2V_INPUT_VDDK);
        g_assert_cmpint(spec->output, ==, V2V_OUTPUT_RHV_UPLOAD);
        g_assert_cmpuint(spec->source_disks->len, ==, 2);
        g_assert_cmpstr(spec->source_disks->pdata[1], ==, "[dataStore_1] My_Machine/My_Machine_2.vmdk");
        g_assert_cmpstr(secret_value(spec, "vmware_password"), ==, "secret-password");
        g_assert_cmpstr(secret_value(spec, "rhv_password"), ==, "secret-password");
        g_assert_cmpstr(secret_value(spec, "luks-1"), ==, "luks-key-one");
        g_assert_cmpstr(secret_value(spec, "luks-2"), ==, "luks-key-two");
        g_assert_cmpuint(spec->secrets->len, ==, 4);

        cmd = build(spec);
        t_assert_strv(cmd->argv, (const char *const[]) {
                PROLOGUE,
                "-i", "libvirt", "-ic", "esx://root@esxi.example.com?no_verify=1", "-it", "vddk",
                "-io", "vddk-libdir=/opt/vmware-vix-disklib-distrib", "-io", "vddk-thumbprint=" FP,
                "-ip", "/S/vmware_password",
                "--bandwidth-file", "/J/bandwidth",
                "-o", "rhv-upload", "-oc", "https://ovirt.example.com/ovirt-engine/api", "-os", "data",
                "-op", "/S/rhv_password", "-oo", "rhv-cluster=Default", "-oo", "rhv-verifypeer=false",
                "-of", "raw",
                "--bridge", "networkA1:networkA2", "--bridge", "networkX1:networkX2",
                "--key", "/dev/sda1:file:/S/luks-1", "--key", "/dev/sda2:file:/S/luks-2",
                "My_Machine", NULL });
        t_assert_strv(cmd->env, no_env);
}

static void test_wrapper_vddk_osp(void) {
        g_autofree char *text = load_fixture("wrapper-vddk-osp.json");
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vSpec) spec = NULL;
        g_autoptr(V2vCommand) cmd = NULL;
        g_autoptr(JsonParser) parser = json_parser_new();
        V2vSpecContext ctx = t_ctx();
        const char *clouds;
        JsonObject *cloud;

        spec = v2v_spec_parse(text, &ctx, &error);
        g_assert_no_error(error);
        g_assert_cmpint(spec->output, ==, V2V_OUTPUT_OPENSTACK);
        cmd = build(spec);
        t_assert_strv(cmd->argv, (const char *const[]) {
                PROLOGUE,
                "-i", "libvirt", "-ic", "esx://root@esxi.example.com?no_verify=1", "-it", "vddk",
                "-io", "vddk-libdir=/opt/vmware-vix-disklib-distrib", "-io", "vddk-thumbprint=" FP,
                "-ip", "/S/vmware_password",
                "--bandwidth-file", "/J/bandwidth",
                "-o", "openstack", "-oo", "server-id=9d8da538-1bf6-429d-84de-5b0f9d0c5ed0",
                "-oo", "os-auth-url=https://auth.url:13000/v3",
                "-oo", "os-project-id=c159eb2e318f40d8a7b1ddd3edd5eb73",
                "-oo", "os-project-name=prow_jekt",
                "-oo", "os-user-domain-name=The_fault",
                "-oo", "os-project-domain-id=D-folt",
                "-oo", "os-username=AzureDiamond",
                "-oo", "os-region-name=ree_johnUno",
                "-oo", "os-interface=pubLick",
                "-oo", "os-identity-api-version=3",
                "-oo", "os-cloud=v2vd",
                "-oo", "verify-server-certificate=false",
                "-of", "raw",
                "--mac", "00:50:56:a6:ee:58:bridge:prow_jekt-network",
                "My_Machine", NULL });
        t_assert_strv(cmd->env, (const char *const[]) { "OS_CLIENT_CONFIG_FILE=/S/clouds.yaml", NULL });

        /* The password is in the clouds file, where openstack looks for it. */
        clouds = secret_value(spec, "clouds.yaml");
        g_assert_nonnull(clouds);
        g_assert_true(json_parser_load_from_data(parser, clouds, -1, &error));
        g_assert_no_error(error);
        cloud = json_object_get_object_member(
                json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)), "clouds"), "v2vd");
        g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(cloud, "auth"), "password"),
                        ==, "hunter2");
        g_assert_cmpuint(json_object_get_size(cloud), ==, 1);
        g_assert_cmpuint(spec->warnings->len, ==, 1);
}

static void test_ova_local_fixture(void) {
        g_autofree char *text = load_fixture("ova-local.json");
        g_autofree char *ova = g_build_filename(T, "guest.ova", NULL);
        g_autofree char *out = g_build_filename(T, "out", NULL);
        g_auto(GStrv) a = g_strsplit(text, "@OVA@", -1);
        g_autofree char *t1 = g_strjoinv(ova, a);
        g_auto(GStrv) b = g_strsplit(t1, "@OUTPUT_DIR@", -1);
        g_autofree char *json = g_strjoinv(out, b);
        g_autoptr(GError) error = NULL;
        V2vSpecContext ctx = t_ctx();
        g_autoptr(V2vSpec) spec = v2v_spec_parse(json, &ctx, &error);
        g_autoptr(V2vCommand) cmd = NULL;

        g_assert_no_error(error);
        cmd = build(spec);
        t_assert_strv(cmd->argv, (const char *const[]) {
                PROLOGUE, "-i", "ova", "-o", "local", "-os", "@T@/out", "-of", "qcow2",
                "-on", "ova-guest", "@T@/guest.ova", NULL });
        t_assert_strv(cmd->env, no_env);
        g_assert_cmpstr(spec->cpu_limit, ==, "50%");
        g_assert_cmpint(spec->network_limit, ==, 0);
}

typedef struct Case {
        const char *name;
        const char *spec;
        const char *const *argv;
        const char *const *env;
        const char *first_warning;      /* of the command, NULL = none */
} Case;

static const Case cases[] = {
        { "ssh-local",
          "{\"vm_name\": \"tg-mini\", \"transport_method\": \"ssh\","
          " \"vmware_uri\": \"ssh://root@esxi.example.com/vmfs/volumes/datastore1/tg-mini/tg-mini.vmx\","
          " \"ssh_key\": \"-----BEGIN OPENSSH PRIVATE KEY-----\\nAAA\\n-----END OPENSSH PRIVATE KEY-----\\n\","
          " \"output_dir\": \"@T@/out\"}",
          (const char *const[]) { PROLOGUE, "-i", "vmx", "-it", "ssh", "--bandwidth-file", "/J/bandwidth",
                  "-o", "local", "-os", "@T@/out", "-of", "raw", "-on", "tg-mini",
                  "ssh://root@esxi.example.com/vmfs/volumes/datastore1/tg-mini/tg-mini.vmx", NULL },
          (const char *const[]) { "SSH_AUTH_SOCK=/S/agent.sock", NULL } },
        { "ssh-password-vm-name-is-uri",
          "{\"vm_name\": \"ssh://root@esxi/vmfs/volumes/ds1/my%20guest/my%20guest.vmx\", \"transport_method\": \"ssh\","
          " \"vmware_password\": \"secret-password\", \"qemu_dir\": \"@T@/qemu\"}",
          (const char *const[]) { PROLOGUE, "-i", "vmx", "-it", "ssh", "-ip", "/S/vmware_password",
                  "--bandwidth-file", "/J/bandwidth", "-o", "qemu", "-os", "@T@/qemu", "-of", "raw",
                  "-on", "my guest", "ssh://root@esxi/vmfs/volumes/ds1/my%20guest/my%20guest.vmx", NULL },
          no_env },
        { "vcenter-libvirt",
          "{\"vm_name\": \"win2019\", \"libvirt_uri\": \"vpx://admin@vcenter.example.com/DC/esxi?no_verify=1\","
          " \"libvirt_password\": \"s3cr3t-vc\", \"libvirt_output_uri\": \"qemu:///system\","
          " \"libvirt_pool\": \"images\", \"output_format\": \"qcow2\", \"allocation\": \"preallocated\","
          " \"network_mappings\": [{\"source\": \"VM Network\", \"destination\": \"default\", \"type\": \"network\"}]}",
          (const char *const[]) { PROLOGUE, "-i", "libvirt", "-ic", "vpx://admin@vcenter.example.com/DC/esxi?no_verify=1",
                  "-ip", "/S/libvirt_password", "--bandwidth-file", "/J/bandwidth",
                  "-o", "libvirt", "-oc", "qemu:///system", "-os", "images", "-of", "qcow2", "-oa", "preallocated",
                  "--network", "VM Network:default", "win2019", NULL },
          no_env },
        { "xen-ssh-qemu-boot",
          "{\"vm_name\": \"rhel5\", \"libvirt_uri\": \"xen+ssh://root@xen.example.com\","
          " \"libvirt_password\": \"xen-pw\", \"ssh_key\": \"-----BEGIN OPENSSH PRIVATE KEY-----\","
          " \"qemu_dir\": \"@T@/qemu\", \"qemu_boot\": true}",
          (const char *const[]) { PROLOGUE, "-i", "libvirt", "-ic", "xen+ssh://root@xen.example.com",
                  "-ip", "/S/libvirt_password", "--bandwidth-file", "/J/bandwidth",
                  "-o", "qemu", "-os", "@T@/qemu", "--qemu-boot", "-of", "raw", "rhel5", NULL },
          (const char *const[]) { "SSH_AUTH_SOCK=/S/agent.sock", NULL } },
        { "kvm-kubevirt",
          "{\"vm_name\": \"f38\", \"libvirt_uri\": \"qemu:///system\", \"kubevirt_dir\": \"@T@/kube\","
          " \"name\": \"f38-kv\"}",
          (const char *const[]) { PROLOGUE, "-i", "libvirt", "-ic", "qemu:///system",
                  "-o", "kubevirt", "-os", "@T@/kube", "-of", "raw", "-on", "f38-kv", "f38", NULL },
          no_env },
        { "disks-export-domain",
          "{\"vm_name\": \"guest\", \"disk\": [\"@T@/disk1.img\", \"@T@/disk2.qcow2\"],"
          " \"export_domain\": \"nfs.example.com:/export/domain\"}",
          (const char *const[]) { PROLOGUE, "-i", "disk", "-o", "rhv", "-os", "nfs.example.com:/export/domain",
                  "-of", "raw", "-on", "guest", "@T@/disk1.img", "@T@/disk2.qcow2", NULL },
          no_env },
        { "libvirtxml-openstack-no-secret",
          "{\"vm_name\": \"g\", \"libvirtxml\": \"@T@/guest.xml\", \"osp_server_id\": \"conv-host\","
          " \"osp_volume_type_id\": \"fast-ssd\", \"osp_environment\": {\"os-auth_url\": \"http://keystone:5000/v3\","
          " \"os-verify\": false}}",
          (const char *const[]) { PROLOGUE, "-i", "libvirtxml", "-o", "openstack", "-oo", "server-id=conv-host",
                  "-os", "fast-ssd", "-oo", "os-auth-url=http://keystone:5000/v3", "-oo", "os-verify=false",
                  "-of", "raw", "-on", "g", "@T@/guest.xml", NULL },
          no_env },
        { "openstack-token-and-app-credential",
          "{\"vm_name\": \"g\", \"disk\": [\"@T@/disk1.img\"], \"osp_server_id\": \"conv\","
          " \"osp_environment\": {\"OS_AUTH_URL\": \"http://k/v3\", \"OS_TOKEN\": \"tok-abc123\","
          " \"OS_APPLICATION_CREDENTIAL_SECRET\": \"appsecret-xyz\"}}",
          (const char *const[]) { PROLOGUE, "-i", "disk", "-o", "openstack", "-oo", "server-id=conv",
                  "-oo", "os-auth-url=http://k/v3", "-oo", "os-cloud=v2vd",
                  "-of", "raw", "-on", "g", "@T@/disk1.img", NULL },
          (const char *const[]) { "OS_CLIENT_CONFIG_FILE=/S/clouds.yaml", NULL } },
        { "rhv-upload-cafile-secure",
          "{\"vm_name\": \"vm1\", \"libvirt_uri\": \"esx://root@esx1?no_verify=1\", \"rhv_url\": \"https://engine/ovirt-engine/api\","
          " \"rhv_password\": \"secret-password\", \"rhv_cluster\": \"c1\", \"rhv_storage\": \"sd1\","
          " \"rhv_cafile\": \"@T@/ca.pem\", \"install_drivers\": true, \"virtio_win\": \"@T@/virtio-win.iso\"}",
          (const char *const[]) { PROLOGUE, "-i", "libvirt", "-ic", "esx://root@esx1?no_verify=1",
                  "--bandwidth-file", "/J/bandwidth", "-o", "rhv-upload", "-oc", "https://engine/ovirt-engine/api",
                  "-os", "sd1", "-op", "/S/rhv_password", "-oo", "rhv-cafile=@T@/ca.pem", "-oo", "rhv-cluster=c1",
                  "-oo", "rhv-verifypeer=true", "-of", "raw", "vm1", NULL },
          (const char *const[]) { "VIRTIO_WIN=@T@/virtio-win.iso", NULL } },
        { "in-place-disk",
          "{\"vm_name\": \"guest\", \"disk\": [\"@T@/disk1.img\"], \"in_place\": true,"
          " \"network_mappings\": [{\"source\": \"br0\", \"destination\": \"virbr0\"}]}",
          (const char *const[]) { "/usr/bin/virt-v2v-in-place", "--root", "first",
                  "--machine-readable=file:/J/v2v-machine.log", "-i", "disk", "--bridge", "br0:virbr0",
                  "@T@/disk1.img", NULL },
          no_env },
        { "in-place-libvirtxml",
          "{\"vm_name\": \"guest\", \"libvirtxml\": \"@T@/guest.xml\", \"in_place\": true}",
          (const char *const[]) { "/usr/bin/virt-v2v-in-place", "--root", "first",
                  "--machine-readable=file:/J/v2v-machine.log", "-i", "libvirtxml", "@T@/guest.xml", NULL },
          no_env },
        { "vmx-local-null",
          "{\"vm_name\": \"guest\", \"vmx\": \"@T@/guest.vmx\", \"null_output\": true}",
          (const char *const[]) { PROLOGUE, "-i", "vmx", "-o", "null", "-of", "raw", "-on", "guest",
                  "@T@/guest.vmx", NULL },
          no_env },
        { "ova-export-domain-path",
          "{\"vm_name\": \"guest\", \"ova\": \"@T@/guest.ova\", \"export_domain\": \"/rhev/data-center/mnt/nfs.example.com:_export\"}",
          (const char *const[]) { PROLOGUE, "-i", "ova", "-o", "rhv",
                  "-os", "/rhev/data-center/mnt/nfs.example.com:_export",
                  "-of", "raw", "-on", "guest", "@T@/guest.ova", NULL },
          no_env },
        { "disks-vdsm",
          "{\"vm_name\": \"guest\", \"disk\": [\"@T@/disk1.img\", \"@T@/disk2.qcow2\"],"
          " \"vdsm_storage_domain\": \"@T@/11111111-2222-3333-4444-555555555555\","
          " \"vdsm_vm_uuid\": \"aaaaaaaa-0000-0000-0000-000000000001\","
          " \"vdsm_image_uuids\": [\"bbbbbbbb-0000-0000-0000-000000000001\", \"bbbbbbbb-0000-0000-0000-000000000002\"],"
          " \"vdsm_volume_uuids\": [\"cccccccc-0000-0000-0000-000000000001\", \"cccccccc-0000-0000-0000-000000000002\"],"
          " \"vdsm_ovf_dir\": \"@T@/out\", \"output_format\": \"qcow2\"}",
          (const char *const[]) { PROLOGUE, "-i", "disk", "-o", "vdsm",
                  "-os", "@T@/11111111-2222-3333-4444-555555555555",
                  "-oo", "vdsm-image-uuid=bbbbbbbb-0000-0000-0000-000000000001",
                  "-oo", "vdsm-image-uuid=bbbbbbbb-0000-0000-0000-000000000002",
                  "-oo", "vdsm-vol-uuid=cccccccc-0000-0000-0000-000000000001",
                  "-oo", "vdsm-vol-uuid=cccccccc-0000-0000-0000-000000000002",
                  "-oo", "vdsm-vm-uuid=aaaaaaaa-0000-0000-0000-000000000001",
                  "-oo", "vdsm-ovf-output=@T@/out", "-of", "qcow2", "-on", "guest",
                  "@T@/disk1.img", "@T@/disk2.qcow2", NULL },
          no_env },
        { "mac-network",
          "{\"vm_name\": \"g\", \"disk\": [\"@T@/disk1.img\"], \"output_dir\": \"@T@/out\","
          " \"network_mappings\": [{\"source\": \"a\", \"destination\": \"b\", \"mac_address\": \"52:54:00:d0:cf:0e\","
          " \"type\": \"network\"}, {\"source\": \"br0\", \"destination\": \"ovirtmgmt\"}]}",
          (const char *const[]) { PROLOGUE, "-i", "disk", "-o", "local", "-os", "@T@/out", "-of", "raw", "-on", "g",
                  "--mac", "52:54:00:d0:cf:0e:network:b", "--bridge", "br0:ovirtmgmt", "@T@/disk1.img", NULL },
          no_env },
};

static void test_case(gconstpointer data) {
        const Case *c = data;
        g_autoptr(V2vSpec) spec = t_parse_ok(c->spec);
        g_autoptr(V2vCommand) cmd = build(spec);

        t_assert_strv(cmd->argv, c->argv);
        t_assert_strv(cmd->env, c->env);
        if (c->first_warning) {
                g_assert_cmpuint(cmd->warnings->len, >, 0);
                g_assert_cmpstr(cmd->warnings->pdata[0], ==, c->first_warning);
        } else
                g_assert_cmpuint(cmd->warnings->len, ==, 0);
}

static void test_mac_without_capability(void) {
        g_autoptr(V2vSpec) spec = t_parse_ok(
                "{\"vm_name\": \"g\", \"disk\": [\"@T@/disk1.img\"], \"output_dir\": \"@T@/out\","
                " \"network_mappings\": [{\"source\": \"VM Network\", \"destination\": \"ovirtmgmt\","
                " \"mac_address\": \"00:50:56:a6:ee:58\"}]}");
        V2vCommandPaths paths = t_paths();
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vCommand) cmd = NULL;

        paths.capabilities = NULL;
        cmd = v2v_command_build(spec, &paths, &error);
        g_assert_no_error(error);
        t_assert_strv(cmd->argv, (const char *const[]) {
                PROLOGUE, "-i", "disk", "-o", "local", "-os", "@T@/out", "-of", "raw", "-on", "g",
                "--bridge", "VM Network:ovirtmgmt", "@T@/disk1.img", NULL });
        g_assert_cmpuint(cmd->warnings->len, ==, 1);
        g_assert_cmpstr(cmd->warnings->pdata[0], ==,
                        "network_mappings[0]: virt-v2v does not offer --mac (mac-option), "
                        "mapping by the source name \"VM Network\" instead");
}

static void test_no_bandwidth_file(void) {
        g_autoptr(V2vSpec) spec = t_parse_ok(
                "{\"vm_name\": \"vm1\", \"libvirt_uri\": \"vpx://vc/DC/h\", \"output_dir\": \"@T@/out\"}");
        V2vCommandPaths paths = t_paths();
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vCommand) cmd = NULL;

        paths.bandwidth_file = NULL;
        cmd = v2v_command_build(spec, &paths, &error);
        g_assert_no_error(error);
        t_assert_strv(cmd->argv, (const char *const[]) {
                PROLOGUE, "-i", "libvirt", "-ic", "vpx://vc/DC/h", "-o", "local", "-os", "@T@/out",
                "-of", "raw", "vm1", NULL });
}

static void test_ssh_key_needs_agent(void) {
        g_autoptr(V2vSpec) spec = t_parse_ok(
                "{\"vm_name\": \"g\", \"transport_method\": \"ssh\", \"vmware_uri\": \"ssh://root@h/vmfs/volumes/d/g/g.vmx\","
                " \"ssh_key\": \"-----BEGIN OPENSSH PRIVATE KEY-----\", \"output_dir\": \"@T@/out\"}");
        V2vCommandPaths paths = t_paths();
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vCommand) cmd = NULL;

        g_assert_cmpstr(secret_value(spec, "ssh_key"), ==, "-----BEGIN OPENSSH PRIVATE KEY-----");
        paths.ssh_auth_sock = NULL;
        cmd = v2v_command_build(spec, &paths, &error);
        g_assert_null(cmd);
        g_assert_error(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID);
        g_assert_cmpstr(error->message, ==, "ssh_key: given, but no ssh-agent was started to hold it");
}

static void test_missing_capability_warns(void) {
        static const char *const caps[] = { "virt-v2v", "input:disk", "output:local", NULL };
        g_autoptr(V2vSpec) spec = t_parse_ok(
                "{\"vm_name\": \"g\", \"disk\": [\"@T@/disk1.img\"], \"kubevirt_dir\": \"@T@/kube\"}");
        V2vCommandPaths paths = t_paths();
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vCommand) cmd = NULL;

        paths.capabilities = caps;
        cmd = v2v_command_build(spec, &paths, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(cmd->warnings->len, ==, 1);
        g_assert_cmpstr(cmd->warnings->pdata[0], ==, "virt-v2v does not list the capability \"output:kubevirt\"");
}

int main(int argc, char **argv) {
        int r;

        g_test_init(&argc, &argv, NULL);
        t_setup();
        g_test_add_func("/argv/wrapper-vddk-rhv", test_wrapper_vddk_rhv);
        g_test_add_func("/argv/wrapper-vddk-osp", test_wrapper_vddk_osp);
        g_test_add_func("/argv/ova-local-fixture", test_ova_local_fixture);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *name = g_strdup_printf("/argv/case/%s", cases[i].name);
                g_test_add_data_func(name, &cases[i], test_case);
        }
        g_test_add_func("/argv/mac-without-capability", test_mac_without_capability);
        g_test_add_func("/argv/no-bandwidth-file", test_no_bandwidth_file);
        g_test_add_func("/argv/ssh-key-needs-agent", test_ssh_key_needs_agent);
        g_test_add_func("/argv/missing-capability-warns", test_missing_capability_warns);
        r = g_test_run();
        t_teardown();
        return r;
}
