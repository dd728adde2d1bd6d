/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * v2v-argv: a validated V2vSpec → the virt-v2v command line and environment.
 *
 * Decisions:
 * - Order: program, --root first, --machine-readable=file:, input options,
 *   --bandwidth-file, output options, -of/-oa/-on, network mappings, --key,
 *   then the positional arguments (guest name, URI or files). virt-v2v does
 *   not care about the order; a fixed one keeps tests and logs readable.
 * - "--root first", as virt-v2v-wrapper passed: with the default "ask" a
 *   multi-boot guest would wait for an answer on a terminal we do not have.
 * - Secrets appear only as paths under paths->secret_dir: -ip, -op,
 *   --key ID:file:F, and for OpenStack OS_CLIENT_CONFIG_FILE=…/clouds.yaml
 *   with -oo os-cloud=v2vd (see spec.c). ssh_key never reaches virt-v2v:
 *   the daemon loads it into an ssh-agent and we pass SSH_AUTH_SOCK.
 * - -of is always given (default raw, as the wrapper did); -oa only when
 *   the spec has allocation.
 * - network_mappings: --mac MAC:bridge|network:DST when the mapping has a
 *   MAC and virt-v2v lists "mac-option", else --bridge SRC:DST (or
 *   --network for "type": "network"), as the wrapper did.
 * - --bandwidth-file only for the inputs that read over the network
 *   (VDDK, vmx over ssh, libvirt esx/vpx/…+ssh); virt-v2v would ignore it
 *   elsewhere, and leaving it out says so.
 * - rhv-verifypeer is always explicit (true unless insecure_connection).
 *   Without rhv_cafile virt-v2v uses the system trust store, which is
 *   where the wrapper's default CA bundle lived (ca-trust/source/anchors).
 */
#include <string.h>

#include "core/spec-private.h"
#include "core/v2v-argv.h"

static void add(GPtrArray *a, const char *s) {
        g_ptr_array_add(a, g_strdup(s));
}

static void add2(GPtrArray *a, const char *opt, const char *val) {
        add(a, opt);
        add(a, val);
}

