/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * failure: why a job failed, as a stable code, a one-line summary and a
 * remedy, from what the job left: its end (failed, cancelled), the daemon's
 * own message when the daemon ended it, virt-v2v's error messages and the
 * other programs' lines of v2v.log. The table is one data file,
 * core/failures.json (compiled in; its "about" says how entries match);
 * this is only its reader and matcher: pure, no files, no clock.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "core/statefile.h"

#define V2V_FAILURE_UNKNOWN "unknown"

typedef struct V2vFailureInput {
        V2vJobState state;           /* only V2V_JOB_FAILED and V2V_JOB_CANCELLED are classified */
        const char *daemon_message;  /* the daemon's own error when it ended the job, or NULL */
        const char *first_error;     /* virt-v2v's first error message (may span lines), or NULL */
        const char *last_error;      /* … and its last */
        const char *other_lines;     /* v2v.log lines that are not virt-v2v's own, '\n'-separated */
} V2vFailureInput;

typedef struct V2vFailure {
        char *code;
        char *summary;               /* one line */
        char *remedy;
} V2vFailure;

V2vFailure *v2v_failure_new(const char *code, const char *summary, const char *remedy);
void v2v_failure_free(V2vFailure *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(V2vFailure, v2v_failure_free)

/* NULL for a state that is not failed or cancelled. Otherwise the first
 * table entry that matches, or "unknown" with the first line of virt-v2v's
 * first error (else of the daemon's message) as the summary. */
V2vFailure *v2v_failure_classify(const V2vFailureInput *in);

/* The first line of text, whitespace-trimmed, at most 400 bytes (cut at a
 * UTF-8 boundary); "" for NULL. */
char *v2v_failure_first_line(const char *text);

/* The table's codes in order, "unknown" last (for the man page test). */
GPtrArray *v2v_failure_codes(void);
/* The table as compiled in (tests). */
const char *v2v_failure_table_text(void);
