/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-job: the org.v2vd.V2V1.Job interface — one fallback vtable for every
 * job object under /org/v2vd/V2V1/job, a node enumerator, and the signals a
 * job sends (PropertiesChanged, and through the manager JobNew/JobFinished/
 * JobRemoved and ObjectManager's InterfacesAdded/Removed), sent on the job
 * layer's events (bus.c subscribes).
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "bus/bus.h"
#include "common/bus-names.h"
#include "job/job.h"

int bus_job_register(Bus *b);
/* The job whose object path this is, or NULL. */
Job *bus_job_from_path(Manager *m, const char *path);
/* Is this Job property one of the details others may not read (bus-access.h)? */
bool bus_job_property_is_detail(const char *name);
/* An upper estimate of the marshalled size of the job's properties (its
 * GetAll, its part of GetManagedObjects), for bounds.c. */
size_t bus_job_properties_size(Job *j);

void bus_job_emit_changed(Bus *b, Job *j, unsigned props);
void bus_job_emit_new(Bus *b, Job *j);
void bus_job_emit_finished(Bus *b, Job *j);
void bus_job_emit_removed(Bus *b, Job *j);
