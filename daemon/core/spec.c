/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec: parse and validate a job spec (v2vd.job(5)).
 *
 * Decisions:
 * - The text is untrusted (it comes over D-Bus). Before json-glib sees it we
 *   refuse more than 1 MiB, invalid UTF-8, nesting deeper than 32 (json-glib
 *   recurses) and "\u0000" escapes (a NUL would silently cut a string, e.g.
 *   a path, short). A raw NUL byte cannot reach us: the text is a C string
 *   and D-Bus strings cannot hold one.
 * - A JSON null counts as an absent key (callers built on the wrapper send
 *   them). Every other wrong type is an error.
 * - Output: exactly one of the selecting keys (rhv_url, export_domain,
 *   osp_environment, output_dir, libvirt_output_uri, qemu_dir, kubevirt_dir,
 *   vdsm_storage_domain, null_output)
 *   may be present; two of them are an error rather than "first one wins",
 *   and so is a key of another output (rhv_cluster with output_dir): a spec
 *   that says two things is more likely a mistake than a wish.
 * - Profiles fill in keys the spec lacks. If the spec has any key of an
 *   output, the profile's output keys are all dropped, so a profile's
 *   output_dir cannot collide with the spec's rhv_url.
 * - Error messages never quote a secret: a secret of the wrong type is
 *   described by its type only.
 * - Secrets are kept exactly as given, no newline stripped or added: the
 *   file virt-v2v reads (-ip, -op, --key ID:file:) is the password.
 * - OpenStack: virt-v2v hands -oo os-*= to the openstack client as
 *   --os-*, on its command line, and OS_* variables would sit in
 *   /proc/PID/environ of virt-v2v and every openstack child. So secret
 *   variables (name containing PASSWORD, SECRET, TOKEN or KEY) go into
 *   "clouds.yaml" in the secret directory (JSON, which is YAML), found by
 *   the openstack client through OS_CLIENT_CONFIG_FILE and selected with
 *   -oo os-cloud=v2vd; the other variables stay -oo os-NAME=VALUE
 *   (OS_AUTH_URL and os-auth_url both become os-auth-url, as the wrapper
 *   did). A command-line --os-* adds to the cloud's settings, so the two
 *   halves combine.
 * - For the inputs whose guest name comes from a file (disk, ova,
 *   libvirtxml, vmx) v2v-argv passes -on vm_name, so the names of
 *   the output files (v2v_spec_output_files) are known in advance.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/json-check.h"
#include "common/json-text.h"
#include "common/limits-json.h"
#include "core/spec-private.h"

G_DEFINE_QUARK(v2v-spec-error-quark, v2v_spec_error)

#define MAX_DOCUMENT_SIZE V2V_SPEC_MAX_SIZE
#define MAX_DEPTH 32
#define MAX_NAME_LENGTH 200
#define DEFAULT_VIRTIO_WIN "/usr/share/virtio-win/virtio-win.iso"
#define DEFAULT_VDDK_LIBDIR "/opt/vmware-vix-disklib-distrib"
#define LUKS_VAULT_NAME ".v2v_luks_keys_vault.json"

static const char *const general_keys[] = {
        "vm_name", "output_format", "allocation", "transport_method",
        "source_disks", "network_mappings", "install_drivers", "virtio_win",
        "luks_keys_vault", "throttling", "name", "profile", "in_place",
        "insecure_connection", "priority", "not_before", "ignore_window",
        NULL
};

static const char *const input_keys[] = {
        "vmware_uri", "vmware_password", "vmware_fingerprint", "vddk_libdir",
        "ssh_key", "libvirt_uri", "libvirt_password", "ova", "disk",
        "libvirtxml", "vmx",
        NULL
};

/* Documented by virt-v2v-wrapper, accepted, not acted on. */
static const char *const ignored_keys[] = {
        "daemonize", "two_phase", "conversion_host_uuid", "rhv_debug",
        "osp_source_vm_id", "osp_source_conversion_vm_id",
        "osp_source_environment", "uci_container_image",
        NULL
};

/* Always shown as "*****". */
static const char *const secret_keys[] = {
        "vmware_password", "rhv_password", "libvirt_password", "ssh_key",
        NULL
};

/* Objects whose PASSWORD/SECRET/TOKEN/KEY members are secrets. */
static const char *const secret_env_keys[] = {
        "osp_environment", "osp_source_environment",
        NULL
};

/* Keys a profile may supply besides the output keys. */
static const char *const profile_keys[] = {
        "output_format", "allocation", "network_mappings", "throttling",
        "insecure_connection",
        NULL
};

typedef struct OutputFamily {
        const char *selector;
        V2vOutputKind kind;
        const char *what;
        const char *keys[6];
} OutputFamily;

static const OutputFamily output_families[] = {
        { "rhv_url", V2V_OUTPUT_RHV_UPLOAD, "the oVirt upload output",
          { "rhv_password", "rhv_cluster", "rhv_storage", "rhv_cafile" } },
        { "export_domain", V2V_OUTPUT_RHV, "the oVirt export domain output", { NULL } },
        { "osp_environment", V2V_OUTPUT_OPENSTACK, "the OpenStack output",
          { "osp_server_id", "osp_destination_project_id", "osp_flavor_id",
            "osp_security_groups_ids", "osp_volume_type_id" } },
        { "output_dir", V2V_OUTPUT_LOCAL, "the local output", { NULL } },
        { "libvirt_output_uri", V2V_OUTPUT_LIBVIRT, "the libvirt output", { "libvirt_pool" } },
        { "qemu_dir", V2V_OUTPUT_QEMU, "the qemu output", { "qemu_boot" } },
        { "kubevirt_dir", V2V_OUTPUT_KUBEVIRT, "the kubevirt output", { NULL } },
        { "vdsm_storage_domain", V2V_OUTPUT_VDSM, "the VDSM output",
          { "vdsm_vm_uuid", "vdsm_image_uuids", "vdsm_volume_uuids", "vdsm_ovf_dir" } },
        { "null_output", V2V_OUTPUT_NULL, "the null output", { NULL } },
};

static bool strv_has(const char *const *v, const char *s) {
        for (; *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

/* The family a key belongs to (as selector or member), or NULL. */
static const OutputFamily *output_family_of(const char *key) {
        for (size_t i = 0; i < G_N_ELEMENTS(output_families); i++) {
                const OutputFamily *f = &output_families[i];
                if (strcmp(f->selector, key) == 0)
                        return f;
                for (size_t j = 0; j < G_N_ELEMENTS(f->keys) && f->keys[j]; j++)
                        if (strcmp(f->keys[j], key) == 0)
                                return f;
        }
        return NULL;
}

static bool is_secret_env_name(const char *name) {
        g_autofree char *up = g_ascii_strup(name, -1);
        return strstr(up, "PASSWORD") || strstr(up, "SECRET") ||
               strstr(up, "TOKEN") || strstr(up, "KEY");
}

static bool fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail(GError **error, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error_literal(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID, msg);
        return false;
}

/* Short names for json-text.h's, used all through the spec's messages. */
static const char *type_name(JsonNode *n) {
        return v2v_json_type_name(n);
}

static char *quote(const char *s) {
        return v2v_json_quote(s);
}

static char *describe(JsonNode *n, bool secret) {
        return v2v_json_describe(n, secret);
}

/* The member, or NULL when absent or JSON null. */
static JsonNode *member(JsonObject *o, const char *key) {
        return v2v_json_member(o, key);
}

static bool node_string(JsonNode *n, const char *what, bool secret, char **ret, GError **error) {
        const char *s;

        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
                g_autofree char *got = describe(n, secret);
                return fail(error, "%s: expected a string, got %s", what, got);
        }
        s = json_node_get_string(n);
        if (!s || !*s)
                return fail(error, "%s: expected a non-empty string", what);
        *ret = g_strdup(s);
        return true;
}

static bool opt_string(JsonObject *o, const char *key, char **ret, GError **error) {
        JsonNode *n = member(o, key);

        *ret = NULL;
        return n ? node_string(n, key, strv_has(secret_keys, key), ret, error) : true;
}

static bool req_string(JsonObject *o, const char *key, const char *why, char **ret, GError **error) {
        if (!member(o, key))
                return fail(error, "%s: missing, required %s", key, why);
        return opt_string(o, key, ret, error);
}

static bool opt_bool(JsonObject *o, const char *key, bool *ret, GError **error) {
        JsonNode *n = member(o, key);

        *ret = false;
        if (!n)
                return true;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
                g_autofree char *got = describe(n, false);
                return fail(error, "%s: expected true or false, got %s", key, got);
        }
        *ret = json_node_get_boolean(n);
        return true;
}

