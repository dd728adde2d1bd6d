#!/usr/bin/env python3
"""Introspection of /org/v2vd/V2V1 and of a job object matches org.v2vd.V2V1(5)."""
import os
import xml.etree.ElementTree as ET

from v2vdtest import (run_test, introspect_xml, get_all, MANAGER_PATH, MANAGER_IFACE,
                      JOB_IFACE, OM_IFACE, make_image, job_path)

MANAGER_METHODS = {
    "CreateJob": (["s"], ["s", "o"]),
    "CreateJobWithOptions": (["s", "a{sv}"], ["s", "o"]),
    "CheckJob": (["s"], ["a(ssss)"]),
    "CheckJobWithOptions": (["s", "a{sv}"], ["a(ssss)"]),
    "ListJobs": ([], ["a(sossd)"]),
    "GetJob": (["s"], ["o"]),
    "ListSourceVMs": (["s"], ["s"]),
    "InspectSourceVM": (["s", "s"], ["s"]),
    "ListProfiles": ([], ["as"]),
}
MANAGER_PROPS = {"Version": "s", "Mode": "s", "V2VVersion": "s", "V2VCapabilities": "as",
                 "MaxRunningJobs": "u", "RunningJobs": "u", "QueuedJobs": "u"}
MANAGER_SIGNALS = {"JobNew": ["s", "o"], "JobFinished": ["s", "o", "s"], "JobRemoved": ["s", "o"]}
JOB_PROPS = {"Id": "s", "VmName": "s", "OwnerUID": "u", "Spec": "s", "State": "s", "Phase": "s",
             "Progress": "d", "Disks": "a(sd)", "DiskCount": "u", "CreatedAt": "t", "StartedAt": "t",
             "FinishedAt": "t", "ExpectedEndTime": "t", "ReturnCode": "i",
             "LastMessage": "(ss)", "Failure": "(sss)", "CPULimit": "s", "NetworkLimit": "t", "Unit": "s", "PID": "u",
             "StateFile": "s", "LogFile": "s", "MachineLogFile": "s", "ThrottlingFile": "s"}
JOB_METHODS = {"Cancel": ([], []), "SetThrottling": (["a{sv}"], []), "Remove": ([], [])}


def iface(xml, name):
    root = ET.fromstring(xml)
    for i in root.findall("interface"):
        if i.get("name") == name:
            return i
    return None


def methods(i):
    out = {}
    for m in i.findall("method"):
        ins = [a.get("type") for a in m.findall("arg") if a.get("direction", "in") == "in"]
        outs = [a.get("type") for a in m.findall("arg") if a.get("direction") == "out"]
        out[m.get("name")] = (ins, outs)
    return out


def test(t):
    t.start_daemon(monitor=False)
    xml = introspect_xml(MANAGER_PATH)
    m = iface(xml, MANAGER_IFACE)
    t.check(m is not None, "%s on %s" % (MANAGER_IFACE, MANAGER_PATH), xml[:2000])
    t.check(iface(xml, OM_IFACE) is not None, "ObjectManager on %s" % MANAGER_PATH)
    got = methods(m)
    for name, sig in MANAGER_METHODS.items():
        t.check_eq(got.get(name), sig, "Manager.%s signature" % name)
    props = {p.get("name"): p.get("type") for p in m.findall("property")}
    for name, ty in MANAGER_PROPS.items():
        t.check_eq(props.get(name), ty, "Manager.%s type" % name)
    sigs = {s.get("name"): [a.get("type") for a in s.findall("arg")] for s in m.findall("signal")}
    for name, ty in MANAGER_SIGNALS.items():
        t.check_eq(sigs.get(name), ty, "Manager signal %s" % name)

    p = get_all(MANAGER_PATH, MANAGER_IFACE)
    t.check_eq(p["Mode"], "user", "Mode")
    t.check("2.2.0" in p["V2VVersion"], "V2VVersion from the fake's --version (%r)" % p["V2VVersion"])
    caps = p["V2VCapabilities"]
    t.check(len(caps) == 31 and caps[0] == "virt-v2v" and "output:local" in caps,
            "V2VCapabilities = the 31 lines of --machine-readable", caps)
    t.check_eq(p["MaxRunningJobs"], 4, "MaxRunningJobs (config)")
    t.check_eq((p["RunningJobs"], p["QueuedJobs"]), (0, 0), "Running/QueuedJobs at start")
    t.check(bool(p["Version"]), "Version is set (%r)" % p["Version"])

    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.01, "copy_seconds": 0.2})
    job_id, path = t.create_job(t.spec_disk(img))
    jx = introspect_xml(path)
    j = iface(jx, JOB_IFACE)
    t.check(j is not None, "%s on %s" % (JOB_IFACE, path), jx[:2000])
    jprops = {p.get("name"): p.get("type") for p in j.findall("property")}
    for name, ty in JOB_PROPS.items():
        t.check_eq(jprops.get(name), ty, "Job.%s type" % name)
    jm = methods(j)
    for name, sig in JOB_METHODS.items():
        t.check_eq(jm.get(name), sig, "Job.%s signature" % name)
    t.wait_finished(job_id)


run_test(test)
