/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sources/ova.h"
#include "sources/sources.h"
#include "core/json-build.h"
#include "core/json-check.h"
#include "sources/xml-util.h"

G_DEFINE_QUARK(v2vd-sources-error-quark, sources_error)

static gboolean fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean fail(GError **error, const char *fmt, ...) {
        va_list ap;
        g_autofree char *msg = NULL;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error_literal(error, SOURCES_ERROR, 0, msg);
        return FALSE;
}

void secret_string_free(char *s) {
        if (s) {
                explicit_bzero(s, strlen(s));
                g_free(s);
        }
}

SourceSpec *source_spec_free(SourceSpec *s) {
        if (!s)
                return NULL;
        g_free(s->uri);
        g_free(s->ova);
        g_free(s->user);
        secret_string_free(s->password);
        g_free(s->password_file);
        g_free(s);
        return NULL;
}

const char *source_spec_describe(const SourceSpec *s) {
        return s->uri ? s->uri : s->ova;
}

static gboolean get_string(JsonObject *o, const char *key, char **ret, GError **error) {
        JsonNode *n = json_object_get_member(o, key);

        if (!n)
                return TRUE;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING ||
            !*json_node_get_string(n))
                return fail(error, "source: \"%s\" must be a non-empty string", key);
        *ret = g_strdup(json_node_get_string(n));
        return TRUE;
}

/* "scheme://user:password@host…": the password must not be in the URI. */
static gboolean uri_has_password(const char *uri) {
        const char *p = strstr(uri, "://"), *at, *slash;

        if (!p)
                return FALSE;
        p += 3;
        slash = strchr(p, '/');
        at = strchr(p, '@');
        if (!at || (slash && at > slash))
                return FALSE;
        return memchr(p, ':', (gsize) (at - p)) != NULL;
}

SourceSpec *source_spec_parse(const char *json, GError **error) {
        static const char *const known[] = { "uri", "ova", "user", "password", "password_file", "timeout",
                                             "print_source", NULL };
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(SourceSpec) s = g_new0(SourceSpec, 1);
        g_autoptr(GError) jerror = NULL;
        g_autoptr(GList) members = NULL;
        JsonObject *o;
        JsonNode *t;
        JsonCheck check;

        /* json-glib 1.6 leaks or misreads some malformed text: check first. */
        check = json_check_one_object(json, strlen(json), 8);
        if (check != JSON_CHECK_OK) {
                fail(error, "source: not a JSON object: %s", json_check_to_string(check));
                return NULL;
        }
        if (!json_parser_load_from_data(p, json, -1, &jerror)) {
                fail(error, "source: not JSON: %s", jerror->message);
                return NULL;
        }
        if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
                fail(error, "source: expected a JSON object such as {\"uri\": \"qemu:///system\"} or {\"ova\": \"/path/vm.ova\"}");
                return NULL;
        }
        o = json_node_get_object(json_parser_get_root(p));
        members = json_object_get_members(o);
        for (GList *l = members; l; l = l->next)
                if (!g_strv_contains(known, l->data)) {
                        fail(error, "source: unknown key \"%s\" (known: uri, ova, user, password, password_file, timeout, "
                             "print_source)",
                             (const char *) l->data);
                        return NULL;
                }
        if (!get_string(o, "uri", &s->uri, error) || !get_string(o, "ova", &s->ova, error) ||
            !get_string(o, "user", &s->user, error) || !get_string(o, "password", &s->password, error) ||
            !get_string(o, "password_file", &s->password_file, error))
                return NULL;
        if (!!s->uri == !!s->ova) {
                fail(error, "source: give exactly one of \"uri\" (a libvirt URI) or \"ova\" (an OVA file or directory)");
                return NULL;
        }
        if (s->ova && (s->user || s->password || s->password_file)) {
                fail(error, "source: \"user\", \"password\" and \"password_file\" are for a libvirt \"uri\", not an OVA");
                return NULL;
        }
        if (s->password && s->password_file) {
                fail(error, "source: give \"password\" or \"password_file\", not both");
                return NULL;
        }
        if (s->uri && uri_has_password(s->uri)) {
                fail(error, "source: \"uri\" holds a password; give it as \"password\" or \"password_file\"");
                return NULL;
        }
        if (s->uri && !strstr(s->uri, ":")) {
                fail(error, "source: \"uri\" \"%s\" is not a URI (such as qemu:///system or esx://host)", s->uri);
                return NULL;
        }
        if (s->ova && s->ova[0] != '/') {
                fail(error, "source: \"ova\" must be an absolute path, not \"%s\"", s->ova);
                return NULL;
        }
        if (s->password_file && s->password_file[0] != '/') {
                fail(error, "source: \"password_file\" must be an absolute path");
                return NULL;
        }
        t = json_object_get_member(o, "print_source");
        if (t) {
                if (!JSON_NODE_HOLDS_VALUE(t) || json_node_get_value_type(t) != G_TYPE_BOOLEAN) {
                        fail(error, "source: \"print_source\" must be true or false");
                        return NULL;
                }
                s->print_source = json_node_get_boolean(t);
        }
        t = json_object_get_member(o, "timeout");
        if (t) {
                gint64 v = JSON_NODE_HOLDS_VALUE(t) && json_node_get_value_type(t) == G_TYPE_INT64 ? json_node_get_int(t) : -1;
                if (v < 1 || v > SOURCES_MAX_TIMEOUT_SEC) {
                        fail(error, "source: \"timeout\" must be a number of seconds from 1 to %u", SOURCES_MAX_TIMEOUT_SEC);
                        return NULL;
                }
                s->timeout_sec = (unsigned) v;
        }
        return g_steal_pointer(&s);
}

