/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec: validation (every error names the key and what was expected),
 * untrusted-input limits, secrets and their redaction, profiles, the LUKS
 * keys vault, output file patterns.
 */
#include <json-glib/json-glib.h>
#include <sys/stat.h>

#include "spec-test-util.h"

#define DISK "\"disk\": [\"@T@/disk1.img\"]"
#define OUT "\"output_dir\": \"@T@/out\""
#define VDDK "\"transport_method\": \"vddk\", \"vmware_uri\": \"vpx://vc/DC/h\", " \
             "\"vmware_password\": \"pw\", \"vmware_fingerprint\": \"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\""

typedef struct ErrCase {
        const char *spec;
        const char *message;    /* "@T@" expanded; a trailing "*" = prefix */
} ErrCase;

static const ErrCase err_cases[] = {
        /* the document */
        { "{", "spec: expected JSON: *" },
        { "[]", "spec: expected a JSON object, got an array" },
        { "\"x\"", "spec: expected a JSON object, got a string" },
        { "{\"vm_name\": \"\xff\"}", "spec: expected UTF-8 text, invalid byte at offset 13" },
        { "{\"vm_name\": \"a\\u0000b\", " DISK ", " OUT "}", "spec: a NUL character (\\u0000) in a string is not allowed" },
        /* what json-glib 1.6 would accept, leak on, or turn into non-UTF-8 */
        { "{\"vm_name\": \"g\", " DISK ", " OUT, "spec: expected JSON: the JSON object is not complete (truncated?)" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT "} x", "spec: expected JSON: text after the JSON object" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT "} {}", "spec: expected JSON: text after the JSON object" },
        { "{\"vm_name\": \"\\ud800\", " DISK ", " OUT "}", "spec: an unpaired UTF-16 surrogate escape in a string" },
        { "{\"vm_name\": \"\\udc00x\", " DISK ", " OUT "}", "spec: an unpaired UTF-16 surrogate escape in a string" },
        { "{\"vm_name\": \"a]]\", " DISK ", " OUT "}}", "spec: expected JSON: text after the JSON object" },
        { "{\"vm_name\": \"\\u013uuuu\", " DISK ", " OUT "}", "spec: expected JSON: an invalid escape sequence in a string" },
        { "{\"vm_name\": \"a\\xb\", " DISK ", " OUT "}", "spec: expected JSON: an invalid escape sequence in a string" },
        { "{\"vm_name\": \"a\tb\", " DISK ", " OUT "}", "spec: expected JSON: a control character in a string (escape it)" },
        /* keys */
        { "{" DISK ", " OUT "}", "vm_name: missing, required (the name of the VM to convert)" },
        { "{\"vm_name\": 42, " DISK ", " OUT "}", "vm_name: expected a string, got 42" },
        { "{\"vm_name\": \"\", " DISK ", " OUT "}", "vm_name: expected a non-empty string" },
        { "{\"vm_name\": \"a/b\", " DISK ", " OUT "}", "vm_name: expected a name without \"/\", got \"a/b\"" },
        { "{\"vm_name\": \"a\\nb\", " DISK ", " OUT "}", "vm_name: expected a name without control characters" },
        { "{\"vm_name\": \"-oo\", " DISK ", " OUT "}", "vm_name: expected a name not starting with \"-\", got \"-oo\"" },
        { "{\"vm_name\": \"g\", \"name\": \"x/y\", " DISK ", " OUT "}", "name: expected a name without \"/\", got \"x/y\"" },
        { "{\"vm_name\": \"g\", \"vm_nmae\": \"g\", " DISK ", " OUT "}",
          "\"vm_nmae\": unknown key (expected one of the keys of v2vd.job(5))" },
        /* inputs */
        { "{\"vm_name\": \"g\", " OUT "}",
          "no input: expected one of transport_method (VMware, with vmware_uri), libvirt_uri, ova, disk, libvirtxml or vmx" },
        { "{\"vm_name\": \"g\", \"ova\": \"@T@/guest.ova\", " DISK ", " OUT "}",
          "conflicting inputs \"ova\" and \"disk\": expected exactly one input" },
        { "{\"vm_name\": \"g\", " VDDK ", \"libvirt_uri\": \"qemu:///system\", " OUT "}",
          "conflicting inputs \"transport_method\" and \"libvirt_uri\": expected exactly one input" },
        { "{\"vm_name\": \"g\", \"vmware_uri\": \"vpx://vc/DC/h\", " OUT "}",
          "transport_method: missing, required with vmware_uri (expected \"vddk\" or \"ssh\")" },
        { "{\"vm_name\": \"g\", \"transport_method\": \"ftp\", " OUT "}",
          "transport_method: expected \"vddk\" or \"ssh\", got \"ftp\"" },
        { "{\"vm_name\": \"g\", \"transport_method\": \"vddk\", \"vmware_uri\": \"vpx://vc/DC/h\","
          " \"vmware_fingerprint\": \"AA:BB\", " OUT "}",
          "vmware_password: missing, required with transport_method \"vddk\"" },
        { "{\"vm_name\": \"g\", \"transport_method\": \"vddk\", \"vmware_uri\": \"vpx://vc/DC/h\","
          " \"vmware_password\": 1234, " OUT "}",
          "vmware_password: expected a string, got a number" },
        { "{\"vm_name\": \"g\", \"transport_method\": \"vddk\", \"vmware_uri\": \"vpx://vc/DC/h\","
          " \"vmware_password\": \"pw\", \"vmware_fingerprint\": \"not-hex\", " OUT "}",
          "vmware_fingerprint: expected hexadecimal byte pairs separated by \":\" (xx:xx:…), got \"not-hex\"" },
        { "{\"vm_name\": \"g\", \"transport_method\": \"vddk\", \"vmware_uri\": \"qemu:///system\","
          " \"vmware_password\": \"pw\", " OUT "}",
          "vmware_uri: expected an esx:// or vpx:// URI for transport_method \"vddk\", got \"qemu:///system\"" },
        { "{\"vm_name\": \"g\", \"transport_method\": \"ssh\", " OUT "}",
          "vmware_uri: missing, required with transport_method \"ssh\" (an ssh://USER@HOST/vmfs/volumes/DATASTORE/VM/VM.vmx "
          "URI) unless vm_name is that URI" },
        { "{\"vm_name\": \"g\", \"transport_method\": \"ssh\", \"vmware_uri\": \"ssh://h/g.ovf\", " OUT "}",
          "vmware_uri: expected an ssh://USER@HOST/…/VM.vmx URI for transport_method \"ssh\", got \"ssh://h/g.ovf\"" },
        { "{\"vm_name\": \"g\", " VDDK ", \"ssh_key\": \"k\", " OUT "}",
          "ssh_key: only valid with transport_method \"ssh\" or a libvirt_uri over ssh" },
        { "{\"vm_name\": \"g\", " DISK ", \"ssh_key\": \"k\", " OUT "}",
          "ssh_key: only valid with transport_method \"ssh\" or a libvirt_uri over ssh" },
        { "{\"vm_name\": \"g\", \"libvirt_uri\": \"vpx://vc/DC/h\", \"ssh_key\": \"k\", " OUT "}",
          "ssh_key: only valid with transport_method \"ssh\" or a libvirt_uri over ssh (such as xen+ssh://)" },
        { "{\"vm_name\": \"g\", " DISK ", \"vmware_password\": \"pw\", " OUT "}",
          "vmware_password: only valid with transport_method \"vddk\" or \"ssh\"" },
        { "{\"vm_name\": \"g\", \"ova\": \"@T@/guest.ova\", \"libvirt_password\": \"pw\", " OUT "}",
          "libvirt_password: only valid with libvirt_uri" },
        { "{\"vm_name\": \"g\", \"libvirt_uri\": \"notauri\", " OUT "}",
          "libvirt_uri: expected a libvirt URI (vpx://…, esx://…, xen+ssh://…, qemu:///system), got \"notauri\"" },
        { "{\"vm_name\": \"g\", \"disk\": [], " OUT "}", "disk: expected a non-empty array of disk image paths, got []" },
        { "{\"vm_name\": \"g\", \"disk\": \"@T@/disk1.img\", " OUT "}",
          "disk: expected a non-empty array of disk image paths, got \"@T@/disk1.img\"" },
        { "{\"vm_name\": \"g\", \"disk\": [\"@T@/disk1.img\", \"@T@/nope.img\"], " OUT "}",
          "disk[1]: cannot access \"@T@/nope.img\": No such file or directory" },
        { "{\"vm_name\": \"g\", \"disk\": [\"disk1.img\"], " OUT "}", "disk[0]: expected an absolute path, got \"disk1.img\"" },
        { "{\"vm_name\": \"g\", \"disk\": [\"@T@/out\"], " OUT "}",
          "disk[0]: \"@T@/out\" is not a disk image (a regular file or block device)" },
        { "{\"vm_name\": \"g\", \"disk\": [true], " OUT "}", "disk[0]: expected a string, got true" },
        { "{\"vm_name\": \"g\", \"ova\": \"@T@/nope.ova\", " OUT "}",
          "ova: cannot access \"@T@/nope.ova\": No such file or directory" },
        { "{\"vm_name\": \"g\", \"libvirtxml\": \"@T@/nope.xml\", " OUT "}",
          "libvirtxml: cannot access \"@T@/nope.xml\": No such file or directory" },
        { "{\"vm_name\": \"g\", \"libvirtxml\": \"@T@/out\", " OUT "}", "libvirtxml: \"@T@/out\" is not a regular file" },
        /* outputs */
        { "{\"vm_name\": \"g\", " DISK "}",
          "no output: expected one of rhv_url, export_domain, osp_environment, output_dir, libvirt_output_uri, "
          "qemu_dir, kubevirt_dir, vdsm_storage_domain or null_output (or in_place: true)" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"qemu_dir\": \"@T@/qemu\"}",
          "conflicting outputs \"output_dir\" and \"qemu_dir\": expected exactly one output" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"rhv_cluster\": \"Default\"}",
          "rhv_cluster: only valid with rhv_url (the oVirt upload output)" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"qemu_boot\": true}",
          "qemu_boot: only valid with qemu_dir (the qemu output)" },
        { "{\"vm_name\": \"g\", " DISK ", \"rhv_url\": \"https://e/ovirt-engine/api\", \"rhv_password\": \"pw\","
          " \"rhv_cluster\": \"c\"}",
          "rhv_storage: missing, required by the oVirt upload output (rhv_url)" },
        { "{\"vm_name\": \"g\", " DISK ", \"rhv_url\": \"https://e/ovirt-engine/api\", \"rhv_cluster\": \"c\"}",
          "rhv_password: missing, required by the oVirt upload output (rhv_url)" },
        { "{\"vm_name\": \"g\", " DISK ", \"rhv_url\": \"ftp://e\", \"rhv_password\": \"pw\"}",
          "rhv_url: expected an https:// URL of the oVirt API (https://ENGINE/ovirt-engine/api), got \"ftp://e\"" },
        { "{\"vm_name\": \"g\", " DISK ", \"rhv_url\": \"https://e/ovirt-engine/api\", \"rhv_password\": \"pw\","
          " \"rhv_cluster\": \"c\", \"rhv_storage\": \"s\", \"rhv_cafile\": \"@T@/nope.pem\"}",
          "rhv_cafile: cannot access \"@T@/nope.pem\": No such file or directory" },
        { "{\"vm_name\": \"g\", " DISK ", \"export_domain\": \"relative\"}",
          "export_domain: expected HOST:/PATH or an absolute path, got \"relative\"" },
        { "{\"vm_name\": \"g\", " DISK ", \"output_dir\": \"@T@/nope\"}",
          "output_dir: cannot access \"@T@/nope\": No such file or directory" },
        { "{\"vm_name\": \"g\", " DISK ", \"output_dir\": \"@T@/disk1.img\"}",
          "output_dir: \"@T@/disk1.img\" is not a directory" },
        { "{\"vm_name\": \"g\", " DISK ", \"osp_environment\": {}}",
          "osp_server_id: missing, required by the OpenStack output (osp_environment)" },
        { "{\"vm_name\": \"g\", " DISK ", \"osp_environment\": [], \"osp_server_id\": \"s\"}",
          "osp_environment: expected an object of OS_* variables, got an array" },
        { "{\"vm_name\": \"g\", " DISK ", \"osp_environment\": {\"AUTH_URL\": \"x\"}, \"osp_server_id\": \"s\"}",
          "osp_environment.\"AUTH_URL\": expected a variable name starting with OS_ (such as OS_AUTH_URL)" },
        { "{\"vm_name\": \"g\", " DISK ", \"osp_environment\": {\"OS_PASSWORD\": 1.5}, \"osp_server_id\": \"s\"}",
          "osp_environment.\"OS_PASSWORD\": expected a string, an integer or a boolean, got a number" },
        { "{\"vm_name\": \"g\", " DISK ", \"osp_environment\": {\"OS_CLOUD\": \"c\", \"OS_PASSWORD\": \"p\"},"
          " \"osp_server_id\": \"s\"}",
          "osp_environment.OS_CLOUD: cannot be combined with secret variables (v2vd passes those to the openstack "
          "client in a cloud of its own)" },
        { "{\"vm_name\": \"g\", " DISK ", \"osp_environment\": {}, \"osp_server_id\": \"s\", \"output_format\": \"qcow2\"}",
          "output_format: expected \"raw\" with the OpenStack output, got \"qcow2\"" },
        { "{\"vm_name\": \"g\", " DISK ", \"osp_environment\": {}, \"osp_server_id\": \"s\", \"allocation\": \"preallocated\"}",
          "allocation: expected \"sparse\" with the OpenStack output, got \"preallocated\"" },
        { "{\"vm_name\": \"g\", " DISK ", \"osp_environment\": {}, \"osp_server_id\": \"s\", \"osp_security_groups_ids\": \"x\"}",
          "osp_security_groups_ids: expected an array of strings, got \"x\"" },
        /* general */
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"output_format\": \"vmdk\"}",
          "output_format: expected \"raw\" or \"qcow2\", got \"vmdk\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"allocation\": \"thin\"}",
          "allocation: expected \"sparse\" or \"preallocated\", got \"thin\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"install_drivers\": \"yes\"}",
          "install_drivers: expected true or false, got \"yes\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"virtio_win\": \"@T@/nope.iso\"}",
          "virtio_win: cannot access \"@T@/nope.iso\": No such file or directory" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"source_disks\": \"x\"}",
          "source_disks: expected an array of strings, got \"x\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {\"cpu\": \"fast\"}}",
          "throttling.cpu: expected N% or \"unlimited\", got \"fast\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {\"cpu\": \"0%\"}}",
          "throttling.cpu: expected N% or \"unlimited\", got \"0%\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {\"cpu\": \"10001%\"}}",
          "throttling.cpu: expected N% or \"unlimited\", got \"10001%\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {\"cpu\": 50}}",
          "throttling.cpu: expected N% or \"unlimited\", got 50" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {\"network\": \"1.5M\"}}",
          "throttling.network: expected bytes per second as digits or \"unlimited\", got \"1.5M\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {\"network\": -1}}",
          "throttling.network: expected bytes per second as digits or \"unlimited\", got -1" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {\"io\": \"1\"}}",
          "throttling.\"io\": unknown key, expected \"cpu\", \"network\" or \"disk\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {\"disk\": \"fast\"}}",
          "throttling.disk: expected bytes per second as digits or \"unlimited\", got \"fast\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"priority\": 1.5}",
          "priority: expected an integer from -1000 to 1000, got 1.5" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"priority\": 1001}",
          "priority: expected an integer from -1000 to 1000, got 1001" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"priority\": \"high\"}",
          "priority: expected an integer from -1000 to 1000, got \"high\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"not_before\": \"tomorrow\"}",
          "not_before: expected an RFC 3339 time with its offset (e.g. \"2026-12-24T22:00:00+01:00\"), got \"tomorrow\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"ignore_window\": 1}",
          "ignore_window: expected true or false, got 1" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": \"50%\"}",
          "throttling: expected an object {\"cpu\": …, \"network\": …}, got \"50%\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"network_mappings\": {}}",
          "network_mappings: expected an array of {source, destination, mac_address?}, got an object" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"network_mappings\": [{\"source\": \"a\"}]}",
          "network_mappings[0].destination: missing, required in every network mapping" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"network_mappings\": [{\"destination\": \"a\"}]}",
          "network_mappings[0].source: missing, required in every network mapping" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"network_mappings\": [{\"source\": \"a:b\", \"destination\": \"c\"}]}",
          "network_mappings[0].source: expected a network name without \":\", got \"a:b\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"network_mappings\": [{\"source\": \"a\", \"destination\": \"b\","
          " \"mac_address\": \"00:50:56:a6:ee\"}]}",
          "network_mappings[0].mac_address: expected a MAC address xx:xx:xx:xx:xx:xx, got \"00:50:56:a6:ee\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"network_mappings\": [{\"source\": \"a\", \"destination\": \"b\","
          " \"type\": \"vlan\"}]}",
          "network_mappings[0].type: expected \"bridge\" or \"network\", got \"vlan\"" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"network_mappings\": [{\"source\": \"a\", \"destination\": \"b\","
          " \"vlan\": 3}]}",
          "network_mappings[0].\"vlan\": unknown key, expected source, destination, mac_address or type" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"network_mappings\": [\"a:b\"]}",
          "network_mappings[0]: expected an object {source, destination, mac_address?}, got \"a:b\"" },
        /* in place */
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"in_place\": true}",
          "output_dir: not allowed with in_place (virt-v2v-in-place has no output)" },
        { "{\"vm_name\": \"g\", " DISK ", \"rhv_cluster\": \"c\", \"in_place\": true}",
          "rhv_cluster: not allowed with in_place (virt-v2v-in-place has no output)" },
        { "{\"vm_name\": \"g\", \"ova\": \"@T@/guest.ova\", \"in_place\": true}",
          "in_place: only valid with the disk or libvirtxml input" },
        { "{\"vm_name\": \"g\", " DISK ", \"in_place\": true, \"output_format\": \"qcow2\"}",
          "output_format: not allowed with in_place (virt-v2v-in-place writes no new disks)" },
        { "{\"vm_name\": \"g\", " DISK ", \"in_place\": 1}", "in_place: expected true or false, got 1" },
        /* vmx, null, vdsm */
        { "{\"vm_name\": \"g\", \"vmx\": \"@T@/nope.vmx\", " OUT "}",
          "vmx: cannot access \"@T@/nope.vmx\": No such file or directory" },
        { "{\"vm_name\": \"g\", \"vmx\": \"@T@/guest.vmx\", " DISK ", " OUT "}",
          "conflicting inputs \"disk\" and \"vmx\": expected exactly one input" },
        { "{\"vm_name\": \"g\", " DISK ", \"null_output\": false}",
          "null_output: expected true (convert and write nothing), got false" },
        { "{\"vm_name\": \"g\", " DISK ", \"null_output\": true, " OUT "}",
          "conflicting outputs \"output_dir\" and \"null_output\": expected exactly one output" },
        { "{\"vm_name\": \"g\", " DISK ", \"vdsm_storage_domain\": \"@T@/out\"}",
          "vdsm_storage_domain: expected the data domain's directory, …/STORAGE-DOMAIN-UUID, got \"@T@/out\"" },
        { "{\"vm_name\": \"g\", " DISK ", \"vdsm_storage_domain\": \"@T@/11111111-2222-3333-4444-555555555555\"}",
          "vdsm_vm_uuid: missing, required by the VDSM output (vdsm_storage_domain)" },
        { "{\"vm_name\": \"g\", " DISK ", \"vdsm_storage_domain\": \"@T@/11111111-2222-3333-4444-555555555555\","
          " \"vdsm_vm_uuid\": \"x\"}",
          "vdsm_vm_uuid: expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got \"x\"" },
        { "{\"vm_name\": \"g\", " DISK ", \"vdsm_storage_domain\": \"@T@/11111111-2222-3333-4444-555555555555\","
          " \"vdsm_vm_uuid\": \"11111111-2222-3333-4444-555555555555\", \"vdsm_image_uuids\": [],"
          " \"vdsm_volume_uuids\": [], \"vdsm_ovf_dir\": \"@T@/out\"}",
          "vdsm_image_uuids: expected a non-empty array of UUIDs, one per disk, got []" },
        { "{\"vm_name\": \"g\", " DISK ", \"vdsm_storage_domain\": \"@T@/11111111-2222-3333-4444-555555555555\","
          " \"vdsm_vm_uuid\": \"11111111-2222-3333-4444-555555555555\","
          " \"vdsm_image_uuids\": [\"11111111-2222-3333-4444-555555555555\"],"
          " \"vdsm_volume_uuids\": [\"11111111-2222-3333-4444-555555555555\", \"11111111-2222-3333-4444-555555555556\"],"
          " \"vdsm_ovf_dir\": \"@T@/out\"}",
          "vdsm_volume_uuids: expected as many UUIDs as vdsm_image_uuids (1), got 2" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"vdsm_vm_uuid\": \"11111111-2222-3333-4444-555555555555\"}",
          "vdsm_vm_uuid: only valid with vdsm_storage_domain (the VDSM output)" },
        /* profiles */
        { "{\"vm_name\": \"g\", " DISK ", \"profile\": \"../etc/passwd\"}",
          "profile: expected a name of letters, digits, \"_\", \".\" and \"-\" without \"..\", got \"../etc/passwd\"" },
        { "{\"vm_name\": \"g\", " DISK ", \"profile\": \"a/b\"}",
          "profile: expected a name of letters, digits, \"_\", \".\" and \"-\" without \"..\", got \"a/b\"" },
        { "{\"vm_name\": \"g\", " DISK ", \"profile\": \"nope\"}",
          "profile: no profile \"nope\" (looked in @T@/prof1, @T@/prof2)" },
        { "{\"vm_name\": \"g\", " DISK ", \"profile\": \"bad-keys\"}",
          "profile \"bad-keys\": key \"vm_name\" is not allowed in a profile (expected output keys, output_format, "
          "allocation, network_mappings, throttling)" },
        { "{\"vm_name\": \"g\", " DISK ", \"profile\": \"not-json\"}", "profile \"not-json\": expected JSON: *" },
        /* LUKS */
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"luks_keys_vault\": \"@T@/nope.json\"}",
          "luks_keys_vault: cannot open \"@T@/nope.json\": No such file or directory" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"luks_keys_vault\": \"@T@/vault-0644.json\"}",
          "luks_keys_vault: \"@T@/vault-0644.json\" must be owned by uid @UID@ and not be accessible by group or "
          "others (it is owned by uid @UID@, mode 0644)" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"luks_keys_vault\": \"@T@/vault-link.json\"}",
          "luks_keys_vault: cannot open \"@T@/vault-link.json\": it is a symbolic link" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"luks_keys_vault\": \"@T@/vault-bad.json\"}",
          "luks_keys_vault: the entry for \"g\", item 0: expected {\"device\": \"/dev/sdXN\", \"key\": \"…\"} "
          "with non-empty strings" },
        { "{\"vm_name\": \"g\", " DISK ", " OUT ", \"luks_keys_vault\": \"vault.json\"}",
          "luks_keys_vault: expected an absolute path, got \"vault.json\"" },
};

