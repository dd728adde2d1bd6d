/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * source-call: ListSourceVMs and InspectSourceVM off the event loop. Each
 * call starts the v2vd-sources helper (one process, one libvirt
 * connection) as the caller in a transient scope v2vd-source-PID.scope of
 * v2vd.slice, hands it the request on a pipe once systemd has moved it
 * there, and replies from the loop when the helper has written its answer
 * and exited — or, at the timeout, kills its process group, stops the
 * scope and answers SourceError. The loop never waits on a source, so
 * every other call answers at once meanwhile.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "bus/bus.h"

/* Helpers running at once, in all; a caller other than root (--system)
 * has at most HELPERS_PER_UID helpers of any kind (host/helper.h). */
#define SOURCE_CALLS_MAX 32u

/* op is "list" or "inspect" (vm_name set). Returns 1 when the reply will
 * follow, or a negative errno / sd_bus_error set to reply at once. */
int source_call_start(Bus *b, sd_bus_message *message, const char *op, const char *source_json,
                      const char *vm_name, sd_bus_error *error);

/* Guest inspections (CheckJobWithOptions inspect) at once, in all. */
#define CHECK_INSPECTIONS_MAX 2u

/* CheckJob: the helper runs sources/preflight.c as the caller with the
 * whole spec; the reply (bus_check_reply) is findings (the daemon's,
 * taken) followed by the helper's. timeout_sec bounds the whole call. */
int source_call_start_check(Bus *b, sd_bus_message *message, const char *spec_json, bool inspect,
                            unsigned timeout_sec, JsonNode *findings, sd_bus_error *error);

/* At shutdown: kill the helpers still running, forget their calls. */
void source_calls_abort(Bus *b);
