#!/usr/bin/env python3
"""SIGKILL the daemon mid-copy: the conversion goes on in its scope; a
restarted daemon re-adopts the job, which ends succeeded; ids go on."""
import os
import time

from v2vdtest import run_test, call, MANAGER_PATH, MANAGER_IFACE, make_image, wait_for, pids_in_scope


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.02, "copy_seconds": 15})
    out = os.path.join(t.base, "out")
    job_id, path = t.create_job(t.spec_disk(img, out_dir=out))
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk") and t.prop(job_id, "Progress") > 0,
             15, "copying with progress")
    v2v_pid = t.prop(job_id, "PID")
    before = t.prop(job_id, "Progress")
    d.kill9()
    t.note("daemon killed with SIGKILL at progress %.1f" % before)
    time.sleep(1)
    t.check(os.path.exists("/proc/%d" % v2v_pid), "virt-v2v (pid %d) survives the daemon's death" % v2v_pid)
    t.check(len(pids_in_scope(job_id)) >= 1, "scope still has processes")
    d.start()
    t.note("daemon restarted")
    lst = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0]
    t.check(any(j[0] == job_id for j in lst), "ListJobs knows job %s after restart" % job_id, lst)
    p = t.props(job_id)
    # The copy outlasts the restart by far: a job already ended here would
    # leave re-adoption unchecked, and that is a failure, not a pass.
    t.check_eq(p["State"], "running", "State after restart (re-adoption can be checked)")
    t.check_eq(p["PID"], v2v_pid, "PID re-adopted")
    t.check_eq(p["Unit"], "v2vd-job-%s.scope" % job_id, "Unit re-adopted")
    wait_for(lambda: t.prop(job_id, "Progress") > before, 10, "progress to go on being followed after restart")
    t.note("progress followed after restart")
    t.wait_finished(job_id, timeout=30)
    p = t.props(job_id)
    t.check_eq(p["State"], "succeeded", "final State")
    t.check_eq(p["ReturnCode"], 0, "ReturnCode")
    t.check_eq(p["Progress"], 100.0, "Progress")
    st = d.state(job_id)
    t.check(st.get("finished") is True and "failed" not in st and st.get("return_code") == 0, "state.json", st)
    t.check(os.path.exists(os.path.join(out, "guest.xml")), "output XML written")
    t.monitor.wait(lambda m: m.get("member") == "JobFinished" and m["payload"]["data"][:1] == [job_id]
                   and m["payload"]["data"][2] == "succeeded", 5, what="JobFinished(succeeded) from the new daemon")
    t.note("JobFinished(succeeded) emitted by the restarted daemon")
    img2 = make_image(os.path.join(t.base, "img2"), "two", control={"step_delay": 0.01, "copy_seconds": 0.2})
    j2, _ = t.create_job(t.spec_disk(img2, vm_name="two"))
    t.check(j2 != job_id and j2 == str(int(job_id) + 1), "next id after restart is %s (not reused)" % j2)
    t.wait_finished(j2)
    t.assert_no_leftovers()


run_test(test)
