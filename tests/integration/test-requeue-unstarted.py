#!/usr/bin/env python3
"""A job the daemon was starting when it died — runner forked, scope asked
for, virt-v2v not yet released — is queued again at the next start instead
of being declared failed: job.json says "running", but neither v2v.pid nor
exit-status exists and the runner is gone. Made by hand here (the window is
a few milliseconds wide): a queued job's record is rewritten to look like
that while the daemon is down."""
import json
import os

from v2vdtest import run_test, make_image, wait_for


def test(t):
    d = t.start_daemon(config={"max_running_jobs": 1})
    img_a = make_image(os.path.join(t.base, "a"), "a", control={"step_delay": 0.02, "copy_seconds": 3})
    img_b = make_image(os.path.join(t.base, "b"), "b", control={"step_delay": 0.02, "copy_seconds": 0.5})
    a, _ = t.create_job(t.spec_disk(img_a, vm_name="a"))
    b, _ = t.create_job(t.spec_disk(img_b, vm_name="b"))
    wait_for(lambda: t.prop(a, "Phase").startswith("Copying disk"), 15, "job a copying")
    t.check_eq(t.prop(b, "State"), "queued", "job b queued")
    d.kill9()

    record_path = os.path.join(d.job_dir(b), "job.json")
    with open(record_path) as f:
        record = json.load(f)
    record.update({"state": "running", "runner_pid": 4000000, "unit": "v2vd-job-%s.scope" % b,
                   "started_usec": record["created_usec"] + 1})
    with open(record_path, "w") as f:
        json.dump(record, f)

    d.start()
    t.check_eq(t.prop(b, "State"), "queued", "job b queued again after the restart")
    t.check_eq(t.prop(b, "StartedAt"), 0, "job b's StartedAt reset")
    t.check_eq(t.prop(a, "State"), "running", "job a re-adopted")
    t.wait_finished(a, timeout=30)
    t.wait_finished(b, timeout=30)
    t.check_eq((t.prop(a, "State"), t.prop(b, "State")), ("succeeded", "succeeded"), "both succeeded")
    t.check(t.prop(b, "StartedAt") >= t.prop(a, "FinishedAt"), "b started after a finished")
    t.assert_no_leftovers()


run_test(test)
