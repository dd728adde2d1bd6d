/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text a job's owner can write (virt-v2v's messages, its logs, paths) shown
 * to someone else — root at a terminal, a browser — with every control
 * character made visible: C0 but tab (and newline when asked), DEL, C1
 * (U+0080–U+009F, which an 8-bit terminal takes as CSI, OSC, …), the
 * bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) that
 * reorder what is shown, and bytes that are not UTF-8. "\x1b", "\u009b",
 * "\u202e", "\xff" appear in their place. The daemon applies it where
 * messages are parsed (core/progress.c), every client where it prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

enum {
        V2V_TEXT_KEEP_NEWLINE = 1u << 0,  /* "\n" passes (multi-line messages, logs) */
        V2V_TEXT_PARTIAL = 1u << 1,       /* more follows: an unfinished UTF-8 sequence at the end waits */
        V2V_TEXT_CR_NEWLINE = 1u << 2,    /* logs: "\r\n" is "\n", a lone "\r" (a progress bar's
                                           * update) a new line: nothing is overwritten, nothing hidden */
};

/* Appends S[0..N) escaped to OUT. Returns how many bytes were consumed:
 * N, or with V2V_TEXT_PARTIAL less when S ends inside a UTF-8 sequence
 * (pass those bytes again, with what follows). */
size_t v2v_text_escape_append(GString *out, const char *s, size_t n, unsigned flags);

/* S (NUL-terminated, may be NULL → "") escaped, newly allocated. */
char *v2v_text_escape(const char *s, unsigned flags);

/* True when v2v_text_escape(S, FLAGS) would return S unchanged. */
bool v2v_text_is_clean(const char *s, unsigned flags);
