#!/usr/bin/env python3
"""max_running_jobs=2, 5 jobs submitted: never more than 2 running, the
others queued (state.json says so), started in submission order, all end
succeeded."""
import os
import time

from v2vdtest import run_test, call, get_all, MANAGER_PATH, MANAGER_IFACE, make_image, job_path, wait_for


def test(t):
    d = t.start_daemon(config={"max_running_jobs": 2})
    mon = t.monitor
    ids = []
    for i in range(5):
        img = make_image(os.path.join(t.base, "img%d" % i), "vm%d" % i,
                         control={"step_delay": 0.02, "copy_seconds": 1.5})
        job_id, _ = t.create_job(t.spec_disk(img, vm_name="vm%d" % i))
        ids.append(job_id)
    t.check_eq(ids, ["1", "2", "3", "4", "5"], "sequential ids")
    mp = get_all(MANAGER_PATH, MANAGER_IFACE)
    t.check_eq(mp["MaxRunningJobs"], 2, "MaxRunningJobs")
    t.check(mp["RunningJobs"] <= 2 and mp["RunningJobs"] + mp["QueuedJobs"] == 5,
            "RunningJobs ≤ 2 and Running+Queued = 5 (%d+%d)" % (mp["RunningJobs"], mp["QueuedJobs"]))
    # a queued job's properties and state.json
    t.check_eq(t.prop("5", "State"), "queued", "job 5 State right after submission")
    t.check_eq(t.prop("5", "Unit"), "", "queued job's Unit")
    t.check_eq(t.prop("5", "PID"), 0, "queued job's PID")
    st = wait_for(lambda: d.state("5"), 5, "state.json of queued job 5")
    t.check(st.get("state") == "queued" and not st.get("started") and "pid" not in st and not st.get("finished"),
            "state.json of a queued job: state queued, not started, no pid, not finished", st)

    max_seen = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # one ListJobs call: an atomic snapshot (reading 5 properties one by
        # one could see a job still running and its successor already started)
        states = [j[2] for j in sorted(call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0], key=lambda j: int(j[0]))]
        running = states.count("running")
        max_seen = max(max_seen, running)
        if running > 2:
            t.check(False, "at most 2 running", states)
        rj = get_all(MANAGER_PATH, MANAGER_IFACE)["RunningJobs"]
        if rj > 2:
            t.check(False, "RunningJobs ≤ 2", rj)
        if all(s in ("succeeded", "failed", "cancelled") for s in states):
            break
        time.sleep(0.1)
    t.check_eq([t.prop(j, "State") for j in ids], ["succeeded"] * 5, "all 5 succeeded")
    t.check_eq(max_seen, 2, "max running seen by polling")

    # from the signals: concurrency and start order
    events = []
    for j in ids:
        for ts, v in mon.prop_changes(job_path(j), "State"):
            events.append((ts, j, v))
    events.sort()
    running, peak, starts = set(), 0, []
    for ts, j, v in events:
        if v == "running":
            running.add(j)
            starts.append(j)
        elif v in ("succeeded", "failed", "cancelled"):
            running.discard(j)
        peak = max(peak, len(running))
    t.check(peak <= 2, "State signals never show more than 2 running (peak %d)" % peak)
    t.check_eq(starts, ids, "jobs started in submission order")
    started = [t.prop(j, "StartedAt") for j in ids]
    t.check(started == sorted(started), "StartedAt in submission order", started)
    t.assert_no_leftovers()


run_test(test)