static char *expand_msg(const char *m) {
        g_autofree char *a = t_expand(m);
        g_autofree char *uid = g_strdup_printf("%u", (unsigned) getuid());
        g_auto(GStrv) parts = g_strsplit(a, "@UID@", -1);
        return g_strjoinv(uid, parts);
}

static void test_error_case(gconstpointer data) {
        const ErrCase *c = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vSpec) spec = t_parse(c->spec, &error);
        g_autofree char *want = expand_msg(c->message);

        if (spec)
                g_test_message("accepted: %s", c->spec);
        g_assert_null(spec);
        g_assert_error(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID);
        if (!error)
                return;
        if (g_str_has_suffix(want, "*")) {
                want[strlen(want) - 1] = '\0';
                if (!g_str_has_prefix(error->message, want))
                        g_assert_cmpstr(error->message, ==, want);
        } else
                g_assert_cmpstr(error->message, ==, want);
}

static void test_limits(void) {
        g_autoptr(GString) deep = g_string_new("{\"vm_name\": \"g\", \"x\": ");
        g_autoptr(GString) ok = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vSpec) spec = NULL;
        g_autofree char *big = NULL;
        V2vSpecContext ctx = t_ctx();

        /* 1 object + 32 arrays = 33 levels */
        for (int i = 0; i < 32; i++)
                g_string_append_c(deep, '[');
        for (int i = 0; i < 32; i++)
                g_string_append_c(deep, ']');
        g_string_append_c(deep, '}');
        spec = v2v_spec_parse(deep->str, &ctx, &error);
        g_assert_null(spec);
        g_assert_cmpstr(error->message, ==, "spec: nesting deeper than 32 levels");
        g_clear_error(&error);

        /* 100000 levels must not reach json-glib's recursion */
        big = g_strnfill(100000, '[');
        spec = v2v_spec_parse(big, &ctx, &error);
        g_assert_null(spec);
        g_assert_cmpstr(error->message, ==, "spec: nesting deeper than 32 levels");
        g_clear_error(&error);
        g_clear_pointer(&big, g_free);

        /* brackets inside strings do not count */
        ok = g_string_new("{\"vm_name\": \"");
        for (int i = 0; i < 100; i++)
                g_string_append(ok, "[{");
        g_string_append(ok, "\", \"x\": 1}");
        spec = v2v_spec_parse(ok->str, &ctx, &error);
        g_assert_null(spec);
        g_assert_cmpstr(error->message, ==, "\"x\": unknown key (expected one of the keys of v2vd.job(5))");
        g_clear_error(&error);

        big = g_strnfill(1024 * 1024 + 1, ' ');
        spec = v2v_spec_parse(big, &ctx, &error);
        g_assert_null(spec);
        g_assert_cmpstr(error->message, ==, "spec: document too large (1048577 bytes), expected at most 1 MiB");
        g_clear_error(&error);

        /* an escaped backslash before u0000 is no NUL */
        spec = t_parse_ok("{\"vm_name\": \"a\\\\u0000b\", " DISK ", " OUT "}");
        g_assert_cmpstr(spec->vm_name, ==, "a\\u0000b");
}

