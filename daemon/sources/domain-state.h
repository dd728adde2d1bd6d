/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain-state: a libvirt domain's state, asked within a deadline.
 *
 * A libvirt connection can take long or never end (a remote host that does
 * not answer, an SSH transport waiting on its TCP connect, a stuck
 * libvirtd). sources_domain_state() runs in a child process of its own
 * (its own process group, killed with it at the deadline or when it has
 * answered; it dies with its parent too): the caller waits at most
 * timeout_ms and gets NULL — "cannot tell" — for everything that did not
 * answer in time, could not connect, needed a password it could not use,
 * or found no such domain. libvirt is initialised in that child only, never
 * in the caller, which may be a process forked from the daemon (the
 * CreateJob checks, job/spec-checks.c).
 */
#pragma once

#include "sources/sources.h"

/* The state as sources_domain_state() words it, or NULL. */
char *sources_domain_state_within(const SourceSpec *s, const char *vm_name, unsigned timeout_ms);
