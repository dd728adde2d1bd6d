/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/xattr.h>
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

/* The POSIX access ACL of path (the kernel's xattr format,
 * linux/posix_acl_xattr.h: a version, then {tag, perm, id} entries), or
 * none: false. */
#define ACL_XATTR_VERSION 0x0002
#define ACL_ENTRIES_MAX 512
enum {
        ACL_USER_OBJ = 0x01, ACL_USER = 0x02, ACL_GROUP_OBJ = 0x04,
        ACL_GROUP = 0x08, ACL_MASK = 0x10, ACL_OTHER = 0x20,
};

typedef struct {
        size_t n;
        struct { uint16_t tag, perm; uint32_t id; } e[ACL_ENTRIES_MAX];
} Acl;

static bool acl_read(const char *path, Acl *acl) {
        uint8_t buf[4 + ACL_ENTRIES_MAX * 8];
        ssize_t len = getxattr(path, "system.posix_acl_access", buf, sizeof buf);
        uint32_t version;

        acl->n = 0;
        if (len < 4 || (len - 4) % 8 != 0)
                return false;
        memcpy(&version, buf, 4);
        if (le32toh(version) != ACL_XATTR_VERSION)
                return false;
        for (ssize_t off = 4; off < len; off += 8) {
                uint16_t tag, perm;
                uint32_t id;
                memcpy(&tag, buf + off, 2);
                memcpy(&perm, buf + off + 2, 2);
                memcpy(&id, buf + off + 4, 4);
                acl->e[acl->n].tag = le16toh(tag);
                acl->e[acl->n].perm = le16toh(perm) & 7;
                acl->e[acl->n].id = le32toh(id);
                acl->n++;
        }
        return acl->n > 0;
}

/* As getfacl -c prints it, on one line: "user::rwx,user:36:---,…". */
static char *acl_text(const Acl *acl) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; i < acl->n; i++) {
                const char *tag;
                g_autofree char *id = NULL;
                unsigned p = acl->e[i].perm;
                switch (acl->e[i].tag) {
                case ACL_USER_OBJ: tag = "user"; break;
                case ACL_USER: tag = "user"; id = g_strdup_printf("%u", acl->e[i].id); break;
                case ACL_GROUP_OBJ: tag = "group"; break;
                case ACL_GROUP: tag = "group"; id = g_strdup_printf("%u", acl->e[i].id); break;
                case ACL_MASK: tag = "mask"; break;
                case ACL_OTHER: tag = "other"; break;
                default: continue;
                }
                g_string_append_printf(s, "%s%s:%s:%c%c%c", s->len ? "," : "", tag, id ? id : "",
                                       p & 4 ? 'r' : '-', p & 2 ? 'w' : '-', p & 1 ? 'x' : '-');
        }
        return g_string_free(s, FALSE);
}

/* What uid:gid may do with st (r=4, w=2, x=1): the POSIX.1e access check
 * of the ACL when it has one, else the mode bits. */
static unsigned perm_of(const struct stat *st, const Acl *acl, uid_t uid, gid_t gid) {
        unsigned mask = 7, group = 0;
        bool group_matched = false;

        if (uid == 0)
                return 7;
        if (st->st_uid == uid)
                return (st->st_mode >> 6) & 7;
        if (!acl || acl->n == 0) {
                if (st->st_gid == gid)
                        return (st->st_mode >> 3) & 7;
                return st->st_mode & 7;
        }
        for (size_t i = 0; i < acl->n; i++)
                if (acl->e[i].tag == ACL_MASK)
                        mask = acl->e[i].perm;
        for (size_t i = 0; i < acl->n; i++)
                if (acl->e[i].tag == ACL_USER && acl->e[i].id == uid)
                        return acl->e[i].perm & mask;
        for (size_t i = 0; i < acl->n; i++)
                if ((acl->e[i].tag == ACL_GROUP_OBJ && st->st_gid == gid) ||
                    (acl->e[i].tag == ACL_GROUP && acl->e[i].id == gid)) {
                        group_matched = true;
                        group |= acl->e[i].perm;
                }
        if (group_matched)
                return group & mask;
        for (size_t i = 0; i < acl->n; i++)
                if (acl->e[i].tag == ACL_OTHER)
                        return acl->e[i].perm;
        return 0;
}

