/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * preflight: the checks of CheckJob that need the caller's rights, run in
 * the v2vd-sources helper (as the caller, in its own scope, killed at the
 * timeout; source-call.c): the spec's paths, the source (libvirt
 * connection and credentials, the VM exists and is shut off, OVA readable
 * with a valid manifest, SSH key login), the guest with
 * virt-v2v-inspector (optional: it boots a libguestfs appliance), the
 * destination (writable, free space against the estimate, libvirt pool
 * and networks), virtio-win for a Windows guest, and what cannot be
 * checked without the remote side. The daemon adds what only it knows
 * (the spec as CreateJob takes it, the queue, the limits: bus-check.c).
 *
 * A finding is {"severity": "error"|"warning"|"info", "code", "key" (the
 * spec key it concerns, or ""), "message" (what to do)}; the codes are
 * listed in org.v2vd.V2V1(5).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct PreflightRequest {
        const char *spec_json;            /* the whole spec, secrets included */
        const char *const *profile_dirs;
        gboolean inspect;                 /* run virt-v2v-inspector */
        unsigned inspect_timeout_sec;
        unsigned timeout_sec;             /* the daemon kills the helper then (0: none): every program
                                           * that holds a secret file (ssh, the inspector) is stopped
                                           * before, so that the files are removed */
        const char *virt_v2v;             /* virt-v2v-inspector is looked up beside it */
        char **environment;               /* extra KEY=VALUE for the inspector (v2vd.conf's [environment]) */
} PreflightRequest;

/* The findings, a JSON array; never NULL. */
JsonNode *preflight_run(const PreflightRequest *req);

/* Pure parts (unit-tested). */

/* virt-v2v-inspector's XML → {"os": {"name", "distro", "osinfo", "arch",
 * "major_version", "minor_version", "product_name"}, "disks":
 * [{"virtual_size", "allocated"}]} (sizes in bytes, allocated 0 when the
 * inspector did not estimate it). */
JsonNode *preflight_parse_inspection(const char *xml, gsize len, GError **error);

/* virt-v2v's command line (v2v-argv.c) → virt-v2v-inspector's: the input
 * options and the positional arguments kept, the output, network and
 * machine-readable options dropped, -O XML_OUT added. */
GPtrArray *preflight_inspector_argv(const char *inspector, char **v2v_argv, const char *xml_out);

/* The first of candidates (NULL: where virt-v2v 2.2 looks for x86_64 UEFI
 * code) that can be read, or NULL. */
const char *preflight_find_uefi_firmware(const char *const *candidates);

/* A finding object. */
JsonNode *preflight_finding(const char *severity, const char *code, const char *key, const char *message);
