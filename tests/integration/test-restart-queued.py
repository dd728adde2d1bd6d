#!/usr/bin/env python3
"""Stopping the daemon (SIGTERM) with a running and a queued job: the running
conversion goes on, the queued job is still queued after the restart and
runs once the first one ends; both succeed."""
import os

from v2vdtest import run_test, make_image, wait_for, pids_in_scope


def test(t):
    d = t.start_daemon(config={"max_running_jobs": 1})
    img_a = make_image(os.path.join(t.base, "a"), "a", control={"step_delay": 0.02, "copy_seconds": 4})
    img_b = make_image(os.path.join(t.base, "b"), "b", control={"step_delay": 0.02, "copy_seconds": 0.5})
    a, _ = t.create_job(t.spec_disk(img_a, vm_name="a"))
    b, _ = t.create_job(t.spec_disk(img_b, vm_name="b"))
    wait_for(lambda: t.prop(a, "Phase").startswith("Copying disk"), 15, "job a copying")
    t.check_eq(t.prop(b, "State"), "queued", "job b queued")
    rc = d.stop()
    t.check_eq(rc, 0, "daemon exit status on SIGTERM")
    t.check(len(pids_in_scope(a)) >= 1, "job a's conversion survives a clean daemon stop")
    st = d.state(b)
    t.check_eq(st.get("state"), "queued", "job b's state.json still queued")
    d.start()
    t.check_eq(t.prop(b, "State"), "queued", "job b queued after restart")
    t.check_eq(t.prop(a, "State"), "running", "job a running after restart")
    t.wait_finished(a, timeout=30)
    t.wait_finished(b, timeout=30)
    t.check_eq((t.prop(a, "State"), t.prop(b, "State")), ("succeeded", "succeeded"), "both succeeded")
    t.check(t.prop(b, "StartedAt") >= t.prop(a, "FinishedAt"), "b started after a finished")
    t.assert_no_leftovers()


run_test(test)
