/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/job-id.h"

bool job_id_is_valid(const char *id) {
        size_t n;

        if (!id)
                return false;
        n = strlen(id);
        if (n < 1 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isalnum(id[i]) && id[i] != '_')
                        return false;
        return true;
}

int job_id_compare(const char *a, const char *b) {
        uint64_t ia = g_ascii_strtoull(a, NULL, 10), ib = g_ascii_strtoull(b, NULL, 10);

        if (ia != ib)
                return ia < ib ? -1 : 1;
        return strcmp(a, b);
}