static void addf(GPtrArray *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void addf(GPtrArray *a, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_ptr_array_add(a, g_strdup_vprintf(fmt, ap));
        va_end(ap);
}

static bool has_cap(const V2vCommandPaths *paths, const char *cap) {
        for (const char *const *c = paths->capabilities; c && *c; c++)
                if (strcmp(*c, cap) == 0)
                        return true;
        return false;
}

static char *secret_path(const V2vCommandPaths *paths, const char *name) {
        return g_build_filename(paths->secret_dir, name, NULL);
}

/* "OPTION FILE" for a secret the spec has (e.g. -ip for a password file). */
static void add_secret_option(GPtrArray *a, const V2vSpec *spec, const V2vCommandPaths *paths,
                              const char *option, const char *name) {
        g_autofree char *f = NULL;

        if (!v2v_spec_has_secret(spec, name))
                return;
        f = secret_path(paths, name);
        add2(a, option, f);
}

void v2v_command_free(V2vCommand *cmd) {
        if (!cmd)
                return;
        if (cmd->argv)
                g_ptr_array_unref(cmd->argv);
        if (cmd->env)
                g_ptr_array_unref(cmd->env);
        if (cmd->warnings)
                g_ptr_array_unref(cmd->warnings);
        g_free(cmd);
}

static const char *input_cap(V2vInputKind k) {
        switch (k) {
        case V2V_INPUT_DISK:
                return "input:disk";
        case V2V_INPUT_OVA:
                return "input:ova";
        case V2V_INPUT_LIBVIRTXML:
                return "input:libvirtxml";
        case V2V_INPUT_VDDK:
                return "vddk";
        case V2V_INPUT_SSH:
        case V2V_INPUT_VMX:
                return "input:vmx";
        case V2V_INPUT_LIBVIRT:
                return "input:libvirt";
        }
        return NULL;
}

static const char *output_mode(V2vOutputKind k) {
        switch (k) {
        case V2V_OUTPUT_RHV_UPLOAD:
                return "rhv-upload";
        case V2V_OUTPUT_RHV:
                return "rhv";
        case V2V_OUTPUT_OPENSTACK:
                return "openstack";
        case V2V_OUTPUT_LOCAL:
                return "local";
        case V2V_OUTPUT_LIBVIRT:
                return "libvirt";
        case V2V_OUTPUT_QEMU:
                return "qemu";
        case V2V_OUTPUT_KUBEVIRT:
                return "kubevirt";
        case V2V_OUTPUT_VDSM:
                return "vdsm";
        case V2V_OUTPUT_NULL:
                return "null";
        case V2V_OUTPUT_NONE:
                break;
        }
        return NULL;
}

/* What the build cannot go without: the program, the machine-readable log,
 * a secret directory for secrets, an agent for an ssh key. */
static bool check_paths(const V2vSpec *spec, const V2vCommandPaths *paths, GError **error) {
        const V2vSpecPriv *p = v2v_spec_priv(spec);
        const char *prog = spec->in_place ? paths->virt_v2v_in_place : paths->virt_v2v;

        if (!prog || !paths->machine_log) {
                g_set_error(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID, "internal: no path for %s",
                            !prog ? (spec->in_place ? "virt-v2v-in-place" : "virt-v2v") : "the machine-readable log");
                return false;
        }
        if (spec->secrets->len > 0 && !paths->secret_dir) {
                g_set_error_literal(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID,
                                    "internal: the spec has secrets but no secret directory was given");
                return false;
        }
        if (p->has_ssh_key && !paths->ssh_auth_sock) {
                g_set_error_literal(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID,
                                    "ssh_key: given, but no ssh-agent was started to hold it");
                return false;
        }
        return true;
}

static void warn_capabilities(V2vCommand *cmd, const V2vSpec *spec, const V2vCommandPaths *paths) {
        const char *ic = input_cap(spec->input);
        g_autofree char *oc = g_strconcat("output:", output_mode(spec->output), NULL);

        if (!paths->capabilities || spec->in_place)
                return;
        if (!has_cap(paths, ic))
                addf(cmd->warnings, "virt-v2v does not list the capability \"%s\"", ic);
        if (!has_cap(paths, oc))
                addf(cmd->warnings, "virt-v2v does not list the capability \"%s\"", oc);
}

static void add_input(GPtrArray *a, const V2vSpec *spec, const V2vCommandPaths *paths) {
        const V2vSpecPriv *p = v2v_spec_priv(spec);

        switch (spec->input) {
        case V2V_INPUT_VDDK: {
                g_autofree char *pw = secret_path(paths, V2V_SECRET_VMWARE_PASSWORD);
                add2(a, "-i", "libvirt");
                add2(a, "-ic", p->vmware_uri);
                add2(a, "-it", "vddk");
                add(a, "-io");
                addf(a, "vddk-libdir=%s", p->vddk_libdir);
                add(a, "-io");
                addf(a, "vddk-thumbprint=%s", p->vmware_fingerprint);
                add2(a, "-ip", pw);
                break;
        }
        case V2V_INPUT_SSH:
                add2(a, "-i", "vmx");
                add2(a, "-it", "ssh");
                add_secret_option(a, spec, paths, "-ip", V2V_SECRET_VMWARE_PASSWORD);
                break;
        case V2V_INPUT_LIBVIRT:
                add2(a, "-i", "libvirt");
                add2(a, "-ic", p->libvirt_uri);
                add_secret_option(a, spec, paths, "-ip", V2V_SECRET_LIBVIRT_PASSWORD);
                break;
        case V2V_INPUT_OVA:
                add2(a, "-i", "ova");
                break;
        case V2V_INPUT_DISK:
                add2(a, "-i", "disk");
                break;
        case V2V_INPUT_LIBVIRTXML:
                add2(a, "-i", "libvirtxml");
                break;
        case V2V_INPUT_VMX:
                add2(a, "-i", "vmx");
                break;
        }
        if (p->network_input && paths->bandwidth_file)
                add2(a, "--bandwidth-file", paths->bandwidth_file);
}

static void add_output_rhv_upload(GPtrArray *a, const V2vSpecPriv *p, const V2vCommandPaths *paths) {
        g_autofree char *pw = secret_path(paths, V2V_SECRET_RHV_PASSWORD);

        add2(a, "-oc", p->rhv_url);
        add2(a, "-os", p->rhv_storage);
        add2(a, "-op", pw);
        if (p->rhv_cafile) {
                add(a, "-oo");
                addf(a, "rhv-cafile=%s", p->rhv_cafile);
        }
        add(a, "-oo");
        addf(a, "rhv-cluster=%s", p->rhv_cluster);
        add(a, "-oo");
        addf(a, "rhv-verifypeer=%s", p->insecure ? "false" : "true");
}

static void add_output_openstack(V2vCommand *cmd, const V2vSpecPriv *p, const V2vCommandPaths *paths) {
        GPtrArray *a = cmd->argv;

        add(a, "-oo");
        addf(a, "server-id=%s", p->osp_server_id);
        if (p->osp_volume_type)
                add2(a, "-os", p->osp_volume_type);
        for (guint i = 0; i < p->osp_options->len; i++)
                add2(a, "-oo", p->osp_options->pdata[i]);
        if (p->osp_cloud) {
                g_autofree char *f = secret_path(paths, V2V_SECRET_OSP_CLOUDS);
                add2(a, "-oo", "os-cloud=" V2V_OSP_CLOUD_NAME);
                addf(cmd->env, "OS_CLIENT_CONFIG_FILE=%s", f);
        }
        if (p->insecure)
                add2(a, "-oo", "verify-server-certificate=false");
}

/* VDSM's import: the data domain, one image and one volume UUID per disk
 * in the guest's order, the VM's UUID and where its OVF goes. */
static void add_output_vdsm(GPtrArray *a, const V2vSpecPriv *p) {
        add2(a, "-os", p->vdsm_storage_domain);
        for (guint i = 0; i < p->vdsm_image_uuids->len; i++) {
                add(a, "-oo");
                addf(a, "vdsm-image-uuid=%s", (const char *) p->vdsm_image_uuids->pdata[i]);
        }
        for (guint i = 0; i < p->vdsm_volume_uuids->len; i++) {
                add(a, "-oo");
                addf(a, "vdsm-vol-uuid=%s", (const char *) p->vdsm_volume_uuids->pdata[i]);
        }
        add(a, "-oo");
        addf(a, "vdsm-vm-uuid=%s", p->vdsm_vm_uuid);
        add(a, "-oo");
        addf(a, "vdsm-ovf-output=%s", p->vdsm_ovf_dir);
}

/* -o and its options, -of, -oa, -on; nothing for virt-v2v-in-place. */
static void add_output(V2vCommand *cmd, const V2vSpec *spec, const V2vCommandPaths *paths) {
        const V2vSpecPriv *p = v2v_spec_priv(spec);
        GPtrArray *a = cmd->argv;

        if (spec->in_place)
                return;
        add2(a, "-o", output_mode(spec->output));
        switch (spec->output) {
        case V2V_OUTPUT_RHV_UPLOAD:
                add_output_rhv_upload(a, p, paths);
                break;
        case V2V_OUTPUT_RHV:
                add2(a, "-os", p->export_domain);
                break;
        case V2V_OUTPUT_OPENSTACK:
                add_output_openstack(cmd, p, paths);
                break;
        case V2V_OUTPUT_LOCAL:
        case V2V_OUTPUT_KUBEVIRT:
                add2(a, "-os", p->out_dir);
                break;
        case V2V_OUTPUT_QEMU:
                add2(a, "-os", p->out_dir);
                if (p->qemu_boot)
                        add(a, "--qemu-boot");
                break;
        case V2V_OUTPUT_LIBVIRT:
                add2(a, "-oc", p->libvirt_output_uri);
                add2(a, "-os", p->libvirt_pool);
                break;
        case V2V_OUTPUT_VDSM:
                add_output_vdsm(a, p);
                break;
        case V2V_OUTPUT_NULL:
        case V2V_OUTPUT_NONE:
                break;
        }
        add2(a, "-of", p->output_format);
        if (p->allocation)
                add2(a, "-oa", p->allocation);
        if (spec->output_name)
                add2(a, "-on", spec->output_name);
        else if (p->pin_output_name)
                add2(a, "-on", spec->vm_name);
}

static void add_network_mappings(V2vCommand *cmd, const V2vSpec *spec, const V2vCommandPaths *paths) {
        const V2vSpecPriv *p = v2v_spec_priv(spec);
        GPtrArray *a = cmd->argv;
        bool mac_ok = has_cap(paths, "mac-option");

        for (guint i = 0; i < p->net_mappings->len; i++) {
                const V2vNetMapping *m = p->net_mappings->pdata[i];
                const char *kind = m->kind == V2V_NET_NETWORK ? "network" : "bridge";
                if (m->mac && mac_ok) {
                        add(a, "--mac");
                        addf(a, "%s:%s:%s", m->mac, kind, m->destination);
                } else {
                        if (m->mac)
                                addf(cmd->warnings, "network_mappings[%u]: virt-v2v does not offer --mac "
                                     "(mac-option), mapping by the source name \"%s\" instead", i, m->source);
                        addf(a, "--%s", kind);
                        addf(a, "%s:%s", m->source, m->destination);
                }
        }
}

static void add_luks_keys(GPtrArray *a, const V2vSpecPriv *p, const V2vCommandPaths *paths) {
        for (guint i = 0; i < p->luks_keys->len; i++) {
                const V2vLuksKey *k = p->luks_keys->pdata[i];
                g_autofree char *f = secret_path(paths, k->file_name);
                add(a, "--key");
                addf(a, "%s:file:%s", k->device, f);
        }
}

/* The guest name, URI or files. */
static void add_positional(GPtrArray *a, const V2vSpec *spec) {
        const V2vSpecPriv *p = v2v_spec_priv(spec);

        switch (spec->input) {
        case V2V_INPUT_VDDK:
        case V2V_INPUT_LIBVIRT:
                add(a, spec->vm_name);
                break;
        case V2V_INPUT_SSH:
                add(a, p->vmware_uri);
                break;
        case V2V_INPUT_OVA:
                add(a, p->ova);
                break;
        case V2V_INPUT_DISK:
                for (guint i = 0; i < p->disks->len; i++)
                        add(a, p->disks->pdata[i]);
                break;
        case V2V_INPUT_LIBVIRTXML:
                add(a, p->libvirtxml);
                break;
        case V2V_INPUT_VMX:
                add(a, p->vmx);
                break;
        }
}

V2vCommand *v2v_command_build(const V2vSpec *spec, const V2vCommandPaths *paths, GError **error) {
        const V2vSpecPriv *p = v2v_spec_priv(spec);
        g_autoptr(V2vCommand) cmd = NULL;

        if (!check_paths(spec, paths, error))
                return NULL;
        cmd = g_new0(V2vCommand, 1);
        cmd->argv = g_ptr_array_new_with_free_func(g_free);
        cmd->env = g_ptr_array_new_with_free_func(g_free);
        cmd->warnings = g_ptr_array_new_with_free_func(g_free);
        warn_capabilities(cmd, spec, paths);

        add(cmd->argv, spec->in_place ? paths->virt_v2v_in_place : paths->virt_v2v);
        add2(cmd->argv, "--root", "first");
        addf(cmd->argv, "--machine-readable=file:%s", paths->machine_log);
        add_input(cmd->argv, spec, paths);
        add_output(cmd, spec, paths);
        add_network_mappings(cmd, spec, paths);
        add_luks_keys(cmd->argv, p, paths);
        add_positional(cmd->argv, spec);
        g_ptr_array_add(cmd->argv, NULL);

        if (p->has_ssh_key)
                addf(cmd->env, "SSH_AUTH_SOCK=%s", paths->ssh_auth_sock);
        if (p->virtio_win)
                addf(cmd->env, "VIRTIO_WIN=%s", p->virtio_win);
        g_ptr_array_add(cmd->env, NULL);
        return g_steal_pointer(&cmd);
}
