#!/usr/bin/env python3
"""Load: 200 jobs submitted at once, max_running_jobs=8.

The 200 CreateJob calls are written to one bus connection back to back
(tests/lib/minibus.py, pipelined: all are on the wire before the first reply
is read), so the daemon sees them "at once". The fake is kept fast
(step_delay 0.01 s, copy_seconds 0.2 s, 64 KiB per disk) so that the run is
bounded by the daemon, the manager and the fake's Python start-up, not by
sleeping.

Checked:
  * 200 replies, ids 1..200 in submission order, none refused;
  * all 200 end `succeeded` (ListJobs, each state.json: finished, no failed,
    return_code 0) — none lost;
  * started in submission order: StartedAt ordered by id, and the order of
    the State=running signals is the order of the ids;
  * never more than 8 running, by four independent observations: ListJobs
    snapshots, the RunningJobs property, the job scopes that hold processes
    (cgroup.procs of v2vd-job-*.scope in the test's cgroup subtree), and the
    State signals replayed in the order they were received;
  * the queue drains: RunningJobs = QueuedJobs = 0 at the end, no scope left.

Figures printed: submission time, total time (first call → last job
finished), jobs per second, peak running by each observation, mean/max
queue wait and run time per job, daemon CPU time.
"""
import os
import time

import minibus
from v2vdtest import (run_test, call, get_all, MANAGER_PATH, MANAGER_IFACE, BUS_NAME, make_image, job_path,
                      wait_for, cgroup_root, log, TERMINAL_STATES)

N_JOBS = 200
MAX_RUNNING = 8


