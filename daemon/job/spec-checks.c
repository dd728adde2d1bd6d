/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/input-checks.h"
#include "job/spec-checks.h"
#include "sources/sources.h"

bool spec_checks(const V2vSpec *spec, GError **error) {
        const char *ova = input_checks_ova_path(spec);

        return input_checks_run(spec, error) &&
               (!ova || sources_check_ova_manifest(ova, SPEC_CHECKS_OVA_HASH_LIMIT, error));
}
