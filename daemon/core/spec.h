/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec: the job spec (v2vd.job(5), a superset of the virt-v2v-wrapper
 * input JSON) → a validated V2vSpec, with its secrets held apart.
 *
 * Pure: JSON text and a context in, a V2vSpec or a GError
 * (V2V_SPEC_ERROR_INVALID, message naming the key and what was expected)
 * out. The only file system access is what validation needs (profiles,
 * the LUKS keys vault, local input files that must be readable).
 *
 * The daemon uses only the functions below; the struct is shared with
 * v2v-argv.c, which turns it into a command line.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define V2V_SPEC_ERROR (v2v_spec_error_quark())
GQuark v2v_spec_error_quark(void);
typedef enum { V2V_SPEC_ERROR_INVALID } V2vSpecError;

#define V2V_SECRET_MASK "*****"

/* The largest spec (and LUKS keys vault) taken, in bytes. */
#define V2V_SPEC_MAX_SIZE (1024u * 1024u)

/* "priority" and SetPriority take these, inclusive. */
#define V2V_PRIORITY_MIN (-1000)
#define V2V_PRIORITY_MAX 1000

typedef enum V2vInputKind {
        V2V_INPUT_DISK,        /* -i disk IMG… */
        V2V_INPUT_OVA,         /* -i ova FILE|DIR */
        V2V_INPUT_LIBVIRTXML,  /* -i libvirtxml FILE */
        V2V_INPUT_VDDK,        /* -i libvirt -ic URI -it vddk … */
        V2V_INPUT_SSH,         /* -i vmx -it ssh ssh://… */
        V2V_INPUT_LIBVIRT,     /* -i libvirt -ic URI (ESX/vCenter over HTTPS, Xen over SSH, KVM) */
        V2V_INPUT_VMX,         /* -i vmx FILE.vmx (a datastore mounted locally) */
} V2vInputKind;

typedef enum V2vOutputKind {
        V2V_OUTPUT_NONE,       /* in_place */
        V2V_OUTPUT_RHV_UPLOAD,
        V2V_OUTPUT_RHV,
        V2V_OUTPUT_OPENSTACK,
        V2V_OUTPUT_LOCAL,
        V2V_OUTPUT_LIBVIRT,
        V2V_OUTPUT_QEMU,
        V2V_OUTPUT_KUBEVIRT,
        V2V_OUTPUT_VDSM,       /* -o vdsm: VDSM's import into a data domain */
        V2V_OUTPUT_NULL,       /* -o null: convert, write nothing */
} V2vOutputKind;

/* A secret the job needs at run time: written by the daemon to
 * <secret_dir>/<file_name>, mode 0600, no trailing newline. */
typedef struct V2vSecret {
        char *file_name;
        char *value;
} V2vSecret;

typedef struct V2vSpecContext {
        uid_t owner_uid;                  /* who submits the job */
        const char *owner_home;           /* for ~/.v2v_luks_keys_vault.json; NULL = unknown */
        const char *const *profile_dirs;  /* NULL-terminated, searched in order */
        const char *virtio_win_default;   /* NULL = /usr/share/virtio-win/virtio-win.iso (tests override) */
        bool paths_checked;               /* local paths were checked as the owner already (owner.c):
                                           * take their sizes, fail on none */
        bool sizes_given;                 /* with paths_checked: not even the sizes are taken (0;
                                           * the caller sets the owner's helper's with
                                           * v2v_spec_set_disk_sizes): no path is looked at */
} V2vSpecContext;

typedef struct V2vSpec V2vSpec;   /* defined in spec.c's companion below */

struct V2vSpec {
        JsonNode *root;            /* the spec as given, profile merged in */
        char *vm_name;
        char *output_name;         /* "name" (-on), NULL = vm_name */
        V2vInputKind input;
        V2vOutputKind output;
        bool in_place;
        char *cpu_limit;           /* from throttling.cpu, NULL = not given */
        int64_t network_limit;     /* bytes/s from throttling.network, -1 = not given, 0 = unlimited */
        int64_t disk_limit;        /* bytes/s from throttling.disk, -1 = not given, 0 = unlimited */
        GPtrArray *source_disks;   /* char*: source_disks, or the disk input's images */
        GArray *source_disk_sizes; /* uint64_t, parallel to source_disks, 0 = unknown */
        GPtrArray *secrets;        /* V2vSecret* */
        GPtrArray *warnings;       /* char*: accepted-but-ignored keys etc. */
        int priority;              /* "priority": the queue's order, higher first; default 0 */
        uint64_t not_before_usec;  /* "not_before" (RFC 3339) as CLOCK_REALTIME µs; 0 = none */
        bool ignore_window;        /* "ignore_window": may start outside [daemon] start_window= */
        void *priv;                /* spec.c / v2v-argv.c details */
};

V2vSpec *v2v_spec_parse(const char *json, const V2vSpecContext *ctx, GError **error);
void v2v_spec_free(V2vSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(V2vSpec, v2v_spec_free)

/* The spec as JSON with every secret replaced by "*****". */
char *v2v_spec_render_redacted(const V2vSpec *spec);

/* Where the job's output files go and which names it will create there, as
 * shell glob patterns (e.g. "guest-sd*", "guest.xml"); FALSE when the output
 * is not a local directory (then cancel has nothing local to remove). */
bool v2v_spec_output_files(const V2vSpec *spec, char **ret_dir, GPtrArray **ret_patterns);

/* The host a job reads from, lower case: the host of vmware_uri (VDDK's
 * server, or the ESXi host over ssh) or of libvirt_uri; "local" for local
 * files (disk, ova, libvirtxml) and a libvirt URI without a host. The
 * key of max_running_jobs_per_source=. */
char *v2v_spec_source_host(const V2vSpec *spec);

/* The source disks' sizes as "SIZE SIZE …" (bytes, 0 = unknown), for the
 * owner's helper to hand to the daemon; and back: false (nothing set)
 * unless text has one size per source disk. */
char *v2v_spec_disk_sizes_text(const V2vSpec *spec);
bool v2v_spec_set_disk_sizes(V2vSpec *spec, const char *text);

/* -i libvirt (libvirt_uri: KVM, ESXi or vCenter over HTTPS, Xen over
 * SSH): the URI and libvirt_password (NULL when not given); NULL for every
 * other input. The password is a secret: never logged or shown. */
const char *v2v_spec_libvirt_uri(const V2vSpec *spec);
const char *v2v_spec_libvirt_password(const V2vSpec *spec);

/* Local paths the job reads or writes — its input files and its output
 * directory — for the disk limit (the block devices holding them). */
GPtrArray *v2v_spec_local_paths(const V2vSpec *spec);

/* Does the spec text ask for "ignore_window": true? Before it is parsed
 * for real: the caller then needs more than create-job. */
bool v2v_spec_text_ignores_window(const char *text);

/* Names of the profiles (NAME of NAME.json) in profile_dirs, sorted, each
 * once; a GPtrArray of char* that frees its elements (not NULL-terminated).
 * Unreadable directories are skipped. */
GPtrArray *v2v_spec_list_profiles(const char *const *profile_dirs);
