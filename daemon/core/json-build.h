/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-build: the two JsonBuilder shorthands the sources module's VM
 * objects are made of (ova.c, sources.c).
 */
#pragma once

#include <json-glib/json-glib.h>

/* "key": "value", left out when value is NULL or empty. */
static inline void json_build_str(JsonBuilder *b, const char *key, const char *value) {
        if (!value || !*value)
                return;
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value);
}

static inline void json_build_int(JsonBuilder *b, const char *key, gint64 value) {
        json_builder_set_member_name(b, key);
        json_builder_add_int_value(b, value);
}