static bool opt_choice(JsonObject *o, const char *key, const char *a, const char *b,
                       char **ret, GError **error) {
        JsonNode *n = member(o, key);
        g_autofree char *got = NULL;

        *ret = NULL;
        if (!n)
                return true;
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
                const char *s = json_node_get_string(n);
                if (strcmp(s, a) == 0 || strcmp(s, b) == 0) {
                        *ret = g_strdup(s);
                        return true;
                }
        }
        got = describe(n, false);
        return fail(error, "%s: expected \"%s\" or \"%s\", got %s", key, a, b, got);
}

typedef enum { PATH_FILE, PATH_DISK, PATH_DIR, PATH_FILE_OR_DIR } PathKind;

/* A local path virt-v2v will read (or, for PATH_DIR, write into). With
 * paths_checked (the daemon ran this same parse as the owner first, in a
 * helper with the owner's credentials: owner.c), only the size is taken —
 * not even that with sizes_given (CreateJob: a path that does not answer
 * must not stall the daemon; the helper's sizes come in by
 * v2v_spec_set_disk_sizes) — and nothing fails, so that no message tells
 * what the owner cannot see. */
static bool check_path(const V2vSpecPriv *p, const char *what, const char *path, PathKind kind,
                       uint64_t *ret_size, GError **error) {
        g_autofree char *q = quote(path);
        struct stat st;

        if (!g_path_is_absolute(path))
                return fail(error, "%s: expected an absolute path, got %s", what, q);
        if (p->paths_checked) {
                if (ret_size)
                        *ret_size = !p->sizes_given && stat(path, &st) == 0 && S_ISREG(st.st_mode)
                                            ? (uint64_t) st.st_size : 0;
                return true;
        }
        if (stat(path, &st) < 0)
                return fail(error, "%s: cannot access %s: %s", what, q, g_strerror(errno));
        switch (kind) {
        case PATH_FILE:
                if (!S_ISREG(st.st_mode))
                        return fail(error, "%s: %s is not a regular file", what, q);
                break;
        case PATH_DISK:
                if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                        return fail(error, "%s: %s is not a disk image (a regular file or block device)", what, q);
                break;
        case PATH_DIR:
                if (!S_ISDIR(st.st_mode))
                        return fail(error, "%s: %s is not a directory", what, q);
                break;
        case PATH_FILE_OR_DIR:
                if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
                        return fail(error, "%s: %s is neither a regular file nor a directory", what, q);
                break;
        }
        if (access(path, kind == PATH_DIR ? R_OK | W_OK | X_OK : R_OK) < 0)
                return fail(error, "%s: cannot %s %s: %s", what,
                            kind == PATH_DIR ? "write into" : "read", q, g_strerror(errno));
        if (ret_size)
                *ret_size = S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0;
        return true;
}

/* vm_name, name: they become file names (NAME.xml) and argv elements. */
static bool check_vm_name(const char *what, const char *s, GError **error) {
        if (!*s)
                return fail(error, "%s: expected a non-empty string", what);
        /* NAME-sda and NAME.xml must still be file names (255 bytes). */
        if (strlen(s) > MAX_NAME_LENGTH)
                return fail(error, "%s: expected a name of at most %d bytes, got %zu bytes", what,
                            MAX_NAME_LENGTH, strlen(s));
        for (const char *p = s; *p; p = g_utf8_next_char(p)) {
                gunichar c = g_utf8_get_char(p);
                if (g_unichar_iscntrl(c))
                        return fail(error, "%s: expected a name without control characters", what);
                if (c == '/') {
                        g_autofree char *q = quote(s);
                        return fail(error, "%s: expected a name without \"/\", got %s", what, q);
                }
        }
        if (s[0] == '-') {
                g_autofree char *q = quote(s);
                return fail(error, "%s: expected a name not starting with \"-\", got %s", what, q);
        }
        return true;
}

static bool is_hex_pairs(const char *s, int min_pairs, int max_pairs) {
        int n = 0;

        for (;;) {
                if (!g_ascii_isxdigit(s[0]) || !g_ascii_isxdigit(s[1]))
                        return false;
                n++;
                s += 2;
                if (*s == '\0')
                        break;
                if (*s != ':')
                        return false;
                s++;
        }
        return n >= min_pairs && n <= max_pairs;
}

/* Untrusted-text checks that json-glib does not make (or makes too late). */
static bool prescan(const char *what, const char *text, size_t len, GError **error) {
        const char *end;

        if (len > MAX_DOCUMENT_SIZE)
                return fail(error, "%s: document too large (%zu bytes), expected at most 1 MiB", what, len);
        if (!g_utf8_validate(text, (gssize) len, &end))
                return fail(error, "%s: expected UTF-8 text, invalid byte at offset %td", what, end - text);
        {
                size_t i = 0;
                JsonCheck c;

                while (i < len && g_ascii_isspace(text[i]))
                        i++;
                /* Never hand json-glib a scalar: it leaks the tree when text
                 * follows it, and a spec is an object anyway. */
                if (i == len)
                        return fail(error, "%s: expected JSON: the document is empty", what);
                switch (text[i]) {
                case '{':
                case '[':
                        break;
                case '"':
                        return fail(error, "%s: expected a JSON object, got a string", what);
                case 't':
                case 'f':
                        return fail(error, "%s: expected a JSON object, got a boolean", what);
                case 'n':
                        return fail(error, "%s: expected a JSON object, got null", what);
                case '-':
                case '0' ... '9':
                        return fail(error, "%s: expected a JSON object, got a number", what);
                default:
                        return fail(error, "%s: expected JSON: unexpected character at offset %zu", what, i);
                }
                c = json_check_one_object(text, len, MAX_DEPTH);
                switch (c) {
                case JSON_CHECK_OK:
                        return true;
                case JSON_CHECK_TOO_DEEP:
                        return fail(error, "%s: nesting deeper than %d levels", what, MAX_DEPTH);
                case JSON_CHECK_NUL:
                case JSON_CHECK_LONE_SURROGATE:
                        return fail(error, "%s: %s", what, json_check_to_string(c));
                default:
                        return fail(error, "%s: expected JSON: %s", what, json_check_to_string(c));
                }
        }
}

static JsonNode *parse_object(const char *what, const char *text, size_t len, GError **error) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) err = NULL;
        JsonNode *root;

        if (!prescan(what, text, len, error))
                return NULL;
        if (!json_parser_load_from_data(parser, text, (gssize) len, &err)) {
                fail(error, "%s: expected JSON: %s", what, err->message);
                return NULL;
        }
        root = json_parser_steal_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
                fail(error, "%s: expected a JSON object, got %s", what, root ? type_name(root) : "nothing");
                if (root)
                        json_node_unref(root);
                return NULL;
        }
        return root;
}

static void secret_free(V2vSecret *s) {
        if (!s)
                return;
        if (s->value) {
                explicit_bzero(s->value, strlen(s->value));
                g_free(s->value);
        }
        g_free(s->file_name);
        g_free(s);
}

static void add_secret(V2vSpec *spec, const char *file_name, const char *value) {
        V2vSecret *s = g_new0(V2vSecret, 1);

        s->file_name = g_strdup(file_name);
        s->value = g_strdup(value);
        g_ptr_array_add(spec->secrets, s);
}

bool v2v_spec_has_secret(const V2vSpec *spec, const char *file_name) {
        for (guint i = 0; i < spec->secrets->len; i++) {
                const V2vSecret *s = spec->secrets->pdata[i];
                if (strcmp(s->file_name, file_name) == 0)
                        return true;
        }
        return false;
}

/* A string secret: into spec->secrets, never kept elsewhere. */
static bool take_secret(V2vSpec *spec, JsonObject *o, const char *key, bool required,
                        const char *why, GError **error) {
        g_autofree char *v = NULL;

        if (required ? !req_string(o, key, why, &v, error) : !opt_string(o, key, &v, error))
                return false;
        if (v) {
                add_secret(spec, key, v);
                explicit_bzero(v, strlen(v));
        }
        return true;
}

static void net_mapping_free(V2vNetMapping *m) {
        if (!m)
                return;
        g_free(m->source);
        g_free(m->destination);
        g_free(m->mac);
        g_free(m);
}

static void luks_key_free(V2vLuksKey *k) {
        if (!k)
                return;
        g_free(k->device);
        g_free(k->file_name);
        g_free(k);
}

