/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host/file-write.c: the three ways a file is written. */
#include "config.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/file-write.h"

static size_t count_entries(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        size_t n = 0;

        g_assert_nonnull(d);
        while (g_dir_read_name(d))
                n++;
        return n;
}

static void test_write_atomic(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("v2vd-file-write-XXXXXX", &error);
        g_autofree char *path = NULL, *sub = NULL, *inner = NULL, *missing = NULL, *content = NULL;
        struct stat st;
        mode_t old_umask;
        int r;

        g_assert_no_error(error);
        path = g_build_filename(dir, "state.json", NULL);

        old_umask = umask(077);
        r = write_file_atomic(path, "{\"a\": 1}\n", 9, 0640);
        umask(old_umask);
        g_assert_cmpint(r, ==, 0);
        g_assert_true(g_file_get_contents(path, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "{\"a\": 1}\n");
        g_assert_cmpint(stat(path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0640);
        g_assert_cmpuint(count_entries(dir), ==, 1);

        /* replace, with another mode and empty content */
        g_assert_cmpint(write_file_atomic(path, "", 0, 0600), ==, 0);
        g_clear_pointer(&content, g_free);
        g_assert_true(g_file_get_contents(path, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "");
        g_assert_cmpint(stat(path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_cmpuint(count_entries(dir), ==, 1);

        /* a bigger one */
        {
                g_autofree char *big = g_strnfill(3 * 1024 * 1024 + 7, 'z');

                g_assert_cmpint(write_file_atomic(path, big, strlen(big), 0640), ==, 0);
                g_clear_pointer(&content, g_free);
                g_assert_true(g_file_get_contents(path, &content, NULL, NULL));
                g_assert_cmpstr(content, ==, big);
        }

        /* the directory does not exist */
        missing = g_build_filename(dir, "nope", "state.json", NULL);
        g_assert_cmpint(write_file_atomic(missing, "x", 1, 0640), ==, -ENOENT);
        /* a path through a file */
        inner = g_build_filename(path, "x", NULL);
        g_assert_cmpint(write_file_atomic(inner, "x", 1, 0640), ==, -ENOTDIR);
        g_assert_cmpint(write_file_atomic("", "x", 1, 0640), ==, -EINVAL);
        g_assert_cmpint(write_file_atomic("/tmp/", "x", 1, 0640), ==, -EINVAL);

        /* rename fails (the target is a non-empty directory): the temporary
         * file must not be left behind */
        sub = g_build_filename(dir, "sub", NULL);
        g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
        g_clear_pointer(&inner, g_free);
        inner = g_build_filename(sub, "keep", NULL);
        g_assert_true(g_file_set_contents(inner, "k", 1, NULL));
        r = write_file_atomic(sub, "x", 1, 0640);
        g_assert_cmpint(r, <, 0);
        g_assert_true(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
        g_assert_cmpuint(count_entries(dir), ==, 2);
        g_assert_cmpuint(count_entries(sub), ==, 1);

        /* a directory we may not write to */
        if (geteuid() != 0) {
                g_autofree char *ro = g_build_filename(dir, "ro", NULL);
                g_autofree char *f = g_build_filename(ro, "state.json", NULL);

                g_assert_cmpint(g_mkdir(ro, 0555), ==, 0);
                g_assert_cmpint(write_file_atomic(f, "x", 1, 0640), ==, -EACCES);
                g_assert_cmpuint(count_entries(ro), ==, 0);
                g_assert_cmpint(g_rmdir(ro), ==, 0);
        }
        /* root writes anywhere a mode allows: a file system that refuses new
         * files stands in for the read-only directory */
        g_assert_cmpint(write_file_atomic("/proc/v2vd-test-state.json", "x", 1, 0640), <, 0);
        g_assert_false(g_file_test("/proc/v2vd-test-state.json", G_FILE_TEST_EXISTS));

        g_assert_cmpint(g_unlink(inner), ==, 0);
        g_assert_cmpint(g_rmdir(sub), ==, 0);
        g_assert_cmpint(g_unlink(path), ==, 0);
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_replace_nosync(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("v2vd-file-write-XXXXXX", &error);
        g_autofree char *path = g_build_filename(dir, "state.json", NULL);
        g_autofree char *spare = g_build_filename(dir, ".spare", NULL);
        g_autofree char *content = NULL;
        struct stat st1, st2;

        g_assert_no_error(error);
        g_assert_cmpint(replace_file_nosync(path, spare, "first, longer\n", 14, 0640), ==, 0);
        g_assert_true(g_file_get_contents(path, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "first, longer\n");
        g_assert_cmpint(stat(path, &st1), ==, 0);
        g_assert_cmpint(replace_file_nosync(path, spare, "second\n", 7, 0640), ==, 0);
        g_clear_pointer(&content, g_free);
        g_assert_true(g_file_get_contents(path, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "second\n");
        g_assert_cmpint(stat(path, &st2), ==, 0);
        g_assert_cmpint(st2.st_mode & 07777, ==, 0640);
        /* exchanged: the spare keeps the previous inode for the next write */
        if (g_file_test(spare, G_FILE_TEST_EXISTS)) {
                struct stat sp;
                g_assert_cmpint(stat(spare, &sp), ==, 0);
                g_assert_cmpuint(sp.st_ino, ==, st1.st_ino);
                g_assert_cmpint(g_unlink(spare), ==, 0);
        }
        g_assert_cmpint(g_unlink(path), ==, 0);
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_write_new(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("v2vd-file-write-XXXXXX", &error);
        g_autofree char *victim = g_build_filename(dir, "victim", NULL);
        g_autofree char *secret = g_build_filename(dir, "secret", NULL);
        g_autofree char *content = NULL;
        struct stat st;

        g_assert_no_error(error);
        /* a link by the name is replaced, never followed */
        g_assert_true(g_file_set_contents(victim, "v", 1, NULL));
        g_assert_cmpint(symlink(victim, secret), ==, 0);
        g_assert_cmpint(write_file_new(dir, "secret", "password", 8, 0600), ==, 0);
        g_assert_true(g_file_get_contents(victim, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "v");
        g_clear_pointer(&content, g_free);
        g_assert_cmpint(lstat(secret, &st), ==, 0);
        g_assert_true(S_ISREG(st.st_mode));
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_true(g_file_get_contents(secret, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "password");
        g_assert_cmpint(write_file_new(dir, "no/such", "x", 1, 0600), <, 0);
        g_assert_cmpint(g_unlink(secret), ==, 0);
        g_assert_cmpint(g_unlink(victim), ==, 0);
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/file-write/atomic", test_write_atomic);
        g_test_add_func("/file-write/replace-nosync", test_replace_nosync);
        g_test_add_func("/file-write/new", test_write_new);
        return g_test_run();
}
