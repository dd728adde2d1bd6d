#!/usr/bin/env python3
"""e2e: the real virt-v2v converts a real Debian 12 guest through v2vd.

Run by meson (suite 'e2e') under tests/lib/with-systemd-user, so the session
bus and `systemd --user` are private to this test, with tests/lib/v2vdtest.py
(V2VD_BINARY, V2VD_RUNNER set by meson; no V2VD_FAKE_V2V: the real virt-v2v
2.2 from PATH).

The guest image is $V2VD_GUEST_IMAGE (tests/tools/check.sh builds it ahead
and sets it), or else what tests/fixtures/build-guest.sh builds or finds in
its cache (3 minutes the first time). virt-v2v runs under TCG: the daemon's
configuration passes LIBGUESTFS_BACKEND=direct
LIBGUESTFS_BACKEND_SETTINGS=force_tcg through its [environment] section.

Checked: CreateJob of `-i disk … -o local -of qcow2`; the job's
PropertiesChanged signals carry Progress rising from 0 to 100 without going
back and Phase values including "Copying disk 1/1"; State goes running →
succeeded, JobFinished(id, path, "succeeded"); the end properties
(ReturnCode 0, Progress 100, PID 0, DiskCount 1); state.json says finished
with return_code 0 and has no "failed" key; v2v.log and v2v-machine.log hold
virt-v2v's output; the output directory holds guest-sda (qcow2) and
guest.xml, written by virt-v2v, for a domain named guest using that disk.
"""
import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET

from v2vdtest import (run_test, call, log, MANAGER_PATH, MANAGER_IFACE, JOB_IFACE,
                      TERMINAL_STATES, unwrap)
from v2vdfixtures import v2v_environment, guest_image, tail, V2V_PHASES

# meson test → (input, output) it converts: v2vd.job(5)'s PATHS table.
PATHS = {"convert-disk-to-local": ("disk", "local")}

JOB_TIMEOUT = float(os.environ.get("V2VD_E2E_JOB_TIMEOUT", "900"))