static void priv_free(V2vSpecPriv *p) {
        if (!p)
                return;
        g_free(p->vmware_uri);
        g_free(p->vmware_fingerprint);
        g_free(p->vddk_libdir);
        g_free(p->libvirt_uri);
        g_free(p->ova);
        if (p->disks)
                g_ptr_array_unref(p->disks);
        g_free(p->libvirtxml);
        g_free(p->vmx);
        g_free(p->rhv_url);
        g_free(p->rhv_cluster);
        g_free(p->rhv_storage);
        g_free(p->rhv_cafile);
        g_free(p->export_domain);
        if (p->osp_options)
                g_ptr_array_unref(p->osp_options);
        g_free(p->osp_server_id);
        g_free(p->osp_volume_type);
        g_free(p->out_dir);
        g_free(p->libvirt_output_uri);
        g_free(p->libvirt_pool);
        g_free(p->vdsm_storage_domain);
        g_free(p->vdsm_vm_uuid);
        g_free(p->vdsm_ovf_dir);
        if (p->vdsm_image_uuids)
                g_ptr_array_unref(p->vdsm_image_uuids);
        if (p->vdsm_volume_uuids)
                g_ptr_array_unref(p->vdsm_volume_uuids);
        g_free(p->output_format);
        g_free(p->allocation);
        if (p->net_mappings)
                g_ptr_array_unref(p->net_mappings);
        g_free(p->virtio_win);
        if (p->luks_keys)
                g_ptr_array_unref(p->luks_keys);
        g_free(p);
}

void v2v_spec_free(V2vSpec *spec) {
        if (!spec)
                return;
        if (spec->root)
                json_node_unref(spec->root);
        g_free(spec->vm_name);
        g_free(spec->output_name);
        g_free(spec->cpu_limit);
        if (spec->source_disks)
                g_ptr_array_unref(spec->source_disks);
        if (spec->source_disk_sizes)
                g_array_unref(spec->source_disk_sizes);
        if (spec->secrets)
                g_ptr_array_unref(spec->secrets);
        if (spec->warnings)
                g_ptr_array_unref(spec->warnings);
        priv_free(spec->priv);
        g_free(spec);
}

static void warn(V2vSpec *spec, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void warn(V2vSpec *spec, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_ptr_array_add(spec->warnings, g_strdup_vprintf(fmt, ap));
        va_end(ap);
}

/* ---- profiles ---- */

static bool profile_name_valid(const char *name) {
        if (!*name || strlen(name) > 200 || strstr(name, ".."))
                return false;
        for (const char *p = name; *p; p++)
                if (!g_ascii_isalnum(*p) && !strchr("_.-", *p))
                        return false;
        return true;
}

static bool is_output_key(const char *key) {
        return output_family_of(key) != NULL;
}

static bool merge_profile(JsonObject *spec_obj, const V2vSpecContext *ctx, GError **error) {
        g_autofree char *name = NULL;
        g_autofree char *text = NULL;
        g_autofree char *found = NULL;
        g_autofree char *what = NULL;
        g_autoptr(GString) looked = g_string_new(NULL);
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(GList) spec_members = NULL, members = NULL;
        JsonObject *prof;
        bool spec_has_output = false;
        gsize len = 0;

        if (!opt_string(spec_obj, "profile", &name, error))
                return false;
        if (!name)
                return true;
        if (!profile_name_valid(name)) {
                g_autofree char *q = quote(name);

                return fail(error, "profile: expected a name of letters, digits, \"_\", \".\" and \"-\" without \"..\", got %s", q);
        }
        for (const char *const *d = ctx->profile_dirs; d && *d; d++) {
                g_autofree char *path = g_strdup_printf("%s/%s.json", *d, name);
                g_autoptr(GError) err = NULL;

                if (g_file_get_contents(path, &text, &len, &err)) {
                        found = g_steal_pointer(&path);
                        break;
                }
                if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        return fail(error, "profile: cannot read %s: %s", path, err->message);
                g_string_append_printf(looked, "%s%s", looked->len ? ", " : "", *d);
        }
        if (!found)
                return fail(error, "profile: no profile \"%s\" (looked in %s)", name,
                            looked->len ? looked->str : "no directory");

        what = g_strdup_printf("profile \"%s\"", name);
        root = parse_object(what, text, len, error);
        if (!root)
                return false;
        prof = json_node_get_object(root);

        spec_members = json_object_get_members(spec_obj);
        for (GList *l = spec_members; l; l = l->next)
                if (is_output_key(l->data))
                        spec_has_output = true;

        members = json_object_get_members(prof);
        for (GList *l = members; l; l = l->next) {
                const char *k = l->data;

                if (!is_output_key(k) && !strv_has(profile_keys, k))
                        return fail(error, "%s: key \"%s\" is not allowed in a profile (expected output keys, "
                                    "output_format, allocation, network_mappings, throttling)", what, k);
        }
        for (GList *l = members; l; l = l->next) {
                const char *k = l->data;

                if (is_output_key(k) && spec_has_output)
                        continue;
                if (json_object_has_member(spec_obj, k))
                        continue;
                json_object_set_member(spec_obj, k, json_node_copy(json_object_get_member(prof, k)));
        }
        return true;
}

static int cmp_str(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *v2v_spec_list_profiles(const char *const *profile_dirs) {
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

        for (const char *const *d = profile_dirs; d && *d; d++) {
                g_autoptr(GDir) dir = g_dir_open(*d, 0, NULL);
                const char *e;

                if (!dir)
                        continue;
                while ((e = g_dir_read_name(dir))) {
                        g_autofree char *stem = NULL;

                        if (!g_str_has_suffix(e, ".json"))
                                continue;
                        stem = g_strndup(e, strlen(e) - strlen(".json"));
                        if (!profile_name_valid(stem) || g_hash_table_contains(seen, stem))
                                continue;
                        g_ptr_array_add(names, g_strdup(stem));
                        g_hash_table_add(seen, g_steal_pointer(&stem));
                }
        }
        g_ptr_array_sort(names, cmp_str);
        return names;
}

/* ---- parts of the spec ---- */

static bool check_keys(V2vSpec *spec, JsonObject *o, GError **error) {
        g_autoptr(GList) members = json_object_get_members(o);

        for (GList *l = members; l; l = l->next) {
                const char *k = l->data;
                if (strv_has(general_keys, k) || strv_has(input_keys, k) || is_output_key(k))
                        continue;
                if (strv_has(ignored_keys, k)) {
                        warn(spec, "%s: accepted for virt-v2v-wrapper compatibility, not used by v2vd", k);
                        /* Not kept: a job holds its spec while queued, its
                         * redacted text for as long as it is listed. */
                        json_object_remove_member(o, k);
                        continue;
                }
                g_autofree char *q = quote(k);
                return fail(error, "%s: unknown key (expected one of the keys of v2vd.job(5))", q);
        }
        return true;
}

static bool uri_is_ssh(const char *uri) {
        g_autofree char *scheme = g_uri_parse_scheme(uri);
        return scheme && (g_str_has_suffix(scheme, "+ssh") || g_str_has_suffix(scheme, "+libssh") ||
                          g_str_has_suffix(scheme, "+libssh2"));
}

/* Which one input the spec names (its selector key), checking that keys of
 * other inputs are absent. NULL with error. */
static const char *input_selector(JsonObject *o, GError **error) {
        static const char *const selectors[] = { "transport_method", "libvirt_uri", "ova", "disk", "libvirtxml", "vmx", NULL };
        static const char *const vmware_only[] = { "vmware_uri", "vmware_password", "vmware_fingerprint", "vddk_libdir", NULL };
        const char *first = NULL;

        if (member(o, "vmware_uri") && !member(o, "transport_method"))
                return fail(error, "transport_method: missing, required with vmware_uri (expected \"vddk\" or \"ssh\")"), NULL;
        for (const char *const *s = selectors; *s; s++) {
                if (!member(o, *s))
                        continue;
                if (first)
                        return fail(error, "conflicting inputs \"%s\" and \"%s\": expected exactly one input", first, *s), NULL;
                first = *s;
        }
        if (!first)
                return fail(error, "no input: expected one of transport_method (VMware, with vmware_uri), "
                            "libvirt_uri, ova, disk, libvirtxml or vmx"), NULL;
        if (strcmp(first, "transport_method") != 0)
                for (const char *const *k = vmware_only; *k; k++)
                        if (member(o, *k))
                                return fail(error, "%s: only valid with transport_method \"vddk\" or \"ssh\"", *k), NULL;
        if (strcmp(first, "libvirt_uri") != 0 && member(o, "libvirt_password"))
                return fail(error, "libvirt_password: only valid with libvirt_uri"), NULL;
        return first;
}

static bool parse_input_vddk(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;

        spec->input = V2V_INPUT_VDDK;
        if (!req_string(o, "vmware_uri", "with transport_method \"vddk\"", &p->vmware_uri, error))
                return false;
        if (!g_str_has_prefix(p->vmware_uri, "esx://") && !g_str_has_prefix(p->vmware_uri, "vpx://")) {
                g_autofree char *q = quote(p->vmware_uri);
                return fail(error, "vmware_uri: expected an esx:// or vpx:// URI for transport_method \"vddk\", got %s", q);
        }
        if (!take_secret(spec, o, "vmware_password", true, "with transport_method \"vddk\"", error))
                return false;
        if (!req_string(o, "vmware_fingerprint", "with transport_method \"vddk\"", &p->vmware_fingerprint, error))
                return false;
        if (!is_hex_pairs(p->vmware_fingerprint, 16, 64)) {
                g_autofree char *q = quote(p->vmware_fingerprint);
                return fail(error, "vmware_fingerprint: expected hexadecimal byte pairs separated by \":\" "
                            "(xx:xx:…), got %s", q);
        }
        if (!opt_string(o, "vddk_libdir", &p->vddk_libdir, error))
                return false;
        if (!p->vddk_libdir)
                p->vddk_libdir = g_strdup(DEFAULT_VDDK_LIBDIR);
        else if (!g_path_is_absolute(p->vddk_libdir)) {
                g_autofree char *q = quote(p->vddk_libdir);
                return fail(error, "vddk_libdir: expected an absolute path, got %s", q);
        }
        if (member(o, "ssh_key"))
                return fail(error, "ssh_key: only valid with transport_method \"ssh\" or a libvirt_uri over ssh");
        return true;
}

static bool parse_input_vmx_ssh(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;

        spec->input = V2V_INPUT_SSH;
        if (!opt_string(o, "vmware_uri", &p->vmware_uri, error))
                return false;
        if (!p->vmware_uri) {
                /* The wrapper let vm_name carry the URI. */
                JsonNode *n = member(o, "vm_name");
                if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
                    g_str_has_prefix(json_node_get_string(n), "ssh://"))
                        p->vmware_uri = g_strdup(json_node_get_string(n));
                else
                        return fail(error, "vmware_uri: missing, required with transport_method \"ssh\" "
                                    "(an ssh://USER@HOST/vmfs/volumes/DATASTORE/VM/VM.vmx URI) unless "
                                    "vm_name is that URI");
        }
        if (!g_str_has_prefix(p->vmware_uri, "ssh://") || !g_str_has_suffix(p->vmware_uri, ".vmx")) {
                g_autofree char *q = quote(p->vmware_uri);
                return fail(error, "vmware_uri: expected an ssh://USER@HOST/…/VM.vmx URI for transport_method "
                            "\"ssh\", got %s", q);
        }
        if (!take_secret(spec, o, "vmware_password", false, NULL, error))
                return false;
        if (member(o, "vmware_fingerprint"))
                warn(spec, "vmware_fingerprint: not used with transport_method \"ssh\"");
        if (member(o, "vddk_libdir"))
                warn(spec, "vddk_libdir: not used with transport_method \"ssh\"");
        if (!take_secret(spec, o, "ssh_key", false, NULL, error))
                return false;
        p->has_ssh_key = v2v_spec_has_secret(spec, V2V_SECRET_SSH_KEY);
        return true;
}

static bool parse_input_vmware(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;
        g_autofree char *tm = NULL;

        if (!opt_choice(o, "transport_method", "vddk", "ssh", &tm, error))
                return false;
        p->network_input = true;
        return strcmp(tm, "vddk") == 0 ? parse_input_vddk(spec, o, error) : parse_input_vmx_ssh(spec, o, error);
}

static bool parse_input_libvirt(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;
        g_autofree char *scheme = NULL;

        spec->input = V2V_INPUT_LIBVIRT;
        if (!opt_string(o, "libvirt_uri", &p->libvirt_uri, error))
                return false;
        scheme = g_uri_parse_scheme(p->libvirt_uri);
        if (!scheme || !strstr(p->libvirt_uri, ":/")) {
                g_autofree char *q = quote(p->libvirt_uri);
                return fail(error, "libvirt_uri: expected a libvirt URI (vpx://…, esx://…, xen+ssh://…, "
                            "qemu:///system), got %s", q);
        }
        p->network_input = strcmp(scheme, "esx") == 0 || strcmp(scheme, "gsx") == 0 ||
                           strcmp(scheme, "vpx") == 0 || uri_is_ssh(p->libvirt_uri);
        if (!take_secret(spec, o, "libvirt_password", false, NULL, error))
                return false;
        if (member(o, "ssh_key") && !uri_is_ssh(p->libvirt_uri))
                return fail(error, "ssh_key: only valid with transport_method \"ssh\" or a libvirt_uri over ssh "
                            "(such as xen+ssh://)");
        if (!take_secret(spec, o, "ssh_key", false, NULL, error))
                return false;
        p->has_ssh_key = v2v_spec_has_secret(spec, V2V_SECRET_SSH_KEY);
        return true;
}

static bool parse_input_disks(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;
        JsonNode *n = member(o, "disk");
        JsonArray *a;

        spec->input = V2V_INPUT_DISK;
        if (!JSON_NODE_HOLDS_ARRAY(n) || json_array_get_length(json_node_get_array(n)) == 0) {
                g_autofree char *got = JSON_NODE_HOLDS_ARRAY(n) ? g_strdup("[]") : describe(n, false);
                return fail(error, "disk: expected a non-empty array of disk image paths, got %s", got);
        }
        a = json_node_get_array(n);
        p->disks = g_ptr_array_new_with_free_func(g_free);
        g_array_set_size(spec->source_disk_sizes, 0);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                g_autofree char *what = g_strdup_printf("disk[%u]", i);
                char *path = NULL;
                uint64_t size = 0;
                if (!node_string(json_array_get_element(a, i), what, false, &path, error))
                        return false;
                g_ptr_array_add(p->disks, path);
                if (!check_path(p, what, path, PATH_DISK, &size, error))
                        return false;
                g_ptr_array_add(spec->source_disks, g_strdup(path));
                g_array_append_val(spec->source_disk_sizes, size);
        }
        return true;
}

