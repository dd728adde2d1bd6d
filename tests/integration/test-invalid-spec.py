#!/usr/bin/env python3
"""CreateJob with a bad spec: InvalidSpec naming the key; nothing created."""
import json
import os

from v2vdtest import run_test, call, call_error, MANAGER_PATH, MANAGER_IFACE, ERROR_PREFIX, make_image


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "img"))
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    good = {"vm_name": "guest", "disk": [img], "output_dir": out}
    cases = [
        ("not JSON", "{this is not json", None),
        ("JSON array", "[1, 2]", None),
        ("missing vm_name", {"disk": [img], "output_dir": out}, "vm_name"),
        ("unknown key", dict(good, vm_nmae="x"), "vm_nmae"),
        ("bad output_format", dict(good, output_format="vmdk"), "output_format"),
        ("disk not an array", dict(good, disk=img), "disk"),
        ("vm_name wrong type", dict(good, vm_name=42), "vm_name"),
        ("no input", {"vm_name": "guest", "output_dir": out}, None),
        ("bad throttling cpu", dict(good, throttling={"cpu": "lots"}), "cpu"),
    ]
    for what, spec, key in cases:
        text = spec if isinstance(spec, str) else json.dumps(spec)
        name, msg = call_error(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", text)
        t.check_eq(name, ERROR_PREFIX + "InvalidSpec", "%s → InvalidSpec (%s)" % (what, msg))
        if key:
            t.check(key in msg, "%s: message names %r" % (what, key), msg)
    t.check_eq(call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0], [], "no job was created")
    jobs_dir = os.path.join(d.state_dir, "jobs")
    t.check(not os.path.isdir(jobs_dir) or os.listdir(jobs_dir) == [], "no job directory", 
            os.listdir(jobs_dir) if os.path.isdir(jobs_dir) else None)
    t.check(not t.monitor.signals("JobNew"), "no JobNew signal")
    job_id, _ = t.create_job(good)
    t.check_eq(job_id, "1", "a good spec afterwards gets id 1")
    t.wait_finished(job_id)


run_test(test)
