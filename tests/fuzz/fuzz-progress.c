/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the virt-v2v output parser (daemon/progress.c).
 *
 * Input: one control byte, then the bytes of a stream. The stream is fed
 * as virt-v2v's log (stdout+stderr) and, separately, as its
 * machine-readable file, both in chunks whose sizes follow the control
 * byte (so lines, UTF-8 sequences and "\r\n" are cut anywhere, as when the
 * daemon reads a growing file), interleaved the way the daemon reads them;
 * then the job is completed. Every derived value must stay in range.
 * (Lines json-glib 1.6 would leak on — a value followed by more text — are
 * refused by daemon/json-check.c before json-glib sees them.)
 * See README.md beside this file.
 */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ranges(const V2vProgress *p) {
        if (isnan(p->progress) || p->progress < 0.0 || p->progress > 100.0)
                abort();
        for (guint i = 0; p->disks && i < p->disks->len; i++) {
                const V2vDiskProgress *d = &g_array_index(p->disks, V2vDiskProgress, i);
                if (isnan(d->progress) || d->progress < 0.0 || d->progress > 100.0)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const disks[] = { "/var/tmp/a.img", "/var/tmp/b.img" };
        static const uint64_t sizes[] = { 10ULL << 30, 0 };
        g_autoptr(V2vProgress) p = v2v_progress_new();
        uint64_t now = 1700000000ULL * 1000000ULL;
        size_t log_off, mach_off;
        unsigned seed;

        if (size < 1)
                return 0;
        seed = data[0];
        data++;
        size--;
        v2v_progress_set_disks(p, disks, sizes, seed & 1 ? 2 : 0);
        log_off = mach_off = 0;
        while (log_off < size || mach_off < size) {
                size_t n;

                seed = seed * 1103515245u + 12345u;
                n = 1 + (seed >> 16) % 97;
                if (log_off < size) {
                        n = MIN(n, size - log_off);
                        (void) v2v_progress_feed_log(p, (const char *) data + log_off, n, now);
                        log_off += n;
                }
                seed = seed * 1103515245u + 12345u;
                n = 1 + (seed >> 16) % 131;
                if (mach_off < size) {
                        n = MIN(n, size - mach_off);
                        (void) v2v_progress_feed_machine(p, (const char *) data + mach_off, n, now);
                        mach_off += n;
                }
                now += 250000;
                check_ranges(p);
        }
        (void) v2v_progress_complete(p);
        check_ranges(p);
        return 0;
}
