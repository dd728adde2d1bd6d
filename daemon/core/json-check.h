/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-check: the structural checks json-glib 1.6 does not make on
 * untrusted text, done before json-glib sees it. json-glib accepts an
 * object whose closing brace is missing, leaks the tree when text follows a
 * complete value, and turns a lone surrogate escape ("\ud800") into bytes
 * that are not UTF-8 — which sd-bus then refuses to send. Pure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum JsonCheck {
        JSON_CHECK_OK,
        JSON_CHECK_NOT_AN_OBJECT,      /* neither an object nor an array */
        JSON_CHECK_NUL,
        JSON_CHECK_LONE_SURROGATE,
        JSON_CHECK_BAD_ESCAPE,         /* "\x", "\u12g4": json-glib leaks on those */
        JSON_CHECK_CONTROL_CHARACTER,  /* a raw byte below 0x20 inside a string */
        JSON_CHECK_TOO_DEEP,
        JSON_CHECK_UNBALANCED,
        JSON_CHECK_TRAILING_TEXT,
        JSON_CHECK_TRUNCATED,
} JsonCheck;

/* Is text exactly one JSON object or array (surrounded by white space only), nested
 * at most max_depth deep, without NUL bytes, "\u0000" or unpaired surrogate
 * escapes? */
JsonCheck json_check_one_object(const char *text, size_t len, int max_depth);
/* The problem in words, e.g. "text after the JSON object". */
const char *json_check_to_string(JsonCheck c);
