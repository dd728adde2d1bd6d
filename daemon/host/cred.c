/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "host/cred.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int passwd_lookup(uid_t uid, Cred *ret) {
        struct passwd pw, *res = NULL;
        char buf[16384];
        int r;

        memset(ret, 0, sizeof *ret);
        r = getpwuid_r(uid, &pw, buf, sizeof buf, &res);
        if (r != 0)
                return -r;
        if (!res)
                return -ENOENT;
        ret->uid = pw.pw_uid;
        ret->gid = pw.pw_gid;
        if (snprintf(ret->name, sizeof ret->name, "%s", pw.pw_name) >= (int) sizeof ret->name ||
            snprintf(ret->home, sizeof ret->home, "%s", pw.pw_dir ? pw.pw_dir : "/") >= (int) sizeof ret->home)
                return -ENAMETOOLONG;
        return 0;
}

int cred_lookup(uid_t uid, Cred *ret) {
        int n, r;

        r = passwd_lookup(uid, ret);
        if (r < 0)
                return r;
        n = CRED_MAX_GROUPS;
        if (getgrouplist(ret->name, ret->gid, ret->groups, &n) < 0)
                return -E2BIG;
        ret->n_groups = n;
        return 0;
}

int cred_drop(const Cred *c) {
        if (setgroups((size_t) c->n_groups, c->groups) < 0 ||
            setresgid(c->gid, c->gid, c->gid) < 0 ||
            setresuid(c->uid, c->uid, c->uid) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        /* Paranoia: a uid that could become root again is not dropped. */
        if (c->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
                return -EPERM;
        return 0;
}