/* --------------------------------------------------------- domain XML */

/* libvirt's memory units (default KiB). */
static gboolean scale_memory(const char *value, const char *unit, guint64 *ret) {
        static const struct { const char *name; guint64 mult; } units[] = {
                { "b", 1 }, { "bytes", 1 }, { "kb", 1000 }, { "k", 1024 }, { "kib", 1024 },
                { "mb", 1000000 }, { "m", 1024 * 1024 }, { "mib", 1024 * 1024 },
                { "gb", 1000000000 }, { "g", 1024ULL * 1024 * 1024 }, { "gib", 1024ULL * 1024 * 1024 },
                { "tb", 1000000000000ULL }, { "t", 1024ULL * 1024 * 1024 * 1024 },
                { "tib", 1024ULL * 1024 * 1024 * 1024 },
        };
        guint64 v, mult = 1024;

        if (!value || !g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &v, NULL))
                return FALSE;
        if (unit) {
                gsize i;
                for (i = 0; i < G_N_ELEMENTS(units); i++)
                        if (g_ascii_strcasecmp(unit, units[i].name) == 0)
                                break;
                if (i == G_N_ELEMENTS(units))
                        return FALSE;
                mult = units[i].mult;
        }
        if (v > G_MAXINT64 / mult)
                return FALSE;
        *ret = v * mult;
        return TRUE;
}

static const char *firmware_of(xmlNode *os) {
        g_autofree char *fw = xml_attr(os, "firmware");
        xmlNode *loader = xml_child(os, "loader");

        if (fw)
                return g_str_equal(fw, "efi") ? "uefi" : "bios";
        if (loader) {
                g_autofree char *type = xml_attr(loader, "type"), *path = xml_text(loader);
                if ((type && g_str_equal(type, "pflash")) ||
                    (path && (strstr(path, "OVMF") || strstr(path, "edk2") || strstr(path, "AAVMF") || strstr(path, "efi"))))
                        return "uefi";
        }
        return "bios";
}

static void add_disk_source(JsonBuilder *b, const char *type, xmlNode *src) {
        g_autofree char *file = xml_attr(src, "file"), *dev = xml_attr(src, "dev");
        g_autofree char *name = xml_attr(src, "name"), *protocol = xml_attr(src, "protocol");
        g_autofree char *pool = xml_attr(src, "pool"), *volume = xml_attr(src, "volume");

        if (file)
                json_build_str(b, "path", file);
        else if (dev)
                json_build_str(b, "path", dev);
        else if (pool && volume) {
                g_autofree char *p = g_strdup_printf("%s/%s", pool, volume);
                json_build_str(b, "path", p);
        } else if (name) {
                g_autofree char *p = protocol ? g_strdup_printf("%s:%s", protocol, name) : g_strdup(name);
                json_build_str(b, "path", p);
        }
        /* ESX and vCenter: "[datastore1] vm/vm.vmdk". */
        if (file && file[0] == '[') {
                const char *end = strchr(file, ']');
                if (end) {
                        g_autofree char *ds = g_strndup(file + 1, (gsize) (end - file - 1));
                        json_build_str(b, "datastore", ds);
                }
        }
        json_build_str(b, "source_type", type);
}

