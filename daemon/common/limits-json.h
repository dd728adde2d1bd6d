/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * limits-json: the one reader of a {"cpu": …, "network": …, "disk": …} object — the
 * spec's "throttling" member and a job's throttling.json (which the old
 * virt-v2v-wrapper's callers, ManageIQ among them, write). Pure.
 *
 *   cpu      "N%" or "unlimited" (v2v-limits.h); in wrapper mode a bare
 *            number ("50" or 50) is a percentage, as ManageIQ writes it
 *   network  bytes per second as digits ("1048576") or a JSON integer, or
 *            "unlimited"
 *   disk     the same, for the job's reads and for its writes each (on the
 *            block devices holding its inputs and outputs)
 *
 * JSON null is the same as a missing member. Each member is read on its
 * own: a bad one is reported (naming its key) and the other still read.
 * Strict mode (the spec) reports unknown keys; wrapper mode ignores them,
 * as the old wrapper did.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

typedef enum V2vLimitsJsonFlags {
        V2V_LIMITS_JSON_STRICT = 0,
        V2V_LIMITS_JSON_WRAPPER = 1 << 0,
} V2vLimitsJsonFlags;

typedef struct V2vLimitsJson {
        char *cpu;                 /* "N%" or "unlimited"; NULL: not given, or bad */
        int64_t network;           /* bytes/s, 0 = unlimited; -1: not given, or bad */
        int64_t disk;              /* bytes/s read and written, 0 = unlimited; -1: not given, or bad */
        GPtrArray *problems;       /* "KEY: expected …, got …", one per bad member */
} V2vLimitsJson;

V2vLimitsJson *v2v_limits_json_new(void);
void v2v_limits_json_free(V2vLimitsJson *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(V2vLimitsJson, v2v_limits_json_free)

/* The members of o, added to t (a later call overrides what it gives). */
void v2v_limits_json_read_object(JsonObject *o, unsigned flags, V2vLimitsJson *t);
/* A throttling file's text: NULL with error (G_IO_ERROR_INVALID_DATA) when
 * it is not one JSON object; else what its members say. */
V2vLimitsJson *v2v_limits_json_parse(const char *text, size_t len, unsigned flags, GError **error);
