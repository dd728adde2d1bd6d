/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-job: the org.v2vd.V2V1.Job interface — one fallback vtable for every
 * job object under /org/v2vd/V2V1/job, a node enumerator, and the signals a
 * job sends (PropertiesChanged, and through the manager JobNew/JobFinished/
 * JobRemoved and ObjectManager's InterfacesAdded/Removed).
 */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "job.h"


int bus_job_register(Manager *m);

void bus_job_emit_changed(Job *j, unsigned props);
void bus_job_emit_new(Job *j);
void bus_job_emit_finished(Job *j);
void bus_job_emit_removed(Job *j);
