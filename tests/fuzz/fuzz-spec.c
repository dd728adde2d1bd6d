/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the job spec parser and validator (daemon/spec.c),
 * then what the daemon does with a valid spec — the redacted rendering,
 * the output file list and the virt-v2v command line (daemon/v2v-argv.c).
 * The input is the JSON text as CreateJob receives it; D-Bus strings hold
 * no NUL byte, so the text ends at the first one, as it would there.
 * See README.md beside this file.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/spec.h"
#include "core/v2v-argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_spec_one(const char *text) {
        static const char *const profile_dirs[] = { "/nonexistent/v2vd-fuzz/profiles.d", NULL };
        static const char *const caps[] = { "virt-v2v-2.0", "input:disk", "output:local", "vddk", NULL };
        V2vSpecContext ctx = {
                .owner_uid = getuid(),
                .owner_home = "/nonexistent/v2vd-fuzz/home",
                .profile_dirs = profile_dirs,
                .virtio_win_default = "/nonexistent/v2vd-fuzz/virtio-win.iso",
        };
        V2vCommandPaths paths = {
                .virt_v2v = "/usr/bin/virt-v2v",
                .virt_v2v_in_place = "/usr/bin/virt-v2v-in-place",
                .machine_log = "/run/v2vd-fuzz/job/v2v-machine.log",
                .secret_dir = "/run/v2vd-fuzz/secrets",
                .bandwidth_file = "/run/v2vd-fuzz/job/bandwidth",
                .capabilities = caps,
        };
        g_autoptr(V2vSpec) spec = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vCommand) cmd = NULL;
        g_autoptr(GError) cmd_error = NULL;
        g_autofree char *redacted = NULL;
        g_autofree char *out_dir = NULL;
        g_autoptr(GPtrArray) patterns = NULL;

        spec = v2v_spec_parse(text, &ctx, &error);
        if (!spec) {
                /* Every refusal says why. */
                if (!error || !error->message || !*error->message)
                        abort();
                return;
        }
        if (error)
                abort();
        redacted = v2v_spec_render_redacted(spec);
        if (!redacted)
                abort();
        (void) v2v_spec_output_files(spec, &out_dir, &patterns);
        cmd = v2v_command_build(spec, &paths, &cmd_error);
        if (!cmd && !cmd_error)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *text = g_strndup((const char *) data, size);

        fuzz_spec_one(text);
        return 0;
}
