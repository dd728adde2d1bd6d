#!/usr/bin/env python3
"""virt-v2v failing: State failed, ReturnCode 1, LastMessage = its error,
state.json failed:true; also the real multi-line inspection error, and an
error the daemon only gets to read after it has seen the runner exit."""
import os
import signal
import time

from v2vdtest import run_test, make_image, wait_for

INSPECTION = "inspection could not detect the source guest (or physical machine)."


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "a"), "a", control={
        "step_delay": 0.02, "copy_seconds": 0.5, "fail_at": "Copying disk 1/1",
        "error": "disk exploded: test failure 42"})
    job_id, path = t.create_job(t.spec_disk(img, vm_name="a"))
    t.wait_finished(job_id, timeout=30)
    p = t.props(job_id)
    t.check_eq(p["State"], "failed", "State")
    t.check_eq(p["ReturnCode"], 1, "ReturnCode")
    t.check_eq(tuple(p["LastMessage"]), ("error", "disk exploded: test failure 42"), "LastMessage")
    t.check(p["FinishedAt"] > 0 and p["PID"] == 0, "FinishedAt set, PID 0")
    st = d.state(job_id)
    t.check(st.get("failed") is True and st.get("finished") is True and st.get("return_code") == 1,
            "state.json: failed true, finished true, return_code 1", st)
    t.check_eq(st.get("last_message"), {"message": "disk exploded: test failure 42", "type": "error"},
               "state.json last_message")
    t.check_eq(st.get("state"), "failed", "state.json state")
    t.check_eq(tuple(p["Failure"])[:2], ("unknown", "disk exploded: test failure 42"),
               "Failure of an error no table entry knows: its first line")
    t.check_eq(st.get("failure", {}).get("code"), "unknown", "state.json failure")
    fin = t.monitor.wait(lambda m: m.get("member") == "JobFinished" and m["payload"]["data"][0] == job_id, 5,
                         what="JobFinished")
    t.check_eq(fin["payload"]["data"][2], "failed", "JobFinished result")

    img = make_image(os.path.join(t.base, "b"), "b", control={"step_delay": 0.02, "fail_at": "Inspecting the source"})
    job_id, path = t.create_job(t.spec_disk(img, vm_name="b"))
    t.wait_finished(job_id, timeout=30)
    p = t.props(job_id)
    t.check_eq(p["State"], "failed", "State (inspection failure)")
    typ, text = p["LastMessage"]
    t.check(typ == "error" and text.startswith(INSPECTION) and "\n\nNo root device found" in text,
            "LastMessage holds the whole multi-line error", p["LastMessage"])
    t.check(p["Phase"].startswith("Inspecting the source"), "Phase stayed at Inspecting the source", p["Phase"])
    t.check(p["DiskCount"] in (0, 1), "DiskCount", p["DiskCount"])

    # Failing in the middle of a copy, right after a progress step, while
    # the daemon is stopped (SIGSTOP) — as when a loaded machine schedules
    # it late: it then finds the runner gone and the error line unread at
    # the same time. The error must win over "virt-v2v exited with status 1".
    for n in range(3):
        img = make_image(os.path.join(t.base, "c%d" % n), "c%d" % n, control={
            "step_delay": 0.01, "copy_seconds": 2.0, "fail_at": "Copying disk 1/1",
            "fail_after_copy_frac": 0.6, "error": "copy failed: test failure %d" % n})
        job_id, path = t.create_job(t.spec_disk(img, vm_name="c%d" % n))
        t.wait_state(job_id, ["running"])
        wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk 1/1"), 15, "the copy")
        exit_status = os.path.join(d.job_dir(job_id), "exit-status")
        os.kill(d.proc.pid, signal.SIGSTOP)
        try:
            wait_for(lambda: os.path.exists(exit_status), 15, "the runner's exit-status")
            time.sleep(0.3)
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)
        t.wait_finished(job_id, timeout=30)
        t.check_eq(tuple(t.prop(job_id, "LastMessage")), ("error", "copy failed: test failure %d" % n),
                   "LastMessage after a failure mid-copy seen late (run %d)" % n)
        # The fake prints nbdcopy's write error before its own: a known failure.
        t.check_eq(tuple(t.prop(job_id, "Failure"))[0], "nbd-error", "Failure after a failure mid-copy (run %d)" % n)
        t.check_eq(d.state(job_id).get("last_message"),
                   {"message": t.prop(job_id, "Failure")[1], "type": "error"},
                   "state.json last_message is the Failure's summary (run %d)" % n)
    t.assert_no_leftovers()


run_test(test)