static void test_garbage_never_crashes(void) {
        static const char *const inputs[] = {
                "", " ", "null", "0", "true", "{}", "{\"vm_name\": null}", "{\"vm_name\": {}}",
                "{\"vm_name\": \"g\", \"disk\": [null]}", "{\"vm_name\": \"g\", \"disk\": [[]]}",
                "{\"vm_name\": \"g\", \"throttling\": null, \"disk\": null}", "{\"\": 1}", "{\"vm_name\": \"g\",}",
                "{\"vm_name\": \"g\" \"x\": 1}", "\xc3", "{\"vm_name\": \"\\ud800\"}", "[[[[", "]]]]}}}}",
                "{\"vm_name\": \"g\", \"osp_environment\": {\"OS_\": 1}, " DISK "}",
                NULL
        };
        V2vSpecContext ctx = t_ctx();

        for (const char *const *i = inputs; *i; i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *json = t_expand(*i);
                g_autoptr(V2vSpec) spec = v2v_spec_parse(json, &ctx, &error);
                g_assert_null(spec);
                g_assert_error(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID);
        }
}

static void test_null_is_absent(void) {
        g_autoptr(V2vSpec) spec = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT ", \"rhv_cafile\": null,"
                                             " \"allocation\": null, \"throttling\": null}");

        g_assert_cmpint(spec->output, ==, V2V_OUTPUT_LOCAL);
        g_assert_null(spec->cpu_limit);
        g_assert_cmpint(spec->network_limit, ==, -1);
}

