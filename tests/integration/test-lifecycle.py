#!/usr/bin/env python3
"""A disk → output_dir job with the fake, followed to succeeded: signals
(JobNew, InterfacesAdded, State and coalesced Progress PropertiesChanged,
JobFinished), properties and state.json while running and when finished,
the output files."""
import json
import os
import time

from v2vdtest import (run_test, call, get_all, MANAGER_PATH, MANAGER_IFACE, JOB_IFACE,
                      OM_IFACE, make_image, wait_for, unwrap, fake_records)

COPY_SECONDS = 4.0


def test(t):
    d = t.start_daemon()
    mon = t.monitor
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.05, "copy_seconds": COPY_SECONDS,
                                                           "record": True})
    out = os.path.join(t.base, "out")
    spec = t.spec_disk(img, out_dir=out, output_format="qcow2")
    t0 = time.monotonic()
    job_id, path = t.create_job(spec)
    t.check_eq(job_id, "1", "first job id")
    t.check_eq(path, "/org/v2vd/V2V1/job/1", "job object path")

    mon.wait(lambda m: m.get("member") == "JobNew" and m["payload"]["data"] == [job_id, path], 5, what="JobNew")
    t.note("JobNew(%s, %s) seen" % (job_id, path))
    added = mon.wait(lambda m: m.get("member") == "InterfacesAdded" and m["payload"]["data"][0] == path, 5,
                     what="InterfacesAdded")
    ifaces = added["payload"]["data"][1]
    t.check(JOB_IFACE in ifaces, "InterfacesAdded carries %s" % JOB_IFACE, list(ifaces))
    t.check_eq(unwrap(ifaces[JOB_IFACE].get("Id")), job_id, "InterfacesAdded Id")

    p = t.props(job_id)
    t.check_eq(p["Id"], job_id, "Id")
    t.check_eq(p["VmName"], "guest", "VmName")
    t.check_eq(p["OwnerUID"], os.getuid(), "OwnerUID")
    t.check_eq(json.loads(p["Spec"]).get("disk"), [img], "Spec holds the disk list")
    t.check(p["CreatedAt"] > 0 and abs(p["CreatedAt"] / 1e6 - time.time()) < 60, "CreatedAt is now-ish", p["CreatedAt"])
    t.check(p["State"] in ("queued", "running"), "State queued or running", p["State"])
    t.check(p["StateFile"] == os.path.join(d.job_dir(job_id), "state.json"), "StateFile path", p["StateFile"])
    t.check(p["LogFile"] == os.path.join(d.job_dir(job_id), "v2v.log"), "LogFile path", p["LogFile"])
    t.check(p["MachineLogFile"] == os.path.join(d.job_dir(job_id), "v2v-machine.log"), "MachineLogFile path",
            p["MachineLogFile"])

    lst = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0]
    t.check(len(lst) == 1 and lst[0][0] == job_id and lst[0][1] == path and lst[0][3] == "guest",
            "ListJobs lists it", lst)
    t.check_eq(call(MANAGER_PATH, MANAGER_IFACE, "GetJob", "s", job_id)[0], path, "GetJob")
    objs = call(MANAGER_PATH, OM_IFACE, "GetManagedObjects")[0]
    t.check(path in objs and JOB_IFACE in objs[path], "GetManagedObjects lists the job with its interface",
            list(objs))

    # running, copying
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk 1/1"), 15, "Phase Copying disk 1/1")
    p = t.props(job_id)
    t.check_eq(p["State"], "running", "State while copying")
    t.check(p["StartedAt"] >= p["CreatedAt"] > 0, "StartedAt ≥ CreatedAt")
    t.check(p["PID"] > 0, "PID set while running (%d)" % p["PID"])
    t.check_eq(p["Unit"], "v2vd-job-%s.scope" % job_id, "Unit")
    t.check_eq(p["ReturnCode"], -1, "ReturnCode while running")
    t.check_eq(p["DiskCount"], 1, "DiskCount")
    t.check(0 <= p["Progress"] < 100, "Progress in [0,100) while copying (%.1f)" % p["Progress"])
    wait_for(lambda: 0 < t.prop(job_id, "Progress") < 100, 5, "Progress between 0 and 100")
    time.sleep(1.2)  # state.json is refreshed at most about once a second
    st = d.state(job_id)
    log_keys = sorted(st)
    t.check(st.get("state") == "running" and st.get("started") is True and st.get("pid", 0) > 0,
            "state.json while running: state running, started true, pid (%s)" % log_keys, st)
    t.check("finished" not in st or st["finished"] is False, "state.json while running: not finished", st)
    t.check("failed" not in st, "state.json while running: no failed key", st)
    t.check("return_code" not in st, "state.json while running: no return_code yet", st)
    t.check(st.get("id") == job_id and st.get("phase", "").startswith("Copying disk"),
            "state.json id and phase", st)
    t.check(isinstance(st.get("progress"), (int, float)) and isinstance(st.get("disks"), list),
            "state.json progress and disks", st)

    t.wait_finished(job_id, timeout=30)
    elapsed = time.monotonic() - t0
    p = t.props(job_id)
    t.check_eq(p["State"], "succeeded", "final State")
    t.check_eq(p["ReturnCode"], 0, "ReturnCode")
    t.check_eq(p["Progress"], 100.0, "final Progress")
    t.check_eq(p["PID"], 0, "PID after exit")
    t.check(p["FinishedAt"] >= p["StartedAt"] > 0, "FinishedAt ≥ StartedAt")
    t.check(len(p["Disks"]) == 1 and p["Disks"][0][1] == 100.0, "Disks: one disk at 100", p["Disks"])
    recs = fake_records(img)
    t.check_eq(len(recs), 1, "virt-v2v ran once")
    fds = recs[0]["fds"]
    job_dir = d.job_dir(job_id)
    t.check_eq({n: fds.get(n) for n in ("0", "1", "2")},
               {"0": "/dev/null", "1": job_dir + "/v2v.log", "2": job_dir + "/v2v.log"},
               "virt-v2v's stdin is /dev/null, its stdout and stderr v2v.log")
    own = (job_dir + "/v2v-machine.log", img + ".fake.record")
    t.check_eq({n: f for n, f in fds.items() if n not in ("0", "1", "2") and f not in own}, {},
               "no other descriptor of the daemon's or the runner's leaks into virt-v2v")

    st = d.state(job_id)
    t.check(st.get("finished") is True and st.get("state") == "succeeded" and st.get("return_code") == 0,
            "state.json finished: finished true, state succeeded, return_code 0", st)
    t.check("failed" not in st, "state.json on success has no failed key", st)
    t.check(st.get("disk_count") == 1 and st.get("progress") == 100, "state.json disk_count 1, progress 100", st)
    mode = os.stat(os.path.join(d.job_dir(job_id), "state.json")).st_mode & 0o777
    t.check_eq(oct(mode), "0o640", "state.json mode")
    for fn in ("v2v.log", "v2v-machine.log", "spec.json", "job.json", "exit-status"):
        t.check(os.path.exists(os.path.join(d.job_dir(job_id), fn)), "%s exists in the job directory" % fn)
    with open(os.path.join(d.job_dir(job_id), "job.json")) as f:
        t.check(isinstance(json.load(f), dict), "job.json (the daemon's own record, not contract) is a JSON object")
    with open(os.path.join(d.job_dir(job_id), "exit-status")) as f:
        es = f.read().strip()
    t.check_eq(es, "exited 0", "exit-status written by the runner")
    with open(os.path.join(d.job_dir(job_id), "v2v.log"), "rb") as f:
        vlog = f.read()
    t.check(b"Copying disk 1/1" in vlog and b"\r" in vlog, "v2v.log has the fake's output with \\r bars")

    t.check(os.path.getsize(os.path.join(out, "guest-sda")) > 0, "output disk written")
    with open(os.path.join(out, "guest.xml")) as f:
        t.check("type='qcow2'" in f.read(), "output XML with qcow2 (output_format passed as -of)")

    # signals
    fin = mon.wait(lambda m: m.get("member") == "JobFinished", 5, what="JobFinished")
    t.check_eq(fin["payload"]["data"], [job_id, path, "succeeded"], "JobFinished args")
    states = [v for _, v in mon.prop_changes(path, "State")]
    t.check("running" in states and states[-1] == "succeeded" and states.index("running") < states.index("succeeded"),
            "State PropertiesChanged: … running … succeeded", states)
    prog = mon.prop_changes(path, "Progress")
    vals = [v for _, v in prog]
    t.check(len(vals) >= 5, "at least 5 Progress signals (%d)" % len(vals), vals)
    t.check(vals == sorted(vals), "Progress signals never go down", vals)
    t.check(vals[-1] == 100.0 and len(set(vals)) >= 4, "Progress rises to 100 through several values", vals)
    times = [ts for ts, _ in prog]
    worst = max(sum(1 for x in times if s <= x < s + 1.0) for s in times)
    # Default progress_interval_ms=500: 2 a second, plus what a state
    # change sends at once.
    t.check(worst <= 4, "Progress coalesced: at most %d signals in any 1 s window (≤ 2 + a state change)" % worst)
    span = times[-1] - times[0]
    t.check(len(times) <= 2 * span + 4, "Progress: %d signals over %.1f s" % (len(times), span))
    t.check(elapsed < 30, "job took %.1f s" % elapsed)
    mp = get_all(MANAGER_PATH, MANAGER_IFACE)
    t.check_eq((mp["RunningJobs"], mp["QueuedJobs"]), (0, 0), "Running/QueuedJobs after")
    t.assert_no_leftovers()


run_test(test)
