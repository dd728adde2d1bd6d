/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client/wrapper-compat.c: ManageIQ's documents (as "jansa"'s
 * service_template_transformation_plan_task.rb builds them) become native
 * specs that the daemon's strict parser (daemon/spec.c) accepts, while the
 * same documents sent as they are over the bus are refused; v2vd's state
 * file becomes what ManageIQ reads.
 */
#include <glib.h>
#include <string.h>

#include "core/spec.h"
#include "wrapper-compat.h"

#define VDDK_SOURCE \
        "\"vm_name\": \"web01\", \"vm_uuid\": \"42290f6c-0c5d-4a3b-9e8e-000000000001\"," \
        "\"conversion_host_uuid\": \"5f2a1a53-b2c1-4c66-8a53-7d35c4c2a8e1\", \"transport_method\": \"vddk\"," \
        "\"vmware_fingerprint\": \"1A:3F:26:C6:DC:2C:44:88:AA:33:81:3C:18:6E:5D:9F:C0:EE:DF:5C\"," \
        "\"vmware_uri\": \"esx://root@10.8.0.20/?no_verify=1\", \"vmware_password\": \"pw1\"," \
        "\"two_phase\": true, \"warm\": %s"
#define SSH_SOURCE \
        "\"vm_name\": \"ssh://root@10.8.0.20/vmfs/volumes/datastore1/web01/web01.vmx\"," \
        "\"vm_uuid\": \"42290f6c-0c5d-4a3b-9e8e-000000000001\"," \
        "\"conversion_host_uuid\": \"5f2a1a53-b2c1-4c66-8a53-7d35c4c2a8e1\", \"transport_method\": \"ssh\""
#define RHV_DESTINATION \
        "\"rhv_url\": \"https://rhvm.example.com/ovirt-engine/api\", \"rhv_cluster\": \"Default\"," \
        "\"rhv_storage\": \"data\", \"rhv_password\": \"pw2\", \"install_drivers\": true," \
        "\"insecure_connection\": true"
#define OSP_DESTINATION \
        "\"osp_environment\": {\"os_auth_url\": \"https://osp.example.com:13000/v3\"," \
        "\"os_identity_api_version\": \"3\", \"os_user_domain_name\": \"Default\", \"os_username\": \"admin\"," \
        "\"os_password\": \"pw3\", \"os_project_name\": \"conversion\"}," \
        "\"osp_server_id\": \"9d8da538\", \"osp_destination_project_id\": \"d159eb2e\"," \
        "\"osp_volume_type_id\": \"7f0a41a5\", \"osp_flavor_id\": \"a96b2815\"," \
        "\"osp_security_groups_ids\": [\"d5366f19\"]"
#define COMMON \
        "\"source_disks\": [\"[datastore1] web01/web01.vmdk\", \"[datastore1] web01/web01_1.vmdk\"]," \
        "\"network_mappings\": [{\"source\": \"VM Network\", \"destination\": \"ovirtmgmt\"," \
        "\"mac_address\": \"00:50:56:a6:ee:58\", \"ip_address\": \"10.8.1.23\"}]"

static bool has_note(GPtrArray *notes, const char *prefix) {
        for (guint i = 0; i < notes->len; i++)
                if (g_str_has_prefix(notes->pdata[i], prefix))
                        return true;
        return false;
}

static void check_document(const char *doc) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) notes = NULL;
        g_autofree char *spec = NULL;
        V2vSpecContext ctx = { .owner_uid = (uid_t) -1, .owner_home = "/nonexistent" };

        /* sent as it is, the strict native parser names the first extra key */
        g_autoptr(V2vSpec) raw = v2v_spec_parse(doc, &ctx, &error);
        g_assert_null(raw);
        g_assert_nonnull(strstr(error->message, "vm_uuid"));
        g_clear_error(&error);

        /* as sudo runs it (root's job) too: ManageIQ's documents are the
         * old wrapper's vocabulary */
        g_autofree char *root_spec = NULL;
        g_autoptr(GPtrArray) root_notes = NULL;
        g_assert_true(wrapper_translate(doc, WRAPPER_ROOT, &root_spec, &root_notes, &error));
        g_assert_no_error(error);

        g_assert_true(wrapper_translate(doc, 0, &spec, &notes, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(spec, ==, root_spec);
        g_assert_true(has_note(notes, "vm_uuid: ignored"));
        g_assert_true(has_note(notes, "conversion_host_uuid: ignored"));
        g_assert_true(has_note(notes, "network_mappings[0].ip_address: ignored"));
        for (guint i = 0; i < notes->len; i++)
                g_assert_null(strstr(notes->pdata[i], "pw"));  /* no value, let alone a secret */

        g_autoptr(V2vSpec) parsed = v2v_spec_parse(spec, &ctx, &error);
        g_assert_no_error(error);
        g_assert_nonnull(parsed);
        g_assert_cmpuint(parsed->source_disks->len, ==, 2);
        for (guint i = 0; i < parsed->warnings->len; i++)
                g_assert_null(strstr(parsed->warnings->pdata[i], "compatibility"));
}

static void test_vddk_rhv(void) {
        g_autofree char *doc = g_strdup_printf("{" COMMON "," VDDK_SOURCE "," RHV_DESTINATION "}", "false");
        check_document(doc);
}

static void test_vddk_rhv_warm_null(void) {
        g_autofree char *doc = g_strdup_printf("{" COMMON "," VDDK_SOURCE "," RHV_DESTINATION "}", "null");
        check_document(doc);
}

static void test_ssh_rhv(void) {
        check_document("{" COMMON "," SSH_SOURCE "," RHV_DESTINATION "}");
}

static void test_vddk_openstack(void) {
        g_autofree char *doc = g_strdup_printf("{" COMMON "," VDDK_SOURCE "," OSP_DESTINATION "}", "false");
        check_document(doc);
}

static void refused(const char *doc, const char *key) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) notes = NULL;
        g_autofree char *spec = NULL;

        g_assert_false(wrapper_translate(doc, 0, &spec, &notes, &error));
        g_assert_error(error, WRAPPER_ERROR, WRAPPER_ERROR_REFUSED);
        g_assert_true(g_str_has_prefix(error->message, key));
        g_assert_null(spec);
}