static void test_ignored_keys_warn(void) {
        g_autoptr(V2vSpec) spec = t_parse_ok(
                "{\"vm_name\": \"g\", " DISK ", " OUT ", \"daemonize\": false, \"two_phase\": true,"
                " \"conversion_host_uuid\": \"u\", \"rhv_debug\": true, \"osp_source_vm_id\": \"a\","
                " \"osp_source_conversion_vm_id\": \"b\", \"uci_container_image\": \"i\","
                " \"osp_source_environment\": {\"os-password\": \"secret-password\"}}");

        g_assert_cmpuint(spec->warnings->len, ==, 8);
        g_assert_cmpstr(spec->warnings->pdata[0], ==,
                        "daemonize: accepted for virt-v2v-wrapper compatibility, not used by v2vd");
        g_assert_cmpstr(spec->warnings->pdata[7], ==,
                        "osp_source_environment: accepted for virt-v2v-wrapper compatibility, not used by v2vd");
}

static void test_throttling_values(void) {
        g_autoptr(V2vSpec) a = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT ","
                                          " \"throttling\": {\"cpu\": \"150%\", \"network\": \"1048576\"}}");
        g_autoptr(V2vSpec) b = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT ","
                                          " \"throttling\": {\"cpu\": \"unlimited\", \"network\": 2000000}}");
        g_autoptr(V2vSpec) c = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT ", \"throttling\": {}}");

        g_assert_cmpstr(a->cpu_limit, ==, "150%");
        g_assert_cmpint(a->network_limit, ==, 1048576);
        g_assert_cmpstr(b->cpu_limit, ==, "unlimited");
        g_assert_cmpint(b->network_limit, ==, 2000000);
        g_assert_null(c->cpu_limit);
        g_assert_cmpint(c->network_limit, ==, -1);
}

