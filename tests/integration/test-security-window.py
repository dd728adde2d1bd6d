#!/usr/bin/env python3
"""A start outside the start window is an administrator's call, on v2vd
--system with a real polkitd (tests/lib/with-system-bus, rules
security-owner.rules: v2vdta may create jobs and nothing more).

The daemon's start_window= is closed for hours. A spec with
"ignore_window": true needs org.v2vd.V2V1.manage-any-job in place of
create-job, whichever method creates the job: v2vdta's CreateJob and
CreateJobWithOptions (with and without check) of such a spec are refused by
polkit (AccessDenied naming the action) and create no job (CheckJob of it
runs: a check creates nothing); the same spec
without the key is accepted and waits for the window; root's job with the
key starts at once.
"""
import datetime
import json
import os

from v2vdtest import run_test, call, make_image, MANAGER_PATH, MANAGER_IFACE
from v2vdsystem import SystemDaemon, ACCESS_DENIED, users, user_create_job, user_spec_call, user_dir, user_image

MANAGE_ANY_JOB = "org.v2vd.V2V1.manage-any-job"


def closed_window():
    """A daily window of one minute, six hours from now (local time)."""
    start = datetime.datetime.now() + datetime.timedelta(hours=6)
    end = start + datetime.timedelta(minutes=1)
    return "%02d:%02d-%02d:%02d" % (start.hour, start.minute, end.hour, end.minute)


def job_ids():
    return sorted(j[0] for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0])


def test(t):
    d = SystemDaemon(os.path.join(t.base, "daemon"), config={"start_window": closed_window()})
    t.daemon = d
    d.start()
    uid_a = users()["v2vdta"][0]
    os.chmod(t.base, 0o755)
    home = user_dir("v2vdta", t.base, "home-a")
    img = user_image("v2vdta", home, "guest", {"step_delay": 0.02})
    out = user_dir("v2vdta", home, "out")
    spec = {"vm_name": "guest", "disk": [img], "output_dir": out}
    early = dict(spec, ignore_window=True)
    # polkit's answer for an administrator's action (auth_admin): the caller
    # would need to authenticate, which a call without interactive
    # authorization cannot.
    refusal = "uid %d needs to authenticate for %s" % (uid_a, MANAGE_ANY_JOB)

    r = user_create_job("v2vdta", json.dumps(early))
    t.check(r[0] == "error" and r[1] == ACCESS_DENIED and refusal in r[2],
            "v2vdta's CreateJob with ignore_window: refused by polkit (manage-any-job)", r)
    t.note("... %s" % r[2])
    for options in ({}, {"check": ("b", False)}, {"check": ("b", True)}):
        r = user_spec_call("v2vdta", "CreateJobWithOptions", json.dumps(early), options)
        t.check(r[0] == "error" and r[1] == ACCESS_DENIED and refusal in r[2],
                "v2vdta's CreateJobWithOptions %s with ignore_window: refused by polkit (manage-any-job)"
                % (options or "without options"), r)
    r = user_spec_call("v2vdta", "CheckJob", json.dumps(early))
    t.check(r[0] == "ok", "(its CheckJob of that spec runs: a check creates nothing, create-job is enough)", r)
    t.check_eq(job_ids(), [], "no job was created")

    r = user_create_job("v2vdta", json.dumps(spec))
    t.check(r[0] == "ok", "the same spec without ignore_window: v2vdta's CreateJob works", r)
    job_a = r[1].split()[0]
    t.jobs.append(job_a)
    r = user_spec_call("v2vdta", "CreateJobWithOptions", json.dumps(dict(spec, vm_name="guest2")),
                       {"check": ("b", True)})
    t.check(r[0] == "ok", "... and its CreateJobWithOptions check true", r)
    job_a2 = r[1].split()[0]
    t.jobs.append(job_a2)

    root_img = make_image(os.path.join(t.base, "root"), "rootguest", {"step_delay": 0.02})
    job_r = call(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s",
                 json.dumps({"vm_name": "rootguest", "disk": [root_img], "output_dir": os.path.join(t.base, "root"),
                             "ignore_window": True}))[0]
    t.jobs.append(job_r)
    t.check_eq(t.wait_finished(job_r, timeout=60), "succeeded", "root's job with ignore_window starts at once")
    t.check_eq(t.prop(job_a, "State"), "queued", "v2vdta's job waits for the window")
    t.check_eq(t.prop(job_a2, "State"), "queued", "... both")


run_test(test)
