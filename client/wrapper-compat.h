/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of virt-v2v-wrapper mode (wrapper.c is the process half):
 * data in, data out, no bus, no files.
 *
 *   wrapper_translate()     the document an orchestrator (ManageIQ) sends
 *                           the old virt-v2v-wrapper → a native job spec
 *                           that v2vd's strict checking accepts, plus one
 *                           note per key dropped (for the job's wrapper log)
 *   wrapper_render_state()  v2vd's state.json of the job → the state file
 *                           the orchestrator reads (queued jobs look active
 *                           and carry the wrapper's own, killable pid)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#define WRAPPER_ERROR (wrapper_error_quark())
GQuark wrapper_error_quark(void);
enum {
        WRAPPER_ERROR_REFUSED,  /* a key v2vd cannot honour; the message names it */
        WRAPPER_ERROR_INVALID,  /* not JSON, not an object, a state file we cannot read */
};

enum {
        WRAPPER_ROOT = 1u << 0,  /* the job will be root's: the old wrapper's vocabulary only */
};

/* DOC is the orchestrator's JSON text. On success *RET_SPEC is the native
 * spec (JSON text) and *RET_NOTES the lines for the job's log (one per key
 * ignored). Without WRAPPER_ROOT, keys this table does not know pass
 * through unchanged: the daemon checks them, strictly, and the job is the
 * caller's own. With it, only the old wrapper's vocabulary passes. */
bool wrapper_translate(const char *doc, unsigned flags, char **ret_spec, GPtrArray **ret_notes, GError **error);

/* STATE is the text of v2vd's state.json for the job; WRAPPER_PID the pid
 * of the wrapper process following it. Returns the state file text, and in
 * *RET_JOB_STATE v2vd's name of the job's state ("queued", "running", …). */
char *wrapper_render_state(const char *state, int64_t wrapper_pid, char **ret_job_state, GError **error);
