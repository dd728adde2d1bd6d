/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the fuzz targets. */
#pragma once

#include <stdbool.h>

/* json-glib 1.6 (Debian 12) leaks the parsed tree when a complete JSON
 * value is followed by more text ("expected end of file"): a leak in the
 * library, reported for the daemon (spec.c's prescan could refuse such
 * text before json-glib sees it). So that the fuzzer's leak detection keeps
 * watching our own code, such inputs are skipped here. Conservative: true
 * whenever this small scanner is not sure where the first value ends
 * (comments, unbalanced brackets). */
static inline bool maybe_trailing_text(const char *s) {
        int depth = 0;
        bool in_string = false, started = false;

        for (; *s; s++) {
                char c = *s;

                if (in_string) {
                        if (c == '\\') {
                                if (!s[1])
                                        return true;
                                s++;
                        } else if (c == '"')
                                in_string = false;
                        continue;
                }
                if (c == '/')
                        return true;
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                        if (started && depth == 0)
                                break;
                        continue;
                }
                if (started && depth == 0)
                        return true;   /* a second value right after the first */
                started = true;
                if (c == '"')
                        in_string = true;
                else if (c == '{' || c == '[')
                        depth++;
                else if (c == '}' || c == ']') {
                        if (--depth < 0)
                                return true;
                        if (depth == 0) {
                                s++;
                                break;
                        }
                }
        }
        for (; *s; s++)
                if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
                        return true;
        return false;
}