static void test_refused(void) {
        g_autofree char *warm = g_strdup_printf("{" COMMON "," VDDK_SOURCE "," RHV_DESTINATION "}", "true");
        g_autofree char *warm_str = g_strdup_printf("{" COMMON "," VDDK_SOURCE "," RHV_DESTINATION "}", "\"yes\"");

        refused(warm, "warm: true is not supported");
        refused(warm_str, "warm: expected true, false or null");
        refused("{\"vm_name\": \"a\", \"osp_source_vm_id\": \"c28d5a15\"}", "osp_source_vm_id:");
}

static void test_unknown_keys_pass(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) notes = NULL;
        g_autofree char *spec = NULL;

        /* not the wrapper's to judge: the daemon refuses it, naming it */
        g_assert_true(wrapper_translate("{\"vm_name\": \"a\", \"backend\": \"direct\"}", 0, &spec, &notes, &error));
        g_assert_nonnull(strstr(spec, "\"backend\""));
        g_assert_cmpuint(notes->len, ==, 0);
        g_assert_false(wrapper_translate("[1]", 0, &spec, &notes, &error));
        g_assert_error(error, WRAPPER_ERROR, WRAPPER_ERROR_INVALID);
}

static void refused_as_root(const char *doc, const char *key) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) notes = NULL;
        g_autofree char *spec = NULL;

        g_assert_false(wrapper_translate(doc, WRAPPER_ROOT, &spec, &notes, &error));
        g_assert_error(error, WRAPPER_ERROR, WRAPPER_ERROR_REFUSED);
        if (!g_str_has_prefix(error->message, key))
                g_error("expected a refusal naming %s, got: %s", key, error->message);
        g_assert_null(spec);
}

/* What a sudo caller could make root do, were the document passed on. */
#define RHV "\"rhv_url\": \"https://e/api\", \"rhv_password\": \"p\", \"rhv_cluster\": \"c\", \"rhv_storage\": \"s\""
#define VDDK "\"vm_name\": \"a\", \"transport_method\": \"vddk\", \"vmware_uri\": \"vpx://h/dc/host\""
static void test_root_vocabulary(void) {
        /* the first round's attacks: a --qemu-boot script, root-only inputs,
         * outputs written through symlinks */
        refused_as_root("{\"vm_name\": \"a\", \"disk\": [\"/home/u/i.img\"], \"qemu_dir\": \"/home/u/q\", "
                        "\"qemu_boot\": true}", "disk:");
        refused_as_root("{" VDDK ", \"qemu_dir\": \"/home/u/q\", \"qemu_boot\": true}", "qemu_dir:");
        refused_as_root("{\"vm_name\": \"a\", \"transport_method\": \"vddk\", \"disk\": [\"/root/secret.img\"], " RHV "}",
                        "disk:");
        refused_as_root("{" VDDK ", \"output_dir\": \"/etc\"}", "output_dir:");
        refused_as_root("{" VDDK ", \"ova\": \"/root/x.ova\", " RHV "}", "ova:");
        refused_as_root("{" VDDK ", \"libvirtxml\": \"/root/x.xml\", " RHV "}", "libvirtxml:");
        refused_as_root("{" VDDK ", \"kubevirt_dir\": \"/etc\"}", "kubevirt_dir:");
        refused_as_root("{" VDDK ", \"libvirt_output_uri\": \"qemu:///system\"}", "libvirt_output_uri:");
        refused_as_root("{" VDDK ", \"profile\": \"local\", " RHV "}", "profile:");
        refused_as_root("{" VDDK ", \"in_place\": true, " RHV "}", "in_place:");
        refused_as_root("{" VDDK ", \"rhv_cafile\": \"/root/ca.pem\", " RHV "}", "rhv_cafile:");
        refused_as_root("{" VDDK ", \"name\": \"x\", " RHV "}", "name:");
        refused_as_root("{" VDDK ", \"backend\": \"direct\", " RHV "}", "backend:");
        /* a program of the caller's: a VDDK library, an option for ssh */
        refused_as_root("{" VDDK ", \"vddk_libdir\": \"/home/u/vddk\", " RHV "}", "vddk_libdir:");
        refused_as_root("{\"vm_name\": \"ssh://-oProxyCommand=x/vmfs/volumes/d/a/a.vmx\", "
                        "\"transport_method\": \"ssh\", " RHV "}", "vmware_uri:");
        refused_as_root("{" VDDK ", \"virtio_win\": \"/home/u/drivers.iso\", " RHV "}", "virtio_win:");
        refused_as_root("{" VDDK ", \"virtio_win\": \"/usr/share/virtio-win/../../../home/u/d.iso\", " RHV "}",
                        "virtio_win:");
        /* a source and an output of the old wrapper's, exactly one */
        refused_as_root("{\"vm_name\": \"a\", " RHV "}", "transport_method:");
        refused_as_root("{" VDDK "}", "rhv_url:");
        refused_as_root("{" VDDK ", \"export_domain\": \"nfs:/e\", " RHV "}", "export_domain:");

        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) notes = NULL;
        g_autofree char *spec = NULL;
        g_assert_true(wrapper_translate("{" VDDK ", \"vddk_libdir\": \"/opt/vmware-vix-disklib-distrib\", "
                                        "\"virtio_win\": \"/usr/share/virtio-win/virtio-win.iso\", "
                                        "\"luks_keys_vault\": \"/root/.v2v_luks_keys_vault.json\", "
                                        "\"throttling\": {\"cpu\": \"50%\"}, " RHV "}",
                                        WRAPPER_ROOT, &spec, &notes, &error));
        g_assert_no_error(error);
}

