#!/usr/bin/env python3
"""Faults: virt-v2v killed with SIGKILL mid-copy.

The test kills the fake virt-v2v's own process (the job's PID property, not
the scope, not the runner) with SIGKILL while it copies. The runner records
"killed 9" in the job directory; the daemon must end the job `failed` with a
LastMessage that says virt-v2v was killed by signal 9, ReturnCode 137
(128 + 9, the shell's convention), state.json with failed:true and
return_code 137, JobFinished(failed), and the scope must go away (the runner
exits after recording; an empty scope is stopped by systemd).

Figures printed: time from the kill to State=failed and to the scope gone.
"""
import os
import signal
import time

from v2vdtest import run_test, make_image, wait_for, scope_gone, pids_in_scope, proc_cmdline, log


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.02, "copy_seconds": 60})
    out = os.path.join(t.base, "out")
    job_id, path = t.create_job(t.spec_disk(img, out_dir=out))
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk") and t.prop(job_id, "Progress") > 0,
             20, "copying with progress")
    pid = t.prop(job_id, "PID")
    t.check(pid > 0, "PID property names virt-v2v (%d)" % pid)
    argv = proc_cmdline(pid)
    t.check(any(a.endswith("virt-v2v") for a in argv[:2]), "pid %d is the fake virt-v2v" % pid, argv)
    t.check(pid in pids_in_scope(job_id), "pid %d is in the job's scope" % pid, pids_in_scope(job_id))

    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    t.wait_state(job_id, "failed", timeout=15)
    t_failed = time.monotonic() - t0
    wait_for(lambda: scope_gone(job_id), 15, "scope %s gone" % job_id)
    t_scope = time.monotonic() - t0
    log("  figures: kill → State=failed %.3f s, kill → scope gone %.3f s" % (t_failed, t_scope))

    p = t.props(job_id)
    t.check_eq(p["State"], "failed", "State")
    t.check_eq(p["ReturnCode"], 137, "ReturnCode (128 + SIGKILL)")
    typ, text = p["LastMessage"]
    t.check(typ == "error" and "killed" in text and "signal 9" in text and "SIGKILL" in text,
            "LastMessage says virt-v2v was killed by signal 9: %r" % text, p["LastMessage"])
    t.check(p["PID"] == 0 and p["FinishedAt"] > 0, "PID 0 and FinishedAt set", (p["PID"], p["FinishedAt"]))
    with open(os.path.join(d.job_dir(job_id), "exit-status")) as f:
        es = f.read().strip()
    t.check_eq(es, "killed 9", "exit-status the runner wrote")
    st = d.state(job_id)
    t.check(st.get("failed") is True and st.get("finished") is True and st.get("state") == "failed"
            and st.get("return_code") == 137 and "pid" not in st,
            "state.json: failed, finished, return_code 137, no pid", st)
    t.check(st.get("last_message", {}).get("type") == "error"
            and "signal 9" in st.get("last_message", {}).get("message", ""),
            "state.json last_message names signal 9", st.get("last_message"))
    t.monitor.wait(lambda m: m.get("member") == "JobFinished" and m["payload"]["data"][0] == job_id
                   and m["payload"]["data"][2] == "failed", 5, what="JobFinished(failed)")
    t.note("JobFinished(%s, failed) emitted" % job_id)
    t.check(scope_gone(job_id) and not pids_in_scope(job_id), "scope gone, no process left in it")
    t.check(not os.path.exists("/proc/%d" % pid), "virt-v2v pid %d gone" % pid)
    t.assert_no_leftovers()


run_test(test)