JsonNode *sources_domain_from_xml(const char *xml, GError **error) {
        g_autoptr(xmlDoc) doc = xml_parse("domain XML", xml, strlen(xml), SOURCES_ERROR, 0, error);
        g_autoptr(JsonBuilder) b = NULL;
        g_autofree char *name = NULL, *uuid = NULL, *mem = NULL, *unit = NULL, *vcpu = NULL;
        g_autofree char *title = NULL, *description = NULL, *machine = NULL, *arch = NULL, *ostype = NULL;
        xmlNode *dom, *os, *devices, *osinfo;
        guint64 memory = 0, vcpus = 1;

        if (!doc)
                return NULL;
        dom = xmlDocGetRootElement(doc);
        if (!g_str_equal((const char *) dom->name, "domain")) {
                fail(error, "domain XML: the root element is <%s>, not <domain>", dom->name);
                return NULL;
        }
        name = xml_child_text(dom, "name");
        if (!name || !*name) {
                fail(error, "domain XML: no <name>");
                return NULL;
        }
        uuid = xml_child_text(dom, "uuid");
        title = xml_child_text(dom, "title");
        description = xml_child_text(dom, "description");
        mem = xml_child_text(dom, "memory");
        unit = xml_attr(xml_child(dom, "memory"), "unit");
        if (mem && !scale_memory(mem, unit, &memory)) {
                fail(error, "domain XML: <memory unit='%s'>%s</memory> is not a size", unit ? unit : "KiB", mem);
                return NULL;
        }
        vcpu = xml_child_text(dom, "vcpu");
        if (vcpu && !g_ascii_string_to_unsigned(vcpu, 10, 1, 65536, &vcpus, NULL)) {
                fail(error, "domain XML: <vcpu>%s</vcpu> is not a number of CPUs", vcpu);
                return NULL;
        }
        os = xml_child(dom, "os");
        machine = xml_attr(xml_child(os, "type"), "machine");
        arch = xml_attr(xml_child(os, "type"), "arch");
        ostype = xml_child_text(os, "type");
        osinfo = xml_path(dom, "metadata/libosinfo/os");

        b = json_builder_new();
        json_builder_begin_object(b);
        json_build_str(b, "name", name);
        json_build_str(b, "uuid", uuid);
        json_build_str(b, "title", title);
        json_build_str(b, "description", description);
        json_build_int(b, "vcpus", (gint64) vcpus);
        json_build_int(b, "memory_bytes", (gint64) memory);
        json_build_str(b, "firmware", firmware_of(os));
        json_build_str(b, "machine", machine);
        json_builder_set_member_name(b, "os");
        json_builder_begin_object(b);
        json_build_str(b, "type", ostype);
        json_build_str(b, "arch", arch);
        if (osinfo) {
                g_autofree char *id = xml_attr(osinfo, "id");
                json_build_str(b, "libosinfo_id", id);
        }
        json_builder_end_object(b);

        devices = xml_child(dom, "devices");
        json_builder_set_member_name(b, "disks");
        json_builder_begin_array(b);
        xml_foreach_child(d, devices, "disk") {
                g_autofree char *type = xml_attr(d, "type"), *device = xml_attr(d, "device");
                g_autofree char *format = xml_attr(xml_child(d, "driver"), "type");
                g_autofree char *target = xml_attr(xml_child(d, "target"), "dev");
                g_autofree char *bus = xml_attr(xml_child(d, "target"), "bus");
                json_builder_begin_object(b);
                json_build_str(b, "target", target);
                json_build_str(b, "device", device ? device : "disk");
                add_disk_source(b, type, xml_child(d, "source"));
                json_build_str(b, "format", format);
                json_build_str(b, "bus", bus);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);

        json_builder_set_member_name(b, "nics");
        json_builder_begin_array(b);
        xml_foreach_child(n, devices, "interface") {
                g_autofree char *type = xml_attr(n, "type");
                g_autofree char *mac = xml_attr(xml_child(n, "mac"), "address");
                g_autofree char *network = xml_attr(xml_child(n, "source"), "network");
                g_autofree char *bridge = xml_attr(xml_child(n, "source"), "bridge");
                g_autofree char *dev = xml_attr(xml_child(n, "source"), "dev");
                g_autofree char *model = xml_attr(xml_child(n, "model"), "type");
                json_builder_begin_object(b);
                json_build_str(b, "mac", mac);
                json_build_str(b, "type", type);
                json_build_str(b, "network", network ? network : bridge ? bridge : dev);
                json_build_str(b, "bridge", bridge);
                json_build_str(b, "model", model);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

/* ----------------------------------------------------------- v2v hint */

static void add_warning(JsonObject *vm, const char *text) {
        JsonArray *w = json_object_get_array_member(vm, "warnings");

        if (!w) {
                json_object_set_array_member(vm, "warnings", json_array_new());
                w = json_object_get_array_member(vm, "warnings");
        }
        json_array_add_string_element(w, text);
}

GPtrArray *sources_v2v_input_argv(const SourceSpec *s, const char *vm_name, const char *password_file) {
        GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

        if (s->ova) {
                g_ptr_array_add(a, g_strdup("-i"));
                g_ptr_array_add(a, g_strdup("ova"));
                g_ptr_array_add(a, g_strdup(s->ova));
                return a;
        }
        g_ptr_array_add(a, g_strdup("-ic"));
        g_ptr_array_add(a, g_strdup(s->uri));
        if (s->password || s->password_file) {
                g_ptr_array_add(a, g_strdup("-ip"));
                g_ptr_array_add(a, g_strdup(password_file ? password_file : "PASSWORD_FILE"));
        }
        g_ptr_array_add(a, g_strdup(vm_name));
        return a;
}

static void add_options(JsonBuilder *b, const SourceSpec *s, const char *name) {
        g_autoptr(GPtrArray) argv = sources_v2v_input_argv(s, name, NULL);

        json_builder_set_member_name(b, "options");
        json_builder_begin_array(b);
        for (guint i = 0; i < argv->len; i++)
                json_builder_add_string_value(b, argv->pdata[i]);
        json_builder_end_array(b);
}

void sources_add_v2v_hint(const SourceSpec *s, JsonObject *vm) {
        const char *name = json_object_get_string_member_with_default(vm, "name", "");
        const char *state = json_object_get_string_member_with_default(vm, "state", "");
        gint64 snapshots = json_object_get_int_member_with_default(vm, "snapshot_count", 0);
        g_autoptr(JsonBuilder) b = json_builder_new();
        gboolean convertible = TRUE;

        if (!json_object_has_member(vm, "warnings"))
                json_object_set_array_member(vm, "warnings", json_array_new());
        json_builder_begin_object(b);
        json_build_str(b, "input_mode", s->ova ? "ova" : "libvirt");
        add_options(b, s, name);
        json_builder_set_member_name(b, "spec");
        json_builder_begin_object(b);
        json_build_str(b, "vm_name", name);
        json_build_str(b, s->ova ? "ova" : "libvirt_uri", source_spec_describe(s));
        json_builder_end_object(b);
        if (s->uri) {
                if (s->password || s->password_file) {
                        json_builder_set_member_name(b, "spec_needs");
                        json_builder_begin_array(b);
                        json_builder_add_string_value(b, "libvirt_password");
                        json_builder_end_array(b);
                }
                if (g_str_equal(state, "running") || g_str_equal(state, "paused") || g_str_equal(state, "pmsuspended")) {
                        add_warning(vm, "the VM is not shut off: virt-v2v cannot convert a running libvirt source; shut it down first");
                        convertible = FALSE;
                }
                if (g_str_has_prefix(s->uri, "test:")) {
                        add_warning(vm, "libvirt's test driver has no disks virt-v2v can read: a test:// source is for trying v2vd only");
                        convertible = FALSE;
                }
                if (s->user && !strchr(s->uri, '@'))
                        add_warning(vm, "virt-v2v takes the user name from the URI: write it as USER@HOST in libvirt_uri");
                if (g_str_has_prefix(s->uri, "vpx:") || g_str_has_prefix(s->uri, "esx:"))
                        add_warning(vm, "over HTTPS virt-v2v copies VMware disks slowly; with VDDK use transport_method \"vddk\", vmware_uri and vmware_fingerprint");
        }
        json_builder_end_object(b);
        if (snapshots > 0) {
                g_autofree char *w = g_strdup_printf(
                        "the VM has %" G_GINT64_FORMAT " snapshot%s: virt-v2v converts the current state only, and oVirt "
                        "(VDSM) refuses VMware VMs with snapshots; consolidate or delete them first",
                        snapshots, snapshots == 1 ? "" : "s");
                add_warning(vm, w);
        }
        json_object_set_member(vm, "v2v", json_builder_get_root(b));
        json_object_set_boolean_member(vm, "convertible", convertible);
}

/* ------------------------------------------------------------- libvirt */

typedef struct {
        const char *user;
        const char *password;
        gboolean asked_password;
} AuthData;

static int auth_callback(virConnectCredentialPtr cred, unsigned int ncred, void *cbdata) {
        AuthData *a = cbdata;

        for (unsigned i = 0; i < ncred; i++) {
                const char *v = NULL;
                switch (cred[i].type) {
                case VIR_CRED_AUTHNAME:
                        v = a->user ? a->user : cred[i].defresult;
                        break;
                case VIR_CRED_PASSPHRASE:
                case VIR_CRED_NOECHOPROMPT:
                        a->asked_password = TRUE;
                        v = a->password;
                        break;
                default:
                        break;
                }
                if (!v)
                        return -1;
                cred[i].result = strdup(v);
                if (!cred[i].result)
                        return -1;
                cred[i].resultlen = (unsigned) strlen(v);
        }
        return 0;
}

static void silent_error(void *userdata, virErrorPtr e) {
}

static gboolean libvirt_fail(GError **error, const char *what) {
        const char *msg = virGetLastErrorMessage();

        return fail(error, "%s: %s", what, msg && *msg ? msg : "unknown libvirt error");
}

/* The password from a file: a regular file of mode 0600 (or stricter)
 * owned by us (the helper runs as the caller). First line. */
static char *read_password_file(const char *path, GError **error) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        struct stat st;
        char buf[4096];
        ssize_t n;
        char *nl;

        if (fd < 0) {
                fail(error, "password_file %s: %s", path, g_strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
                close(fd);
                fail(error, "password_file %s: must be a regular file of mode 0600 owned by the caller", path);
                return NULL;
        }
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n < 0) {
                fail(error, "password_file %s: %s", path, g_strerror(errno));
                return NULL;
        }
        buf[n] = '\0';
        nl = strchr(buf, '\n');
        if (nl)
                *nl = '\0';
        {
                char *p = g_strdup(buf);
                explicit_bzero(buf, sizeof buf);
                return p;
        }
}

static virConnectPtr libvirt_open(const SourceSpec *s, unsigned flags, GError **error) {
        static int credtypes[] = { VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_NOECHOPROMPT };
        g_autofree char *from_file = NULL;
        AuthData data = { .user = s->user, .password = s->password };
        virConnectAuth auth = { credtypes, G_N_ELEMENTS(credtypes), auth_callback, &data };
        virConnectPtr conn;

        virSetErrorFunc(NULL, silent_error);
        if (s->password_file) {
                from_file = read_password_file(s->password_file, error);
                if (!from_file)
                        return NULL;
                data.password = from_file;
        }
        conn = virConnectOpenAuth(s->uri, &auth, flags);
        if (from_file)
                explicit_bzero(from_file, strlen(from_file));
        if (!conn) {
                g_autofree char *what = g_strdup_printf("cannot connect to %s%s", s->uri,
                                                        data.asked_password && !data.password
                                                                ? " (it asks for a password; give \"password\" or \"password_file\")"
                                                                : "");
                libvirt_fail(error, what);
                return NULL;
        }
        return conn;
}

gboolean sources_check_read_write(const SourceSpec *s, GError **error) {
        virConnectPtr conn = libvirt_open(s, 0, error);

        if (!conn)
                return FALSE;
        virConnectClose(conn);
        return TRUE;
}

static const char *state_name(int state) {
        switch (state) {
        case VIR_DOMAIN_RUNNING: return "running";
        case VIR_DOMAIN_BLOCKED: return "running";
        case VIR_DOMAIN_PAUSED: return "paused";
        case VIR_DOMAIN_SHUTDOWN: return "shutting-down";
        case VIR_DOMAIN_SHUTOFF: return "shutoff";
        case VIR_DOMAIN_CRASHED: return "crashed";
        case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
        default: return "unknown";
        }
}

/* The VM object of one domain: its XML, state, disk sizes from
 * virDomainGetBlockInfo where the driver has it, snapshots. */
static JsonNode *describe_domain(const SourceSpec *s, virDomainPtr d, gboolean detailed, GError **error) {
        g_autofree char *xml = virDomainGetXMLDesc(d, 0);
        g_autoptr(JsonNode) vm = NULL;
        JsonObject *o;
        JsonArray *disks;
        int state = 0, reason = 0, nsnap;

        if (!xml) {
                g_autofree char *what = g_strdup_printf("cannot read the XML of %s", virDomainGetName(d));
                libvirt_fail(error, what);
                return NULL;
        }
        vm = sources_domain_from_xml(xml, error);
        if (!vm)
                return NULL;
        o = json_node_get_object(vm);
        if (virDomainGetState(d, &state, &reason, 0) < 0)
                state = VIR_DOMAIN_NOSTATE;
        json_object_set_string_member(o, "state", state_name(state));
        json_object_set_boolean_member(o, "running", state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED ||
                                                             state == VIR_DOMAIN_PAUSED);
        json_object_set_boolean_member(o, "persistent", virDomainIsPersistent(d) == 1);

        disks = json_object_get_array_member(o, "disks");
        for (guint i = 0; i < json_array_get_length(disks); i++) {
                JsonObject *disk = json_array_get_object_element(disks, i);
                const char *target = json_object_get_string_member_with_default(disk, "target", NULL);
                const char *device = json_object_get_string_member_with_default(disk, "device", "disk");
                virDomainBlockInfo info;
                if (!target || !json_object_has_member(disk, "path") || g_str_equal(device, "cdrom") ||
                    g_str_equal(device, "floppy"))
                        continue;
                if (virDomainGetBlockInfo(d, target, &info, 0) == 0) {
                        json_object_set_int_member(disk, "capacity_bytes", (gint64) MIN(info.capacity, (guint64) G_MAXINT64));
                        json_object_set_int_member(disk, "allocation_bytes", (gint64) MIN(info.allocation, (guint64) G_MAXINT64));
                } else if (detailed) {
                        /* ESX and vCenter have no GetBlockInfo, but know
                         * "[datastore] path" as a storage volume (two more
                         * round trips a disk: InspectSourceVM only). */
                        virStorageVolPtr vol = virStorageVolLookupByPath(virDomainGetConnect(d),
                                                                         json_object_get_string_member(disk, "path"));
                        virStorageVolInfo vinfo;
                        if (vol && virStorageVolGetInfo(vol, &vinfo) == 0) {
                                json_object_set_int_member(disk, "capacity_bytes",
                                                           (gint64) MIN(vinfo.capacity, (unsigned long long) G_MAXINT64));
                                json_object_set_int_member(disk, "allocation_bytes",
                                                           (gint64) MIN(vinfo.allocation, (unsigned long long) G_MAXINT64));
                        }
                        if (vol)
                                virStorageVolFree(vol);
                }
        }

        nsnap = virDomainSnapshotNum(d, 0);
        json_object_set_int_member(o, "snapshot_count", nsnap > 0 ? nsnap : 0);
        if (detailed) {
                virDomainSnapshotPtr *snaps = NULL;
                JsonArray *names = json_array_new();
                int n = virDomainListAllSnapshots(d, &snaps, 0);
                for (int i = 0; i < n; i++) {
                        json_array_add_string_element(names, virDomainSnapshotGetName(snaps[i]));
                        virDomainSnapshotFree(snaps[i]);
                }
                free(snaps);
                json_object_set_array_member(o, "snapshots", names);
                if (virDomainHasCurrentSnapshot(d, 0) == 1) {
                        virDomainSnapshotPtr cur = virDomainSnapshotCurrent(d, 0);
                        if (cur) {
                                json_object_set_string_member(o, "current_snapshot", virDomainSnapshotGetName(cur));
                                virDomainSnapshotFree(cur);
                        }
                }
                json_object_set_string_member(o, "source", s->uri);
        }
        sources_add_v2v_hint(s, o);
        return g_steal_pointer(&vm);
}

static JsonNode *libvirt_list(const SourceSpec *s, GError **error) {
        virConnectPtr conn = libvirt_open(s, VIR_CONNECT_RO, error);
        virDomainPtr *doms = NULL;
        g_autoptr(JsonArray) out = NULL;
        int n;

        if (!conn)
                return NULL;
        n = virConnectListAllDomains(conn, &doms, 0);
        if (n < 0) {
                g_autofree char *what = g_strdup_printf("cannot list the VMs of %s", s->uri);
                libvirt_fail(error, what);
                virConnectClose(conn);
                return NULL;
        }
        out = json_array_sized_new((guint) n);
        for (int i = 0; i < n; i++) {
                JsonNode *vm = out ? describe_domain(s, doms[i], FALSE, error) : NULL;
                if (vm)
                        json_array_add_element(out, vm);
                else
                        g_clear_pointer(&out, json_array_unref);
                virDomainFree(doms[i]);
        }
        free(doms);
        virConnectClose(conn);
        if (!out)
                return NULL;
        {
                JsonNode *node = json_node_new(JSON_NODE_ARRAY);
                json_node_set_array(node, out);
                return node;
        }
}

/* The domain vm_name of a read-only connection to s; *ret_conn is the
 * connection to close after the domain is freed. */
static virDomainPtr libvirt_lookup(const SourceSpec *s, const char *vm_name, virConnectPtr *ret_conn, GError **error) {
        virConnectPtr conn = libvirt_open(s, VIR_CONNECT_RO, error);
        virDomainPtr d;

        if (!conn)
                return NULL;
        d = virDomainLookupByName(conn, vm_name);
        if (!d) {
                g_autofree char *what = g_strdup_printf("no VM \"%s\" on %s", vm_name, s->uri);
                libvirt_fail(error, what);
                virConnectClose(conn);
                return NULL;
        }
        *ret_conn = conn;
        return d;
}

static JsonNode *libvirt_inspect(const SourceSpec *s, const char *vm_name, GError **error) {
        virConnectPtr conn = NULL;
        virDomainPtr d = libvirt_lookup(s, vm_name, &conn, error);
        JsonNode *vm;

        if (!d)
                return NULL;
        vm = describe_domain(s, d, TRUE, error);
        virDomainFree(d);
        virConnectClose(conn);
        return vm;
}

char *sources_domain_state(const SourceSpec *s, const char *vm_name, GError **error) {
        virConnectPtr conn = NULL;
        virDomainPtr d = libvirt_lookup(s, vm_name, &conn, error);
        int state = 0, reason = 0, r;

        if (!d)
                return NULL;
        r = virDomainGetState(d, &state, &reason, 0);
        if (r < 0) {
                g_autofree char *what = g_strdup_printf("cannot read the state of %s", vm_name);
                libvirt_fail(error, what);
        }
        virDomainFree(d);
        virConnectClose(conn);
        return r < 0 ? NULL : g_strdup(state_name(state));
}

char *sources_running_vm_message(const char *vm_name, const char *state) {
        if (!state || !(g_str_equal(state, "running") || g_str_equal(state, "paused") ||
                        g_str_equal(state, "pmsuspended")))
                return NULL;
        return g_strdup_printf("the VM %s is %s: shut it down before the conversion (virt-v2v refuses a running VM)",
                               vm_name, state);
}

/* ----------------------------------------------------------------- OVA */

typedef struct {
        int fd;                 /* the archive, or the directory */
        const OvaMember *open_member;
        int member_fd;
} FileIO;

static gssize file_read(void *userdata, const OvaMember *m, guint64 off, void *buf, gsize len, GError **error) {
        FileIO *io = userdata;
        int fd = io->fd;
        ssize_t n;

        if (m) {
                if (io->open_member != m) {
                        if (io->member_fd >= 0)
                                close(io->member_fd);
                        io->open_member = NULL;
                        io->member_fd = openat(io->fd, m->name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        if (io->member_fd < 0) {
                                fail(error, "%s: %s", m->name, g_strerror(errno));
                                return -1;
                        }
                        io->open_member = m;
                }
                fd = io->member_fd;
        }
        do
                n = pread(fd, buf, len, (off_t) off);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                fail(error, "%s: %s", m ? m->name : "read", g_strerror(errno));
                return -1;
        }
        return n;
}

static gboolean list_directory(int dfd, const char *prefix, GPtrArray *names, GArray *sizes, guint level,
                               GError **error) {
        int fd = dup(dfd);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!dir) {
                if (fd >= 0)
                        close(fd);
                return fail(error, "cannot read the directory: %s", g_strerror(errno));
        }
        while ((de = readdir(dir))) {
                g_autofree char *rel = NULL;
                struct stat st;
                if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
                        continue;
                rel = *prefix ? g_strconcat(prefix, "/", de->d_name, NULL) : g_strdup(de->d_name);
                if (fstatat(dfd, de->d_name, &st, 0) < 0)
                        continue;
                if (S_ISREG(st.st_mode)) {
                        guint64 size = (guint64) st.st_size;
                        if (names->len >= OVA_MAX_MEMBERS) {
                                closedir(dir);
                                return fail(error, "more than %u files in the directory", OVA_MAX_MEMBERS);
                        }
                        g_ptr_array_add(names, g_steal_pointer(&rel));
                        g_array_append_val(sizes, size);
                } else if (S_ISDIR(st.st_mode) && level < 2) {
                        int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        gboolean ok = sub >= 0 && list_directory(sub, rel, names, sizes, level + 1, error);
                        if (sub >= 0)
                                close(sub);
                        if (!ok && error && *error) {
                                closedir(dir);
                                return FALSE;
                        }
                }
        }
        closedir(dir);
        return TRUE;
}

