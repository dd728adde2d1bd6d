#!/usr/bin/env python3
"""Finished jobs expire: keep_finished_jobs= keeps the N that
ended last, keep_finished_jobs_days= removes a job that many days after it
ended (checked at start, when a job ends, every ten minutes). An expired
job goes as Remove does: its directory is deleted, JobRemoved is sent."""
import json
import os
import time

from v2vdtest import run_test, call, job_path, make_image, wait_for, Daemon, MANAGER_PATH, MANAGER_IFACE


def listed():
    return sorted(j[0] for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0])


def test(t):
    d = t.start_daemon(config={"keep_finished_jobs": 2})
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.01, "copy_seconds": 0.05})
    ids = []
    for i in range(3):
        job_id, _ = t.create_job(t.spec_disk(img, vm_name="g%d" % i))
        t.check_eq(t.wait_finished(job_id, timeout=60), "succeeded", "job g%d" % i)
        ids.append(job_id)
        time.sleep(0.05)   # distinct end times
    t.monitor.wait(lambda m: m.get("member") == "JobRemoved" and m["payload"]["data"] == [ids[0], job_path(ids[0])],
                   10, what="JobRemoved of the oldest finished job")
    t.note("JobRemoved(%s) sent when a third job ended (keep_finished_jobs=2)" % ids[0])
    wait_for(lambda: listed() == sorted(ids[1:]), 10, "only the last two jobs listed")
    t.check(not os.path.exists(d.job_dir(ids[0])), "the expired job's directory is deleted")
    t.check(os.path.isdir(d.job_dir(ids[1])) and os.path.isdir(d.job_dir(ids[2])), "the other two are kept")

    # keep_finished_jobs_days=1: a job that ended two days ago goes at start.
    d.stop()
    record_path = os.path.join(d.job_dir(ids[1]), "job.json")
    with open(record_path) as f:
        record = json.load(f)
    record["finished_usec"] -= 2 * 86400 * 1000000
    with open(record_path, "w") as f:
        json.dump(record, f)
    d2 = Daemon(d.base, config={"keep_finished_jobs_days": 1})
    t.daemon = d2
    d2.start()
    wait_for(lambda: listed() == [ids[2]], 10, "the job that ended two days ago expired at start")
    t.check(not os.path.exists(d2.job_dir(ids[1])), "its directory is deleted")
    t.check(os.path.isdir(d2.job_dir(ids[2])), "the job that ended just now is kept")


run_test(test)
