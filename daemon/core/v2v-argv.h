/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * v2v-argv: a validated V2vSpec → the virt-v2v (or virt-v2v-in-place)
 * command line and the extra environment. Pure: no file is touched, secrets
 * are referenced only by the paths of their files, never by value.
 */
#pragma once

#include <glib.h>

#include "core/spec.h"

typedef struct V2vCommandPaths {
        const char *virt_v2v;           /* path of virt-v2v */
        const char *virt_v2v_in_place;  /* path of virt-v2v-in-place */
        const char *machine_log;        /* → --machine-readable=file:PATH */
        const char *secret_dir;         /* where the V2vSecret files are */
        const char *bandwidth_file;     /* → --bandwidth-file (network inputs only); NULL = none */
        const char *ssh_auth_sock;      /* SSH_AUTH_SOCK of an agent holding ssh_key; NULL = none */
        const char *const *capabilities;/* lines of `virt-v2v --machine-readable`, NULL-terminated; NULL = unknown */
} V2vCommandPaths;

typedef struct V2vCommand {
        GPtrArray *argv;      /* char*, NULL-terminated, argv[0] is the program path */
        GPtrArray *env;       /* char* "KEY=VALUE" to add to virt-v2v's environment, NULL-terminated */
        GPtrArray *warnings;  /* char*: things worth a warning in LastMessage */
} V2vCommand;

V2vCommand *v2v_command_build(const V2vSpec *spec, const V2vCommandPaths *paths, GError **error);
void v2v_command_free(V2vCommand *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(V2vCommand, v2v_command_free)
