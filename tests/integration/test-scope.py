#!/usr/bin/env python3
"""The job really runs in v2vd-job-<id>.scope in v2vd.slice: the fake
virt-v2v's /proc/PID/cgroup says so, in this test's cgroup subtree; a CPU
throttle from the spec is the scope's CFS quota."""
import os
import subprocess

from v2vdtest import (run_test, call, JOB_IFACE, make_image, wait_for, pids_in_scope, proc_cmdline, proc_cgroup,
                      cgroup_root, scope_cgroup_dirs)


def test(t):
    t.start_daemon()
    fake = os.environ["V2VD_FAKE_V2V"]
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.02, "copy_seconds": 30})
    job_id, path = t.create_job(t.spec_disk(img, throttling={"cpu": "20%"}))
    t.wait_state(job_id, "running", timeout=15)
    wait_for(lambda: t.prop(job_id, "PID") > 0, 10, "PID")
    pid = t.prop(job_id, "PID")
    cmd = proc_cmdline(pid)
    t.check(any(a == fake for a in cmd), "PID %d is the fake virt-v2v: %s" % (pid, " ".join(cmd[:4])))
    cg = proc_cgroup(pid)
    unit = "v2vd-job-%s.scope" % job_id
    root = cgroup_root()
    want = "%s/v2vd.slice/%s" % (root, unit)
    lines = [l for l in cg.splitlines() if l.endswith(want)]
    hier = sorted(l.split(":")[1] for l in lines)
    t.check(any("name=systemd" in h for h in hier) and "" in hier,
            "/proc/%d/cgroup names %s in name=systemd and the v2 tree" % (pid, want), cg)
    t.check(any(h == "cpu" for h in hier), "… and in the cpu hierarchy", cg)
    in_scope = pids_in_scope(job_id)
    t.check(pid in in_scope, "scope processes %s include virt-v2v" % in_scope)
    runner = [p for p in in_scope if any("runner" in a for a in proc_cmdline(p)[:1])]
    t.check(len(runner) == 1, "the runner is in the scope too: %s" % [proc_cmdline(p)[:1] for p in in_scope])
    show = subprocess.run(["systemctl", "--user", "show", unit, "-p", "Slice", "-p", "ActiveState",
                           "-p", "CPUQuotaPerSecUSec"], capture_output=True, text=True).stdout
    t.check("Slice=v2vd.slice" in show and "ActiveState=active" in show, "systemctl: active, in v2vd.slice", show)
    t.check_eq(t.prop(job_id, "Unit"), unit, "Unit property")
    t.check_eq(t.prop(job_id, "CPULimit"), "20%", "CPULimit property")
    quota = [d for d in scope_cgroup_dirs(job_id) if d.startswith("/sys/fs/cgroup/cpu/")]
    t.check(len(quota) == 1, "scope's cpu cgroup dir exists", scope_cgroup_dirs(job_id))
    with open(quota[0] + "/cpu.cfs_quota_us") as f:
        q = f.read().strip()
    t.check_eq(q, "20000", "cpu.cfs_quota_us (20%)")
    call(path, JOB_IFACE, "Cancel")
    t.wait_state(job_id, "cancelled", timeout=15)
    t.assert_no_leftovers()


run_test(test)
