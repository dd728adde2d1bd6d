/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-check: CheckJob, CheckJobWithOptions and CreateJobWithOptions on the
 * Manager. The daemon checks what only it knows — the spec as CreateJob
 * takes it (with the caller's rights, owner.c), the queue ahead and the
 * limits that would apply — then the v2vd-sources helper runs the rest as
 * the caller, off the event loop, with a timeout (source-call.c,
 * sources/preflight.c). The reply is the findings a(ssss): severity, code,
 * spec key, message. CreateJobWithOptions with "check" creates the job
 * only when no finding is an error (else org.v2vd.V2V1.Error.CheckFailed).
 */
#pragma once

#include <json-glib/json-glib.h>
#include <systemd/sd-bus.h>

#include "bus/bus.h"

/* How long a check may take: without inspection the sources' timeout, with
 * it this (virt-v2v-inspector boots an appliance and converts on an
 * overlay: minutes under TCG). */
#define CHECK_INSPECT_TIMEOUT_SEC 900u
#define CHECK_MAX_TIMEOUT_SEC 3600u

int bus_check_method_check_job(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_check_method_create_job_with_options(sd_bus_message *message, void *userdata, sd_bus_error *error);

/* The helper answered message (CheckJob*, CreateJobWithOptions) with
 * helper_json, its findings: reply with the daemon's findings and those,
 * or create the job. Negative when helper_json is not a list of findings. */
int bus_check_reply(Bus *b, sd_bus_message *message, JsonNode *daemon_findings, const char *helper_json);
