/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common/text-escape.c: no control character of a job's owner reaches a
 * terminal; and core/progress.c applies it to the messages and phases it
 * takes from the logs the owner may write (LastMessage, Phase).
 */
#include <glib.h>
#include <string.h>

#include "common/text-escape.h"
#include "core/progress.h"

static void check(const char *in, unsigned flags, const char *expected) {
        g_autofree char *out = v2v_text_escape(in, flags);
        g_assert_cmpstr(out, ==, expected);
        g_assert_true(v2v_text_is_clean(out, flags));
        /* escaping what is escaped changes nothing */
        g_autofree char *again = v2v_text_escape(out, flags);
        g_assert_cmpstr(again, ==, out);
}

static void test_escape(void) {
        check("plain text, été, 变换", 0, "plain text, été, 变换");
        check("tab\there", 0, "tab\there");
        check("a\nb", 0, "a\\x0ab");
        check("a\nb", V2V_TEXT_KEEP_NEWLINE, "a\nb");
        check("\x1b]0;pwned\x07\x1b[2J\x1b[H", V2V_TEXT_KEEP_NEWLINE, "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H");
        check("cr\rdel\x7f", 0, "cr\\x0ddel\\x7f");
        check("c1 \xc2\x9b" "2J \xc2\x9d" "0;t", 0, "c1 \\u009b2J \\u009d0;t");
        check("bidi \xe2\x80\xae" "txt.exe \xe2\x81\xa6x", 0, "bidi \\u202etxt.exe \\u2066x");
        check("bad \xff\xfe utf8 \xc3", 0, "bad \\xff\\xfe utf8 \\xc3");
        check(NULL, 0, "");
        g_assert_false(v2v_text_is_clean("\x1b[31m", V2V_TEXT_KEEP_NEWLINE));
}

static void test_partial(void) {
        g_autoptr(GString) out = g_string_new(NULL);
        /* "é" split across two reads, then the ESC of a sequence */
        const char a[] = "ab\xc3", b[] = "\xa9\x1b[2J";
        size_t n = v2v_text_escape_append(out, a, strlen(a), V2V_TEXT_PARTIAL);
        g_assert_cmpuint(n, ==, 2);
        g_autofree char *rest = g_strconcat(a + n, b, NULL);
        n = v2v_text_escape_append(out, rest, strlen(rest), V2V_TEXT_PARTIAL);
        g_assert_cmpuint(n, ==, strlen(rest));
        g_assert_cmpstr(out->str, ==, "abé\\x1b[2J");
        /* at the end, a cut sequence is shown as the bytes it is */
        g_string_truncate(out, 0);
        n = v2v_text_escape_append(out, a, strlen(a), 0);
        g_assert_cmpuint(n, ==, 3);
        g_assert_cmpstr(out->str, ==, "ab\\xc3");
}

static void test_cr(void) {
        g_autoptr(GString) out = g_string_new(NULL);
        const char a[] = "bar  5%\r 50%\r100%\r\nnext\r", b[] = "\nlast\revil\x1b[2J";
        size_t n = v2v_text_escape_append(out, a, strlen(a), V2V_TEXT_KEEP_NEWLINE | V2V_TEXT_CR_NEWLINE |
                                          V2V_TEXT_PARTIAL);
        g_assert_cmpuint(n, ==, strlen(a) - 1);
        g_autofree char *rest = g_strconcat(a + n, b, NULL);
        (void) v2v_text_escape_append(out, rest, strlen(rest), V2V_TEXT_KEEP_NEWLINE | V2V_TEXT_CR_NEWLINE);
        g_assert_cmpstr(out->str, ==, "bar  5%\n 50%\n100%\nnext\nlast\nevil\\x1b[2J");
}

static void test_progress_messages(void) {
        g_autoptr(V2vProgress) p = v2v_progress_new();
        const char *osc = "{\"message\": \"\\u001b]0;owned\\u0007\\u001b[2J\\u009b31mred\", \"type\": \"message\"}\n";
        const char *log = "[   1.0] Opening \x1b[2J the source\n";

        v2v_progress_feed_machine(p, osc, strlen(osc), 1);
        g_assert_cmpstr(p->last_message_text, ==, "\\x1b]0;owned\\x07\\x1b[2J\\u009b31mred");
        v2v_progress_feed_log(p, log, strlen(log), 2);
        g_assert_true(v2v_text_is_clean(p->phase, 0));
        g_assert_nonnull(strstr(p->phase, "\\x1b[2J"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/text-escape/escape", test_escape);
        g_test_add_func("/text-escape/partial", test_partial);
        g_test_add_func("/text-escape/cr", test_cr);
        g_test_add_func("/text-escape/progress-messages", test_progress_messages);
        return g_test_run();
}
