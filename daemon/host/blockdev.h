/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blockdev: the block devices a job's disk limit applies to, and whether
 * the kernel can enforce it. A path's file system lives on st_dev; its
 * /sys/dev/block/MAJ:MIN entry is the device, or a partition of it; the
 * limit goes on the whole disk (/dev/sda for a file on /dev/sda2), as
 * systemd's IOReadBandwidthMax= takes it.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* The whole-disk device node under the file system holding path (or, where
 * path does not exist yet, its nearest existing parent): 0 and *ret_node,
 * or -ENODEV with *ret_problem in words when that file system has no
 * block device (tmpfs, NFS, overlayfs, btrfs' anonymous devices). */
int blockdev_of_path(const char *path, char **ret_node, char **ret_problem);

/* The devices of paths, each once, in order; one problem per path that has
 * none. */
void blockdev_of_paths(const GPtrArray *paths, GPtrArray *ret_nodes, GPtrArray *ret_problems);

/* Is a bandwidth limit enforced on pid's cgroup: io.max (cgroup v2) or
 * blkio.throttle.* (v1) present? 1, or 0 with *ret_problem naming what is
 * missing; <0 when pid's cgroup cannot be read. */
int blockdev_io_controller_of_pid(pid_t pid, char **ret_problem);