static JsonObject *render(const char *state, char **ret_job_state) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = wrapper_render_state(state, 4242, ret_job_state, &error);
        g_autoptr(JsonParser) p = json_parser_new();

        g_assert_no_error(error);
        g_assert_true(json_parser_load_from_data(p, out, -1, NULL));
        return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static void test_state_queued(void) {
        g_autofree char *job_state = NULL;
        g_autoptr(JsonObject) o = render("{\"id\": \"3\", \"state\": \"queued\", \"started\": false, \"progress\": 0,"
                                         "\"disks\": [{\"path\": \"[ds] a.vmdk\", \"progress\": 0}],"
                                         "\"throttling\": {\"cpu\": \"unlimited\", \"network\": \"unlimited\"}}",
                                         &job_state);

        g_assert_cmpstr(job_state, ==, "queued");
        g_assert_cmpint(json_object_get_int_member(o, "pid"), ==, 4242);  /* ours: killing it cancels */
        g_assert_false(json_object_has_member(o, "finished"));            /* ManageIQ: active */
        g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "last_message"), "type"),
                        ==, "info");
        g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "disks")), ==, 1);
}

static void test_state_running_and_finished(void) {
        g_autofree char *s1 = NULL, *s2 = NULL;
        g_autoptr(JsonObject) running = render("{\"state\": \"running\", \"started\": true, \"pid\": 77, \"disks\": []}",
                                               &s1);
        g_autoptr(JsonObject) done = render("{\"state\": \"succeeded\", \"finished\": true, \"return_code\": 0,"
                                            "\"vm_id\": \"f1e2\", \"disks\": []}", &s2);

        g_assert_cmpint(json_object_get_int_member(running, "pid"), ==, 77);  /* virt-v2v's */
        g_assert_false(json_object_has_member(done, "pid"));
        g_assert_cmpstr(json_object_get_string_member(done, "vm_id"), ==, "f1e2");
        g_assert_cmpstr(s2, ==, "succeeded");
}

static void test_state_bad(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *s = NULL;

        g_assert_null(wrapper_render_state("{\"state\": ", 1, &s, &error));
        g_assert_error(error, WRAPPER_ERROR, WRAPPER_ERROR_INVALID);
        g_assert_null(s);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/wrapper-compat/vddk-rhv", test_vddk_rhv);
        g_test_add_func("/wrapper-compat/vddk-rhv-warm-null", test_vddk_rhv_warm_null);
        g_test_add_func("/wrapper-compat/ssh-rhv", test_ssh_rhv);
        g_test_add_func("/wrapper-compat/vddk-openstack", test_vddk_openstack);
        g_test_add_func("/wrapper-compat/refused", test_refused);
        g_test_add_func("/wrapper-compat/unknown-keys-pass", test_unknown_keys_pass);
        g_test_add_func("/wrapper-compat/root-vocabulary", test_root_vocabulary);
        g_test_add_func("/wrapper-compat/state-queued", test_state_queued);
        g_test_add_func("/wrapper-compat/state-running-and-finished", test_state_running_and_finished);
        g_test_add_func("/wrapper-compat/state-bad", test_state_bad);
        return g_test_run();
}