static bool parse_input(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;
        const char *first = input_selector(o, error);

        if (!first)
                return false;
        if (strcmp(first, "transport_method") == 0)
                return parse_input_vmware(spec, o, error);
        if (strcmp(first, "libvirt_uri") == 0)
                return parse_input_libvirt(spec, o, error);
        if (member(o, "ssh_key"))
                return fail(error, "ssh_key: only valid with transport_method \"ssh\" or a libvirt_uri over ssh");
        if (strcmp(first, "ova") == 0) {
                spec->input = V2V_INPUT_OVA;
                return opt_string(o, "ova", &p->ova, error) &&
                       check_path(p, "ova", p->ova, PATH_FILE_OR_DIR, NULL, error);
        }
        if (strcmp(first, "libvirtxml") == 0) {
                spec->input = V2V_INPUT_LIBVIRTXML;
                return opt_string(o, "libvirtxml", &p->libvirtxml, error) &&
                       check_path(p, "libvirtxml", p->libvirtxml, PATH_FILE, NULL, error);
        }
        if (strcmp(first, "vmx") == 0) {
                spec->input = V2V_INPUT_VMX;
                return opt_string(o, "vmx", &p->vmx, error) &&
                       check_path(p, "vmx", p->vmx, PATH_FILE, NULL, error);
        }
        return parse_input_disks(spec, o, error);
}

static bool parse_osp_environment(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;
        JsonNode *n = member(o, "osp_environment");

        if (!JSON_NODE_HOLDS_OBJECT(n)) {
                g_autofree char *got = describe(n, false);
                return fail(error, "osp_environment: expected an object of OS_* variables, got %s", got);
        }
        JsonObject *env = json_node_get_object(n);
        g_autoptr(JsonObject) auth = json_object_new();
        g_autoptr(JsonObject) cloud = json_object_new();
        bool has_cloud_var = false;

        p->osp_options = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GList) members = json_object_get_members(env);
        for (GList *l = members; l; l = l->next) {
                const char *k = l->data;
                JsonNode *v = json_object_get_member(env, k);
                bool secret = is_secret_env_name(k);
                g_autofree char *q = quote(k);

                if (g_ascii_strncasecmp(k, "os_", 3) != 0 && g_ascii_strncasecmp(k, "os-", 3) != 0)
                        return fail(error, "osp_environment.%s: expected a variable name starting with OS_ "
                                    "(such as OS_AUTH_URL)", q);
                if (!k[3])
                        return fail(error, "osp_environment.%s: expected a variable name after OS_", q);
                for (const char *c = k; *c; c++)
                        if (!g_ascii_isalnum(*c) && *c != '_' && *c != '-')
                                return fail(error, "osp_environment.%s: expected a name of letters, digits, \"_\" and \"-\"", q);

                g_autofree char *text = NULL;
                if (JSON_NODE_HOLDS_VALUE(v)) {
                        switch (json_node_get_value_type(v)) {
                        case G_TYPE_STRING:
                                text = g_strdup(json_node_get_string(v));
                                break;
                        case G_TYPE_BOOLEAN:
                                text = g_strdup(json_node_get_boolean(v) ? "true" : "false");
                                break;
                        case G_TYPE_INT64:
                                text = g_strdup_printf("%" PRId64, json_node_get_int(v));
                                break;
                        default:
                                break;
                        }
                }
                if (!text) {
                        g_autofree char *got = describe(v, secret);
                        return fail(error, "osp_environment.%s: expected a string, an integer or a boolean, got %s", q, got);
                }

                g_autofree char *opt = g_ascii_strdown(k, -1);
                g_strdelimit(opt, "_", '-');
                if (strcmp(opt, "os-cloud") == 0)
                        has_cloud_var = true;
                if (!secret) {
                        g_ptr_array_add(p->osp_options, g_strdup_printf("%s=%s", opt, text));
                        continue;
                }
                /* clouds.yaml spells them in lower case, "_", no prefix. */
                g_autofree char *ck = g_strdup(opt + 3);
                g_strdelimit(ck, "-", '_');
                if (strcmp(ck, "key") == 0 || strcmp(ck, "cert") == 0 || strcmp(ck, "cacert") == 0)
                        json_object_set_string_member(cloud, ck, text);
                else
                        json_object_set_string_member(auth, ck, text);
                explicit_bzero(text, strlen(text));
        }

        if (json_object_get_size(auth) + json_object_get_size(cloud) == 0)
                return true;
        if (has_cloud_var)
                return fail(error, "osp_environment.OS_CLOUD: cannot be combined with secret variables "
                            "(v2vd passes those to the openstack client in a cloud of its own)");

        if (json_object_get_size(auth) > 0)
                json_object_set_object_member(cloud, "auth", json_object_ref(auth));
        g_autoptr(JsonObject) clouds = json_object_new();
        json_object_set_object_member(clouds, V2V_OSP_CLOUD_NAME, json_object_ref(cloud));
        g_autoptr(JsonObject) top = json_object_new();
        json_object_set_object_member(top, "clouds", json_object_ref(clouds));
        g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), top);
        g_autofree char *yaml = json_to_string(node, true);
        add_secret(spec, V2V_SECRET_OSP_CLOUDS, yaml);
        explicit_bzero(yaml, strlen(yaml));
        p->osp_cloud = true;
        return true;
}

