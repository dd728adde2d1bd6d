/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * egress: egress shaping of every process in a job's scope, keyed on the
 * scope's cgroup v2 directory, so it works where net_cls is gone (cgroup v2
 * and hybrid hosts). The CPU quota is the scope's CPUQuotaPerSecUSec
 * (scope.c) and the input side is virt-v2v's --bandwidth-file (job-start.c);
 * this file does the third part of a job's limits, for job.c, which
 * decides what to shape and reports what could not be.
 *
 * How (see egress.c for why this and not a BPF classifier):
 *   - one nftables table `inet <name>` owned by this daemon instance, with
 *     one `output` hook chain and one rule per shaped job:
 *       oifname { IFACES } socket cgroupv2 level L "<scope's v2 path>"
 *           meta priority set MAJ:MIN comment "v2vd job ID"
 *   - on each egress interface a root HTB qdisc with handle MAJ: and
 *     `default 0` (unclassified traffic is not shaped), one class MAJ:MIN
 *     per shaped job with rate = ceil = the job's limit. HTB puts a packet
 *     whose skb->priority names one of its leaf classes straight into it.
 *   - with a host-wide budget (egress_set_host): a class MAJ:fffe (rate =
 *     ceil = the budget) over the jobs' classes, a class MAJ:fffd under it
 *     for the rest of the slice's traffic, and a first rule on the slice's
 *     cgroup that sends every socket of the slice there (a job's own rule,
 *     later, overrides it). HTB moves no class between parents: when the
 *     budget comes or goes, the interface's tree is rebuilt.
 *
 * Configuration ([daemon] in v2vd.conf):
 *   egress_interfaces=eth0 veth1   interfaces to shape (space or comma
 *                                  separated); default: the interfaces of
 *                                  the IPv4 and IPv6 default routes, looked
 *                                  up again at every change. "none":
 *                                  no egress shaping (the network limit then
 *                                  applies to the input side only, and
 *                                  LastMessage says so).
 *   throttle_name=NAME             nft table name, and (hashed) the HTB
 *                                  major handle; default "v2vd" for the
 *                                  system daemon with its default state
 *                                  directory, else "v2vd_<hash of the state
 *                                  directory>", so that several instances
 *                                  (parallel tests) never touch each other's
 *                                  rules.
 *
 * The host state is always rebuilt whole from the table of shaped jobs (one
 * atomic nft transaction, then tc per interface), so a restarted daemon that
 * re-registers the jobs still running removes every stale rule and class at
 * once. Rules are deliberately left in place when the daemon stops: the
 * conversions outlive it.
 *
 * On an interface whose root qdisc is a kernel default (noqueue,
 * pfifo_fast, fq_codel, mq, fq, …) the HTB replaces it while a job is shaped
 * and is deleted afterwards, which gives the kernel default back (with its
 * default parameters). A root qdisc of any other kind or handle is someone
 * else's: left alone, and reported. Unclassified traffic passes HTB's direct
 * queue unshaped (default 0), but through one queue: on a multi-queue NIC
 * that costs the parallelism of mq while a job is shaped.
 *
 * nft(8) and tc(8) are run synchronously (g_spawn_sync, argument vectors, no
 * shell): a change costs a few spawns of a few milliseconds each, on a job
 * start, end or limit change only — never on a hot path of the event loop.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The HTB rate of a limit in bytes/s, in bits/s, clamped to
 * THROTTLE_MAX_BITS (2^62 bit/s, far beyond any link): tc(8) reads a rate
 * through a double, and one of 2^64 bit/s or more (INT64_MAX bytes/s × 8)
 * wraps to "rate 0bit", which would stop the job's traffic instead of not
 * limiting it. tests/unit/test-egress-rate.c */
#define THROTTLE_MAX_BITS (UINT64_C(1) << 62)
static inline uint64_t egress_rate_bits(uint64_t bytes_per_sec) {
        return bytes_per_sec >= THROTTLE_MAX_BITS / 8 ? THROTTLE_MAX_BITS : bytes_per_sec * 8;
}

typedef struct Egress Egress;

/* The default instance name for a state directory (see above). */
char *egress_default_name(const char *state_dir, bool user_mode);

/* interfaces: NULL or empty = those of the default routes. -EINVAL for a
 * bad name or interface. */
int egress_new(const char *name, char *const *interfaces, Egress **ret);
Egress *egress_free(Egress *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Egress, egress_free)

/* Every function below returns 0 or a negative errno; what failed, in
 * words (a tool's own message included), is then egress_last_error().
 * Nothing here reports or logs: the caller does. */
const char *egress_last_error(const Egress *t);

/* Record the egress limit of a job (bytes/s; 0 = none) whose scope's cgroup
 * v2 path (as in /proc/PID/cgroup's "0::" line) is cgroup_path. Does not
 * touch the host: *ret_changed says whether egress_sync() is needed. */
int egress_set(Egress *t, const char *job_id, const char *cgroup_path, uint64_t bytes_per_sec,
                 bool *ret_changed);
/* The host-wide budget (bytes/s; 0 = none) of every process in the slice
 * whose cgroup v2 path is slice_cgroup (NULL: keep the one known): one HTB
 * class over the shaped jobs' classes and a class for the slice's other
 * traffic. Does not touch the host: *ret_changed says whether
 * egress_sync() is needed. */
int egress_set_host(Egress *t, const char *slice_cgroup, uint64_t bytes_per_sec, bool *ret_changed);
/* Make the host's rules and classes match the recorded limits exactly. */
int egress_sync(Egress *t);

/* The cgroup v2 path of a process ("0::" line of /proc/PID/cgroup). */
int egress_cgroup_of_pid(Egress *t, pid_t pid, char **ret_path);

bool egress_is_disabled(const Egress *t);
/* How many jobs are shaped; whether this one is. */
size_t egress_count(const Egress *t);
bool egress_has_job(const Egress *t, const char *job_id);
/* For the log: "nft table inet NAME, class MAJ:MIN" (job_id shaped) or
 * "nft table inet NAME, HTB handle MAJ:". */
char *egress_describe(const Egress *t, const char *job_id);
