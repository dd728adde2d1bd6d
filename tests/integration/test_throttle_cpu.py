#!/usr/bin/env python3
"""CPU throttling, measured: a job whose fake virt-v2v spins on both cores
under a 20% quota (spec throttling.cpu) uses 10-30% of one core (the scope
cgroup's cpuacct.usage over a few seconds); `busctl call … SetThrottling`
with "unlimited" lifts it (cpu.cfs_quota_us -1, > 80% used) and with "50%"
sets it again (cfs_quota_us 50000, 35-65% used). Not parallel: the machine
has two cores and the figures would be other tests' too."""
import os
import subprocess
import time

from v2vdtest import (run_test, call, log, make_image, wait_for, scope_cgroup_dirs, job_path, JOB_IFACE,
                      BUS_NAME)


def scope_file(job_id, hierarchy, name):
    dirs = [d for d in scope_cgroup_dirs(job_id) if d.startswith("/sys/fs/cgroup/%s/" % hierarchy)]
    if not dirs:
        return None
    p = os.path.join(dirs[0], name)
    return p if os.path.exists(p) else None


def read(path):
    with open(path) as f:
        return f.read().strip()


def usage_ns(job_id):
    """CPU time of everything in the scope: cpu.stat of its v2 directory
    (always there: systemd drops the scope's v1 cpu/cpuacct directories
    when no CPU property needs them, e.g. after "unlimited")."""
    p = scope_file(job_id, "unified", "cpu.stat") or scope_file(job_id, "", "cpu.stat")
    if p:
        for line in read(p).splitlines():
            k, v = line.split()
            if k == "usage_usec":
                return int(v) * 1000
    p = scope_file(job_id, "cpuacct", "cpuacct.usage")
    if p:
        return int(read(p))
    raise AssertionError("no CPU usage for the scope")


def quota(job_id):
    """The scope's cpu.cfs_quota_us; with no cpu directory of its own (systemd
    removes it when no CPU property needs it) the scope is not limited:
    reported as "-1", as the file would say."""
    p = scope_file(job_id, "cpu", "cpu.cfs_quota_us")
    if p:
        return read(p)
    if scope_cgroup_dirs(job_id):
        return "-1"
    return None


def cores_used(job_id, seconds):
    u0, t0 = usage_ns(job_id), time.monotonic()
    time.sleep(seconds)
    u1, t1 = usage_ns(job_id), time.monotonic()
    return (u1 - u0) / 1e9 / (t1 - t0)


def best_of(job_id, seconds, tries, good):
    """A hard cap can only be undershot by other load on the machine (two
    cores, shared with whatever else runs): retry a low figure a few times
    and report every window."""
    figures = []
    for _ in range(tries):
        figures.append(cores_used(job_id, seconds))
        if good(figures[-1]):
            break
    return max(figures) if good(max(figures)) else figures[-1], figures


def set_cpu_busctl(job_id, value):
    """Exactly what an administrator types."""
    subprocess.run(["busctl", "--user", "call", BUS_NAME, job_path(job_id), JOB_IFACE, "SetThrottling",
                    "a{sv}", "1", "cpu", "s", value], check=True, timeout=30)


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "img"), "spin",
                     control={"step_delay": 0.02, "copy_seconds": 120, "spin_cpu": True, "spin_procs": 2,
                              "warnings": False})
    jid, path = t.create_job(t.spec_disk(img, throttling={"cpu": "20%"}))
    t.wait_state(jid, "running")
    wait_for(lambda: t.prop(jid, "Phase") == "Copying disk 1/1", 30, "the copy (spinning) to start")
    time.sleep(1.0)
    t.check(scope_file(jid, "cpu", "cpu.cfs_quota_us") is not None, "the scope has a cpu cgroup")
    t.check_eq(quota(jid), "20000", "cpu.cfs_quota_us under throttling.cpu 20%")
    t.check_eq(t.prop(jid, "CPULimit"), "20%", "CPULimit")

    used, figs = best_of(jid, 4, 2, lambda u: 0.10 <= u <= 0.30)
    log("  MEASURED cpu 20%%: %s of one core over 4 s windows" % ["%.1f%%" % (f * 100) for f in figs])
    t.check(0.10 <= used <= 0.30, "20%% quota: 10-30%% of one core used (%.1f%%)" % (used * 100))

    set_cpu_busctl(jid, "unlimited")
    wait_for(lambda: quota(jid) == "-1", 5, "cfs_quota_us to become -1")
    t.note("busctl SetThrottling cpu unlimited: cpu.cfs_quota_us is -1")
    t.check_eq(t.prop(jid, "CPULimit"), "unlimited", "CPULimit")
    time.sleep(0.5)
    used, figs = best_of(jid, 3, 3, lambda u: u > 0.80)
    log("  MEASURED cpu unlimited: %s of one core over 3 s windows" % ["%.1f%%" % (f * 100) for f in figs])
    t.check(used > 0.80, "unlimited: more than 80%% of one core used (%.1f%%)" % (used * 100))

    set_cpu_busctl(jid, "50%")
    wait_for(lambda: quota(jid) == "50000", 5, "cfs_quota_us to become 50000")
    t.note("busctl SetThrottling cpu 50%: cpu.cfs_quota_us is 50000")
    time.sleep(0.5)
    used, figs = best_of(jid, 3, 3, lambda u: 0.35 <= u <= 0.65)
    log("  MEASURED cpu 50%%: %s of one core over 3 s windows" % ["%.1f%%" % (f * 100) for f in figs])
    t.check(0.35 <= used <= 0.65, "50%% quota: 35-65%% of one core used (%.1f%%)" % (used * 100))
    t.check_eq(d.state(jid)["throttling"]["cpu"], "50%", "state.json throttling.cpu")

    call(path, JOB_IFACE, "Cancel")
    t.check_eq(t.wait_finished(jid, 60), "cancelled", "job cancelled")
    t.assert_no_leftovers()


run_test(test)