def busy_scopes():
    """Job scopes of this test that hold at least one process (v2 tree)."""
    slice_dir = "/sys/fs/cgroup/unified%s/v2vd.slice" % cgroup_root()
    n = 0
    try:
        names = os.listdir(slice_dir)
    except OSError:
        return 0
    for name in names:
        if not name.startswith("v2vd-job-"):
            continue
        try:
            with open(os.path.join(slice_dir, name, "cgroup.procs")) as f:
                if f.read().strip():
                    n += 1
        except OSError:
            pass
    return n


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def test(t):
    d = t.start_daemon(config={"max_running_jobs": MAX_RUNNING})
    mon = t.monitor
    img_dir = os.path.join(t.base, "img")
    specs = []
    for i in range(N_JOBS):
        name = "vm%03d" % i
        img = make_image(img_dir, name, size=1024 * 1024,
                         control={"step_delay": 0.01, "copy_seconds": 0.2, "disk_size": 65536, "warnings": False})
        specs.append(t.spec_disk(img, vm_name=name))

    import json
    conn = minibus.Connection(timeout=120)
    t0 = time.monotonic()
    serials = [conn.send_call(BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", (json.dumps(s),))
               for s in specs]
    t_sent = time.monotonic() - t0
    replies, errors = {}, {}
    while len(replies) + len(errors) < N_JOBS:
        mtype, fields, body = conn._read_message()
        rs = fields.get(5)
        if rs not in serials:
            continue
        if mtype == minibus.ERROR:
            errors[rs] = (fields.get(4), body[:1])
        else:
            replies[rs] = body
    t_replied = time.monotonic() - t0
    conn.close()
    t.check(not errors, "no CreateJob refused", errors)
    ids = [replies[s][0] for s in serials]
    t.jobs.extend(ids)
    t.check_eq(ids, [str(i) for i in range(1, N_JOBS + 1)], "ids 1..%d in submission order" % N_JOBS)
    log("  figures: %d CreateJob calls written in %.3f s, all answered after %.3f s"
        % (N_JOBS, t_sent, t_replied))

    max_list = max_prop = max_scopes = 0
    samples = 0
    bad = []
    deadline = time.monotonic() + 240
    while True:
        jobs = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0]
        states = {j[0]: j[2] for j in jobs}
        running = sum(1 for s in states.values() if s == "running")
        rj = get_all(MANAGER_PATH, MANAGER_IFACE)["RunningJobs"]
        sc = busy_scopes()
        samples += 1
        max_list, max_prop, max_scopes = max(max_list, running), max(max_prop, rj), max(max_scopes, sc)
        if running > MAX_RUNNING or rj > MAX_RUNNING or sc > MAX_RUNNING:
            bad.append((round(time.monotonic() - t0, 2), running, rj, sc))
        if len(states) == N_JOBS and all(s in TERMINAL_STATES for s in states.values()):
            break
        if time.monotonic() > deadline:
            t.check(False, "all %d jobs finished within 240 s" % N_JOBS,
                    {s: list(states.values()).count(s) for s in set(states.values())})
        time.sleep(0.2)
    t_total = time.monotonic() - t0
    daemon_cpu = cpu_seconds(d.proc.pid)

    t.check(not bad, "never more than %d running (ListJobs, RunningJobs, busy scopes) in %d samples"
            % (MAX_RUNNING, samples), bad[:10])
    final = {j[0]: j[2] for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0]}
    t.check_eq(len(final), N_JOBS, "ListJobs lists all jobs (none lost)")
    counts = {s: list(final.values()).count(s) for s in set(final.values())}
    t.check_eq(counts, {"succeeded": N_JOBS}, "final states")

    props = {j: get_all(job_path(j), "org.v2vd.V2V1.Job") for j in ids}
    started = [props[j]["StartedAt"] for j in ids]
    t.check(all(s > 0 for s in started) and started == sorted(started),
            "StartedAt ordered by id", [(j, s) for j, s in zip(ids, started)][:20])
    t.check(all(props[j]["ReturnCode"] == 0 and props[j]["Progress"] == 100.0 for j in ids),
            "every job: ReturnCode 0, Progress 100")
    not_ok = []
    for j in ids:
        st = d.state(j)
        if not (st.get("state") == "succeeded" and st.get("finished") is True and "failed" not in st
                and st.get("return_code") == 0):
            not_ok.append((j, st))
    t.check(not not_ok, "every state.json: succeeded, finished, return_code 0, no failed", not_ok[:3])

    # From the signals, in the order the monitor received them.
    events = []
    for j in ids:
        for ts, v in mon.prop_changes(job_path(j), "State"):
            events.append((ts, int(j), v))
    events.sort()
    running, peak, starts = set(), 0, []
    for ts, j, v in events:
        if v == "running":
            running.add(j)
            starts.append(j)
        elif v in TERMINAL_STATES:
            running.discard(j)
        peak = max(peak, len(running))
    t.check(peak <= MAX_RUNNING, "State signals never show more than %d running (peak %d)" % (MAX_RUNNING, peak))
    t.check_eq(starts, list(range(1, N_JOBS + 1)), "State=running signals in submission order")
    finished = mon.signals("JobFinished", path=MANAGER_PATH)
    t.check_eq(len({m["payload"]["data"][0] for m in finished}), N_JOBS, "one JobFinished per job")

    mp = get_all(MANAGER_PATH, MANAGER_IFACE)
    t.check(mp["RunningJobs"] == 0 and mp["QueuedJobs"] == 0, "RunningJobs = QueuedJobs = 0 at the end",
            (mp["RunningJobs"], mp["QueuedJobs"]))
    t.check(max_list == MAX_RUNNING, "the limit was reached (%d running seen)" % max_list)

    waits = [(props[j]["StartedAt"] - props[j]["CreatedAt"]) / 1e6 for j in ids]
    runs = [(props[j]["FinishedAt"] - props[j]["StartedAt"]) / 1e6 for j in ids]
    log("  figures: %d jobs, max_running_jobs=%d: total %.1f s (%.2f jobs/s), %d samples"
        % (N_JOBS, MAX_RUNNING, t_total, N_JOBS / t_total, samples))
    log("  figures: max running seen: ListJobs %d, RunningJobs %d, busy scopes %d, State signals %d"
        % (max_list, max_prop, max_scopes, peak))
    log("  figures: queue wait mean %.2f s max %.2f s; run time mean %.2f s max %.2f s; daemon CPU %.2f s"
        % (sum(waits) / len(waits), max(waits), sum(runs) / len(runs), max(runs), daemon_cpu))
    wait_for(lambda: busy_scopes() == 0, 10, "no busy job scope left")
    t.assert_no_leftovers()


run_test(test)
