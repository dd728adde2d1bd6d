#!/usr/bin/env python3
"""SIGKILL the daemon at each step of a job's start, and every job still ends
as it would have without the crash: virt-v2v runs exactly once and the job
succeeds, with no "Unit ... was already loaded" from a scope left behind.

V2VD_TEST_PAUSE_AT=STEP makes the daemon stop itself (SIGSTOP) at that step
of the first start; the test then SIGKILLs it and starts it again:
  scope-requested   runner forked, record "running", StartTransientUnit sent
  scope-created     the scope exists with the runner in it, waiting for "g"
  runner-released   "g" written: the runner starts virt-v2v
With freeze, the runner is SIGSTOPped as well, so that the restarted daemon
finds it alive in its scope (adopted), and resumed afterwards: it reads EOF
on its start pipe and ends without running anything — the job must then be
queued and started again. With squatter, a process of the test's own is put
into the old scope, so that it lives on when the job starts again: the new
start must stop it first (systemd answers UnitExists otherwise)."""
import json
import os
import signal
import subprocess
import time

from v2vdtest import (run_test, make_image, wait_for, fake_records, Daemon, scope_cgroup_dirs,
                      unit_active_state, scope_name, proc_status)


def daemon_stopped(d):
    st = proc_status(d.proc.pid)
    return st is not None and st["state"].startswith("T")


def case(t, step, freeze=False, squatter=False):
    label = "%s%s%s" % (step, " +frozen runner" if freeze else "", " +squatter" if squatter else "")
    base = os.path.join(t.base, "%s-%d-%d" % (step, freeze, squatter))
    d = Daemon(os.path.join(base, "daemon"), config={"max_running_jobs": 2},
               env={"V2VD_TEST_PAUSE_AT": step})
    t.daemon = d
    d.start()
    img = make_image(os.path.join(base, "img"), control={"step_delay": 0.01, "copy_seconds": 0.5,
                                                         "record": True})
    job, _ = t.create_job(t.spec_disk(img, out_dir=os.path.join(base, "out")))
    wait_for(lambda: daemon_stopped(d), 15, "the daemon stopped at %s" % step)
    with open(os.path.join(d.job_dir(job), "job.json")) as f:
        record = json.load(f)
    runner = record.get("runner_pid", 0)
    t.check_eq((record["state"], runner > 0), ("running", True), "[%s] job.json: running, runner forked" % label)
    unit = scope_name(job)
    if freeze:
        os.kill(runner, signal.SIGSTOP)
        wait_for(lambda: unit_active_state(unit) == "active", 10, "the scope %s active" % unit)
    sq = None
    if squatter:
        dirs = [x for x in scope_cgroup_dirs(job) if os.path.exists(os.path.join(x, "cgroup.procs"))]
        t.check(dirs, "[%s] the scope's cgroup exists" % label)
        sq = subprocess.Popen(["sleep", "300"])
        with open(os.path.join(dirs[0], "cgroup.procs"), "w") as f:
            f.write(str(sq.pid))
    os.kill(d.proc.pid, signal.SIGKILL)
    d.kill9()
    del d.env["V2VD_TEST_PAUSE_AT"]
    d.start()
    t.note("[%s] daemon killed at %s and started again" % (label, step))
    state = t.prop(job, "State")
    if step == "runner-released" or freeze:
        t.check_eq(state, "running", "[%s] the job is re-adopted" % label)
    else:
        t.check(state in ("queued", "running"), "[%s] the job is queued or started again" % label, state)
    if freeze:
        time.sleep(0.3)
        os.kill(runner, signal.SIGCONT)
    t.wait_finished(job, timeout=60)
    p = t.props(job)
    t.check_eq((p["State"], p["ReturnCode"]), ("succeeded", 0), "[%s] the job succeeded" % label)
    t.check_eq(len(fake_records(img)), 1, "[%s] virt-v2v ran exactly once" % label)
    err = d.stderr()
    t.check("already loaded" not in err, "[%s] no \"already loaded\" in the daemon's log" % label)
    if squatter:
        t.check("left from an interrupted start: stopping it first" in err,
                "[%s] the old scope was stopped before the new start" % label)
        t.check(sq.wait(10) is not None, "[%s] the old scope's process ended with it" % label)
    d.stop()
    t.assert_no_leftovers()
    t.jobs.remove(job)


def test(t):
    case(t, "scope-requested")
    case(t, "scope-requested", freeze=True)
    case(t, "scope-created")
    case(t, "scope-created", freeze=True)
    case(t, "scope-created", freeze=True, squatter=True)
    case(t, "runner-released")


run_test(test)
