/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host/spawn.c: fresh stdio, nothing else of the parent's open, the
 * environment filtered, a function or a program. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/spawn.h"

static char *read_to_end(int fd) {
        GString *s = g_string_new(NULL);
        char buf[256];
        ssize_t n;

        while ((n = read(fd, buf, sizeof buf)) > 0)
                g_string_append_len(s, buf, n);
        return g_string_free(s, FALSE);
}

static int wait_status(pid_t pid) {
        int status = 0;

        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* In the child: which descriptors are open, and what stdin is. */
static int report_fds(void *userdata) {
        struct stat in, null;
        GString *s = g_string_new(NULL);

        for (int fd = 0; fd < 256; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        g_string_append_printf(s, "%d ", fd);
        if (fstat(0, &in) == 0 && stat("/dev/null", &null) == 0 && in.st_rdev == null.st_rdev)
                g_string_append(s, "stdin-null");
        if (write(1, s->str, s->len) != (ssize_t) s->len)
                return 1;
        return 7;
}

static void test_fresh_stdio(void) {
        int leak = open("/dev/null", O_RDONLY);          /* not O_CLOEXEC: still closed */
        int extra[2];
        SpawnOptions o = { .fn = report_fds, .flags = SPAWN_STDOUT_PIPE };
        Spawned child;
        g_autofree char *out = NULL;

        g_assert_cmpint(leak, >=, 0);
        g_assert_cmpint(spawn(&o, &child), ==, 0);
        g_assert_cmpint(child.stdin_fd, ==, -1);
        g_assert_cmpint(child.stderr_fd, ==, -1);
        out = read_to_end(child.stdout_fd);
        g_assert_cmpint(wait_status(child.pid), ==, 7);
        g_assert_cmpstr(out, ==, "0 1 2 stdin-null");
        spawned_close(&child);

        /* SPAWN_FD3: one more, as 3 */
        g_assert_cmpint(pipe(extra), ==, 0);
        o.flags = SPAWN_STDOUT_PIPE | SPAWN_FD3;
        o.fd3 = extra[0];
        g_assert_cmpint(spawn(&o, &child), ==, 0);
        g_clear_pointer(&out, g_free);
        out = read_to_end(child.stdout_fd);
        g_assert_cmpint(wait_status(child.pid), ==, 7);
        g_assert_cmpstr(out, ==, "0 1 2 3 stdin-null");
        spawned_close(&child);
        close(extra[0]);
        close(extra[1]);
        close(leak);
}

static void test_exec_environment(void) {
        g_auto(GStrv) env = NULL;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                         (char *) "read line; echo \"$line ${NOTIFY_SOCKET-unset} $V2VD_TEST_KEEP\"; echo oops >&2; exit 3",
                         NULL };
        SpawnOptions o = { .path = "/bin/sh", .argv = argv,
                           .flags = SPAWN_STDIN_PIPE | SPAWN_STDOUT_PIPE | SPAWN_STDERR_PIPE | SPAWN_NEW_PROCESS_GROUP };
        Spawned child;
        g_autofree char *out = NULL, *err = NULL;

        g_setenv("NOTIFY_SOCKET", "/run/systemd/notify", TRUE);
        g_setenv("V2VD_TEST_KEEP", "kept", TRUE);
        env = spawn_environment();
        g_unsetenv("NOTIFY_SOCKET");
        o.envp = env;
        g_assert_cmpint(spawn(&o, &child), ==, 0);
        g_assert_cmpint(getpgid(child.pid), ==, child.pid);
        g_assert_cmpint(write(child.stdin_fd, "hello\n", 6), ==, 6);
        close(child.stdin_fd);
        child.stdin_fd = -1;
        out = read_to_end(child.stdout_fd);
        err = read_to_end(child.stderr_fd);
        g_assert_cmpint(wait_status(child.pid), ==, 3);
        g_assert_cmpstr(out, ==, "hello unset kept\n");
        g_assert_cmpstr(err, ==, "oops\n");
        spawned_close(&child);
}

static void test_exec_fails(void) {
        char *argv[] = { (char *) "/nonexistent/v2vd-test", NULL };
        char *envp[] = { NULL };
        SpawnOptions o = { .path = argv[0], .argv = argv, .envp = envp };
        Spawned child;

        g_assert_cmpint(spawn(&o, &child), ==, 0);
        g_assert_cmpint(wait_status(child.pid), ==, 127);
        /* a program and a function at once, or neither */
        o.fn = report_fds;
        g_assert_cmpint(spawn(&o, &child), ==, -EINVAL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/spawn/fresh-stdio", test_fresh_stdio);
        g_test_add_func("/spawn/exec-environment", test_exec_environment);
        g_test_add_func("/spawn/exec-fails", test_exec_fails);
        return g_test_run();
}
