/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "common/text-escape.h"

static bool unichar_is_hidden(gunichar c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
               (c >= 0x2066 && c <= 0x2069);
}

size_t v2v_text_escape_append(GString *out, const char *s, size_t n, unsigned flags) {
        size_t i = 0;

        while (i < n) {
                unsigned char b = (unsigned char) s[i];

                if (b == '\r' && (flags & V2V_TEXT_CR_NEWLINE)) {
                        if (i + 1 == n && (flags & V2V_TEXT_PARTIAL))
                                return i;       /* "\r\n" may be cut here */
                        if (i + 1 == n || s[i + 1] != '\n')
                                g_string_append_c(out, '\n');
                        i++;
                        continue;
                }
                if (b < 0x80) {
                        if ((b >= 0x20 && b != 0x7f) || b == '\t' || (b == '\n' && (flags & V2V_TEXT_KEEP_NEWLINE)))
                                g_string_append_c(out, (char) b);
                        else
                                g_string_append_printf(out, "\\x%02x", b);
                        i++;
                        continue;
                }
                /* g_utf8_get_char_validated: -2 for a sequence cut short,
                 * -1 for one that is not UTF-8. */
                gunichar c = g_utf8_get_char_validated(s + i, (gssize) (n - i));
                if (c == (gunichar) -2 && (flags & V2V_TEXT_PARTIAL) && n - i < 4)
                        return i;
                if (c == (gunichar) -1 || c == (gunichar) -2) {
                        g_string_append_printf(out, "\\x%02x", b);
                        i++;
                        continue;
                }
                size_t len = (size_t) (g_utf8_next_char(s + i) - (s + i));
                if (unichar_is_hidden(c))
                        g_string_append_printf(out, "\\u%04x", (unsigned) c);
                else
                        g_string_append_len(out, s + i, (gssize) len);
                i += len;
        }
        return n;
}

char *v2v_text_escape(const char *s, unsigned flags) {
        size_t n = s ? strlen(s) : 0;
        GString *out = g_string_sized_new(n + 1);

        (void) v2v_text_escape_append(out, s ?: "", n, flags & ~V2V_TEXT_PARTIAL);
        return g_string_free(out, FALSE);
}

bool v2v_text_is_clean(const char *s, unsigned flags) {
        g_autofree char *e = v2v_text_escape(s, flags);
        return strcmp(e, s ?: "") == 0;
}
