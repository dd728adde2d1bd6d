/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/input-checks.h"
#include "core/spec-private.h"

#define MAX_VMX_BYTES (1024 * 1024)
#define MAX_DESCRIPTOR_BYTES (64 * 1024)

static bool fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail(GError **error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (error)
                *error = g_error_new_valist(V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID, fmt, ap);
        va_end(ap);
        return false;
}

/* A small regular file, read whole (at most max bytes), or NULL with errno
 * set (EINVAL: not a regular file, EFBIG: bigger than max). */
static char *read_small(const char *path, size_t max, size_t *ret_len) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        char *buf;
        ssize_t n;
        int e;

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0)
                e = errno;
        else if (!S_ISREG(st.st_mode))
                e = EINVAL;
        else if ((size_t) st.st_size > max)
                e = EFBIG;
        else {
                buf = g_malloc((size_t) st.st_size + 1);
                do
                        n = read(fd, buf, (size_t) st.st_size);
                while (n < 0 && errno == EINTR);
                e = errno;
                close(fd);
                if (n < 0) {
                        g_free(buf);
                        errno = e;
                        return NULL;
                }
                buf[n] = 0;
                *ret_len = (size_t) n;
                return buf;
        }
        close(fd);
        errno = e;
        return NULL;
}

/* "key = "value"" lines of a .vmx → a table (keys lower-cased). */
static GHashTable *vmx_parse(const char *text) {
        GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l; l++) {
                char *eq = strchr(*l, '=');
                if (!eq || **l == '#')
                        continue;
                g_autofree char *k = g_strstrip(g_strndup(*l, (gsize) (eq - *l)));
                g_autofree char *v = g_strstrip(g_strdup(eq + 1));
                size_t n = strlen(v);
                if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                        memmove(v, v + 1, n - 2);
                        v[n - 2] = 0;
                }
                g_hash_table_replace(t, g_ascii_strdown(k, -1), g_steal_pointer(&v));
        }
        return t;
}

static bool is_disk_key(const char *k, char **ret_dev) {
        static const char *const buses[] = { "scsi", "ide", "sata", "nvme", NULL };
        const char *suffix = ".filename";

        if (!g_str_has_suffix(k, suffix))
                return false;
        for (const char *const *b = buses; *b; b++) {
                const char *p = k + strlen(*b);
                if (!g_str_has_prefix(k, *b) || !g_ascii_isdigit(*p))
                        continue;
                while (g_ascii_isdigit(*p))
                        p++;
                if (*p++ != ':' || !g_ascii_isdigit(*p))
                        continue;
                while (g_ascii_isdigit(*p))
                        p++;
                if (strcmp(p, suffix) != 0)
                        continue;
                *ret_dev = g_strndup(k, (gsize) (p - k));
                return true;
        }
        return false;
}

static bool check_readable(const char *what, const char *path, GError **error) {
        struct stat st;

        if (stat(path, &st) < 0)
                return fail(error, "%s: cannot access %s: %s", what, path, g_strerror(errno));
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return fail(error, "%s: %s is not a disk image (a regular file or block device)", what, path);
        if (access(path, R_OK) < 0)
                return fail(error, "%s: cannot read %s: %s", what, path, g_strerror(errno));
        return true;
}

/* A text VMDK descriptor's extent lines: RW SIZE FLAT|VMFS|SPARSE "FILE" [OFFSET]. */
static bool check_descriptor_extents(const char *vmx_path, const char *vmdk, GError **error) {
        size_t len = 0;
        g_autofree char *text = read_small(vmdk, MAX_DESCRIPTOR_BYTES, &len);

        if (!text || !g_str_has_prefix(text, "# Disk DescriptorFile") || memchr(text, 0, len))
                return true;    /* a binary (sparse or streamOptimized) VMDK holds its data */
        g_autofree char *dir = g_path_get_dirname(vmdk);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
                const char *q1, *q2;
                if (!(g_str_has_prefix(*l, "RW ") || g_str_has_prefix(*l, "RDONLY ")) ||
                    !(q1 = strchr(*l, '"')) || !(q2 = strchr(q1 + 1, '"')))
                        continue;
                g_autofree char *name = g_strndup(q1 + 1, (gsize) (q2 - q1 - 1));
                g_autofree char *path = g_path_is_absolute(name) ? g_strdup(name) : g_build_filename(dir, name, NULL);
                g_autofree char *what = g_strdup_printf("vmx: %s: the disk %s names its data in", vmx_path, vmdk);
                if (!check_readable(what, path, error))
                        return false;
        }
        return true;
}

