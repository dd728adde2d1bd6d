#!/usr/bin/env python3
"""v2vctl and the scheduler: submit --at sets not_before (RFC 3339 or HH:MM),
list and status show why a queued job waits, priority moves a queued job,
and a bad --at or priority is a usage error (exit 2); host-limits shows and
sets the budget of all jobs (SetHostLimits)."""
import datetime
import time

from v2vdtest import run_test, get_property, MANAGER_PATH, MANAGER_IFACE
from test_v2vctl_common import ctl, ok, fails, disk_spec, write_spec


def test(t):
    t.start_daemon(config={"max_running_jobs": 1})
    _, spec = disk_spec(t, "later", {"step_delay": 0.01, "copy_seconds": 0.2})
    path = write_spec(t, spec, "later.json")
    at = time.time() + 4
    when = datetime.datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")
    job = ok(t, ctl("submit", path, "--at", when), "submit --at RFC3339").out.strip()
    t.jobs.append(job)
    t.check_eq(t.prop(job, "State"), "queued", "the job waits")
    lst = ok(t, ctl("list", "--no-legend", "--full"), "list")
    t.check("waiting until " in lst.out, "list shows why the queued job waits", lst.out)
    js = ok(t, ctl("list", "--json"), "list --json").json()
    t.check(any(j["id"] == job and j["wait_reason"].startswith("waiting until ") for j in js),
            "list --json: wait_reason", js)
    st = ok(t, ctl("status", job, "--full"), "status")
    t.check("Waiting: waiting until" in " ".join(st.out.split()), "status shows Waiting", st.out)
    t.wait_finished(job, timeout=30)
    t.check(t.prop(job, "StartedAt") / 1e6 >= int(at), "it started at --at, not before")

    # HH:MM: the next such local time (a minute ahead at least, so it still waits).
    hhmm = (datetime.datetime.now() + datetime.timedelta(minutes=2)).strftime("%H:%M")
    job2 = ok(t, ctl("submit", path, "--at", hhmm), "submit --at HH:MM").out.strip()
    t.jobs.append(job2)
    t.check_eq(t.prop(job2, "State"), "queued", "the HH:MM job waits")
    ok(t, ctl("priority", job2, "7"), "priority ID 7")
    t.check_eq(t.prop(job2, "Priority"), 7, "Priority changed")
    fails(t, ctl("priority", job2, "1001"), 2, "priority out of range")
    fails(t, ctl("submit", path, "--at", "tomorrow"), 2, "submit --at tomorrow", "--at")
    fails(t, ctl("list", "--at", "22:00"), 2, "--at elsewhere than submit")
    ok(t, ctl("cancel", job2), "cancel the waiting job")
    ok(t, ctl("host-limits", "--cpu", "300%", "--network", "unlimited", "--disk", "52428800"), "host-limits set")
    t.check_eq((get_property(MANAGER_PATH, MANAGER_IFACE, "HostCPULimit"),
                get_property(MANAGER_PATH, MANAGER_IFACE, "HostDiskLimit")), ("300%", 52428800),
               "HostCPULimit and HostDiskLimit")
    st = ok(t, ctl("host-limits"), "host-limits without options")
    t.check("Host limits: CPU 300%, network unlimited, disk" in st.out, "shows the budget", st.out)
    fails(t, ctl("host-limits", "--cpu", "lots"), 2, "host-limits --cpu lots")
    r = ctl("priority", job2, "1")
    t.check(r.rc != 0 and ("JobNotQueued" in r.err or "queued" in r.err), "priority of a finished job fails", r)


run_test(test)