/* Which one output the spec names, checking that keys of other outputs
 * (and with in_place, any) are absent. *ret NULL for in_place. */
static bool output_selector(V2vSpec *spec, JsonObject *o, const OutputFamily **ret, GError **error) {
        const OutputFamily *chosen = NULL;
        g_autoptr(GList) members = json_object_get_members(o);

        for (size_t i = 0; i < G_N_ELEMENTS(output_families); i++) {
                const OutputFamily *f = &output_families[i];
                if (!member(o, f->selector))
                        continue;
                if (spec->in_place)
                        return fail(error, "%s: not allowed with in_place (virt-v2v-in-place has no output)", f->selector);
                if (chosen)
                        return fail(error, "conflicting outputs \"%s\" and \"%s\": expected exactly one output",
                                    chosen->selector, f->selector);
                chosen = f;
        }
        for (GList *l = members; l; l = l->next) {
                const OutputFamily *f = output_family_of(l->data);
                if (!f || f == chosen || !member(o, l->data))
                        continue;
                if (spec->in_place)
                        return fail(error, "%s: not allowed with in_place (virt-v2v-in-place has no output)",
                                    (const char *) l->data);
                return fail(error, "%s: only valid with %s (%s)", (const char *) l->data, f->selector, f->what);
        }
        if (!chosen && !spec->in_place)
                return fail(error, "no output: expected one of rhv_url, export_domain, osp_environment, output_dir, "
                            "libvirt_output_uri, qemu_dir, kubevirt_dir, vdsm_storage_domain or null_output "
                            "(or in_place: true)");
        *ret = chosen;
        return true;
}

static bool parse_output_rhv_upload(V2vSpec *spec, JsonObject *o, const char *why, GError **error) {
        V2vSpecPriv *p = spec->priv;

        if (!opt_string(o, "rhv_url", &p->rhv_url, error))
                return false;
        if (!g_str_has_prefix(p->rhv_url, "https://") && !g_str_has_prefix(p->rhv_url, "http://")) {
                g_autofree char *q = quote(p->rhv_url);
                return fail(error, "rhv_url: expected an https:// URL of the oVirt API "
                            "(https://ENGINE/ovirt-engine/api), got %s", q);
        }
        if (!take_secret(spec, o, "rhv_password", true, why, error) ||
            !req_string(o, "rhv_cluster", why, &p->rhv_cluster, error) ||
            !req_string(o, "rhv_storage", why, &p->rhv_storage, error) ||
            !opt_string(o, "rhv_cafile", &p->rhv_cafile, error))
                return false;
        return !p->rhv_cafile || check_path(p, "rhv_cafile", p->rhv_cafile, PATH_FILE, NULL, error);
}

/* The wrapper's instance keys: checked for type, then unused (a warning). */
static bool parse_output_openstack(V2vSpec *spec, JsonObject *o, const char *why, GError **error) {
        V2vSpecPriv *p = spec->priv;
        g_autofree char *s = NULL;
        JsonNode *g;

        if (!parse_osp_environment(spec, o, error) ||
            !req_string(o, "osp_server_id", why, &p->osp_server_id, error) ||
            !opt_string(o, "osp_volume_type_id", &p->osp_volume_type, error))
                return false;
        if (!opt_string(o, "osp_destination_project_id", &s, error))
                return false;
        g_clear_pointer(&s, g_free);
        if (!opt_string(o, "osp_flavor_id", &s, error))
                return false;
        g = member(o, "osp_security_groups_ids");
        if (g) {
                JsonArray *a;

                if (!JSON_NODE_HOLDS_ARRAY(g)) {
                        g_autofree char *got = describe(g, false);
                        return fail(error, "osp_security_groups_ids: expected an array of strings, got %s", got);
                }
                a = json_node_get_array(g);
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        g_autofree char *what = g_strdup_printf("osp_security_groups_ids[%u]", i);
                        g_autofree char *v = NULL;
                        if (!node_string(json_array_get_element(a, i), what, false, &v, error))
                                return false;
                }
        }
        if (member(o, "osp_destination_project_id") || member(o, "osp_flavor_id") || g)
                warn(spec, "osp_destination_project_id, osp_flavor_id, osp_security_groups_ids: accepted; "
                     "v2vd leaves the converted volumes in the conversion host's project and does not "
                     "create the instance");
        return true;
}

static bool parse_output_libvirt(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;
        g_autofree char *scheme = NULL;

        if (!opt_string(o, "libvirt_output_uri", &p->libvirt_output_uri, error) ||
            !opt_string(o, "libvirt_pool", &p->libvirt_pool, error))
                return false;
        scheme = g_uri_parse_scheme(p->libvirt_output_uri);
        if (!scheme) {
                g_autofree char *q = quote(p->libvirt_output_uri);
                return fail(error, "libvirt_output_uri: expected a local libvirt URI (qemu:///system, "
                            "qemu:///session), got %s", q);
        }
        if (!p->libvirt_pool)
                p->libvirt_pool = g_strdup("default");
        return true;
}

static bool is_uuid(const char *s) {
        static const int groups[] = { 8, 4, 4, 4, 12 };

        for (size_t g = 0; g < G_N_ELEMENTS(groups); g++) {
                for (int i = 0; i < groups[g]; i++, s++)
                        if (!g_ascii_isxdigit(*s))
                                return false;
                if (*s != (g + 1 < G_N_ELEMENTS(groups) ? '-' : '\0'))
                        return false;
                s++;
        }
        return true;
}

static bool req_uuid(JsonObject *o, const char *key, const char *why, char **ret, GError **error) {
        if (!req_string(o, key, why, ret, error))
                return false;
        if (!is_uuid(*ret)) {
                g_autofree char *q = quote(*ret);
                return fail(error, "%s: expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got %s", key, q);
        }
        return true;
}

static bool uuid_array(JsonObject *o, const char *key, const char *why, GPtrArray **ret, GError **error) {
        JsonNode *n = member(o, key);

        if (!n)
                return fail(error, "%s: missing, required %s", key, why);
        if (!JSON_NODE_HOLDS_ARRAY(n) || json_array_get_length(json_node_get_array(n)) == 0) {
                g_autofree char *got = JSON_NODE_HOLDS_ARRAY(n) ? g_strdup("[]") : describe(n, false);
                return fail(error, "%s: expected a non-empty array of UUIDs, one per disk, got %s", key, got);
        }
        JsonArray *a = json_node_get_array(n);
        *ret = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                g_autofree char *what = g_strdup_printf("%s[%u]", key, i);
                char *v = NULL;
                if (!node_string(json_array_get_element(a, i), what, false, &v, error))
                        return false;
                g_ptr_array_add(*ret, v);
                if (!is_uuid(v)) {
                        g_autofree char *q = quote(v);
                        return fail(error, "%s: expected a UUID, got %s", what, q);
                }
        }
        return true;
}

/* VDSM's import: -os is the data domain's directory, named by its UUID
 * (virt-v2v takes the UUID from the last component); one image and one
 * volume UUID per disk, in the guest's disk order. */
