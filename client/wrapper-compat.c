/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virt-v2v-wrapper compatibility, the pure half (see wrapper-compat.h).
 *
 * Where the translation happens, and why here: the daemon's job spec is a
 * strict contract (an unknown key is an error that names it), shared by
 * every client. ManageIQ's dialect is the property of one caller, the
 * wrapper command, which is the only place that knows it is talking to an
 * orchestrator written for the old wrapper: it drops the keys the old
 * wrapper ignored, with one line each in the job's wrapper log (which the
 * orchestrator downloads as "wrapper_log"), refuses the ones that would
 * change what is converted but that v2vd cannot do, and hands the rest to
 * the daemon, which checks them as it checks any spec. A bus caller never
 * gets the lenient rules, and the daemon keeps one parser.
 *
 * The keys (ManageIQ "jansa" sends vm_uuid, conversion_host_uuid,
 * two_phase, warm, network_mappings[].ip_address; wrapper 1.16 documented
 * daemonize, rhv_debug and the OpenStack-source keys):
 *   ignored   vm_uuid, conversion_host_uuid, daemonize, rhv_debug,
 *             two_phase (any value: wrapper 1.16 converted in one phase and
 *             so does v2vd; jansa sets it for every vddk conversion),
 *             warm when false or null, uci_container_image,
 *             osp_source_conversion_vm_id, osp_source_environment (without
 *             osp_source_vm_id they select nothing),
 *             network_mappings[].ip_address
 *   refused   warm: true (warm migration is not offered),
 *             osp_source_vm_id (an OpenStack source VM)
 *
 * Run as root (sudo, as ManageIQ does), the job is root's, so the document
 * is held to the old wrapper's vocabulary (WRAPPER_ROOT): VMware over VDDK
 * or SSH into an oVirt upload, an export domain or OpenStack, with network
 * mappings, LUKS keys (root's own vault: the daemon takes only a file of
 * the owner's, mode 0600), drivers from /usr/share/virtio-win and
 * throttling. Every key that would run a caller-chosen program or read or
 * write a caller-chosen local path as root (disk, ova, libvirtxml,
 * output_dir, qemu_dir, qemu_boot, kubevirt_dir, profile, in_place,
 * vddk_libdir other than the default, rhv_cafile, virtio_win elsewhere) is
 * refused, and so is any key the old wrapper did not know: an allowlist,
 * not a denylist, so that a key the daemon learns later is not granted to
 * sudo's callers by accident.
 */

#include <string.h>

#include "wrapper-compat.h"

G_DEFINE_QUARK(v2vd-wrapper-error-quark, wrapper_error)

typedef struct IgnoredKey {
        const char *key;
        const char *why;
} IgnoredKey;

static const IgnoredKey ignored_keys[] = {
        { "vm_uuid", "v2vd finds the source VM by vm_name" },
        { "conversion_host_uuid", "only the old wrapper's two-phase conversion used it" },
        { "daemonize", "the wrapper always returns at once and follows the job in the background" },
        { "two_phase", "v2vd converts in one phase, as wrapper 1.16 did; the converted VM is the same" },
        { "rhv_debug", "a debugging key of the old wrapper" },
        { "uci_container_image", "only used with an OpenStack source" },
        { "osp_source_conversion_vm_id", "only used with an OpenStack source (osp_source_vm_id)" },
        { "osp_source_environment", "only used with an OpenStack source (osp_source_vm_id)" },
};

/* The old wrapper's keys, which a root wrapper passes on (after the ignored
 * ones are dropped). */
static const char *const root_vocabulary[] = {
        "vm_name", "transport_method", "vmware_uri", "vmware_fingerprint", "vmware_password", "ssh_key",
        "vddk_libdir", "rhv_url", "rhv_cluster", "rhv_storage", "rhv_password", "export_domain",
        "osp_environment", "osp_server_id", "osp_destination_project_id", "osp_flavor_id",
        "osp_security_groups_ids", "osp_volume_type_id", "source_disks", "network_mappings", "output_format",
        "allocation", "install_drivers", "virtio_win", "luks_keys_vault", "throttling", "insecure_connection",
        NULL
};

static const char *const root_outputs[] = { "rhv_url", "export_domain", "osp_environment", NULL };

#define WRAPPER_VDDK_LIBDIR "/opt/vmware-vix-disklib-distrib"
#define WRAPPER_VIRTIO_WIN_DIR "/usr/share/virtio-win/"

static bool refuse(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool refuse(GError **error, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error_literal(error, WRAPPER_ERROR, WRAPPER_ERROR_REFUSED, msg);
        return false;
}

static JsonNode *parse_object(const char *text, const char *what, GError **error) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) e = NULL;
        JsonNode *root;

        if (!json_parser_load_from_data(parser, text, -1, &e)) {
                g_set_error(error, WRAPPER_ERROR, WRAPPER_ERROR_INVALID, "%s: not JSON: %s", what, e->message);
                return NULL;
        }
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
                g_set_error(error, WRAPPER_ERROR, WRAPPER_ERROR_INVALID, "%s: expected a JSON object", what);
                return NULL;
        }
        return json_node_copy(root);
}

