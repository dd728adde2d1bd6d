#!/usr/bin/env python3
"""Cancel a running job (scope stopped, partial output removed, cancelled),
one that ignores SIGTERM (SIGKILL after the grace period), and a queued one
(never started)."""
import os
import time

from v2vdtest import (run_test, call_error, call, get_all, MANAGER_PATH, MANAGER_IFACE, JOB_IFACE,
                      ERROR_PREFIX, make_image, job_path, wait_for, pids_in_scope, scope_gone,
                      fake_records, wait_pids_gone)

GRACE = 2


def cancel_running(t, d, name, control, limit):
    img = make_image(os.path.join(t.base, name), name, control=control)
    out = os.path.join(t.base, "out-" + name)
    job_id, path = t.create_job(t.spec_disk(img, out_dir=out, vm_name=name))
    part = os.path.join(out, name + "-sda")
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk") and os.path.getsize(part) > 0,
             15, "job %s copying with partial output" % job_id)
    pids = pids_in_scope(job_id)
    t.check(len(pids) >= 1, "job %s: processes in its scope %s" % (job_id, pids))
    t0 = time.monotonic()
    call(path, JOB_IFACE, "Cancel")
    t.wait_state(job_id, "cancelled", timeout=limit)
    took = time.monotonic() - t0
    t.note("job %s cancelled after %.1f s" % (job_id, took))
    wait_for(lambda: scope_gone(job_id), 10, "scope of job %s gone" % job_id)
    t.note("scope v2vd-job-%s.scope gone" % job_id)
    left = wait_pids_gone(pids, 5)
    t.check(not left, "its processes %s are gone (not even zombies)" % pids,
            ["%s (daemon pid %d)" % (s, d.proc.pid) for s in left])
    t.check(not os.path.exists(part), "partial output %s removed" % part)
    t.check(not os.path.exists(os.path.join(out, name + ".xml")), "no output XML")
    st = d.state(job_id)
    t.check(st.get("state") == "cancelled" and st.get("finished") is True, "state.json: cancelled, finished", st)
    fin = t.monitor.wait(lambda m: m.get("member") == "JobFinished" and m["payload"]["data"][0] == job_id, 5,
                         what="JobFinished for %s" % job_id)
    t.check_eq(fin["payload"]["data"][2], "cancelled", "JobFinished result")
    name_, msg = call_error(path, JOB_IFACE, "Cancel")
    t.check_eq(name_, ERROR_PREFIX + "JobFinished", "Cancel on a finished job")
    return took


def test(t):
    d = t.start_daemon(config={"max_running_jobs": 1, "cancel_grace_sec": GRACE})
    took = cancel_running(t, d, "coop", {"step_delay": 0.02, "copy_seconds": 60}, limit=GRACE + 8)
    t.check(took < GRACE + 1, "a cooperative virt-v2v is gone before the grace period ends (%.1f s)" % took)
    took = cancel_running(t, d, "stubborn", {"step_delay": 0.02, "copy_seconds": 60, "ignore_sigterm": True},
                          limit=GRACE + 10)
    t.check(took >= GRACE - 0.5, "SIGTERM-ignoring virt-v2v killed only after the grace period (%.1f s)" % took)

    # queued
    img_a = make_image(os.path.join(t.base, "a"), "a", control={"step_delay": 0.02, "copy_seconds": 60})
    img_b = make_image(os.path.join(t.base, "b"), "b", control={"step_delay": 0.02, "copy_seconds": 1})
    a, pa = t.create_job(t.spec_disk(img_a, vm_name="a"))
    b, pb = t.create_job(t.spec_disk(img_b, vm_name="b"))
    t.wait_state(a, "running")
    t.check_eq(t.prop(b, "State"), "queued", "second job queued behind max_running_jobs=1")
    t.check_eq(get_all(MANAGER_PATH, MANAGER_IFACE)["QueuedJobs"], 1, "QueuedJobs")
    call(pb, JOB_IFACE, "Cancel")
    t.wait_state(b, "cancelled", timeout=5)
    p = t.props(b)
    t.check(p["StartedAt"] == 0 and p["PID"] == 0 and p["Unit"] == "", "cancelled queued job never started", p)
    t.check_eq(fake_records(img_b), [], "virt-v2v never ran for it")
    st = d.state(b)
    t.check(st.get("state") == "cancelled" and not st.get("started"), "its state.json: cancelled, not started", st)
    t.check_eq(get_all(MANAGER_PATH, MANAGER_IFACE)["QueuedJobs"], 0, "QueuedJobs after cancel")
    t.check_eq(t.prop(a, "State"), "running", "the running job is untouched")
    call(pa, JOB_IFACE, "Cancel")
    t.wait_state(a, "cancelled", timeout=GRACE + 8)
    t.assert_no_leftovers()


run_test(test)
