/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "core/json-check.h"

const char *json_check_to_string(JsonCheck c) {
        switch (c) {
        case JSON_CHECK_OK:             return "no problem";
        case JSON_CHECK_NOT_AN_OBJECT:  return "expected a JSON object";
        case JSON_CHECK_NUL:            return "a NUL character (\\u0000) in a string is not allowed";
        case JSON_CHECK_LONE_SURROGATE: return "an unpaired UTF-16 surrogate escape in a string";
        case JSON_CHECK_BAD_ESCAPE:     return "an invalid escape sequence in a string";
        case JSON_CHECK_CONTROL_CHARACTER: return "a control character in a string (escape it)";
        case JSON_CHECK_TOO_DEEP:       return "nested too deeply";
        case JSON_CHECK_UNBALANCED:     return "unbalanced brackets";
        case JSON_CHECK_TRAILING_TEXT:  return "text after the JSON object";
        case JSON_CHECK_TRUNCATED:      return "the JSON object is not complete (truncated?)";
        }
        return "?";
}

static int hex4(const char *s, size_t left) {
        int v = 0;

        if (left < 4)
                return -1;
        for (int i = 0; i < 4; i++) {
                int d = g_ascii_xdigit_value(s[i]);
                if (d < 0)
                        return -1;
                v = v * 16 + d;
        }
        return v;
}

JsonCheck json_check_one_object(const char *text, size_t len, int max_depth) {
        size_t i = 0;
        int depth = 0;
        bool in_string = false;

        while (i < len && g_ascii_isspace(text[i]))
                i++;
        if (i >= len || (text[i] != '{' && text[i] != '['))
                return JSON_CHECK_NOT_AN_OBJECT;
        for (; i < len; i++) {
                char c = text[i];

                if (c == '\0')
                        return JSON_CHECK_NUL;
                if (in_string) {
                        if (c == '"')
                                in_string = false;
                        else if ((unsigned char) c < 0x20)
                                return JSON_CHECK_CONTROL_CHARACTER;
                        else if (c == '\\') {
                                if (i + 1 >= len)
                                        break;
                                if (!strchr("\"\\/bfnrtu", text[i + 1]) || text[i + 1] == '\0')
                                        return JSON_CHECK_BAD_ESCAPE;
                                if (text[i + 1] == 'u') {
                                        int u = hex4(text + i + 2, len - i - 2);
                                        if (u < 0)
                                                return i + 6 > len ? JSON_CHECK_TRUNCATED : JSON_CHECK_BAD_ESCAPE;
                                        if (u == 0)
                                                return JSON_CHECK_NUL;
                                        if (u >= 0xDC00 && u <= 0xDFFF)
                                                return JSON_CHECK_LONE_SURROGATE;
                                        if (u >= 0xD800 && u <= 0xDBFF) {
                                                int lo = (i + 7 < len && text[i + 6] == '\\' && text[i + 7] == 'u')
                                                         ? hex4(text + i + 8, len - i - 8) : -1;
                                                if (lo < 0xDC00 || lo > 0xDFFF)
                                                        return JSON_CHECK_LONE_SURROGATE;
                                                i += 11;   /* past the pair: \uD83D\uDE00 */
                                                continue;
                                        }
                                }
                                i++;
                        }
                        continue;
                }
                if (c == '"')
                        in_string = true;
                else if (c == '{' || c == '[') {
                        if (++depth > max_depth)
                                return JSON_CHECK_TOO_DEEP;
                } else if (c == '}' || c == ']') {
                        if (--depth < 0)
                                return JSON_CHECK_UNBALANCED;
                        if (depth == 0) {
                                for (i++; i < len; i++)
                                        if (!g_ascii_isspace(text[i]))
                                                return JSON_CHECK_TRAILING_TEXT;
                                return JSON_CHECK_OK;
                        }
                }
        }
        return JSON_CHECK_TRUNCATED;
}
