/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "host/owner.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/text-escape.h"
#include "host/cred.h"
#include "host/file-write.h"
#include "host/helper.h"
#include "host/spawn.h"
#include "host/util.h"

/* ------------------------------------------------------------ helpers */

typedef struct {
        int (*fn)(int out_fd, void *userdata);
        void *userdata;
} OwnerChild;

static int owner_child(void *userdata) {
        OwnerChild *c = userdata;

        (void) signal(SIGPIPE, SIG_IGN);
        return c->fn(STDOUT_FILENO, c->userdata);
}

/* fn(stdout, userdata) in a helper with uid's credentials (helper.h: on
 * the loop, with a timeout). fn and userdata are used in the child only,
 * before this returns: the caller may free userdata at once. */
static int owner_run(sd_event *e, uid_t uid, const char *what, const char *job_id,
                     int (*fn)(int out_fd, void *userdata), void *userdata, uint64_t timeout_usec,
                     HelperDone done, void *done_userdata, GDestroyNotify free_userdata, Helper **ret) {
        static Cred cred;   /* big (groups); the daemon is single-threaded */
        bool drop = uid != geteuid();
        OwnerChild c = { fn, userdata };
        /* Nothing of the daemon's (its bus connection, its files) stays
         * open in the owner's process but the answer pipe. */
        SpawnOptions o = { .fn = owner_child, .userdata = &c, .cred = drop ? &cred : NULL };
        HelperOptions h = { .what = what, .uid = uid, .job_id = job_id, .output_max = 64 * 1024,
                            .timeout_usec = timeout_usec };
        int r;

        if (drop) {
                r = cred_lookup(uid, &cred);
                if (r < 0)
                        return r;
        }
        return helper_start(e, &o, &h, done, done_userdata, free_userdata, ret);
}

static int write_text(int fd, const char *s) {
        return write_all(fd, s, strlen(s));
}

/* ------------------------------------------------------------ the spec */

typedef struct {
        const char *json;
        const V2vSpecContext *ctx;
        OwnerSpecCheck extra;
} SpecCheck;

static int spec_check_child(int out_fd, void *userdata) {
        SpecCheck *c = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vSpec) spec = v2v_spec_parse(c->json, c->ctx, &error);

        if (spec && (!c->extra || c->extra(spec, &error))) {
                g_autofree char *sizes = v2v_spec_disk_sizes_text(spec);
                (void) write_text(out_fd, sizes);
                return 0;
        }
        (void) write_text(out_fd, error->message);
        return 1;
}

typedef struct {
        OwnerCheckDone done;
        void *userdata;
        bool drop;
} SpecCheckCall;

static void on_spec_checked(int status, const char *output, size_t len, void *userdata) {
        SpecCheckCall *c = userdata;

        if (status == 0)
                c->done(1, output, c->userdata);
        else if (status == 1 && len > 0)
                c->done(0, output, c->userdata);
        else if (status == -ETIME)
                c->done(-ETIME, NULL, c->userdata);
        else
                c->done(status == 126 && c->drop ? -EPERM : status < 0 ? status : -EIO, NULL, c->userdata);
        g_free(c);
}

int owner_check_spec(sd_event *e, uid_t uid, const char *json, const V2vSpecContext *ctx, OwnerSpecCheck extra,
                     OwnerCheckDone done, void *userdata, Helper **ret) {
        SpecCheck check = { .json = json, .ctx = ctx, .extra = extra };
        SpecCheckCall *c = g_new0(SpecCheckCall, 1);
        int r;

        c->done = done;
        c->userdata = userdata;
        c->drop = uid != geteuid();
        r = owner_run(e, uid, "the spec check", NULL, spec_check_child, &check, OWNER_CHECK_TIMEOUT_USEC,
                      on_spec_checked, c, g_free, ret);
        if (r < 0)
                g_free(c);
        return r;
}

/* ------------------------------------------------------------ ACLs */

/* The kernel's POSIX ACL xattr format (linux/posix_acl_xattr.h):
 * a version header, then entries sorted by tag, then id. */
#define ACL_XATTR_VERSION 0x0002
enum {
        ACL_TAG_USER_OBJ = 0x01, ACL_TAG_USER = 0x02, ACL_TAG_GROUP_OBJ = 0x04,
        ACL_TAG_GROUP = 0x08, ACL_TAG_MASK = 0x10, ACL_TAG_OTHER = 0x20,
};
#define ACL_UNDEFINED_ID ((uint32_t) -1)

typedef struct __attribute__((packed)) {
        uint16_t tag, perm;
        uint32_t id;
} AclEntry;

