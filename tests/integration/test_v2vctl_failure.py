#!/usr/bin/env python3
"""Failure reasons end to end: the fake virt-v2v replays real virt-v2v 2.2
failures (tests/data/failures/, fail_as) and each job's Failure, LastMessage
(virt-v2v's first error), state.json ("failure", last_message = the
summary) and job.json say the same; they survive a restart of the daemon;
a cancelled job's Failure is "cancelled"; v2vctl status shows it."""
import json
import os

from test_v2vctl_common import ctl
from v2vdtest import run_test, make_image, wait_for, call, job_path, JOB_IFACE

CASES = [
    ("no-os", "no-os", "inspection could not detect the source guest"),
    ("domain-running", "source-running", "libvirt domain ‘guest’ is running or paused"),
    ("dest-full", "dest-full", "nbdcopy command failed, see earlier error messages"),
    ("ssh-auth", "auth-refused", "could not copy the VMX file from the remote server"),
    ("host-tmp-full", "host-tmp-full", "insufficient free space in the conversion server temporary directory"),
    ("qemu-nbd-nodisk", "nbd-error", "qemu-nbd did not start up"),
]


def test(t):
    d = t.start_daemon()
    jobs = {}
    for fixture, code, first in CASES:
        img = make_image(os.path.join(t.base, fixture), fixture,
                         control={"step_delay": 0.01, "copy_seconds": 0.3, "fail_as": fixture})
        jobs[fixture] = t.create_job(t.spec_disk(img, vm_name=fixture))[0]
    for fixture, code, first in CASES:
        job_id = jobs[fixture]
        t.wait_finished(job_id, timeout=60)
        p = t.props(job_id)
        t.check_eq(p["State"], "failed", "%s: State" % fixture)
        fcode, summary, remedy = p["Failure"]
        t.check_eq(fcode, code, "%s: Failure code" % fixture)
        t.check(summary and "\n" not in summary and remedy, "%s: a one-line summary and a remedy" % fixture,
                p["Failure"])
        t.check(p["LastMessage"][0] == "error" and p["LastMessage"][1].startswith(first),
                "%s: LastMessage is virt-v2v's first error" % fixture, p["LastMessage"])
        st = d.state(job_id)
        t.check_eq(st.get("failure"), {"code": code, "summary": summary, "remedy": remedy},
                   "%s: state.json failure" % fixture)
        t.check_eq(st.get("last_message"), {"message": summary, "type": "error"},
                   "%s: state.json last_message is the summary" % fixture)
        with open(os.path.join(d.job_dir(job_id), "job.json")) as f:
            rec = json.load(f)
        t.check_eq(rec.get("failure_code"), code, "%s: job.json failure_code" % fixture)

    # A cancelled job.
    img = make_image(os.path.join(t.base, "c"), "c", control={"step_delay": 0.01, "hang_at": "Copying disk"})
    cancelled, _ = t.create_job(t.spec_disk(img, vm_name="c"))
    wait_for(lambda: t.prop(cancelled, "Phase").startswith("Copying disk"), 30, "the copy")
    call(job_path(cancelled), JOB_IFACE, "Cancel")
    t.wait_finished(cancelled, timeout=60)
    t.check_eq(t.prop(cancelled, "Failure")[0], "cancelled", "a cancelled job's Failure")

    # After a restart: the same, from job.json.
    before = {j: tuple(t.prop(j, "Failure")) for j in list(jobs.values()) + [cancelled]}
    d.restart()
    for j, f in before.items():
        t.check_eq(tuple(t.prop(j, "Failure")), f, "job %s: Failure after a restart" % j)

    # A record written before failures were classified: classified when loaded.
    old = jobs["no-os"]
    d.stop()
    rec_path = os.path.join(d.job_dir(old), "job.json")
    with open(rec_path) as f:
        rec = json.load(f)
    for k in ("failure_code", "failure_summary", "failure_remedy"):
        rec.pop(k, None)
    with open(rec_path, "w") as f:
        json.dump(rec, f)
    d.start()
    t.check_eq(tuple(t.prop(old, "Failure")), before[old], "an old record's job is classified when loaded")
    wait_for(lambda: d.state(old).get("failure", {}).get("code") == "no-os", 10, "state.json of the old record")

    # v2vctl status shows it.
    r = ctl("status", jobs["domain-running"])
    t.check("Failure: source-running: the source VM is running" in r.out and "Remedy:" in r.out,
            "v2vctl status shows the Failure and its remedy", r)
    t.note("v2vctl status of a job that failed for a known reason:\n" + r.out)
    t.check_eq(ctl("status", "--json", jobs["dest-full"]).json().get("failure", {}).get("code"), "dest-full",
               "v2vctl status --json failure")


run_test(test)