/* The OVA at path (a tar or zip file, or a directory) read through io. */
static OvaArchive *ova_open_path(const char *path, FileIO *io, GError **error) {
        struct stat st;

        io->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        io->member_fd = -1;
        if (io->fd < 0 || fstat(io->fd, &st) < 0) {
                fail(error, "%s: %s", path, g_strerror(errno));
                return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
                g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
                g_autoptr(GArray) sizes = g_array_new(FALSE, FALSE, sizeof(guint64));
                if (list_directory(io->fd, "", names, sizes, 0, error))
                        return ova_archive_new_directory(file_read, io, names, sizes, error);
                return NULL;
        }
        if (S_ISREG(st.st_mode))
                return ova_archive_open(file_read, io, (guint64) st.st_size, error);
        fail(error, "not a file or directory");
        return NULL;
}

static void file_io_close(FileIO *io) {
        if (io->member_fd >= 0)
                close(io->member_fd);
        if (io->fd >= 0)
                close(io->fd);
}

gboolean sources_check_ova_manifest(const char *path, guint64 hash_limit, GError **error) {
        FileIO io = { .fd = -1, .member_fd = -1 };
        g_autoptr(GError) open_error = NULL;
        /* What is not an OVA at all is virt-v2v's to say; this is about
         * the manifest. */
        g_autoptr(OvaArchive) a = ova_open_path(path, &io, &open_error);
        gboolean ok = !a || ova_check_manifest(a, hash_limit, error);

        g_clear_pointer(&a, ova_archive_free);
        file_io_close(&io);
        if (!ok)
                g_prefix_error(error, "%s: ", path);
        return ok;
}

