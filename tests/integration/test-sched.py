#!/usr/bin/env python3
"""The scheduler: caps per source without head-of-line blocking, priorities
and SetPriority, not_before (also across a restart), the start window and
ignore_window — and WaitReason saying why a queued job waits.

Jobs read from libvirt URIs with a host (qemu+ssh://HOST/system), so that
their source is HOST; the fake virt-v2v takes each guest's behaviour from
FAKE_V2V_CONTROL_DIR/GUEST.json."""
import datetime
import json
import os
import time

from v2vdtest import run_test, call_error, wait_for, job_path, JOB_IFACE, busctl, BUS_NAME


def spec(t, name, host, **extra):
    out = os.path.join(t.base, "out-" + name)
    os.makedirs(out, exist_ok=True)
    s = {"vm_name": name, "libvirt_uri": "qemu+ssh://root@%s/system" % host, "output_dir": out}
    s.update(extra)
    return s


def control(t, name, copy_seconds):
    with open(os.path.join(t.control_dir, name + ".json"), "w") as f:
        json.dump({"step_delay": 0.01, "copy_seconds": copy_seconds}, f)


def set_priority(job, prio):
    return busctl("call", BUS_NAME, job_path(job), JOB_IFACE, "SetPriority", "i", prio)


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="seconds")


def caps(t):
    cfg = {"max_running_jobs": 8, "max_running_jobs_per_source": 20}
    d = t.start_daemon(config=cfg, environment={"FAKE_V2V_CONTROL_DIR": t.control_dir})
    with open(d.config_path, "a") as f:
        f.write("\n[source:ESX1.example.com]\nmax_running_jobs=1\n")
    d.restart()
    for n in ("a1", "a2", "a3"):
        control(t, n, 3)
    control(t, "b1", 3)
    a = [t.create_job(spec(t, n, "esx1.example.com"))[0] for n in ("a1", "a2", "a3")]
    b, _ = t.create_job(spec(t, "b1", "esx2.example.com"))
    wait_for(lambda: t.prop(b, "State") == "running", 10, "the esx2 job running")
    states = [t.prop(x, "State") for x in a]
    t.check_eq(states, ["running", "queued", "queued"], "esx1 (cap 1): one running, two queued")
    t.check_eq(t.prop(b, "State"), "running", "the esx2 job started at once (no head-of-line blocking)")
    why = "waiting for a slot on esx1.example.com (1 of 1 running)"
    t.check_eq([t.prop(x, "WaitReason") for x in a[1:]], [why, why], "WaitReason of the queued esx1 jobs")
    t.check_eq(t.prop(a[0], "WaitReason"), "", "a running job's WaitReason is empty")
    for x in a:
        t.wait_finished(x, timeout=60)
    starts = [t.prop(x, "StartedAt") for x in a]
    ends = [t.prop(x, "FinishedAt") for x in a]
    t.check(all(starts[i + 1] >= ends[i] for i in range(2)), "the esx1 jobs ran one after the other", (starts, ends))
    t.check_eq([t.prop(x, "State") for x in a + [b]], ["succeeded"] * 4, "all four succeeded")
    d.stop()
    t.daemon = None


def priorities(t):
    d = t.start_daemon(config={"max_running_jobs": 1}, environment={"FAKE_V2V_CONTROL_DIR": t.control_dir})
    control(t, "p0", 2)
    for n in ("pb", "pc", "pd"):
        control(t, n, 0.2)
    first, _ = t.create_job(spec(t, "p0", "h1"))
    wait_for(lambda: t.prop(first, "State") == "running", 10, "the first job running")
    b, _ = t.create_job(spec(t, "pb", "h1"))
    c, _ = t.create_job(spec(t, "pc", "h1", priority=5))
    dd, _ = t.create_job(spec(t, "pd", "h1"))
    t.check_eq([t.prop(x, "Priority") for x in (b, c, dd)], [0, 5, 0], "Priority from the spec (default 0)")
    set_priority(dd, 10)
    t.check_eq(t.prop(dd, "Priority"), 10, "SetPriority(10) on a queued job")
    t.check_eq(t.prop(b, "WaitReason"), "waiting for a free slot (1 of 1 running)", "WaitReason: no free slot")
    e = call_error(job_path(first), JOB_IFACE, "SetPriority", "i", 3)
    t.check(e and "JobNotQueued" in e[0], "SetPriority on a running job: JobNotQueued", e)
    e = call_error(job_path(b), JOB_IFACE, "SetPriority", "i", 5000)
    t.check(e and "InvalidArgs" in e[0], "SetPriority out of range: InvalidArgs", e)
    for x in (first, b, c, dd):
        t.wait_finished(x, timeout=60)
    order = sorted((t.prop(x, "StartedAt"), name) for x, name in ((b, "b"), (c, "c"), (dd, "d")))
    t.check_eq([n for _, n in order], ["d", "c", "b"], "started by priority, then id")
    d.stop()
    t.daemon = None


def not_before_and_window(t):
    d = t.start_daemon(config={"max_running_jobs": 4}, environment={"FAKE_V2V_CONTROL_DIR": t.control_dir})
    for n in ("nb", "nr"):
        control(t, n, 0.2)
    at = time.time() + 4
    nb, _ = t.create_job(spec(t, "nb", "h2", not_before=rfc3339(at)))
    time.sleep(0.5)
    t.check_eq(t.prop(nb, "State"), "queued", "a job waits for its not_before")
    t.check(t.prop(nb, "WaitReason").startswith("waiting until "), "WaitReason says until when",
            t.prop(nb, "WaitReason"))
    t.wait_finished(nb, timeout=30)
    t.check(t.prop(nb, "StartedAt") / 1e6 >= int(at), "it started at its not_before, not before",
            (t.prop(nb, "StartedAt"), at))
    # Across a restart: the wait is the spec's, armed again at the start.
    at = time.time() + 5
    nr, _ = t.create_job(spec(t, "nr", "h2", not_before=rfc3339(at)))
    d.restart()
    t.check_eq(t.prop(nr, "State"), "queued", "after a restart the job still waits")
    t.wait_finished(nr, timeout=30)
    t.check_eq(t.prop(nr, "State"), "succeeded", "and then runs")
    t.check(t.prop(nr, "StartedAt") / 1e6 >= int(at), "at its not_before", (t.prop(nr, "StartedAt"), at))
    d.stop()

    # A start window that is closed now (local time): jobs wait; ignore_window starts.
    now = datetime.datetime.now()
    opens = (now + datetime.timedelta(hours=2)).strftime("%H:%M")
    closes = (now + datetime.timedelta(hours=3)).strftime("%H:%M")
    d = t.start_daemon(config={"max_running_jobs": 4, "start_window": "%s-%s" % (opens, closes)},
                       environment={"FAKE_V2V_CONTROL_DIR": t.control_dir})
    for n in ("w1", "w2"):
        control(t, n, 0.2)
    w1, _ = t.create_job(spec(t, "w1", "h3"))
    w2, _ = t.create_job(spec(t, "w2", "h3", ignore_window=True))
    t.wait_finished(w2, timeout=30)
    t.check_eq(t.prop(w2, "State"), "succeeded", "ignore_window: the job ran outside the window")
    t.check_eq(t.prop(w1, "State"), "queued", "the other one waits for the window")
    t.check_eq(t.prop(w1, "WaitReason"), "waiting for the start window %s-%s" % (opens, closes),
               "WaitReason names the window")
    d.stop()


def test(t):
    t.control_dir = os.path.join(t.base, "control")
    os.makedirs(t.control_dir)
    caps(t)
    priorities(t)
    not_before_and_window(t)


run_test(test)
