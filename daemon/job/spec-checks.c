/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/input-checks.h"
#include "host/owner.h"
#include "job/spec-checks.h"
#include "sources/sources.h"

static int write_text(int fd, const char *s) {
        size_t len = strlen(s);

        while (len > 0) {
                ssize_t n = write(fd, s, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -EIO;
                s += n;
                len -= (size_t) n;
        }
        return 0;
}

static int checks_child(int out_fd, void *userdata) {
        const V2vSpec *spec = userdata;
        g_autoptr(GError) error = NULL;
        const char *ova = input_checks_ova_path(spec);

        if (input_checks_run(spec, &error) &&
            (!ova || sources_check_ova_manifest(ova, SPEC_CHECKS_OVA_HASH_LIMIT, &error)))
                return 0;
        (void) write_text(out_fd, error->message);
        return 1;
}

int spec_checks_run(uid_t uid, const V2vSpec *spec, char **ret_message) {
        g_autofree char *out = NULL;
        int r = owner_run(uid, checks_child, (void *) spec, 64 * 1024, &out);

        if (r < 0)
                return r;
        if (r == 0)
                return 1;
        if (r != 1 || !out || !*out)
                return -EIO;
        *ret_message = g_steal_pointer(&out);
        return 0;
}