static bool parse_vdsm(V2vSpec *spec, JsonObject *o, const char *why, GError **error) {
        V2vSpecPriv *p = spec->priv;

        if (!opt_string(o, "vdsm_storage_domain", &p->vdsm_storage_domain, error) ||
            !check_path(p, "vdsm_storage_domain", p->vdsm_storage_domain, PATH_DIR, NULL, error))
                return false;
        g_autofree char *base = g_path_get_basename(p->vdsm_storage_domain);
        if (!is_uuid(base)) {
                g_autofree char *q = quote(p->vdsm_storage_domain);
                return fail(error, "vdsm_storage_domain: expected the data domain's directory, "
                            "…/STORAGE-DOMAIN-UUID, got %s", q);
        }
        if (!req_uuid(o, "vdsm_vm_uuid", why, &p->vdsm_vm_uuid, error) ||
            !uuid_array(o, "vdsm_image_uuids", why, &p->vdsm_image_uuids, error) ||
            !uuid_array(o, "vdsm_volume_uuids", why, &p->vdsm_volume_uuids, error) ||
            !req_string(o, "vdsm_ovf_dir", why, &p->vdsm_ovf_dir, error) ||
            !check_path(p, "vdsm_ovf_dir", p->vdsm_ovf_dir, PATH_DIR, NULL, error))
                return false;
        if (p->vdsm_image_uuids->len != p->vdsm_volume_uuids->len)
                return fail(error, "vdsm_volume_uuids: expected as many UUIDs as vdsm_image_uuids (%u), got %u",
                            p->vdsm_image_uuids->len, p->vdsm_volume_uuids->len);
        return true;
}

static bool parse_output(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;
        const OutputFamily *chosen = NULL;
        g_autofree char *why = NULL;

        if (!output_selector(spec, o, &chosen, error))
                return false;
        if (spec->in_place) {
                spec->output = V2V_OUTPUT_NONE;
                return true;
        }
        spec->output = chosen->kind;
        why = g_strdup_printf("by %s (%s)", chosen->what, chosen->selector);
        switch (chosen->kind) {
        case V2V_OUTPUT_RHV_UPLOAD:
                return parse_output_rhv_upload(spec, o, why, error);
        case V2V_OUTPUT_RHV:
                if (!opt_string(o, "export_domain", &p->export_domain, error))
                        return false;
                if (!strchr(p->export_domain, ':') && !g_path_is_absolute(p->export_domain)) {
                        g_autofree char *q = quote(p->export_domain);
                        return fail(error, "export_domain: expected HOST:/PATH or an absolute path, got %s", q);
                }
                return true;
        case V2V_OUTPUT_OPENSTACK:
                return parse_output_openstack(spec, o, why, error);
        case V2V_OUTPUT_LOCAL:
        case V2V_OUTPUT_QEMU:
        case V2V_OUTPUT_KUBEVIRT:
                if (!opt_string(o, chosen->selector, &p->out_dir, error) ||
                    !check_path(p, chosen->selector, p->out_dir, PATH_DIR, NULL, error))
                        return false;
                return chosen->kind != V2V_OUTPUT_QEMU || opt_bool(o, "qemu_boot", &p->qemu_boot, error);
        case V2V_OUTPUT_LIBVIRT:
                return parse_output_libvirt(spec, o, error);
        case V2V_OUTPUT_VDSM:
                return parse_vdsm(spec, o, why, error);
        case V2V_OUTPUT_NULL: {
                bool on = false;
                if (!opt_bool(o, "null_output", &on, error))
                        return false;
                if (!on)
                        return fail(error, "null_output: expected true (convert and write nothing), got false");
                return true;
        }
        case V2V_OUTPUT_NONE:
                break;
        }
        g_assert_not_reached();
}

static bool parse_network_mappings(V2vSpec *spec, JsonObject *o, GError **error) {
        V2vSpecPriv *p = spec->priv;
        JsonNode *n = member(o, "network_mappings");

        p->net_mappings = g_ptr_array_new_with_free_func((GDestroyNotify) net_mapping_free);
        if (!n)
                return true;
        if (!JSON_NODE_HOLDS_ARRAY(n)) {
                g_autofree char *got = describe(n, false);
                return fail(error, "network_mappings: expected an array of {source, destination, mac_address?}, got %s", got);
        }
        JsonArray *a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                g_autofree char *w = g_strdup_printf("network_mappings[%u]", i);
                if (!JSON_NODE_HOLDS_OBJECT(e)) {
                        g_autofree char *got = describe(e, false);
                        return fail(error, "%s: expected an object {source, destination, mac_address?}, got %s", w, got);
                }
                JsonObject *m = json_node_get_object(e);
                g_autoptr(GList) keys = json_object_get_members(m);
                for (GList *l = keys; l; l = l->next)
                        if (!strv_has((const char *const[]) { "source", "destination", "mac_address", "type", NULL }, l->data)) {
                                g_autofree char *q = quote(l->data);
                                return fail(error, "%s.%s: unknown key, expected source, destination, mac_address or type", w, q);
                        }

                V2vNetMapping *nm = g_new0(V2vNetMapping, 1);
                g_ptr_array_add(p->net_mappings, nm);

                g_autofree char *ws = g_strconcat(w, ".source", NULL);
                g_autofree char *wd = g_strconcat(w, ".destination", NULL);
                g_autofree char *wm = g_strconcat(w, ".mac_address", NULL);
                g_autofree char *wt = g_strconcat(w, ".type", NULL);
                JsonNode *v;
                if (!(v = member(m, "source")))
                        return fail(error, "%s: missing, required in every network mapping", ws);
                if (!node_string(v, ws, false, &nm->source, error))
                        return false;
                if (strchr(nm->source, ':')) {
                        g_autofree char *q = quote(nm->source);
                        return fail(error, "%s: expected a network name without \":\", got %s", ws, q);
                }
                if (!(v = member(m, "destination")))
                        return fail(error, "%s: missing, required in every network mapping", wd);
                if (!node_string(v, wd, false, &nm->destination, error))
                        return false;
                if ((v = member(m, "mac_address"))) {
                        if (!node_string(v, wm, false, &nm->mac, error))
                                return false;
                        if (strlen(nm->mac) != 17 || !is_hex_pairs(nm->mac, 6, 6)) {
                                g_autofree char *q = quote(nm->mac);
                                return fail(error, "%s: expected a MAC address xx:xx:xx:xx:xx:xx, got %s", wm, q);
                        }
                }
                nm->kind = V2V_NET_BRIDGE;
                if ((v = member(m, "type"))) {
                        bool ok = JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING;
                        if (ok && strcmp(json_node_get_string(v), "network") == 0)
                                nm->kind = V2V_NET_NETWORK;
                        else if (!ok || strcmp(json_node_get_string(v), "bridge") != 0) {
                                g_autofree char *got = describe(v, false);
                                return fail(error, "%s: expected \"bridge\" or \"network\", got %s", wt, got);
                        }
                }
        }
        return true;
}

static bool parse_throttling(V2vSpec *spec, JsonObject *o, GError **error) {
        JsonNode *n = member(o, "throttling");
        g_autoptr(V2vLimitsJson) t = v2v_limits_json_new();

        spec->network_limit = -1;
        if (!n)
                return true;
        if (!JSON_NODE_HOLDS_OBJECT(n)) {
                g_autofree char *got = describe(n, false);
                return fail(error, "throttling: expected an object {\"cpu\": …, \"network\": …}, got %s", got);
        }
        v2v_limits_json_read_object(json_node_get_object(n), V2V_LIMITS_JSON_STRICT, t);
        if (t->problems->len > 0)
                return fail(error, "throttling.%s", (const char *) t->problems->pdata[0]);
        spec->cpu_limit = g_steal_pointer(&t->cpu);
        spec->network_limit = t->network;
        spec->disk_limit = t->disk;
        return true;
}

static bool parse_drivers(V2vSpec *spec, JsonObject *o, const V2vSpecContext *ctx, GError **error) {
        V2vSpecPriv *p = spec->priv;
        bool install = false;

        if (!opt_bool(o, "install_drivers", &install, error) ||
            !opt_string(o, "virtio_win", &p->virtio_win, error))
                return false;
        if (p->virtio_win)
                return check_path(p, "virtio_win", p->virtio_win, PATH_FILE_OR_DIR, NULL, error);
        if (install) {
                const char *def = ctx->virtio_win_default ? ctx->virtio_win_default : DEFAULT_VIRTIO_WIN;
                if (access(def, R_OK) < 0)
                        warn(spec, "install_drivers: no virtio_win given and %s is absent; virt-v2v will look "
                             "for drivers through libosinfo only", def);
        }
        return true;
}

