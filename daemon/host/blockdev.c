/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host/blockdev.h"
#include "host/util.h"

int blockdev_of_path(const char *path, char **ret_node, char **ret_problem) {
        g_autofree char *p = g_strdup(path);
        g_autofree char *sys = NULL, *real = NULL, *partition = NULL, *name = NULL, *node = NULL;
        struct stat st, dev;

        /* The output's files do not exist before the job runs: their directory does. */
        while (stat(p, &st) < 0) {
                char *parent = g_path_get_dirname(p);
                bool top = g_str_equal(parent, p);

                g_free(p);
                p = parent;
                if (top) {
                        *ret_problem = g_strdup_printf("%s: %s", path, g_strerror(errno));
                        return -ENOENT;
                }
        }
        if (major(st.st_dev) == 0) {
                *ret_problem = g_strdup_printf("%s is on a file system without a block device (device %u:%u)",
                                               path, major(st.st_dev), minor(st.st_dev));
                return -ENODEV;
        }
        sys = g_strdup_printf("/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
        real = realpath(sys, NULL);
        if (!real) {
                *ret_problem = g_strdup_printf("%s: its device %u:%u is not a block device (%s: %s)", path,
                                               major(st.st_dev), minor(st.st_dev), sys, g_strerror(errno));
                return -ENODEV;
        }
        partition = g_build_filename(real, "partition", NULL);
        if (access(partition, F_OK) == 0) {
                g_autofree char *parent = g_path_get_dirname(real);
                name = g_path_get_basename(parent);
        } else
                name = g_path_get_basename(real);
        node = g_build_filename("/dev", name, NULL);
        if (stat(node, &dev) < 0 || !S_ISBLK(dev.st_mode)) {
                *ret_problem = g_strdup_printf("%s: its disk %s has no device node %s", path, name, node);
                return -ENODEV;
        }
        *ret_node = g_steal_pointer(&node);
        return 0;
}

void blockdev_of_paths(const GPtrArray *paths, GPtrArray *ret_nodes, GPtrArray *ret_problems) {
        for (guint i = 0; paths && i < paths->len; i++) {
                g_autofree char *node = NULL, *problem = NULL;

                if (blockdev_of_path(paths->pdata[i], &node, &problem) < 0)
                        g_ptr_array_add(ret_problems, g_steal_pointer(&problem));
                else if (!g_ptr_array_find_with_equal_func(ret_nodes, node, g_str_equal, NULL))
                        g_ptr_array_add(ret_nodes, g_steal_pointer(&node));
        }
}

int blockdev_io_controller_of_pid(pid_t pid, char **ret_problem) {
        g_autofree char *path = g_strdup_printf("/proc/%d/cgroup", (int) pid);
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;
        const char *v2 = NULL;
        int r;

        r = read_small_file(path, 64 * 1024, &text, NULL);
        if (r < 0)
                return r;
        lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) f = g_strsplit(*l, ":", 3);

                if (g_strv_length(f) != 3)
                        continue;
                if (g_str_equal(f[1], ""))
                        v2 = *l + strlen("0::");
                else {
                        g_auto(GStrv) ctrls = g_strsplit(f[1], ",", -1);
                        if (g_strv_contains((const char *const *) ctrls, "blkio")) {
                                g_autofree char *file = g_strdup_printf("/sys/fs/cgroup/%s%s/blkio.throttle.read_bps_device",
                                                                        f[1], f[2]);
                                if (access(file, F_OK) == 0)
                                        return 1;
                                *ret_problem = g_strdup_printf("the blkio controller does not cover the job's "
                                                               "scope (%s is missing)", file);
                                return 0;
                        }
                }
        }
        if (v2) {
                /* Unified (/sys/fs/cgroup) or hybrid (/sys/fs/cgroup/unified). */
                for (const char *const *mnt = (const char *const[]) { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", NULL };
                     *mnt; mnt++) {
                        g_autofree char *controllers = g_strdup_printf("%s/cgroup.controllers", *mnt);
                        g_autofree char *file = g_strdup_printf("%s%s/io.max", *mnt, v2);

                        if (access(controllers, F_OK) < 0)
                                continue;
                        if (access(file, F_OK) == 0)
                                return 1;
                        *ret_problem = g_strdup_printf("the io controller is not enabled for the job's scope "
                                                       "(%s is missing; is io delegated to the service manager?)",
                                                       file);
                        return 0;
                }
        }
        *ret_problem = g_strdup("neither the io (cgroup v2) nor the blkio (v1) controller is available");
        return 0;
}