static bool translate_warm(JsonObject *o, GPtrArray *notes, GError **error) {
        JsonNode *n = json_object_get_member(o, "warm");

        if (!n)
                return true;
        if (JSON_NODE_HOLDS_NULL(n) ||
            (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN && !json_node_get_boolean(n))) {
                g_ptr_array_add(notes, g_strdup("warm: ignored, a cold conversion is what v2vd does"));
                json_object_remove_member(o, "warm");
                return true;
        }
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
                return refuse(error, "warm: true is not supported: v2vd does not offer warm migration "
                              "(convert the VM cold: warm false or left out)");
        return refuse(error, "warm: expected true, false or null");
}

static void translate_network_mappings(JsonObject *o, GPtrArray *notes) {
        JsonNode *n = json_object_get_member(o, "network_mappings");

        if (!n || !JSON_NODE_HOLDS_ARRAY(n))
                return;  /* the daemon says what is wrong with it */
        JsonArray *a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                if (!JSON_NODE_HOLDS_OBJECT(e) || !json_object_has_member(json_node_get_object(e), "ip_address"))
                        continue;
                json_object_remove_member(json_node_get_object(e), "ip_address");
                g_ptr_array_add(notes, g_strdup_printf("network_mappings[%u].ip_address: ignored, as wrapper 1.16 "
                                                       "did (the guest keeps its own network settings)", i));
        }
}

static const char *string_member(JsonObject *o, const char *key) {
        JsonNode *n = json_object_get_member(o, key);

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return NULL;
        return json_node_get_string(n);
}

/* A host the tools virt-v2v runs (ssh, scp, nbdkit) take as a host and
 * never as an option. */
static bool host_is_plain(const char *host) {
        if (!host || !*host || host[0] == '-')
                return false;
        for (const char *c = host; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr(".-:[]_", *c))
                        return false;
        return true;
}