static bool read_vault(const char *path, uid_t owner, char **ret, gsize *ret_len, GError **error) {
        g_autofree char *q = quote(path);
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

        if (fd < 0)
                return fail(error, "luks_keys_vault: cannot open %s: %s", q,
                            errno == ELOOP ? "it is a symbolic link" : g_strerror(errno));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return fail(error, "luks_keys_vault: %s is not a regular file", q);
        }
        if (st.st_uid != owner || (st.st_mode & 077) != 0) {
                close(fd);
                return fail(error, "luks_keys_vault: %s must be owned by uid %u and not be accessible by group or "
                            "others (it is owned by uid %u, mode %04o)", q, (unsigned) owner, (unsigned) st.st_uid,
                            (unsigned) (st.st_mode & 07777));
        }
        if (st.st_size > MAX_DOCUMENT_SIZE) {
                close(fd);
                return fail(error, "luks_keys_vault: %s is larger than 1 MiB", q);
        }
        g_autofree char *buf = g_malloc((gsize) st.st_size + 1);
        gsize len = 0;
        while (len < (gsize) st.st_size) {
                ssize_t r = read(fd, buf + len, (gsize) st.st_size - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                len += (gsize) r;
        }
        close(fd);
        buf[len] = '\0';
        if (memchr(buf, '\0', len)) {
                explicit_bzero(buf, len);
                return fail(error, "luks_keys_vault: %s holds a NUL byte, expected JSON", q);
        }
        *ret = g_steal_pointer(&buf);
        *ret_len = len;
        return true;
}

static bool parse_luks(V2vSpec *spec, JsonObject *o, const V2vSpecContext *ctx, GError **error) {
        V2vSpecPriv *p = spec->priv;
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;
        gsize len = 0;

        p->luks_keys = g_ptr_array_new_with_free_func((GDestroyNotify) luks_key_free);
        if (!opt_string(o, "luks_keys_vault", &path, error))
                return false;
        if (path) {
                if (!g_path_is_absolute(path)) {
                        g_autofree char *q = quote(path);
                        return fail(error, "luks_keys_vault: expected an absolute path, got %s", q);
                }
        } else if (ctx->owner_home) {
                struct stat st;
                path = g_build_filename(ctx->owner_home, LUKS_VAULT_NAME, NULL);
                if (lstat(path, &st) < 0 && errno == ENOENT)
                        return true;
        } else
                return true;

        if (!read_vault(path, ctx->owner_uid, &text, &len, error))
                return false;
        g_autoptr(JsonNode) root = parse_object("luks_keys_vault", text, len, error);
        explicit_bzero(text, len);
        if (!root)
                return false;

        JsonNode *n = member(json_node_get_object(root), spec->vm_name);
        if (!n)
                return true;
        g_autofree char *qn = quote(spec->vm_name);
        if (!JSON_NODE_HOLDS_ARRAY(n))
                return fail(error, "luks_keys_vault: the entry for %s: expected an array of {device, key}, got %s",
                            qn, type_name(n));
        JsonArray *a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                JsonNode *dev, *key;
                if (!JSON_NODE_HOLDS_OBJECT(e) ||
                    !(dev = member(json_node_get_object(e), "device")) ||
                    !(key = member(json_node_get_object(e), "key")) ||
                    !JSON_NODE_HOLDS_VALUE(dev) || json_node_get_value_type(dev) != G_TYPE_STRING ||
                    !JSON_NODE_HOLDS_VALUE(key) || json_node_get_value_type(key) != G_TYPE_STRING ||
                    !*json_node_get_string(dev) || !*json_node_get_string(key))
                        return fail(error, "luks_keys_vault: the entry for %s, item %u: expected "
                                    "{\"device\": \"/dev/sdXN\", \"key\": \"…\"} with non-empty strings", qn, i);
                const char *d = json_node_get_string(dev);
                if (strchr(d, ':')) {
                        g_autofree char *q = quote(d);
                        return fail(error, "luks_keys_vault: the entry for %s, item %u: expected a device name "
                                    "without \":\", got %s", qn, i, q);
                }
                V2vLuksKey *k = g_new0(V2vLuksKey, 1);
                k->device = g_strdup(d);
                k->file_name = g_strdup_printf("luks-%u", i + 1);
                add_secret(spec, k->file_name, json_node_get_string(key));
                g_ptr_array_add(p->luks_keys, k);
        }
        return true;
}

static bool parse_source_disks(V2vSpec *spec, JsonObject *o, GError **error) {
        JsonNode *n = member(o, "source_disks");

        if (!n)
                return true;
        if (!JSON_NODE_HOLDS_ARRAY(n)) {
                g_autofree char *got = describe(n, false);
                return fail(error, "source_disks: expected an array of strings, got %s", got);
        }
        JsonArray *a = json_node_get_array(n);
        g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                g_autofree char *what = g_strdup_printf("source_disks[%u]", i);
                char *s = NULL;
                if (!node_string(json_array_get_element(a, i), what, false, &s, error))
                        return false;
                g_ptr_array_add(disks, s);
        }
        /* Sizes stay only if they still describe the same number of disks. */
        if (spec->source_disk_sizes->len != disks->len)
                g_array_set_size(spec->source_disk_sizes, 0);
        g_array_set_size(spec->source_disk_sizes, disks->len);
        g_ptr_array_unref(spec->source_disks);
        spec->source_disks = g_steal_pointer(&disks);
        return true;
}

/* When and in which order the job may start (the scheduler's keys). */
static bool parse_scheduling(V2vSpec *spec, JsonObject *o, GError **error) {
        JsonNode *n;

        if ((n = member(o, "priority"))) {
                double v = JSON_NODE_HOLDS_VALUE(n) && (json_node_get_value_type(n) == G_TYPE_INT64 ||
                                                        json_node_get_value_type(n) == G_TYPE_DOUBLE)
                                   ? json_node_get_double(n) : NAN;
                if (!(v >= V2V_PRIORITY_MIN && v <= V2V_PRIORITY_MAX) || v != (double) (int) v) {
                        g_autofree char *got = describe(n, false);
                        return fail(error, "priority: expected an integer from %d to %d, got %s",
                                    V2V_PRIORITY_MIN, V2V_PRIORITY_MAX, got);
                }
                spec->priority = (int) v;
        }
        if ((n = member(o, "not_before"))) {
                g_autoptr(GDateTime) t = NULL;

                if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
                        t = g_date_time_new_from_iso8601(json_node_get_string(n), NULL);
                if (!t || g_date_time_to_unix(t) < 0) {
                        g_autofree char *got = describe(n, false);
                        return fail(error, "not_before: expected an RFC 3339 time with its offset "
                                    "(e.g. \"2026-12-24T22:00:00+01:00\"), got %s", got);
                }
                spec->not_before_usec = (uint64_t) g_date_time_to_unix(t) * G_USEC_PER_SEC +
                                        (uint64_t) g_date_time_get_microsecond(t);
        }
        return opt_bool(o, "ignore_window", &spec->ignore_window, error);
}

bool v2v_spec_text_ignores_window(const char *text) {
        g_autoptr(JsonNode) root = NULL;
        JsonNode *n;

        if (!text || !strstr(text, "ignore_window"))
                return false;
        root = parse_object("spec", text, strlen(text), NULL);
        n = root ? member(json_node_get_object(root), "ignore_window") : NULL;
        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
               json_node_get_boolean(n);
}

GPtrArray *v2v_spec_local_paths(const V2vSpec *spec) {
        const V2vSpecPriv *p = spec->priv;
        GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; p->disks && i < p->disks->len; i++)
                g_ptr_array_add(out, g_strdup(p->disks->pdata[i]));
        if (p->ova)
                g_ptr_array_add(out, g_strdup(p->ova));
        if (p->libvirtxml)
                g_ptr_array_add(out, g_strdup(p->libvirtxml));
        if (spec->input == V2V_INPUT_LIBVIRTXML)
                for (guint i = 0; spec->source_disks && i < spec->source_disks->len; i++)
                        if (g_path_is_absolute(spec->source_disks->pdata[i]))
                                g_ptr_array_add(out, g_strdup(spec->source_disks->pdata[i]));
        if (p->out_dir)
                g_ptr_array_add(out, g_strdup(p->out_dir));
        return out;
}

static char *uri_host(const char *uri) {
        g_autoptr(GUri) u = uri ? g_uri_parse(uri, G_URI_FLAGS_NON_DNS, NULL) : NULL;
        const char *host = u ? g_uri_get_host(u) : NULL;

        return host && *host ? g_ascii_strdown(host, -1) : NULL;
}

char *v2v_spec_disk_sizes_text(const V2vSpec *spec) {
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < spec->source_disk_sizes->len; i++)
                g_string_append_printf(s, "%s%" PRIu64, i ? " " : "", g_array_index(spec->source_disk_sizes, uint64_t, i));
        return g_string_free(s, FALSE);
}

