#!/usr/bin/env python3
"""Throttling errors say what is wrong: a bad cpu or network value is
org.freedesktop.DBus.Error.InvalidArgs naming the value, a bad spec value is
InvalidSpec naming the key and value, throttling a finished job is
org.v2vd.V2V1.Error.JobFinished; a bad throttling.json member is reported as a warning in LastMessage naming
its key and leaves that limit as it was, while the file's good member is
applied; the file is deleted."""
import json
import os
import re
import subprocess

from v2vdtest import run_test, call, make_image, wait_for, job_path, JOB_IFACE, BUS_NAME, MANAGER_PATH, \
    MANAGER_IFACE


def gdbus_error(path, iface, method, *args):
    """(error name, message) of a call that must fail; gdbus prints the name."""
    p = subprocess.run(["gdbus", "call", "--session", "--dest", BUS_NAME, "--object-path", path,
                        "--method", "%s.%s" % (iface, method)] + list(args),
                       capture_output=True, text=True, timeout=30)
    if p.returncode == 0:
        raise AssertionError("%s unexpectedly succeeded: %s" % (method, p.stdout))
    m = re.search(r"GDBus\.Error:([\w.]+): (.*)", p.stderr, re.S)
    if not m:
        raise AssertionError("cannot parse gdbus error: %r" % p.stderr)
    return m.group(1), m.group(2).strip()


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "a"), "a", control={"step_delay": 0.02, "copy_seconds": 300,
                                                              "warnings": False})
    jid, path = t.create_job(t.spec_disk(img, throttling={"cpu": "40%", "network": "1048576"}))
    t.wait_state(jid, "running")
    wait_for(lambda: t.prop(jid, "Phase") == "Copying disk 1/1", 30, "the copy")

    name, msg = gdbus_error(path, JOB_IFACE, "SetThrottling", "{'cpu': <'fast'>}")
    t.check_eq(name, "org.freedesktop.DBus.Error.InvalidArgs", "cpu=fast: error name")
    t.check('cpu: expected N% or "unlimited", got "fast"' in msg, "cpu=fast: message names the value", repr(msg))
    name, msg = gdbus_error(path, JOB_IFACE, "SetThrottling", "{'network': <'1MB'>}")
    t.check(name == "org.freedesktop.DBus.Error.InvalidArgs" and '"1MB"' in msg, "network=1MB refused: %s" % msg)
    name, msg = gdbus_error(path, JOB_IFACE, "SetThrottling", "{'cpu': <'50%'>, 'network': <'x'>}")
    t.check_eq(t.prop(jid, "CPULimit"), "40%", "a refused call changes nothing (not even its valid key)")

    # A bad throttling.json member: deleted, that limit untouched, warning.
    tf = os.path.join(d.job_dir(jid), "throttling.json")
    with open(tf + ".tmp", "w") as f:
        json.dump({"cpu": "fast", "network": "2097152"}, f)
    os.rename(tf + ".tmp", tf)
    wait_for(lambda: not os.path.exists(tf), 5, "the bad throttling.json deleted")
    kind, text = t.prop(jid, "LastMessage")
    t.check(kind == "warning" and "throttling.json" in text and "cpu" in text,
            "LastMessage warns about the bad file (%s: %s)" % (kind, text))
    # One bad member does not drop the other (the old wrapper's callers,
    # ManageIQ among them, write both): the good one is applied.
    t.check_eq((t.prop(jid, "CPULimit"), t.prop(jid, "NetworkLimit")), ("40%", 2097152),
               "the bad cpu left as it was, the good network applied")

    # A bad spec.
    spec = t.spec_disk(img, vm_name="b", throttling={"cpu": "fast"})
    name, msg = gdbus_error(MANAGER_PATH, MANAGER_IFACE, "CreateJob", json.dumps(spec))
    t.check(name == "org.v2vd.V2V1.Error.InvalidSpec" and "throttling.cpu" in msg and "fast" in msg,
            "spec throttling.cpu=fast: InvalidSpec naming it (%s: %s)" % (name, msg))

    # A finished job.
    call(path, JOB_IFACE, "Cancel")
    t.wait_finished(jid, 60)
    name, msg = gdbus_error(path, JOB_IFACE, "SetThrottling", "{'cpu': <'50%'>}")
    t.check_eq(name, "org.v2vd.V2V1.Error.JobFinished", "throttling a finished job")
    t.assert_no_leftovers()


run_test(test)