def test(t):
    # The real virt-v2v, whatever the caller's environment says.
    os.environ.pop("V2VD_FAKE_V2V", None)
    os.environ.pop("V2VD_VIRT_V2V", None)

    img = guest_image()
    t.check(os.path.isfile(img), "guest image %s exists" % img)

    d = t.start_daemon(config={"max_running_jobs": 1},
                       environment=v2v_environment())
    mon = t.monitor
    version = call(MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss",
                   MANAGER_IFACE, "V2VVersion")[0]
    log("  V2VVersion: %s" % unwrap(version))

    out = os.path.join(t.base, "out")
    spec = t.spec_disk(img, out_dir=out, vm_name="guest", output_format="qcow2")
    job_id, path = t.create_job(spec)
    t.check(path == "/org/v2vd/V2V1/job/%s" % job_id, "CreateJob → (%s, %s)" % (job_id, path))
    first = t.props(job_id)
    t.check(first["Progress"] == 0.0, "Progress is 0 right after CreateJob", first["Progress"])

    # Follow it once a second, as a person watching would.
    t0 = time.monotonic()
    polled_phases = []
    last = None
    state = first["State"]
    while state not in TERMINAL_STATES:
        if not d.running():
            raise AssertionError("v2vd exited (status %s) while the job ran"
                                 % d.proc.returncode)
        if time.monotonic() - t0 > JOB_TIMEOUT:
            raise AssertionError("the job did not end within %.0f s" % JOB_TIMEOUT)
        time.sleep(1)
        p = t.props(job_id)
        state = p["State"]
        polled_phases.append(p["Phase"])
        line = "%-9s %5.1f%%  %s" % (state, p["Progress"], p["Phase"])
        if line != last:
            log("  [%5.0f s] %s" % (time.monotonic() - t0, line))
            last = line
    log("  the job ended as %s after %.0f s" % (state, time.monotonic() - t0))

    p = t.props(job_id)
    t.check(p["State"] == "succeeded", "State is succeeded",
            "%s, LastMessage %s\n---- v2v.log:\n%s" % (p["State"], p["LastMessage"],
                                                        tail(p["LogFile"])))
    t.check_eq(p["ReturnCode"], 0, "ReturnCode")
    t.check_eq(p["Progress"], 100.0, "Progress at the end")
    t.check_eq(p["PID"], 0, "PID once finished")
    t.check_eq(p["DiskCount"], 1, "DiskCount")
    t.check(p["FinishedAt"] >= p["StartedAt"] >= p["CreatedAt"] > 0,
            "CreatedAt ≤ StartedAt ≤ FinishedAt", (p["CreatedAt"], p["StartedAt"], p["FinishedAt"]))
    t.check(len(p["Disks"]) == 1 and p["Disks"][0][1] == 100.0, "Disks: one disk at 100%", p["Disks"])

    # What the bus said while it ran.
    mon.wait(lambda m: m.get("member") == "JobFinished"
             and m.get("payload", {}).get("data") == [job_id, path, "succeeded"],
             10, what="JobFinished(%s, %s, succeeded)" % (job_id, path))
    t.note("JobFinished(%s, %s, \"succeeded\") emitted" % (job_id, path))
    progress = [v for _, v in mon.prop_changes(path, "Progress")]
    phases = [v for _, v in mon.prop_changes(path, "Phase")]
    states = [v for _, v in mon.prop_changes(path, "State")]
    log("  Progress signalled (%d): %s" % (len(progress), progress))
    log("  Phase signalled: %s" % phases)
    log("  State signalled: %s" % states)
    t.check(progress and progress[-1] == 100.0, "PropertiesChanged Progress ends at 100",
            progress[-5:])
    mid = sorted({v for v in progress if 0.0 < v < 100.0})
    t.check(len(mid) >= 2, "PropertiesChanged carries intermediate Progress values (%d)" % len(mid),
            mid)
    back = [(a, b) for a, b in zip([0.0] + progress, progress) if b < a]
    t.check(not back, "Progress never goes back", back)
    t.check("Copying disk 1/1" in phases, 'Phase "Copying disk 1/1" signalled',
            phases + ["(polled:)"] + sorted(set(polled_phases)))
    for ph in ("Opening the source", "Inspecting the source"):
        t.check(ph in phases, 'Phase "%s" signalled' % ph, phases)
    # Phases may be coalesced away (two in the same instant), never reordered.
    order = [next((i for i, o in enumerate(V2V_PHASES) if ph.startswith(o)), None)
             for ph in phases]
    t.check(None not in order and order == sorted(order),
            "signalled phases are virt-v2v's, in its order", list(zip(phases, order)))
    t.check(states[:1] == ["running"] or states[:2] == ["queued", "running"],
            "State signalled running first", states)
    t.check(states[-1:] == ["succeeded"], "State signalled succeeded last", states)

    # The state file and logs.
    st = d.state(job_id)
    log("  state.json: %s" % json.dumps(st))
    t.check_eq(p["StateFile"], os.path.join(d.job_dir(job_id), "state.json"), "StateFile")
    t.check_eq(st.get("finished"), True, "state.json finished")
    t.check("failed" not in st, "state.json has no failed key", st)
    t.check_eq(st.get("started"), True, "state.json started")
    t.check_eq(st.get("return_code"), 0, "state.json return_code")
    t.check_eq(st.get("state"), "succeeded", "state.json state")
    t.check_eq(st.get("progress"), 100, "state.json progress")
    t.check(os.path.getsize(p["MachineLogFile"]) > 0, "v2v-machine.log written")
    with open(p["MachineLogFile"]) as f:
        msgs = [json.loads(line).get("message", "") for line in f if line.strip()]
    t.check(any(m.startswith("Copying disk 1/1") for m in msgs),
            "v2v-machine.log holds virt-v2v's messages", msgs[:20])
    with open(p["LogFile"], errors="replace") as f:
        v2vlog = f.read()
    t.check("Copying disk 1/1" in v2vlog and "100%" in v2vlog,
            "v2v.log holds virt-v2v's output with nbdcopy's progress", v2vlog[-500:])

    # The output.
    disk = os.path.join(out, "guest-sda")
    xml = os.path.join(out, "guest.xml")
    log("  output: %s" % sorted(os.listdir(out)))
    t.check(os.path.isfile(disk) and os.path.getsize(disk) > 1024 * 1024,
            "output disk guest-sda exists", os.listdir(out))
    info = subprocess.run(["qemu-img", "info", "--output=json", disk],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t.check(info.returncode == 0 and json.loads(info.stdout).get("format") == "qcow2",
            "output disk is qcow2", info.stdout + info.stderr)
    t.check(os.path.isfile(xml), "domain XML guest.xml exists", os.listdir(out))
    with open(xml) as f:
        text = f.read()
    t.check("<!-- generated by virt-v2v " in text, "guest.xml was written by virt-v2v", text[:300])
    root = ET.fromstring(text)
    t.check(root.tag == "domain" and root.findtext("name") == "guest",
            "guest.xml describes the domain guest", text[:300])
    sources = [s.get("file") for s in root.iter("source")]
    t.check(disk in sources or any(s and s.endswith("/guest-sda") for s in sources),
            "guest.xml uses the converted disk", sources)
    t.assert_no_leftovers()


run_test(test, "e2e-convert")
