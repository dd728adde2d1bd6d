/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec-private: what spec.c validated, in the form v2v-argv.c needs it.
 * Not for the rest of the daemon: it uses only spec.h.
 */
#pragma once

#include <stdbool.h>

#include "core/spec.h"

/* File names of the secrets, relative to the job's secret directory. */
#define V2V_SECRET_VMWARE_PASSWORD  "vmware_password"
#define V2V_SECRET_RHV_PASSWORD     "rhv_password"
#define V2V_SECRET_LIBVIRT_PASSWORD "libvirt_password"
#define V2V_SECRET_SSH_KEY          "ssh_key"
#define V2V_SECRET_OSP_CLOUDS       "clouds.yaml"
/* The cloud name inside clouds.yaml, selected with -oo os-cloud=. */
#define V2V_OSP_CLOUD_NAME          "v2vd"

typedef enum V2vNetKind { V2V_NET_BRIDGE, V2V_NET_NETWORK } V2vNetKind;

typedef struct V2vNetMapping {
        char *source;
        char *destination;
        char *mac;              /* NULL = none */
        V2vNetKind kind;
} V2vNetMapping;

typedef struct V2vLuksKey {
        char *device;
        char *file_name;        /* a V2vSecret's file_name */
} V2vLuksKey;

typedef struct V2vSpecPriv {
        bool paths_checked;     /* V2vSpecContext.paths_checked */
        bool sizes_given;       /* V2vSpecContext.sizes_given */
        /* input */
        char *vmware_uri;       /* vddk: libvirt URI; ssh: the ssh://…vmx URI */
        char *vmware_fingerprint;
        char *vddk_libdir;
        char *libvirt_uri;
        bool network_input;     /* --bandwidth-file applies */
        char *ova;
        GPtrArray *disks;       /* char*: -i disk images */
        char *libvirtxml;
        char *vmx;              /* -i vmx FILE */
        bool has_ssh_key;

        /* output */
        char *rhv_url, *rhv_cluster, *rhv_storage, *rhv_cafile;
        char *export_domain;
        GPtrArray *osp_options; /* char* "os-…=value", non-secret only */
        bool osp_cloud;         /* secrets went to clouds.yaml */
        char *osp_server_id, *osp_volume_type;
        bool insecure;
        char *out_dir;          /* output_dir, qemu_dir or kubevirt_dir */
        bool qemu_boot;
        char *libvirt_output_uri, *libvirt_pool;
        char *vdsm_storage_domain, *vdsm_vm_uuid, *vdsm_ovf_dir;
        GPtrArray *vdsm_image_uuids, *vdsm_volume_uuids; /* char*, as many as the guest has disks */
        char *output_format;    /* NULL for in_place */
        char *allocation;       /* NULL = not given */
        bool pin_output_name;   /* pass -on even without "name" */

        GPtrArray *net_mappings; /* V2vNetMapping* */
        char *virtio_win;       /* → VIRTIO_WIN, NULL = leave unset */
        GPtrArray *luks_keys;   /* V2vLuksKey* */
} V2vSpecPriv;

static inline const V2vSpecPriv *v2v_spec_priv(const V2vSpec *spec) {
        return spec->priv;
}

bool v2v_spec_has_secret(const V2vSpec *spec, const char *file_name);
