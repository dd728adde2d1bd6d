#!/usr/bin/env python3
"""The daemon is SIGKILLed and the conversion ends (successfully, and with a
failure) while it is down: on restart the jobs end succeeded / failed from
the runner's exit-status, with the right ReturnCode, Progress and state.json."""
import os
import time

from v2vdtest import run_test, make_image, wait_for, scope_gone


def test(t):
    d = t.start_daemon()
    ok_img = make_image(os.path.join(t.base, "ok"), "ok", control={"step_delay": 0.02, "copy_seconds": 1.5})
    bad_img = make_image(os.path.join(t.base, "bad"), "bad", control={
        "step_delay": 0.02, "copy_seconds": 1.5, "fail_at": "Creating output metadata", "error": "late failure 7"})
    a, _ = t.create_job(t.spec_disk(ok_img, vm_name="ok"))
    b, _ = t.create_job(t.spec_disk(bad_img, vm_name="bad"))
    wait_for(lambda: t.prop(a, "Phase").startswith("Copying") and t.prop(b, "Phase").startswith("Copying"), 15,
             "both copying")
    d.kill9()
    wait_for(lambda: scope_gone(a) and scope_gone(b), 20, "both scopes ended while the daemon is down")
    for j in (a, b):
        with open(os.path.join(d.job_dir(j), "exit-status")) as f:
            t.note("job %s exit-status: %s" % (j, f.read().strip()))
    d.start()
    t.wait_finished(a, 10)
    t.wait_finished(b, 10)
    pa, pb = t.props(a), t.props(b)
    t.check_eq((pa["State"], pa["ReturnCode"], pa["Progress"]), ("succeeded", 0, 100.0), "job a after restart")
    t.check_eq((pb["State"], pb["ReturnCode"]), ("failed", 1), "job b after restart")
    t.check_eq(tuple(pb["LastMessage"]), ("error", "late failure 7"), "job b LastMessage from its machine log")
    sa, sb = d.state(a), d.state(b)
    t.check(sa.get("finished") is True and "failed" not in sa and sa.get("return_code") == 0, "a state.json", sa)
    t.check(sb.get("finished") is True and sb.get("failed") is True and sb.get("return_code") == 1, "b state.json", sb)
    t.check(pa["FinishedAt"] > 0 and pb["FinishedAt"] > 0, "FinishedAt set")
    t.assert_no_leftovers()


run_test(test)
