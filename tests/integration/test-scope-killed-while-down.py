#!/usr/bin/env python3
"""The job's scope is killed while the daemon is down (no exit status is
written): on restart the job ends failed with a message."""
import os
import subprocess
import time

from v2vdtest import run_test, make_image, wait_for, scope_gone


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.02, "copy_seconds": 60})
    job_id, path = t.create_job(t.spec_disk(img))
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk"), 15, "copying")
    d.kill9()
    unit = "v2vd-job-%s.scope" % job_id
    r = subprocess.run(["systemctl", "--user", "kill", "--signal=SIGKILL", unit], capture_output=True, text=True)
    t.check(r.returncode == 0, "systemctl --user kill --signal=SIGKILL %s" % unit, r.stderr)
    wait_for(lambda: scope_gone(job_id), 10, "scope gone")
    t.check(not os.path.exists(os.path.join(d.job_dir(job_id), "exit-status")),
            "no exit-status written (the runner was killed too)")
    d.start()
    t.wait_finished(job_id, timeout=15)
    p = t.props(job_id)
    t.check_eq(p["State"], "failed", "State after restart")
    typ, text = p["LastMessage"]
    t.check(typ == "error" and len(text) > 0, "LastMessage explains it: %r" % (text,), p["LastMessage"])
    t.check(p["FinishedAt"] > 0 and p["PID"] == 0, "FinishedAt set, PID 0", p)
    st = d.state(job_id)
    t.check(st.get("failed") is True and st.get("finished") is True and st.get("state") == "failed",
            "state.json failed", st)
    t.assert_no_leftovers()


run_test(test)
