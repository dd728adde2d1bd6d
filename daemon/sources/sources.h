/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sources: the VMs of a conversion source — a libvirt URI (esx://, vpx://,
 * xen+ssh://, qemu:///system, test:///…) or an OVA (tar, zip or unpacked
 * directory, read by ova.c) — as the JSON of ListSourceVMs and
 * InspectSourceVM.
 *
 * The libvirt and file parts run in the v2vd-sources helper (one process
 * and one connection per call, killed at the timeout; source-call.c), never
 * in the daemon. The password reaches libvirt only through its
 * authentication callback, from the request on the helper's stdin or from
 * a file of mode 0600 owned by the caller; it is never put in a URI, an
 * argument, the environment, a log or a reply.
 *
 * The parsers (source object, domain XML) are pure and unit-tested.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define SOURCES_ERROR (sources_error_quark())
GQuark sources_error_quark(void);

#define SOURCES_DEFAULT_TIMEOUT_SEC 60u
#define SOURCES_MAX_TIMEOUT_SEC     3600u

typedef struct SourceSpec {
        char *uri;              /* libvirt URI, or NULL */
        char *ova;              /* OVA file or directory, or NULL */
        char *user;             /* for libvirt's VIR_CRED_AUTHNAME */
        char *password;         /* secret: wiped on free */
        char *password_file;    /* a 0600 file holding the password */
        unsigned timeout_sec;   /* 0: the daemon's default */
        gboolean print_source;  /* InspectSourceVM: add virt-v2v --print-source */
} SourceSpec;

SourceSpec *source_spec_free(SourceSpec *s);
/* Overwrites a secret string (a password, a request holding one) before freeing it. */
void secret_string_free(char *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SourceSpec, source_spec_free)

/* The source object of ListSourceVMs/InspectSourceVM: {"uri"} or {"ova"},
 * with "user", "password", "password_file", "timeout". Unknown keys and a
 * password in the URI are errors naming the key. */
SourceSpec *source_spec_parse(const char *json, GError **error);
/* The source for messages and replies: the URI or the OVA path, never a
 * password. */
const char *source_spec_describe(const SourceSpec *s);

/* A libvirt domain XML → the VM object (name, uuid, vcpus, memory_bytes,
 * firmware, machine, os, disks, nics), without state or capacities (those
 * come from libvirt's calls). */
JsonNode *sources_domain_from_xml(const char *xml, GError **error);

/* "v2v": how virt-v2v would convert vm from this source: input mode, its
 * options (passwords as a file placeholder) and the CreateJob spec keys.
 * Adds "warnings" and "convertible" to vm (running, snapshots, test driver). */
void sources_add_v2v_hint(const SourceSpec *s, JsonObject *vm);

/* In the helper: list every VM, or inspect one. */
JsonNode *sources_list(const SourceSpec *s, GError **error);
JsonNode *sources_inspect(const SourceSpec *s, const char *vm_name, GError **error);

/* A read-write connection to the source, opened and closed: virt-v2v opens
 * it so (it reads the domain's XML with its secrets), while listing takes a
 * read-only one, which a local libvirtd gives to anyone. */
gboolean sources_check_read_write(const SourceSpec *s, GError **error);

/* The state of the libvirt domain vm_name of s->uri, in this process:
 * "running", "paused", "pmsuspended", "shutoff", "shutting-down",
 * "crashed" or "unknown"; NULL with error when it cannot tell (no
 * connection, no such domain). sources_domain_state_within()
 * (domain-state.h) bounds it in time. */
char *sources_domain_state(const SourceSpec *s, const char *vm_name, GError **error);

/* Why virt-v2v refuses the domain vm_name in state (the words above):
 * "the VM NAME is running: shut it down…" for running, paused or
 * pmsuspended; NULL for every other state. CreateJob and CheckJob say it
 * alike. */
char *sources_running_vm_message(const char *vm_name, const char *state);

/* The OVA at path against its manifest, cheaply (ova_check_manifest): for
 * a job's spec before it is queued, with the owner's rights. What cannot be
 * read as an OVA passes (virt-v2v tells); errors are prefixed with the
 * path. */
gboolean sources_check_ova_manifest(const char *path, guint64 hash_limit, GError **error);

/* virt-v2v's input options for vm from this source, with password_file for
 * -ip (NULL: "PASSWORD_FILE", a placeholder). */
GPtrArray *sources_v2v_input_argv(const SourceSpec *s, const char *vm_name, const char *password_file);

/* In the helper: runs VIRT_V2V --print-source with the input options (the
 * password in a 0600 file of a private directory, removed after) and sets
 * vm's "print_source" to {"exit_status", "output"}. The daemon runs the
 * helper in a transient scope for it and stops the scope at the timeout. */
gboolean sources_print_source(const SourceSpec *s, const char *vm_name, const char *virt_v2v,
                              char **environment, JsonObject *vm, GError **error);