bool v2v_spec_set_disk_sizes(V2vSpec *spec, const char *text) {
        g_auto(GStrv) f = g_strsplit(text ? text : "", " ", -1);
        g_autoptr(GArray) sizes = g_array_new(FALSE, FALSE, sizeof(uint64_t));

        for (guint i = 0; f[i] && *f[i]; i++) {
                guint64 v;
                if (!g_ascii_string_to_unsigned(f[i], 10, 0, G_MAXUINT64, &v, NULL))
                        return false;
                g_array_append_val(sizes, v);
        }
        if (sizes->len != spec->source_disk_sizes->len)
                return false;
        for (guint i = 0; i < sizes->len; i++)
                g_array_index(spec->source_disk_sizes, uint64_t, i) = g_array_index(sizes, uint64_t, i);
        return true;
}

const char *v2v_spec_libvirt_uri(const V2vSpec *spec) {
        const V2vSpecPriv *p = spec->priv;

        return spec->input == V2V_INPUT_LIBVIRT ? p->libvirt_uri : NULL;
}

const char *v2v_spec_libvirt_password(const V2vSpec *spec) {
        if (spec->input != V2V_INPUT_LIBVIRT)
                return NULL;
        for (guint i = 0; i < spec->secrets->len; i++) {
                const V2vSecret *s = spec->secrets->pdata[i];
                if (strcmp(s->file_name, V2V_SECRET_LIBVIRT_PASSWORD) == 0)
                        return s->value;
        }
        return NULL;
}

char *v2v_spec_source_host(const V2vSpec *spec) {
        const V2vSpecPriv *p = spec->priv;
        char *host = NULL;

        switch (spec->input) {
        case V2V_INPUT_VDDK:
        case V2V_INPUT_SSH:
                host = uri_host(p->vmware_uri);
                break;
        case V2V_INPUT_LIBVIRT:
                host = uri_host(p->libvirt_uri);
                break;
        default:
                break;
        }
        return host ?: g_strdup("local");
}

V2vSpec *v2v_spec_parse(const char *json, const V2vSpecContext *ctx, GError **error) {
        g_autoptr(V2vSpec) spec = g_new0(V2vSpec, 1);
        V2vSpecPriv *p;
        static const V2vSpecContext empty_ctx = { .owner_uid = (uid_t) -1 };

        g_return_val_if_fail(json, NULL);
        if (!ctx)
                ctx = &empty_ctx;

        spec->priv = p = g_new0(V2vSpecPriv, 1);
        p->paths_checked = ctx->paths_checked;
        p->sizes_given = ctx->sizes_given;
        spec->source_disks = g_ptr_array_new_with_free_func(g_free);
        spec->source_disk_sizes = g_array_new(false, true, sizeof(uint64_t));
        spec->secrets = g_ptr_array_new_with_free_func((GDestroyNotify) secret_free);
        spec->warnings = g_ptr_array_new_with_free_func(g_free);
        spec->network_limit = -1;
        spec->disk_limit = -1;

        spec->root = parse_object("spec", json, strlen(json), error);
        if (!spec->root)
                return NULL;
        JsonObject *o = json_node_get_object(spec->root);

        if (!merge_profile(o, ctx, error) || !check_keys(spec, o, error))
                return NULL;

        if (!member(o, "vm_name"))
                return fail(error, "vm_name: missing, required (the name of the VM to convert)"), NULL;
        if (!opt_string(o, "vm_name", &spec->vm_name, error))
                return NULL;
        if (!opt_bool(o, "in_place", &spec->in_place, error) || !parse_scheduling(spec, o, error))
                return NULL;

        if (!parse_input(spec, o, error))
                return NULL;
        if (spec->input == V2V_INPUT_SSH && strcmp(spec->vm_name, p->vmware_uri) == 0) {
                /* vm_name was the URI: the guest's name is the .vmx file's. */
                const char *base = strrchr(p->vmware_uri, '/') + 1;
                g_autofree char *stem = g_strndup(base, strlen(base) - strlen(".vmx"));
                g_free(spec->vm_name);
                spec->vm_name = g_uri_unescape_string(stem, NULL);
                if (!spec->vm_name)
                        spec->vm_name = g_steal_pointer(&stem);
        }
        if (!check_vm_name("vm_name", spec->vm_name, error))
                return NULL;
        if (spec->in_place && spec->input != V2V_INPUT_DISK && spec->input != V2V_INPUT_LIBVIRTXML)
                return fail(error, "in_place: only valid with the disk or libvirtxml input"), NULL;

        if (!parse_output(spec, o, error))
                return NULL;

        if (spec->in_place) {
                static const char *const no_in_place[] = { "output_format", "allocation", "name", NULL };
                for (const char *const *k = no_in_place; *k; k++)
                        if (member(o, *k))
                                return fail(error, "%s: not allowed with in_place (virt-v2v-in-place writes no new disks)",
                                            *k), NULL;
        } else {
                if (!opt_choice(o, "output_format", "raw", "qcow2", &p->output_format, error) ||
                    !opt_choice(o, "allocation", "sparse", "preallocated", &p->allocation, error))
                        return NULL;
                if (!p->output_format)
                        p->output_format = g_strdup("raw");
                if (spec->output == V2V_OUTPUT_OPENSTACK && strcmp(p->output_format, "raw") != 0)
                        return fail(error, "output_format: expected \"raw\" with the OpenStack output, got \"%s\"",
                                    p->output_format), NULL;
                if (spec->output == V2V_OUTPUT_OPENSTACK && p->allocation && strcmp(p->allocation, "sparse") != 0)
                        return fail(error, "allocation: expected \"sparse\" with the OpenStack output, got \"%s\"",
                                    p->allocation), NULL;
                if (!opt_string(o, "name", &spec->output_name, error))
                        return NULL;
                if (spec->output_name && !check_vm_name("name", spec->output_name, error))
                        return NULL;
                p->pin_output_name = spec->input == V2V_INPUT_DISK || spec->input == V2V_INPUT_OVA ||
                                     spec->input == V2V_INPUT_LIBVIRTXML || spec->input == V2V_INPUT_SSH ||
                                     spec->input == V2V_INPUT_VMX;
        }

        bool insecure = false;
        if (!opt_bool(o, "insecure_connection", &insecure, error))
                return NULL;
        p->insecure = insecure;

        if (!parse_source_disks(spec, o, error) ||
            !parse_network_mappings(spec, o, error) ||
            !parse_drivers(spec, o, ctx, error) ||
            !parse_luks(spec, o, ctx, error) ||
            !parse_throttling(spec, o, error))
                return NULL;

        return g_steal_pointer(&spec);
}

char *v2v_spec_render_redacted(const V2vSpec *spec) {
        /* A deep copy: json_node_copy() shares the object, and masking that
         * would take the secrets from the live spec — the one written for a
         * queued job to be started after a restart. */
        g_autofree char *text = json_to_string(spec->root, false);
        g_autoptr(JsonNode) copy = json_from_string(text, NULL);
        JsonObject *o = json_node_get_object(copy);

        for (const char *const *k = secret_keys; *k; k++)
                if (json_object_has_member(o, *k))
                        json_object_set_string_member(o, *k, V2V_SECRET_MASK);
        for (const char *const *k = secret_env_keys; *k; k++) {
                JsonNode *n = json_object_get_member(o, *k);
                if (!n || !JSON_NODE_HOLDS_OBJECT(n))
                        continue;
                JsonObject *env = json_node_get_object(n);
                g_autoptr(GList) members = json_object_get_members(env);
                for (GList *l = members; l; l = l->next)
                        if (is_secret_env_name(l->data))
                                json_object_set_string_member(env, l->data, V2V_SECRET_MASK);
        }
        return json_to_string(copy, false);
}

/* Escape glob metacharacters so a VM called "a*" matches only itself. */
static char *glob_escape(const char *s) {
        GString *out = g_string_new(NULL);

        for (; *s; s++) {
                if (strchr("*?[]\\", *s))
                        g_string_append_c(out, '\\');
                g_string_append_c(out, *s);
        }
        return g_string_free(out, false);
}

bool v2v_spec_output_files(const V2vSpec *spec, char **ret_dir, GPtrArray **ret_patterns) {
        const V2vSpecPriv *p = spec->priv;
        const char *meta;

        switch (spec->output) {
        case V2V_OUTPUT_LOCAL:
                meta = ".xml";
                break;
        case V2V_OUTPUT_QEMU:
                meta = ".sh";
                break;
        case V2V_OUTPUT_KUBEVIRT:
                meta = ".yaml";
                break;
        default:
                if (ret_dir)
                        *ret_dir = NULL;
                if (ret_patterns)
                        *ret_patterns = NULL;
                return false;
        }
        g_autofree char *name = glob_escape(spec->output_name ? spec->output_name : spec->vm_name);
        if (ret_dir)
                *ret_dir = g_strdup(p->out_dir);
        if (ret_patterns) {
                GPtrArray *pat = g_ptr_array_new_with_free_func(g_free);
                g_ptr_array_add(pat, g_strconcat(name, "-sd*", NULL));
                g_ptr_array_add(pat, g_strconcat(name, meta, NULL));
                *ret_patterns = pat;
        }
        return true;
}