/* The scheduler's keys and a job's source host. */
static void test_scheduling(void) {
        g_autoptr(V2vSpec) a = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT ", \"priority\": -7,"
                                          " \"not_before\": \"2026-12-24T22:00:00+01:00\", \"ignore_window\": true,"
                                          " \"throttling\": {\"disk\": \"52428800\"}}");
        g_autoptr(V2vSpec) b = t_parse_ok("{\"vm_name\": \"g\", " VDDK ", " OUT "}");
        g_autoptr(V2vSpec) c = t_parse_ok("{\"vm_name\": \"g\", \"libvirt_uri\": \"xen+ssh://root@Xen1.Example.com\", " OUT "}");
        g_autoptr(V2vSpec) d = t_parse_ok("{\"vm_name\": \"g\", \"libvirt_uri\": \"qemu:///system\", " OUT "}");
        g_autofree char *ha = v2v_spec_source_host(a), *hb = v2v_spec_source_host(b);
        g_autofree char *hc = v2v_spec_source_host(c), *hd = v2v_spec_source_host(d);
        g_autoptr(GPtrArray) paths = v2v_spec_local_paths(a);

        g_assert_cmpint(a->priority, ==, -7);
        g_assert_cmpuint(a->not_before_usec, ==, 1798146000ULL * G_USEC_PER_SEC);
        g_assert_true(a->ignore_window);
        g_assert_cmpint(a->disk_limit, ==, 52428800);
        g_assert_cmpint(b->priority, ==, 0);
        g_assert_cmpuint(b->not_before_usec, ==, 0);
        g_assert_false(b->ignore_window);
        g_assert_cmpint(b->disk_limit, ==, -1);
        g_assert_cmpstr(ha, ==, "local");
        g_assert_cmpstr(hb, ==, "vc");
        g_assert_cmpstr(hc, ==, "xen1.example.com");
        g_assert_cmpstr(hd, ==, "local");
        g_assert_cmpuint(paths->len, ==, 2);
        g_assert_true(g_str_has_suffix(paths->pdata[0], "/disk1.img"));
        g_assert_true(g_str_has_suffix(paths->pdata[1], "/out"));
        g_assert_true(v2v_spec_text_ignores_window("{\"vm_name\": \"g\", \"ignore_window\": true}"));
        g_assert_false(v2v_spec_text_ignores_window("{\"vm_name\": \"ignore_window\"}"));
        g_assert_false(v2v_spec_text_ignores_window("{\"ignore_window\": false}"));
        g_assert_false(v2v_spec_text_ignores_window("{\"ignore_window\": true"));
}