static void acl_add(GByteArray *a, uint16_t tag, uint16_t perm, uint32_t id) {
        AclEntry e = { htole16(tag), htole16(perm), htole32(id) };
        g_byte_array_append(a, (const guint8 *) &e, sizeof e);
}

static gint compare_gid(gconstpointer a, gconstpointer b) {
        gid_t x = *(const gid_t *) a, y = *(const gid_t *) b;
        return x < y ? -1 : x > y;
}

/* user_obj rwx, user:uid perm, group_obj group_obj_perm, group:g perm for
 * each reader group, mask perm|group_obj_perm, other ---. */
static int acl_set(int fd, const char *name, uid_t uid, unsigned perm, unsigned group_obj_perm,
                   const gid_t *gids, size_t n_gids) {
        g_autoptr(GByteArray) a = g_byte_array_new();
        g_autofree gid_t *sorted = g_memdup2(gids, n_gids * sizeof(gid_t));
        uint32_t version = htole32(ACL_XATTR_VERSION);

        if (n_gids > 1)
                qsort(sorted, n_gids, sizeof(gid_t), (int (*)(const void *, const void *)) compare_gid);
        g_byte_array_append(a, (const guint8 *) &version, sizeof version);
        acl_add(a, ACL_TAG_USER_OBJ, 7, ACL_UNDEFINED_ID);
        if (uid != 0)
                acl_add(a, ACL_TAG_USER, (uint16_t) perm, uid);
        acl_add(a, ACL_TAG_GROUP_OBJ, (uint16_t) group_obj_perm, ACL_UNDEFINED_ID);
        for (size_t i = 0; i < n_gids; i++)
                if (i == 0 || sorted[i] != sorted[i - 1])
                        acl_add(a, ACL_TAG_GROUP, 5, sorted[i]);
        acl_add(a, ACL_TAG_MASK, (uint16_t) (perm | group_obj_perm | (n_gids ? 5 : 0)), ACL_UNDEFINED_ID);
        acl_add(a, ACL_TAG_OTHER, 0, ACL_UNDEFINED_ID);
        return fsetxattr(fd, name, a->data, a->len, 0) < 0 ? -errno : 0;
}

int owner_grant_job_dir(const char *dir, uid_t uid, const gid_t *reader_gids, size_t n_reader_gids) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (fd < 0)
                return -errno;
        r = acl_set(fd, "system.posix_acl_access", uid, 5, 5, reader_gids, n_reader_gids);
        if (r >= 0)
                r = acl_set(fd, "system.posix_acl_default", uid, 5, 5, reader_gids, n_reader_gids);
        return r;
}

/* ------------------------------------------------------------ job start */

/* A file in a root-owned directory, made uid's: open without following a
 * link, create it when absent (read-only, so that no IN_CLOSE_WRITE says
 * it was written), chown. */
static int give_file(int dirfd, const char *name, uid_t uid, gid_t gid, bool create) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
                                        (create ? O_CREAT : 0), 0640);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) && !S_ISSOCK(st.st_mode))
                return -EINVAL;
        return fchown(fd, uid, gid) < 0 ? -errno : 0;
}

/* A root-owned file in a root-owned directory, readable by uid (ACL). */
static int grant_read(int dirfd, const char *name, uid_t uid) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
                return -EINVAL;
        return acl_set(fd, "system.posix_acl_access", uid, 4, 0, NULL, 0);
}

