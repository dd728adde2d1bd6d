#!/usr/bin/env python3
"""Throttling: SetThrottling on a running job changes its scope's CPU quota
at once (and CPULimit, NetworkLimit, state.json); a throttle set on a queued
job is kept and applied when it starts; throttling.json written by a caller
is applied and deleted; bad values are refused; [environment] reaches
virt-v2v."""
import json
import os
import subprocess

from v2vdtest import (run_test, call, JOB_IFACE, make_image, wait_for,
                      scope_cgroup_dirs, fake_records)


def quota(job_id):
    """The scope's cpu.cfs_quota_us; "-1" when systemd did not put the scope
    in the cpu hierarchy at all (no CPU property set: same as no quota)."""
    all_dirs = scope_cgroup_dirs(job_id)
    dirs = [d for d in all_dirs if d.startswith("/sys/fs/cgroup/cpu/")]
    if not dirs:
        return "-1" if all_dirs else None
    with open(dirs[0] + "/cpu.cfs_quota_us") as f:
        return f.read().strip()


def test(t):
    d = t.start_daemon(config={"max_running_jobs": 1},
                       environment={"V2VD_ENV_PROBE": "from-config"}, env={"V2VD_ENV_PROBE": None})
    img_a = make_image(os.path.join(t.base, "a"), "a", control={"step_delay": 0.02, "copy_seconds": 60})
    img_b = make_image(os.path.join(t.base, "b"), "b", control={"step_delay": 0.02, "copy_seconds": 60})
    a, pa = t.create_job(t.spec_disk(img_a, vm_name="a"))
    b, pb = t.create_job(t.spec_disk(img_b, vm_name="b"))
    t.wait_state(a, "running")
    wait_for(lambda: quota(a) is not None, 10, "job a's scope cgroup")
    t.check_eq(quota(a), "-1", "no CPU quota by default")
    t.check_eq(t.prop(a, "CPULimit"), "unlimited", "CPULimit default")

    call(pa, JOB_IFACE, "SetThrottling", "a{sv}", 2, "cpu", "s", "50%", "network", "s", "1048576")
    wait_for(lambda: quota(a) == "50000", 5, "cpu.cfs_quota_us 50000 after SetThrottling cpu=50%")
    t.note("SetThrottling cpu=50% → cpu.cfs_quota_us 50000")
    t.check_eq(t.prop(a, "CPULimit"), "50%", "CPULimit")
    t.check_eq(t.prop(a, "NetworkLimit"), 1048576, "NetworkLimit")
    st = wait_for(lambda: d.state(a).get("throttling", {}).get("cpu") == "50%" and d.state(a), 5,
                  "state.json throttling")
    t.check(str(st["throttling"].get("network")) == "1048576", "state.json throttling %s" % st["throttling"],
            st["throttling"])

    # only cpu: network left as it is
    call(pa, JOB_IFACE, "SetThrottling", "a{sv}", 1, "cpu", "s", "150%")
    wait_for(lambda: quota(a) == "150000", 5, "quota 150000 after cpu=150%")
    t.note("cpu=150% → 150000")
    t.check_eq(t.prop(a, "NetworkLimit"), 1048576, "absent key leaves NetworkLimit as it was")
    call(pa, JOB_IFACE, "SetThrottling", "a{sv}", 1, "cpu", "s", "unlimited")
    wait_for(lambda: quota(a) == "-1", 5, "quota -1 after cpu=unlimited")
    t.note("cpu=unlimited → -1")

    # throttling.json
    tf = t.prop(a, "ThrottlingFile")
    t.check(tf.startswith(d.job_dir(a)), "ThrottlingFile in the job directory (%s)" % tf)
    with open(tf + ".tmp", "w") as f:
        json.dump({"cpu": "25%"}, f)
    os.rename(tf + ".tmp", tf)
    wait_for(lambda: quota(a) == "25000", 10, "quota 25000 after writing throttling.json")
    t.note("throttling.json cpu=25% applied")
    wait_for(lambda: not os.path.exists(tf), 5, "throttling.json deleted")
    t.note("throttling.json deleted after use")

    # bad values
    p = subprocess.run(["busctl", "--user", "call", "org.v2vd.V2V1", pa, JOB_IFACE,
                                      "SetThrottling", "a{sv}", "1", "cpu", "s", "lots"],
                                     capture_output=True, text=True)
    t.check(p.returncode != 0, "SetThrottling cpu=lots refused (%s)" % p.stderr.strip())

    # queued job: kept, applied at start
    t.check_eq(t.prop(b, "State"), "queued", "job b queued")
    call(pb, JOB_IFACE, "SetThrottling", "a{sv}", 1, "cpu", "s", "30%")
    t.check_eq(t.prop(b, "CPULimit"), "30%", "CPULimit kept on the queued job")
    call(pa, JOB_IFACE, "Cancel")
    t.wait_state(b, "running", timeout=15)
    wait_for(lambda: quota(b) == "30000", 10, "job b starts with quota 30000")
    t.note("queued job's throttle applied when it starts (30000)")

    rec = wait_for(lambda: fake_records(img_b), 5, "fake's record of its run")
    t.check_eq(rec[0]["env"].get("V2VD_ENV_PROBE"), "from-config", "[environment] reaches virt-v2v")
    call(pb, JOB_IFACE, "Cancel")
    t.wait_state(b, "cancelled", timeout=15)
    t.assert_no_leftovers()


run_test(test)
