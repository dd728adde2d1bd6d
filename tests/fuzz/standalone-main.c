/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A main for a fuzz target without libFuzzer: each argument, a file or a
 * directory of files, is read whole and given to LLVMFuzzerTestOneInput
 * once. The unit suite runs each target over its seed corpus this way, so
 * that a target that no longer builds or links, or crashes on a seed, fails
 * there and not only in tests/fuzz/run.sh.
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned *n) {
        g_autoptr(GError) error = NULL;
        g_autofree char *data = NULL;
        gsize len;

        if (!g_file_get_contents(path, &data, &len, &error)) {
                fprintf(stderr, "%s\n", error->message);
                return 1;
        }
        (void) LLVMFuzzerTestOneInput((const uint8_t *) data, len);
        (*n)++;
        return 0;
}

int main(int argc, char **argv) {
        unsigned n = 0;
        int rc = 0;

        for (int i = 1; i < argc; i++) {
                g_autoptr(GDir) dir = NULL;
                const char *name;

                if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
                        rc |= run_file(argv[i], &n);
                        continue;
                }
                dir = g_dir_open(argv[i], 0, NULL);
                while (dir && (name = g_dir_read_name(dir))) {
                        g_autofree char *p = g_build_filename(argv[i], name, NULL);
                        rc |= run_file(p, &n);
                }
        }
        printf("%u inputs%s\n", n, rc ? ", some unreadable" : "");
        return n == 0 ? 1 : rc;
}