/* The same question without a probe: 0, or 1 with the first denied. */
static int access_here(uid_t uid, gid_t gid, const char *const *paths, const int *modes, size_t n,
                       size_t *ret_index, int *ret_errno) {
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                Acl acl;
                unsigned want = ((modes[i] & R_OK) ? 4 : 0) | ((modes[i] & W_OK) ? 2 : 0) | ((modes[i] & X_OK) ? 1 : 0);

                if (stat(paths[i], &st) < 0) {
                        *ret_index = i;
                        *ret_errno = errno;
                        return 1;
                }
                if ((perm_of(&st, acl_read(paths[i], &acl) ? &acl : NULL, uid, gid) & want) != want) {
                        *ret_index = i;
                        *ret_errno = EACCES;
                        return 1;
                }
        }
        return 0;
}

bool input_check_export_domain_writable(const char *dir, uid_t uid, gid_t gid, InputAccessProbe probe,
                                        GError **error) {
        static const char *const subdirs[] = { "images", "master/vms", NULL };
        g_autofree char *mnt = g_canonicalize_filename(dir, "/");
        g_autofree char *canon = NULL;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GArray) modes = g_array_new(FALSE, FALSE, sizeof(int));
        g_autofree char *acl_shown = NULL;
        size_t denied = 0;
        int r, err = 0;
        struct stat st;
        Acl acl;

        if (!export_domain_uuid_dir(mnt, &canon, error))
                return false;

        /* Every directory on the way must let uid:gid through; the two
         * targets must let it create files. */
        for (const char *const *s = subdirs; *s; s++) {
                g_autofree char *target = g_build_filename(canon, *s, NULL);
                int m;
                for (char *p = target; p; p = strchr(p + 1, '/')) {
                        m = X_OK;
                        g_ptr_array_add(paths, p == target ? g_strdup("/") : g_strndup(target, (gsize) (p - target)));
                        g_array_append_val(modes, m);
                }
                m = W_OK | X_OK;
                g_ptr_array_add(paths, g_steal_pointer(&target));
                g_array_append_val(modes, m);
        }
        r = (probe ? probe : access_here)(uid, gid, (const char *const *) paths->pdata, (const int *) (void *) modes->data,
                                          paths->len, &denied, &err);
        if (r < 0)
                return fail(error, "export_domain: cannot check whether %u:%u (vdsm:kvm) can write %s: %s",
                            (unsigned) uid, (unsigned) gid, mnt, g_strerror(-r));
        if (r == 0)
                return true;

        {
                const char *what = paths->pdata[denied];
                bool enter = g_array_index(modes, int, denied) == X_OK;

                if (stat(what, &st) < 0 || (err != EACCES && err != EPERM && err != EROFS))
                        return fail(error, "export_domain: %u:%u (vdsm:kvm, as which virt-v2v writes the export "
                                    "domain) cannot access %s: %s", (unsigned) uid, (unsigned) gid, what,
                                    g_strerror(err ? err : errno));
                if (acl_read(what, &acl))
                        acl_shown = acl_text(&acl);
                return fail(error, "export_domain: %u:%u (vdsm:kvm, as which virt-v2v writes the export domain) "
                            "cannot %s %s (owner %u:%u, mode %04o%s%s%s)%s", (unsigned) uid, (unsigned) gid,
                            enter ? "enter" : "write into", what, (unsigned) st.st_uid, (unsigned) st.st_gid,
                            (unsigned) (st.st_mode & 07777), acl_shown ? ", ACL " : "", acl_shown ? acl_shown : "",
                            err == EROFS ? ", on a read-only mount" : "",
                            enter ? "" : ": chown -R 36:36 the domain");
        }
}

bool input_checks_run(const V2vSpec *spec, InputAccessProbe probe, GError **error) {
        const V2vSpecPriv *p = v2v_spec_priv(spec);

        if (spec->input == V2V_INPUT_VMX && !input_check_vmx_disks(p->vmx, error))
                return false;
        if (spec->output == V2V_OUTPUT_RHV && g_path_is_absolute(p->export_domain)) {
                if (!input_check_export_domain_layout(p->export_domain, error))
                        return false;
                if (geteuid() == 0)
                        return input_check_export_domain_writable(p->export_domain, V2V_VDSM_UID, V2V_VDSM_GID, probe,
                                                                  error);
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
