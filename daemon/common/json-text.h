/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-text: JSON values in error messages — "got …" parts that name what
 * was there without repeating a secret. Pure.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>

/* "an object", "an array", "null", "a string", "a boolean", "a number". */
const char *v2v_json_type_name(JsonNode *n);
/* s quoted for a message: at most 64 characters, escapes for '"', '\\'
 * and control characters, other text kept readable. */
char *v2v_json_quote(const char *s);
/* The member, or NULL when absent or JSON null (the same, to every reader). */
JsonNode *v2v_json_member(JsonObject *o, const char *key);
/* The value itself, or only its type for secrets and containers. */
char *v2v_json_describe(JsonNode *n, bool secret);