bool input_check_vmx_disks(const char *vmx_path, GError **error) {
        size_t len = 0;
        g_autofree char *text = read_small(vmx_path, MAX_VMX_BYTES, &len);

        if (!text)
                return fail(error, "vmx: cannot read %s: %s", vmx_path, g_strerror(errno));
        if (memchr(text, 0, len))
                return fail(error, "vmx: %s is not a .vmx file (it holds NUL bytes)", vmx_path);
        g_autoptr(GHashTable) t = vmx_parse(text);
        g_autofree char *dir = g_path_get_dirname(vmx_path);
        g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(t), (GCompareFunc) strcmp);
        unsigned n = 0;

        for (GList *l = keys; l; l = l->next) {
                g_autofree char *dev = NULL;
                if (!is_disk_key(l->data, &dev))
                        continue;
                g_autofree char *present_k = g_strconcat(dev, ".present", NULL);
                g_autofree char *type_k = g_strconcat(dev, ".devicetype", NULL);
                const char *present = g_hash_table_lookup(t, present_k);
                const char *type = g_hash_table_lookup(t, type_k);
                if (present && g_ascii_strcasecmp(present, "true") != 0)
                        continue;
                if (type && (strstr(type, "cdrom") || strstr(type, "CDROM") || strstr(type, "atapi")))
                        continue;
                const char *name = g_hash_table_lookup(t, l->data);
                if (!g_str_has_suffix(name, ".vmdk") && !g_str_has_suffix(name, ".VMDK"))
                        continue;
                g_autofree char *path = g_path_is_absolute(name) ? g_strdup(name) : g_build_filename(dir, name, NULL);
                g_autofree char *what = g_strdup_printf("vmx: %s names the disk %s (%s.fileName), but", vmx_path, name, dev);
                struct stat st;
                if (stat(path, &st) < 0)
                        return fail(error, "%s %s: %s", what, path, g_strerror(errno));
                if (!check_readable("vmx", path, error) || !check_descriptor_extents(vmx_path, path, error))
                        return false;
                n++;
        }
        if (n == 0)
                return fail(error, "vmx: %s names no disk (no scsiN:M, ideN:M, sataN:M or nvmeN:M .fileName "
                            "of a .vmdk)", vmx_path);
        return true;
}

/* The one directory in mnt that is not lost+found or hidden, as virt-v2v
 * looks for it: the storage domain, named by its UUID. */
static bool export_domain_uuid_dir(const char *mnt, char **ret, GError **error) {
        g_autoptr(GDir) d = NULL;
        g_autoptr(GError) e = NULL;
        g_autofree char *found = NULL;
        const char *name;

        d = g_dir_open(mnt, 0, &e);
        if (!d)
                return fail(error, "export_domain: cannot read %s: %s", mnt, e->message);
        while ((name = g_dir_read_name(d))) {
                g_autofree char *p = g_build_filename(mnt, name, NULL);
                if (name[0] == '.' || g_str_equal(name, "lost+found") || !g_file_test(p, G_FILE_TEST_IS_DIR))
                        continue;
                if (found)
                        return fail(error, "export_domain: %s holds more than one directory (%s, %s): expected "
                                    "the mount point of one export storage domain", mnt, found, name);
                found = g_strdup(name);
        }
        if (!found)
                return fail(error, "export_domain: %s is not an export storage domain: it holds no domain directory "
                            "(expected the mount point holding SD-UUID/images/ and SD-UUID/master/vms/)", mnt);
        *ret = g_build_filename(mnt, found, NULL);
        return true;
}

