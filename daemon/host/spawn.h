/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spawn: start a helper process with fresh stdio and nothing else of the
 * daemon's. In the child: the signal mask cleared, optionally a process
 * group of its own, stdin /dev/null or a pipe, stdout and stderr each a
 * pipe, a descriptor the caller gives, or /dev/null, optionally one more
 * descriptor as fd 3, every other descriptor closed, optionally the
 * credentials dropped for good (cred_drop), then exec — or a function run
 * in the child, its return value the exit status.
 *
 * spawn() returns at once with the pid and the parent's ends of the pipes
 * (O_CLOEXEC); the caller watches them (sd-event) and reaps the child.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "host/cred.h"

typedef enum SpawnFlags {
        SPAWN_STDIN_PIPE        = 1 << 0,   /* else /dev/null */
        SPAWN_STDOUT_PIPE       = 1 << 1,   /* else stdout_fd with SPAWN_STDOUT_FD, else /dev/null */
        SPAWN_STDERR_PIPE       = 1 << 2,   /* likewise */
        SPAWN_STDOUT_FD         = 1 << 3,
        SPAWN_STDERR_FD         = 1 << 4,
        SPAWN_FD3               = 1 << 5,   /* fd3 becomes the child's descriptor 3 */
        SPAWN_NEW_PROCESS_GROUP = 1 << 6,   /* kill(-pid) reaches all it starts */
} SpawnFlags;

typedef struct SpawnOptions {
        const char *path;               /* the program, or NULL to run fn */
        char *const *argv;
        char *const *envp;              /* for exec: spawn_environment() and what the caller adds */
        int (*fn)(void *userdata);      /* without path: run in the child, its return the exit status */
        void *userdata;
        const Cred *cred;               /* drop to these first, or NULL: the daemon's own rights */
        SpawnFlags flags;
        int stdout_fd, stderr_fd, fd3;
} SpawnOptions;

typedef struct Spawned {
        pid_t pid;
        int stdin_fd;                   /* the parent's ends of the pipes asked for, else -1 */
        int stdout_fd;
        int stderr_fd;
} Spawned;

/* Returns 0 or a negative errno (nothing started, nothing left open).
 * When the child cannot set itself up it exits 126 (before exec) or 127
 * (exec failed). */
int spawn(const SpawnOptions *o, Spawned *ret);

/* Close whichever of ret's descriptors are open. */
void spawned_close(Spawned *s);

/* The daemon's environment without what is the daemon's own (the service
 * manager's notification, socket and watchdog variables, the journal
 * stream, V2VD_VIRT_V2V): what every helper starts from. */
char **spawn_environment(void);