static void test_disk_sizes(void) {
        g_autoptr(V2vSpec) a = t_parse_ok("{\"vm_name\": \"g\", \"disk\": [\"@T@/disk1.img\", \"@T@/disk2.qcow2\"], " OUT "}");
        g_autoptr(V2vSpec) b = t_parse_ok("{\"vm_name\": \"g\", \"disk\": [\"@T@/disk1.img\", \"@T@/disk2.qcow2\"], " OUT ","
                                          " \"source_disks\": [\"first\", \"second\"]}");
        g_autoptr(V2vSpec) c = t_parse_ok("{\"vm_name\": \"g\", \"ova\": \"@T@/guest.ova\", " OUT ","
                                          " \"source_disks\": [\"a\", \"b\", \"c\"]}");
        g_autofree char *d1 = t_expand("@T@/disk1.img");

        g_assert_cmpint(a->input, ==, V2V_INPUT_DISK);
        g_assert_cmpuint(a->source_disks->len, ==, 2);
        g_assert_cmpstr(a->source_disks->pdata[0], ==, d1);
        g_assert_cmpuint(a->source_disk_sizes->len, ==, 2);
        g_assert_cmpuint(g_array_index(a->source_disk_sizes, uint64_t, 0), ==, 10);
        g_assert_cmpuint(g_array_index(a->source_disk_sizes, uint64_t, 1), ==, 20);

        g_assert_cmpstr(b->source_disks->pdata[1], ==, "second");
        g_assert_cmpuint(g_array_index(b->source_disk_sizes, uint64_t, 1), ==, 20);

        g_assert_cmpuint(c->source_disks->len, ==, 3);
        g_assert_cmpuint(c->source_disk_sizes->len, ==, 3);
        g_assert_cmpuint(g_array_index(c->source_disk_sizes, uint64_t, 2), ==, 0);
}

static void test_redacted(void) {
        g_autoptr(V2vSpec) spec = t_parse_ok(
                "{\"vm_name\": \"g\", \"transport_method\": \"ssh\", \"vmware_uri\": \"ssh://root@h/vmfs/volumes/d/g/g.vmx\","
                " \"vmware_password\": \"s3cr3t-vm\", \"ssh_key\": \"-----BEGIN OPENSSH PRIVATE KEY-----\\nxyz\","
                " \"osp_environment\": {\"OS_AUTH_URL\": \"http://k/v3\", \"OS_PASSWORD\": \"hunter2\","
                " \"os-auth_token\": \"tok-abc123\", \"OS_APPLICATION_CREDENTIAL_SECRET\": \"appsecret-xyz\","
                " \"OS_KEY\": \"/etc/key.pem\", \"OS_USERNAME\": \"alice\"}, \"osp_server_id\": \"conv\","
                " \"osp_source_environment\": {\"os-password\": \"src-pass\", \"os-username\": \"bob\"}}");
        g_autofree char *r = v2v_spec_render_redacted(spec);
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        JsonObject *o, *env;
        static const char *const secrets[] = { "s3cr3t-vm", "OPENSSH", "hunter2", "tok-abc123", "appsecret-xyz",
                                               "/etc/key.pem", "src-pass", NULL };

        for (const char *const *s = secrets; *s; s++)
                g_assert_null(strstr(r, *s));
        /* ... and the live spec keeps them (a queued job's full spec is
         * written from it, to be started after a restart) */
        {
                g_autofree char *live = json_to_string(spec->root, false);
                for (const char *const *s = secrets; s[1]; s++)   /* all but src-pass: */
                        g_assert_nonnull(strstr(live, *s));
                /* ... a key v2vd ignores is not kept at all */
                g_assert_null(strstr(live, "osp_source_environment"));
                g_assert_null(strstr(r, "osp_source_environment"));
        }
        g_assert_true(json_parser_load_from_data(parser, r, -1, &error));
        o = json_node_get_object(json_parser_get_root(parser));
        env = json_object_get_object_member(o, "osp_environment");
        g_assert_false(json_object_has_member(o, "osp_source_environment"));
        g_assert_cmpstr(json_object_get_string_member(o, "vmware_password"), ==, "*****");
        g_assert_cmpstr(json_object_get_string_member(o, "ssh_key"), ==, "*****");
        g_assert_cmpstr(json_object_get_string_member(env, "OS_PASSWORD"), ==, "*****");
        g_assert_cmpstr(json_object_get_string_member(env, "os-auth_token"), ==, "*****");
        g_assert_cmpstr(json_object_get_string_member(env, "OS_APPLICATION_CREDENTIAL_SECRET"), ==, "*****");
        g_assert_cmpstr(json_object_get_string_member(env, "OS_KEY"), ==, "*****");
        g_assert_cmpstr(json_object_get_string_member(env, "OS_USERNAME"), ==, "alice");
        g_assert_cmpstr(json_object_get_string_member(env, "OS_AUTH_URL"), ==, "http://k/v3");
        g_assert_cmpstr(json_object_get_string_member(o, "vm_name"), ==, "g");

        /* secrets are held apart, by file name */
        g_assert_cmpuint(spec->secrets->len, ==, 3);
        g_assert_cmpstr(((V2vSecret *) spec->secrets->pdata[0])->file_name, ==, "vmware_password");
        g_assert_cmpstr(((V2vSecret *) spec->secrets->pdata[0])->value, ==, "s3cr3t-vm");
        g_assert_cmpstr(((V2vSecret *) spec->secrets->pdata[1])->file_name, ==, "ssh_key");
        g_assert_cmpstr(((V2vSecret *) spec->secrets->pdata[1])->value, ==, "-----BEGIN OPENSSH PRIVATE KEY-----\nxyz");
        g_assert_cmpstr(((V2vSecret *) spec->secrets->pdata[2])->file_name, ==, "clouds.yaml");
}

static void test_secret_exact_value(void) {
        /* written exactly as given: a trailing newline is part of the password */
        g_autoptr(V2vSpec) spec = t_parse_ok("{\"vm_name\": \"g\", \"libvirt_uri\": \"esx://h\","
                                             " \"libvirt_password\": \"pw with spaces\\n\", " OUT "}");

        g_assert_cmpuint(spec->secrets->len, ==, 1);
        g_assert_cmpstr(((V2vSecret *) spec->secrets->pdata[0])->file_name, ==, "libvirt_password");
        g_assert_cmpstr(((V2vSecret *) spec->secrets->pdata[0])->value, ==, "pw with spaces\n");
}

