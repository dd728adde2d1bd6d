#!/usr/bin/env python3
"""e2e: a failure the real virt-v2v 2.2 reports is classified.
A blank 1 GiB qcow2 through v2vd: virt-v2v's inspection finds no operating
system (about a minute under TCG, no guest image needed); the job fails
with Failure "no-os", its summary in state.json's last_message, LastMessage
virt-v2v's first error; and CheckJobWithOptions with inspect says the same
through virt-v2v-inspector."""
import json
import os
import subprocess

from v2vdtest import run_test, call, log, MANAGER_PATH, MANAGER_IFACE


def test(t):
    os.environ.pop("V2VD_FAKE_V2V", None)
    os.environ.pop("V2VD_VIRT_V2V", None)
    d = t.start_daemon(config={"max_running_jobs": 1},
                       environment={"LIBGUESTFS_BACKEND": "direct", "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"})
    blank = os.path.join(t.base, "blank.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", blank, "1G"], check=True)
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    spec = {"vm_name": "blank", "disk": [blank], "output_dir": out}
    job_id, _ = t.create_job(spec)
    t.wait_finished(job_id, timeout=900)
    p = t.props(job_id)
    log("  Failure: %r" % (p["Failure"],))
    t.check_eq(p["State"], "failed", "State")
    t.check_eq(p["Failure"][0], "no-os", "Failure code")
    t.check(p["LastMessage"][1].startswith("inspection could not detect the source guest"),
            "LastMessage is virt-v2v's first error", p["LastMessage"])
    st = d.state(job_id)
    t.check_eq(st.get("last_message"), {"message": p["Failure"][1], "type": "error"},
               "state.json last_message is the summary")

    findings = call(MANAGER_PATH, MANAGER_IFACE, "CheckJobWithOptions", "sa{sv}", json.dumps(spec),
                    "2", "inspect", "b", "true", "timeout", "u", "900", timeout=960)[0]
    log("  findings: %s" % json.dumps(findings))
    t.check(any(f[0] == "error" and f[1] == "no-os" for f in findings),
            "CheckJob with inspect: virt-v2v-inspector finds no OS", findings)


run_test(test)