static bool check_root_vocabulary(JsonObject *o, GError **error) {
        g_autoptr(GList) keys = json_object_get_members(o);
        const char *transport, *uri, *s, *output = NULL;

        for (GList *l = keys; l; l = l->next)
                if (!g_strv_contains(root_vocabulary, l->data))
                        return refuse(error, "%s: not taken from a caller of the wrapper run as root (sudo): the "
                                      "job runs as root, so only the old wrapper's keys are (VMware over VDDK or "
                                      "SSH into oVirt, an export domain or OpenStack); use v2vctl create as "
                                      "yourself for other inputs and outputs", (const char *) l->data);
        transport = string_member(o, "transport_method");
        if (!transport || (strcmp(transport, "vddk") != 0 && strcmp(transport, "ssh") != 0))
                return refuse(error, "transport_method: expected \"vddk\" or \"ssh\" (a VMware source) when "
                              "the wrapper runs as root");
        uri = string_member(o, "vmware_uri");
        if (!uri && strcmp(transport, "ssh") == 0)
                uri = string_member(o, "vm_name");
        if (uri) {
                g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
                if (!u || !host_is_plain(g_uri_get_host(u)))
                        return refuse(error, "vmware_uri: expected a URI with a host name or address");
        }
        for (const char *const *k = root_outputs; *k; k++) {
                if (!json_object_has_member(o, *k))
                        continue;
                if (output)
                        return refuse(error, "%s: only one output (%s given already)", *k, output);
                output = *k;
        }
        if (!output)
                return refuse(error, "rhv_url: no output: expected rhv_url, export_domain or osp_environment "
                              "when the wrapper runs as root");
        s = string_member(o, "vddk_libdir");
        if (json_object_has_member(o, "vddk_libdir") && (!s || strcmp(s, WRAPPER_VDDK_LIBDIR) != 0))
                return refuse(error, "vddk_libdir: only " WRAPPER_VDDK_LIBDIR " when the wrapper runs as root "
                              "(nbdkit loads the library from it)");
        s = string_member(o, "virtio_win");
        if (json_object_has_member(o, "virtio_win") &&
            (!s || !g_str_has_prefix(s, WRAPPER_VIRTIO_WIN_DIR) || strstr(s, "/../") || g_str_has_suffix(s, "/..")))
                return refuse(error, "virtio_win: only a file under " WRAPPER_VIRTIO_WIN_DIR " when the wrapper "
                              "runs as root");
        return true;
}

bool wrapper_translate(const char *doc, unsigned flags, char **ret_spec, GPtrArray **ret_notes, GError **error) {
        g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(JsonNode) root = NULL;
        JsonObject *o;

        root = parse_object(doc, "standard input", error);
        if (!root)
                return false;
        o = json_node_get_object(root);

        if (json_object_has_member(o, "osp_source_vm_id"))
                return refuse(error, "osp_source_vm_id: converting an OpenStack source VM is not supported by v2vd");
        if (!translate_warm(o, notes, error))
                return false;
        for (size_t i = 0; i < G_N_ELEMENTS(ignored_keys); i++) {
                if (!json_object_has_member(o, ignored_keys[i].key))
                        continue;
                json_object_remove_member(o, ignored_keys[i].key);
                g_ptr_array_add(notes, g_strdup_printf("%s: ignored, %s", ignored_keys[i].key, ignored_keys[i].why));
        }
        translate_network_mappings(o, notes);
        if ((flags & WRAPPER_ROOT) && !check_root_vocabulary(o, error))
                return false;

        *ret_spec = json_to_string(root, false);
        *ret_notes = g_steal_pointer(&notes);
        return true;
}

char *wrapper_render_state(const char *state, int64_t wrapper_pid, char **ret_job_state, GError **error) {
        g_autoptr(JsonNode) root = parse_object(state, "v2vd's state file", error);
        JsonObject *o;

        if (!root)
                return NULL;
        o = json_node_get_object(root);
        if (!json_object_has_member(o, "finished")) {
                /* Not finished and no virt-v2v yet (queued, or starting): the
                 * pid to kill is ours, and killing it cancels the job. */
                if (!json_object_has_member(o, "pid"))
                        json_object_set_int_member(o, "pid", wrapper_pid);
                const char *st = json_object_get_string_member_with_default(o, "state", "");
                if (strcmp(st, "queued") == 0 && !json_object_has_member(o, "last_message")) {
                        JsonObject *m = json_object_new();
                        json_object_set_string_member(m, "message", "Queued: waiting for a free conversion slot "
                                                      "on this host (max_running_jobs in v2vd.conf)");
                        json_object_set_string_member(m, "type", "info");
                        json_object_set_object_member(o, "last_message", m);
                }
        }
        if (!json_object_has_member(o, "disks"))
                json_object_set_array_member(o, "disks", json_array_new());
        *ret_job_state = g_strdup(json_object_get_string_member_with_default(o, "state", "unknown"));
        return json_to_string(root, true);
}