static JsonNode *ova_describe(const SourceSpec *s, GError **error) {
        FileIO io = { .fd = -1, .member_fd = -1 };
        g_autoptr(OvaArchive) a = ova_open_path(s->ova, &io, error);
        JsonNode *vm = NULL;

        if (!a && io.fd < 0) {
                file_io_close(&io);
                return NULL;
        }
        if (a)
                vm = ova_inspect(a, error);
        if (!vm)
                g_prefix_error(error, "%s: ", s->ova);
        else
                sources_add_v2v_hint(s, json_node_get_object(vm));
        g_clear_pointer(&a, ova_archive_free);
        file_io_close(&io);
        return vm;
}

JsonNode *sources_list(const SourceSpec *s, GError **error) {
        JsonNode *vm, *node;
        JsonArray *a;

        if (s->uri)
                return libvirt_list(s, error);
        vm = ova_describe(s, error);
        if (!vm)
                return NULL;
        a = json_array_new();
        json_array_add_element(a, vm);
        node = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(node, a);
        return node;
}

JsonNode *sources_inspect(const SourceSpec *s, const char *vm_name, GError **error) {
        g_autoptr(JsonNode) vm = NULL;
        const char *name;

        if (s->uri)
                return libvirt_inspect(s, vm_name, error);
        vm = ova_describe(s, error);
        if (!vm)
                return NULL;
        name = json_object_get_string_member_with_default(json_node_get_object(vm), "name", "");
        if (!g_str_equal(name, vm_name)) {
                fail(error, "%s holds the VM \"%s\", not \"%s\"", s->ova, name, vm_name);
                return NULL;
        }
        json_object_set_string_member(json_node_get_object(vm), "source", s->ova);
        return g_steal_pointer(&vm);
}

