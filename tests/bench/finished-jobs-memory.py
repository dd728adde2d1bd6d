#!/usr/bin/env python3
"""The daemon's memory with many finished jobs: a finished job
must cost little and the same whatever its spec was. Run under
tests/lib/with-systemd-user (`meson test -C BUILD --benchmark
finished-jobs-memory`, or by hand with V2VD_BINARY, V2VD_RUNNER,
V2VD_FAKE_V2V and PYTHONPATH=tests/lib set).

One job runs to its end with the fake virt-v2v (spec padded with a 64 KiB
network_mappings list, the largest part a real spec keeps); its directory
is then cloned into N finished jobs (env V2VD_BENCH_FINISHED, default
10000), the daemon is started on them, and its RSS is read once ListJobs
lists them all. Printed: RSS with 1 and with N finished jobs, the
difference per job, and the RSS with 10,000 (measured, or from the
per-job figure for another N) against the target, 50 MiB. Exit 0 either way (a benchmark); 1 if it could not
measure.
"""
import json
import os
import shutil
import sys

from v2vdtest import (Daemon, call, make_image, rss_kb, wait_for, log, MANAGER_PATH, MANAGER_IFACE, T)

os.environ.setdefault("V2VD_FAKE_V2V", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "..", "fake", "virt-v2v"))
N = int(os.environ.get("V2VD_BENCH_FINISHED", "10000"))
TARGET_KIB = 50 * 1024


def list_jobs():
    return call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", timeout=120)[0]


def main():
    t = T("finished-jobs-memory")
    d = Daemon(os.path.join(t.base, "daemon"), config={"max_queued_jobs": 1000})
    img = make_image(os.path.join(t.base, "imgs"), "guest", {"step_delay": 0.01, "copy_seconds": 0.05})
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    spec = {"vm_name": "guest", "disk": [img], "output_dir": out,
            "network_mappings": [{"source": "net%05d" % i, "destination": "ovirtmgmt"} for i in range(1200)]}
    d.start()
    job_id, _ = call(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", json.dumps(spec))
    wait_for(lambda: [j for j in list_jobs() if j[0] == job_id and j[2] == "succeeded"], 60, "the job to succeed")
    d.stop()

    d.start()
    wait_for(lambda: len(list_jobs()) == 1, 30, "the job listed again")
    rss1 = rss_kb(d.proc.pid)
    d.stop()

    jobs_dir = os.path.join(d.state_dir, "jobs")
    src = os.path.join(jobs_dir, job_id)
    with open(os.path.join(src, "job.json")) as f:
        record = json.load(f)
    for i in range(2, N + 2):
        dst = os.path.join(jobs_dir, str(i))
        shutil.copytree(src, dst)
        record["id"] = str(i)
        with open(os.path.join(dst, "job.json"), "w") as f:
            json.dump(record, f)
    with open(os.path.join(d.state_dir, "last-job-id"), "w") as f:
        f.write("%d\n" % (N + 1))

    d.start(timeout=300)
    wait_for(lambda: len(list_jobs()) == N + 1, 300, "%d jobs listed" % (N + 1), interval=1)
    rssn = rss_kb(d.proc.pid)
    d.stop(timeout=60)
    per_job = (rssn - rss1) * 1024.0 / N
    at_10000 = rss1 + per_job * 10000 / 1024 if N != 10000 else rssn
    figures = {"finished_jobs": N + 1, "rss_1_kib": rss1, "rss_n_kib": rssn,
               "bytes_per_finished_job": round(per_job), "spec_bytes": len(json.dumps(spec)),
               "rss_10000_kib": round(at_10000), "measured_at_10000": N == 10000,
               "target_rss_10000_kib": TARGET_KIB, "met": at_10000 <= TARGET_KIB}
    log("FIGURES: %s" % json.dumps(figures))
    shutil.rmtree(t.base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:   # a benchmark that cannot measure says so
        log("cannot measure: %s" % e)
        sys.exit(1)
