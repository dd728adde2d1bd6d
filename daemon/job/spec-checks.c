/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job/spec-checks.h"

#include "core/input-checks.h"
#include "host/access-as.h"
#include "sources/domain-state.h"
#include "sources/sources.h"

/* -i libvirt: refuse a domain libvirt says is running, paused or suspended
 * (virt-v2v would refuse it minutes later, after the queue). Anything
 * libvirt does not tell within the deadline passes. */
static bool check_libvirt_state(const V2vSpec *spec, GError **error) {
        const char *uri = v2v_spec_libvirt_uri(spec);
        g_autoptr(SourceSpec) s = NULL;
        g_autofree char *state = NULL, *running = NULL;

        if (!uri || !spec->vm_name)
                return true;
        s = g_new0(SourceSpec, 1);
        s->uri = g_strdup(uri);
        s->password = g_strdup(v2v_spec_libvirt_password(spec));
        state = sources_domain_state_within(s, spec->vm_name, SPEC_CHECKS_LIBVIRT_TIMEOUT_MS);
        running = sources_running_vm_message(spec->vm_name, state);
        if (running) {
                g_set_error(error, V2V_SPEC_ERROR, V2V_SPEC_ERROR_INVALID, "vm_name: %s", running);
                return false;
        }
        return true;
}

bool spec_checks(const V2vSpec *spec, GError **error) {
        const char *ova = input_checks_ova_path(spec);

        return input_checks_run(spec, access_as, error) &&
               (!ova || sources_check_ova_manifest(ova, SPEC_CHECKS_OVA_HASH_LIMIT, error)) &&
               check_libvirt_state(spec, error);
}
