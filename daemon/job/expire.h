/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * expire: finished jobs do not stay forever. [daemon] keep_finished_jobs_days=
 * removes a finished job that many days after it ended, keep_finished_jobs=
 * keeps at most that many finished jobs (the ones that ended last); 0 (the
 * default of both) keeps them. Removed like Remove does: the directory goes,
 * JobRemoved is sent. Checked at start, when a job ends and every ten
 * minutes.
 */
#pragma once

#include <stdint.h>

#include "job/manager.h"

/* Which of n finished jobs expire: ends[i] is when job i ended
 * (CLOCK_REALTIME µs). Sets expired[i]. Pure. */
void expire_select(const uint64_t *ends, unsigned n, uint64_t now_usec, unsigned keep_days, unsigned keep_count,
                   bool *expired);

/* Start the ten-minute timer and check once now. */
int expire_setup(Manager *m);
/* Check soon (a job ended). */
void expire_soon(Manager *m);
