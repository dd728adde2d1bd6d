#!/usr/bin/env python3
"""One rule for limits: v2vctl throttle and the daemon's SetThrottling
accept and refuse exactly the same CPU and network strings (the edges
included: "0%", "999999999%", INT64_MAX bytes/s), and throttling.json is
read as ManageIQ writes it: {"cpu": "50", "network": "1048576"} (a bare
number is a percentage), one bad member reported by its key without
dropping the other, and a file written once applied once."""
import json
import os
import subprocess
import time

from v2vdtest import run_test, JOB_IFACE, log, wait_for
from test_v2vctl_common import ctl, disk_spec

CPU = ["50%", "1%", "10000%", "050%", "unlimited", "0%", "10001%", "999999999%", "99999999999999999999%",
       "50", "", "%", "-5%", "+5%", " 5%", "5 %", "1.5%", "0x10%", "Unlimited", "lots"]
NETWORK = ["1048576", "0", "unlimited", "9223372036854775807", "9223372036854775808",
           "18446744073709551616", "", "-1", "1.5M", "1M", " 1", "0x10"]


def daemon_accepts(path, key, value):
    p = subprocess.run(["busctl", "--user", "call", "--", "org.v2vd.V2V1", path, JOB_IFACE,
                        "SetThrottling", "a{sv}", "1", key, "s", value], capture_output=True, text=True)
    if p.returncode != 0 and "expected" not in p.stderr:
        raise AssertionError("SetThrottling %s=%r failed for another reason: %s" % (key, value, p.stderr))
    return p.returncode == 0


def test(t):
    d = t.start_daemon(config={"max_running_jobs": 1})
    # A queued job takes limits as a running one does (and nothing runs them).
    _, spec = disk_spec(t, "blocker", {"step_delay": 0.02, "copy_seconds": 120})
    blocker, _ = t.create_job(spec)
    _, spec = disk_spec(t, "limited", {"step_delay": 0.02, "copy_seconds": 120})
    job, path = t.create_job(spec)
    t.jobs += [blocker, job]
    t.wait_state(blocker, "running")
    t.check_eq(t.prop(job, "State"), "queued", "the job under test is queued")

    for key, values in (("cpu", CPU), ("network", NETWORK)):
        for v in values:
            by_ctl = ctl("throttle", job, "--" + key, v).rc
            by_bus = daemon_accepts(path, key, v)
            log("  %s %-24r v2vctl exit %d, daemon %s" % (key, v, by_ctl, "accepts" if by_bus else "refuses"))
            t.check(by_ctl in (0, 2), "v2vctl throttle --%s %r: accepted or refused as a usage error" % (key, v), by_ctl)
            t.check((by_ctl == 0) == by_bus, "v2vctl and the daemon agree on %s %r" % (key, v),
                    (by_ctl, by_bus))
    ctl("throttle", job, "--cpu", "050%", "--network", "9223372036854775807")
    t.check_eq(t.prop(job, "CPULimit"), "50%", "CPULimit in its canonical form")
    t.check_eq(t.prop(job, "NetworkLimit"), 9223372036854775807, "NetworkLimit INT64_MAX")

    # throttling.json as ManageIQ writes it, on the running job.
    ctl("cancel", blocker)
    t.wait_state(job, "running", timeout=20)
    # Into the copy: virt-v2v's own messages (which supersede the daemon's
    # in LastMessage) are behind.
    wait_for(lambda: t.prop(job, "Phase").startswith("Copying disk"), 30, "the copy under way")
    tf = t.prop(job, "ThrottlingFile")

    def write(doc):
        with open(tf + ".tmp", "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        os.rename(tf + ".tmp", tf)
        wait_for(lambda: not os.path.exists(tf), 10, "throttling.json consumed")

    write({"cpu": "50", "network": "1048576"})
    wait_for(lambda: t.prop(job, "CPULimit") == "50%", 5, "a bare cpu number is a percentage")
    t.check_eq(t.prop(job, "NetworkLimit"), 1048576, "network from throttling.json")

    write({"cpu": "fast", "network": "2097152"})
    wait_for(lambda: t.prop(job, "NetworkLimit") == 2097152, 5, "the good member applied")
    t.check_eq(t.prop(job, "CPULimit"), "50%", "the bad member left CPULimit as it was")
    msg = t.prop(job, "LastMessage")
    t.check(msg[0] == "warning" and msg[1].startswith("throttling.json: cpu:") and '"fast"' in msg[1],
            "LastMessage names the bad key and value", msg)
    t.check("throttling.json: cpu:" in d.stderr(), "so did the daemon's log")

    write({"cpu": "unlimited", "network": "unlimited"})
    wait_for(lambda: t.prop(job, "CPULimit") == "unlimited", 5, "cpu unlimited")
    t.check_eq(t.prop(job, "NetworkLimit"), 0, "network unlimited")

    # Written once, never again: applied once. A limit set afterwards stays.
    write({"cpu": "25%"})
    wait_for(lambda: t.prop(job, "CPULimit") == "25%", 5, "cpu 25% from the file")
    ctl("throttle", job, "--cpu", "75%")
    time.sleep(2)
    t.check_eq(t.prop(job, "CPULimit"), "75%", "the file is not applied again")
    ctl("cancel", job)
    t.wait_state(job, "cancelled", timeout=20)


run_test(test)