/* ------------------------------------------------------- --print-source */

gboolean sources_print_source(const SourceSpec *s, const char *vm_name, const char *virt_v2v,
                              char **environment, JsonObject *vm, GError **error) {
        g_autofree char *dir = NULL, *pwfile = NULL, *password = NULL, *out = NULL, *err = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) input = NULL;
        g_autoptr(JsonObject) result = json_object_new();
        g_autoptr(GError) spawn_error = NULL;
        int status = 0;
        gboolean ok;

        if (s->password)
                password = g_strdup(s->password);
        else if (s->password_file && !(password = read_password_file(s->password_file, error)))
                return FALSE;
        if (password) {
                int fd;
                dir = g_dir_make_tmp("v2vd-source-XXXXXX", error);
                if (!dir)
                        return FALSE;
                pwfile = g_build_filename(dir, "password", NULL);
                fd = open(pwfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0 || write(fd, password, strlen(password)) != (ssize_t) strlen(password)) {
                        fail(error, "cannot write the password file for virt-v2v: %s", g_strerror(errno));
                        if (fd >= 0)
                                close(fd);
                        unlink(pwfile);
                        rmdir(dir);
                        explicit_bzero(password, strlen(password));
                        return FALSE;
                }
                close(fd);
                explicit_bzero(password, strlen(password));
        }
        g_ptr_array_add(argv, g_strdup(virt_v2v));
        g_ptr_array_add(argv, g_strdup("--print-source"));
        input = sources_v2v_input_argv(s, vm_name, pwfile);
        for (guint i = 0; i < input->len; i++)
                g_ptr_array_add(argv, g_strdup(input->pdata[i]));
        g_ptr_array_add(argv, NULL);
        ok = g_spawn_sync(NULL, (char **) argv->pdata, environment, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                          &status, &spawn_error);
        if (pwfile) {
                unlink(pwfile);
                rmdir(dir);
        }
        if (!ok) {
                fail(error, "cannot run %s --print-source: %s", virt_v2v, spawn_error->message);
                return FALSE;
        }
        json_object_set_int_member(result, "exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        json_object_set_string_member(result, "output", g_utf8_validate(out, -1, NULL) ? out : "");
        json_object_set_string_member(result, "errors", g_utf8_validate(err, -1, NULL) ? err : "");
        json_object_set_object_member(vm, "print_source", g_steal_pointer(&result));
        return TRUE;
}
