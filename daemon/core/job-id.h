/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * job-id: what a job id may be (the name of its directory and the last
 * element of its object path) and the order ids were given out in. Pure.
 */
#pragma once

#include <stdbool.h>

bool job_id_is_valid(const char *id);
/* Job ids in the order they were given out: numerically, then by name. */
int job_id_compare(const char *a, const char *b);