static void test_profiles(void) {
        g_autoptr(V2vSpec) a = NULL, b = NULL;
        g_autoptr(GPtrArray) names = NULL;
        g_autofree char *r = NULL;

        a = t_parse_ok("{\"vm_name\": \"g\", " DISK ", \"profile\": \"local-qcow2\", \"output_format\": \"raw\"}");
        g_assert_cmpint(a->output, ==, V2V_OUTPUT_LOCAL);
        g_assert_cmpstr(a->cpu_limit, ==, "25%");
        r = v2v_spec_render_redacted(a);
        g_assert_nonnull(strstr(r, "\"output_format\":\"raw\""));
        g_assert_nonnull(strstr(r, "\"profile\":\"local-qcow2\""));

        /* the spec's own output wins over the profile's whole output */
        b = t_parse_ok("{\"vm_name\": \"g\", " DISK ", \"profile\": \"local-qcow2\", \"qemu_dir\": \"@T@/qemu\"}");
        g_assert_cmpint(b->output, ==, V2V_OUTPUT_QEMU);
        g_assert_cmpstr(b->cpu_limit, ==, "25%");

        /* prof1 shadows prof2 */
        g_clear_pointer(&a, v2v_spec_free);
        a = t_parse_ok("{\"vm_name\": \"g\", " DISK ", \"profile\": \"shadowed\"}");
        g_assert_cmpint(a->output, ==, V2V_OUTPUT_KUBEVIRT);

        names = v2v_spec_list_profiles((const char *const *) T_prof);
        g_assert_cmpuint(names->len, ==, 4);
        g_assert_cmpstr(names->pdata[0], ==, "bad-keys");
        g_assert_cmpstr(names->pdata[1], ==, "local-qcow2");
        g_assert_cmpstr(names->pdata[2], ==, "not-json");
        g_assert_cmpstr(names->pdata[3], ==, "shadowed");
}

static void test_luks(void) {
        g_autoptr(V2vSpec) a = NULL, b = NULL, c = NULL;
        g_autofree char *vault = g_build_filename(T_home, ".v2v_luks_keys_vault.json", NULL);

        /* the default vault in the owner's home */
        t_write("home/.v2v_luks_keys_vault.json",
                "{\"g\": [{\"device\": \"/dev/sda1\", \"key\": \"k1\"}, {\"device\": \"/dev/sdb\", \"key\": \"k2\"}]}", 0600);
        a = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT "}");
        g_assert_cmpuint(a->secrets->len, ==, 2);
        g_assert_cmpstr(((V2vSecret *) a->secrets->pdata[1])->file_name, ==, "luks-2");
        g_assert_cmpstr(((V2vSecret *) a->secrets->pdata[1])->value, ==, "k2");

        /* no entry for the VM: no keys */
        b = t_parse_ok("{\"vm_name\": \"other\", " DISK ", " OUT "}");
        g_assert_cmpuint(b->secrets->len, ==, 0);

        /* a default vault with loose permissions is refused too */
        g_assert_cmpint(chmod(T_home, 0755), ==, 0);
        t_write("home/.v2v_luks_keys_vault.json", "{}", 0640);
        {
                g_autoptr(GError) error = NULL;
                g_autofree char *want = expand_msg(
                        "luks_keys_vault: \"@T@/home/.v2v_luks_keys_vault.json\" must be owned by uid @UID@ and not be "
                        "accessible by group or others (it is owned by uid @UID@, mode 0640)");
                c = t_parse("{\"vm_name\": \"g\", " DISK ", " OUT "}", &error);
                g_assert_null(c);
                g_assert_cmpstr(error->message, ==, want);
        }
        g_assert_cmpint(g_remove(vault), ==, 0);
}

static void test_install_drivers(void) {
        g_autoptr(V2vSpec) a = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT ", \"install_drivers\": true}");
        g_autoptr(V2vSpec) b = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT ", \"install_drivers\": true,"
                                          " \"virtio_win\": \"@T@/virtio-win.iso\"}");
        g_autofree char *want = expand_msg("install_drivers: no virtio_win given and @T@/no-virtio-win.iso is absent; "
                                           "virt-v2v will look for drivers through libosinfo only");

        g_assert_cmpuint(a->warnings->len, ==, 1);
        g_assert_cmpstr(a->warnings->pdata[0], ==, want);
        g_assert_cmpuint(b->warnings->len, ==, 0);
}

static void test_output_files(void) {
        g_autoptr(V2vSpec) local = t_parse_ok("{\"vm_name\": \"g\", " DISK ", " OUT "}");
        g_autoptr(V2vSpec) qemu = t_parse_ok("{\"vm_name\": \"g\", " DISK ", \"qemu_dir\": \"@T@/qemu\", \"name\": \"a*b?\"}");
        g_autoptr(V2vSpec) kube = t_parse_ok("{\"vm_name\": \"g[1]\", " DISK ", \"kubevirt_dir\": \"@T@/kube\"}");
        g_autoptr(V2vSpec) rhv = t_parse_ok("{\"vm_name\": \"g\", " DISK ", \"export_domain\": \"h:/e\"}");
        g_autoptr(V2vSpec) inplace = t_parse_ok("{\"vm_name\": \"g\", " DISK ", \"in_place\": true}");
        g_autofree char *dir = NULL, *want = NULL;
        g_autoptr(GPtrArray) pat = NULL;

        g_assert_true(v2v_spec_output_files(local, &dir, &pat));
        want = t_expand("@T@/out");
        g_assert_cmpstr(dir, ==, want);
        g_assert_cmpuint(pat->len, ==, 2);
        g_assert_cmpstr(pat->pdata[0], ==, "g-sd*");
        g_assert_cmpstr(pat->pdata[1], ==, "g.xml");
        g_clear_pointer(&dir, g_free);
        g_clear_pointer(&pat, g_ptr_array_unref);

        g_assert_true(v2v_spec_output_files(qemu, &dir, &pat));
        g_assert_cmpstr(pat->pdata[0], ==, "a\\*b\\?-sd*");
        g_assert_cmpstr(pat->pdata[1], ==, "a\\*b\\?.sh");
        g_clear_pointer(&dir, g_free);
        g_clear_pointer(&pat, g_ptr_array_unref);

        g_assert_true(v2v_spec_output_files(kube, &dir, &pat));
        g_assert_cmpstr(pat->pdata[0], ==, "g\\[1\\]-sd*");
        g_assert_cmpstr(pat->pdata[1], ==, "g\\[1\\].yaml");
        g_clear_pointer(&dir, g_free);
        g_clear_pointer(&pat, g_ptr_array_unref);

        g_assert_false(v2v_spec_output_files(rhv, &dir, &pat));
        g_assert_null(dir);
        g_assert_null(pat);
        g_assert_false(v2v_spec_output_files(inplace, NULL, NULL));
        g_assert_cmpint(inplace->output, ==, V2V_OUTPUT_NONE);
        g_assert_true(inplace->in_place);
}

