#!/usr/bin/env python3
"""After a SIGKILL of the daemon and a restart: the re-adopted running job
can be cancelled (scope stopped, partial output removed), and the queued job
(still queued) can be refused Remove, then runs and succeeds."""
import os

from v2vdtest import (run_test, call, call_error, JOB_IFACE, ERROR_PREFIX, make_image, wait_for,
                      pids_in_scope, scope_gone, wait_pids_gone)


def test(t):
    d = t.start_daemon(config={"max_running_jobs": 1, "cancel_grace_sec": 2})
    img_a = make_image(os.path.join(t.base, "a"), "a", control={"step_delay": 0.02, "copy_seconds": 60})
    img_b = make_image(os.path.join(t.base, "b"), "b", control={"step_delay": 0.02, "copy_seconds": 0.3})
    out_a = os.path.join(t.base, "out-a")
    a, pa = t.create_job(t.spec_disk(img_a, out_dir=out_a, vm_name="a"))
    b, pb = t.create_job(t.spec_disk(img_b, vm_name="b"))
    part = os.path.join(out_a, "a-sda")
    wait_for(lambda: t.prop(a, "Phase").startswith("Copying") and os.path.getsize(part) > 0, 15, "a copying")
    pids = pids_in_scope(a)
    d.kill9()
    d.start()
    t.check_eq((t.prop(a, "State"), t.prop(b, "State")), ("running", "queued"), "states after SIGKILL + restart")
    name, _ = call_error(pb, JOB_IFACE, "Remove")
    t.check_eq(name, ERROR_PREFIX + "JobNotFinished", "Remove on a queued job")
    call(pa, JOB_IFACE, "Cancel")
    t.wait_state(a, "cancelled", timeout=10)
    wait_for(lambda: scope_gone(a), 10, "adopted job's scope gone")
    t.note("adopted job cancelled, its scope gone")
    left = wait_pids_gone(pids, 5)
    t.check(not left, "its processes are gone", left)
    t.check(not os.path.exists(part), "partial output of the adopted job removed")
    t.wait_finished(b, 20)
    t.check_eq(t.prop(b, "State"), "succeeded", "queued job ran after the restart")
    t.assert_no_leftovers()


run_test(test)