bool input_check_export_domain_layout(const char *dir, GError **error) {
        static const char *const subdirs[] = { "images", "master/vms", NULL };
        g_autofree char *sd = NULL;
        struct stat st;

        if (stat(dir, &st) < 0)
                return fail(error, "export_domain: cannot access %s: %s", dir, g_strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return fail(error, "export_domain: %s is not a directory", dir);
        if (!export_domain_uuid_dir(dir, &sd, error))
                return false;
        for (const char *const *s = subdirs; *s; s++) {
                g_autofree char *p = g_build_filename(sd, *s, NULL);
                if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
                        return fail(error, "export_domain: %s is not an export storage domain: %s has no %s/ "
                                    "(a domain not attached to a data center has no master/vms/)", dir, sd, *s);
        }
        return true;
}

/* What uid:gid may do with st by its mode bits (r=4, w=2, x=1). */
static unsigned perm_of(const struct stat *st, uid_t uid, gid_t gid) {
        if (uid == 0)
                return 7;
        if (st->st_uid == uid)
                return (st->st_mode >> 6) & 7;
        if (st->st_gid == gid)
                return (st->st_mode >> 3) & 7;
        return st->st_mode & 7;
}

bool input_check_export_domain_writable(const char *dir, uid_t uid, gid_t gid, GError **error) {
        static const char *const subdirs[] = { "images", "master/vms", NULL };
        g_autofree char *mnt = g_canonicalize_filename(dir, "/");
        g_autofree char *canon = NULL;
        struct stat st;

        if (!export_domain_uuid_dir(mnt, &canon, error))
                return false;

        for (const char *const *s = subdirs; *s; s++) {
                g_autofree char *target = g_build_filename(canon, *s, NULL);
                /* Every directory on the way must let uid:gid through. */
                for (char *p = target; p; p = strchr(p + 1, '/')) {
                        g_autofree char *prefix = p == target ? g_strdup("/") : g_strndup(target, (gsize) (p - target));
                        if (stat(prefix, &st) < 0)
                                return fail(error, "export_domain: cannot access %s: %s", prefix, g_strerror(errno));
                        if (!(perm_of(&st, uid, gid) & 1))
                                return fail(error, "export_domain: %u:%u (vdsm:kvm, as which virt-v2v writes the "
                                            "export domain) cannot enter %s (owner %u:%u, mode %04o)",
                                            (unsigned) uid, (unsigned) gid, prefix, (unsigned) st.st_uid,
                                            (unsigned) st.st_gid, (unsigned) (st.st_mode & 07777));
                }
                if (stat(target, &st) < 0)
                        return fail(error, "export_domain: cannot access %s: %s", target, g_strerror(errno));
                if ((perm_of(&st, uid, gid) & 3) != 3)
                        return fail(error, "export_domain: %u:%u (vdsm:kvm, as which virt-v2v writes the export "
                                    "domain) cannot write into %s (owner %u:%u, mode %04o): chown -R 36:36 the "
                                    "domain", (unsigned) uid, (unsigned) gid, target, (unsigned) st.st_uid,
                                    (unsigned) st.st_gid, (unsigned) (st.st_mode & 07777));
        }
        return true;
}

bool input_checks_run(const V2vSpec *spec, GError **error) {
        const V2vSpecPriv *p = v2v_spec_priv(spec);

        if (spec->input == V2V_INPUT_VMX && !input_check_vmx_disks(p->vmx, error))
                return false;
        if (spec->output == V2V_OUTPUT_RHV && g_path_is_absolute(p->export_domain)) {
                if (!input_check_export_domain_layout(p->export_domain, error))
                        return false;
                if (geteuid() == 0)
                        return input_check_export_domain_writable(p->export_domain, V2V_VDSM_UID, V2V_VDSM_GID, error);
                g_autofree char *sd = NULL;
                if (!export_domain_uuid_dir(p->export_domain, &sd, error))
                        return false;
                g_autofree char *images = g_build_filename(sd, "images", NULL);
                g_autofree char *vms = g_build_filename(sd, "master", "vms", NULL);
                if (access(images, W_OK | X_OK) < 0 || access(vms, W_OK | X_OK) < 0)
                        return fail(error, "export_domain: cannot write into %s: %s",
                                    access(images, W_OK | X_OK) < 0 ? images : vms, g_strerror(errno));
        }
        return true;
}

const char *input_checks_ova_path(const V2vSpec *spec) {
        return spec->input == V2V_INPUT_OVA ? v2v_spec_priv(spec)->ova : NULL;
}