static void test_name_length_and_surrogates(void) {
        g_autofree char *long_name = g_strnfill(201, 'a');
        g_autofree char *ok_name = g_strnfill(200, 'a');
        g_autofree char *bad = g_strdup_printf("{\"vm_name\": \"%s\", " DISK ", " OUT "}", long_name);
        g_autofree char *good = g_strdup_printf("{\"vm_name\": \"%s\", " DISK ", " OUT "}", ok_name);
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vSpec) spec = NULL;
        g_autoptr(V2vSpec) spec2 = NULL;
        g_autoptr(V2vSpec) pair = NULL;

        spec = t_parse(bad, &error);
        g_assert_null(spec);
        g_assert_cmpstr(error->message, ==, "vm_name: expected a name of at most 200 bytes, got 201 bytes");
        spec2 = t_parse_ok(good);
        g_assert_cmpstr(spec2->vm_name, ==, ok_name);
        /* a proper surrogate pair is a character like any other */
        pair = t_parse_ok("{\"vm_name\": \"g\\ud83d\\ude00\", " DISK ", " OUT "}");
        g_assert_cmpstr(pair->vm_name, ==, "g\xf0\x9f\x98\x80");
}

/* CreateJob's daemon-side parse looks at no path: the sizes come from the
 * owner's helper, as text, one per disk. */
static void test_disk_sizes_given(void) {
        static const char tmpl[] = "{\"vm_name\": \"g\", \"disk\": [\"@T@/disk1.img\", \"@T@/disk2.qcow2\"], "
                                   "\"output_dir\": \"@T@/out\"}";
        g_autofree char *json = t_expand(tmpl);
        g_autoptr(V2vSpec) owner = t_parse_ok(tmpl);
        g_autofree char *sizes = v2v_spec_disk_sizes_text(owner);
        g_autoptr(V2vSpec) daemon = NULL;
        g_autoptr(GError) error = NULL;
        V2vSpecContext ctx = t_ctx();

        g_assert_cmpstr(sizes, ==, "10 20");
        ctx.paths_checked = true;
        ctx.sizes_given = true;
        daemon = v2v_spec_parse(json, &ctx, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(g_array_index(daemon->source_disk_sizes, uint64_t, 0), ==, 0);
        g_assert_false(v2v_spec_set_disk_sizes(daemon, "10"));
        g_assert_false(v2v_spec_set_disk_sizes(daemon, "10 x"));
        g_assert_cmpuint(g_array_index(daemon->source_disk_sizes, uint64_t, 0), ==, 0);
        g_assert_true(v2v_spec_set_disk_sizes(daemon, sizes));
        g_assert_cmpuint(g_array_index(daemon->source_disk_sizes, uint64_t, 0), ==, 10);
        g_assert_cmpuint(g_array_index(daemon->source_disk_sizes, uint64_t, 1), ==, 20);
}

int main(int argc, char **argv) {
        int r;

        g_test_init(&argc, &argv, NULL);
        t_setup();
        t_write("vault-0644.json", "{}", 0644);
        t_write("vault-bad.json", "{\"g\": [{\"device\": \"/dev/sda1\"}]}", 0600);
        {
                g_autofree char *target = g_build_filename(T, "vault-bad.json", NULL);
                g_autofree char *link = g_build_filename(T, "vault-link.json", NULL);
                g_assert_cmpint(symlink(target, link), ==, 0);
        }
        t_write("prof1/local-qcow2.json",
                "{\"output_dir\": \"@T@/out\", \"output_format\": \"qcow2\", \"throttling\": {\"cpu\": \"25%\"}}", 0644);
        {
                /* profiles name the temporary directory too */
                g_autofree char *p = g_build_filename(T, "prof1", "local-qcow2.json", NULL);
                g_autofree char *text = NULL, *expanded = NULL;
                g_assert_true(g_file_get_contents(p, &text, NULL, NULL));
                expanded = t_expand(text);
                g_assert_true(g_file_set_contents(p, expanded, -1, NULL));
        }
        t_write("prof1/bad-keys.json", "{\"vm_name\": \"x\"}", 0644);
        t_write("prof1/not-json.json", "{", 0644);
        t_write("prof1/shadowed.json", "{\"kubevirt_dir\": \"/tmp\"}", 0644);
        t_write("prof2/shadowed.json", "{\"output_dir\": \"/tmp\"}", 0644);
        t_write("prof2/bad name.json", "{}", 0644);
        t_write("prof2/readme.txt", "", 0644);

        for (size_t i = 0; i < G_N_ELEMENTS(err_cases); i++) {
                g_autofree char *name = g_strdup_printf("/spec/error/%03zu", i);
                g_test_add_data_func(name, &err_cases[i], test_error_case);
        }
        g_test_add_func("/spec/limits", test_limits);
        g_test_add_func("/spec/disk-sizes-given", test_disk_sizes_given);
        g_test_add_func("/spec/scheduling", test_scheduling);
        g_test_add_func("/spec/name-length-and-surrogates", test_name_length_and_surrogates);
        g_test_add_func("/spec/garbage", test_garbage_never_crashes);
        g_test_add_func("/spec/null-is-absent", test_null_is_absent);
        g_test_add_func("/spec/ignored-keys", test_ignored_keys_warn);
        g_test_add_func("/spec/throttling", test_throttling_values);
        g_test_add_func("/spec/disk-sizes", test_disk_sizes);
        g_test_add_func("/spec/redacted", test_redacted);
        g_test_add_func("/spec/secret-exact", test_secret_exact_value);
        g_test_add_func("/spec/profiles", test_profiles);
        g_test_add_func("/spec/luks", test_luks);
        g_test_add_func("/spec/install-drivers", test_install_drivers);
        g_test_add_func("/spec/output-files", test_output_files);
        r = g_test_run();
        t_teardown();
        return r;
}