int owner_prepare_start(const char *job_dir, const char *secret_dir, const char *machine_log, uid_t uid) {
        _cleanup_close_ int jfd = -1, sfd = -1;
        g_autofree char *log_name = g_path_get_basename(machine_log);
        g_autofree char *log_dir = g_path_get_dirname(machine_log);
        gid_t gid;
        DIR *d;
        struct dirent *de;
        int r;

        {
                Cred c;
                r = passwd_lookup(uid, &c);
                if (r < 0)
                        return r;
                gid = c.gid;
        }
        r = owner_grant_job_dir(job_dir, uid, NULL, 0);
        if (r < 0)
                return r;
        jfd = open(job_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (jfd < 0)
                return -errno;
        if (g_str_equal(log_dir, job_dir)) {
                r = give_file(jfd, log_name, uid, gid, false);
                if (r < 0)
                        return r;
        }
        r = give_file(jfd, "throttling.json", uid, gid, true);
        if (r < 0)
                return r;

        /* The secrets: read, never written, by the owner — nothing of its
         * can grow in root's runtime directory (tmpfs). The agent's socket
         * goes into a tmpfs of the owner's in the job's mount namespace
         * (runner.c). */
        sfd = open(secret_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
                return -errno;
        if (fchmod(sfd, 0700) < 0)
                return -errno;
        r = acl_set(sfd, "system.posix_acl_access", uid, 5, 0, NULL, 0);
        if (r < 0)
                return r;
        d = fdopendir(dup(sfd));
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (de->d_type != DT_REG || g_str_equal(de->d_name, "spec.json"))
                        continue;
                r = grant_read(dirfd(d), de->d_name, uid);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r < 0 ? r : 0;
}

int owner_offer_file(const char *dir, const char *name, uid_t uid) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        Cred c;
        int r;

        if (fd < 0)
                return -errno;
        r = passwd_lookup(uid, &c);
        return r < 0 ? r : give_file(fd, name, uid, c.gid, true);
}

/* ------------------------------------------------------------ cancel */

typedef struct {
        const char *dir;
        const GPtrArray *patterns, *created;
        uid_t uid;
} RemoveOutputs;

static int remove_outputs_child(int out_fd, void *userdata) {
        RemoveOutputs *c = userdata;
        _cleanup_close_ int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return 0;
        for (guint i = 0; i < c->created->len; i++) {
                g_auto(GStrv) f = g_strsplit(c->created->pdata[i], ":", 3);
                const char *name;
                bool match = false;
                struct stat st;

                if (g_strv_length(f) != 3 || !*(name = f[2]) || strchr(name, '/') ||
                    g_str_equal(name, ".") || g_str_equal(name, ".."))
                        continue;
                for (guint k = 0; k < c->patterns->len && !match; k++)
                        match = g_pattern_match_simple(c->patterns->pdata[k], name);
                /* The same file as the job created, by its directory's
                 * descriptor; unlinkat() removes the name, never what a
                 * link points to. */
                if (!match || fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
                    st.st_uid != c->uid || (guint64) st.st_dev != g_ascii_strtoull(f[0], NULL, 10) ||
                    (guint64) st.st_ino != g_ascii_strtoull(f[1], NULL, 10))
                        continue;
                if (unlinkat(fd, name, 0) == 0) {
                        (void) write_text(out_fd, name);
                        (void) write_text(out_fd, "\n");
                }
        }
        return 0;
}

typedef struct {
        char *job_id;
        char *dir;
} RemoveCall;

static void remove_call_free(void *userdata) {
        RemoveCall *c = userdata;

        g_free(c->job_id);
        g_free(c->dir);
        g_free(c);
}

static void on_outputs_removed(int status, const char *output, size_t len, void *userdata) {
        RemoveCall *c = userdata;
        g_autofree char *removed = g_strchomp(g_strdup(output));

        if (status == -ETIME)
                log_full(LOG_WARNING, c->job_id, "removing the partial output in %s as its owner did not end "
                         "within %u s; killed", c->dir, (unsigned) (OWNER_CLEANUP_TIMEOUT_USEC / 1000000));
        else if (status != 0)
                log_full(LOG_WARNING, c->job_id, "cannot remove the partial output in %s (%s %d)", c->dir,
                         status < 0 ? "error" : "exit status", status < 0 ? -status : status);
        else if (*removed) {
                g_autofree char *shown = v2v_text_escape(removed, 0);
                log_full(LOG_INFO, c->job_id, "removed partial output in %s: %s", c->dir, shown);
        }
        remove_call_free(c);
}

int owner_remove_outputs(sd_event *e, const char *job_id, uid_t uid, const char *dir, const GPtrArray *patterns,
                         const GPtrArray *created) {
        RemoveOutputs ro = { .dir = dir, .patterns = patterns, .created = created, .uid = uid };
        RemoveCall *c = g_new0(RemoveCall, 1);
        int r;

        c->job_id = g_strdup(job_id);
        c->dir = g_strdup(dir);
        r = owner_run(e, uid, "the cancelled job's cleanup", job_id, remove_outputs_child, &ro,
                      OWNER_CLEANUP_TIMEOUT_USEC, on_outputs_removed, c, remove_call_free, NULL);
        if (r < 0)
                remove_call_free(c);
        return r;
}

/* ------------------------------------------------------------ who runs it */

const char *owner_root_output(const V2vSpec *spec) {
        switch (spec->output) {
        case V2V_OUTPUT_OPENSTACK:
                return "openstack";
        case V2V_OUTPUT_RHV:
                return "rhv";
        default:
                return NULL;
        }
}

uid_t owner_job_uid(bool user_mode, char **root_outputs, uid_t owner, const V2vSpec *spec) {
        const char *o = spec ? owner_root_output(spec) : NULL;

        if (user_mode || owner == 0)
                return (uid_t) -1;
        if (o && root_outputs && g_strv_contains((const char *const *) root_outputs, o))
                return (uid_t) -1;
        return owner;
}
