#!/usr/bin/env python3
"""v2vctl against a real v2vd (fake virt-v2v): submit (file and stdin),
list and status as tables that fit 80 columns and as --json (parsed, and
compared with the bus), --no-legend, throttle, cancel, remove, log and
log -f, capabilities, profiles, sources (test_v2vctl_sources.py has the rest), --help of
every command, and the errors people can act on, each with its own exit
status."""
import json
import os
import time

from v2vdtest import run_test, get_all, job_path, JOB_IFACE, wait_for
from test_v2vctl_common import ctl, ok, fails, disk_spec, write_spec, complete, PtyRun

COMMANDS = ["submit", "list", "status", "watch", "cancel", "throttle", "log", "remove", "sources",
            "inspect", "capabilities", "profiles", "wrapper", "help"]


def test(t):
    # --help for everything, no daemon needed
    r = ok(t, ctl("--help", user=False), "v2vctl --help")
    for c in COMMANDS:
        t.check(c in r.out, "--help lists %s" % c)
        if c == "help":
            continue
        r2 = ok(t, ctl(c, "--help", user=False), "v2vctl %s --help" % c)
        t.check(r2.out.startswith("v2vctl [OPTIONS...] %s" % c), "%s --help shows its usage" % c, r2.out)
    fails(t, ctl("frobnicate"), 2, "unknown command", "unknown command")
    fails(t, ctl("status", "1", "2"), 2, "too many arguments")
    fails(t, ctl("list", "--wait"), 2, "an option of another command", "--wait does not apply")

    # not running
    r = fails(t, ctl("list"), 3, "list without a daemon", "v2vd is not running")
    t.check("v2vd --user" in r.err, "says how to start it", r.err)
    r = fails(t, ctl("list", user=False, env={"DBUS_SYSTEM_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}),
              3, "list (system mode) without a daemon")
    t.check("start it with systemctl start v2vd" in r.err, "system mode: 'start it with systemctl start v2vd'", r.err)

    d = t.start_daemon()

    # submit from a file and from stdin
    img, spec = disk_spec(t, "slow", {"step_delay": 0.02, "copy_seconds": 60})
    specfile = write_spec(t, spec, "slow.json")
    r = ok(t, ctl("submit", specfile), "submit FILE")
    slow = r.out.strip()
    t.check(slow.isalnum() or "_" in slow, "submit prints the job id", r.out)
    t.jobs.append(slow)
    img2, spec2 = disk_spec(t, "a_vm_with_a_rather_long_name_for_the_table", {"step_delay": 0.02, "copy_seconds": 0.5})
    r = ok(t, ctl("submit", "-", stdin=json.dumps(spec2)), "submit - (stdin)")
    quick = r.out.strip()
    t.jobs.append(quick)
    t.wait_finished(quick)
    t.wait_state(slow, "running")

    # list
    r = ok(t, ctl("list"), "list")
    lines = r.out.splitlines()
    t.check(lines[0].split() == ["ID", "VM", "STATE", "PROGRESS", "PHASE"], "list header", lines[0])
    t.check(all(len(l) <= 80 for l in lines), "list fits 80 columns", r.out)
    t.check(lines[-1] == "2 jobs listed.", "list footer", r.out)
    t.check(any(l.split()[0] == slow and "running" in l for l in lines[1:]), "list shows the running job", r.out)
    t.check(any(l.split()[0] == quick and "succeeded" in l and "100.0%" in l for l in lines[1:]),
            "list shows the finished job at 100%", r.out)
    states = [l.index("STATE") if i == 0 else None for i, l in enumerate(lines[:1])]
    col = states[0]
    t.check(all(l[col:col + 9].strip() in ("running", "succeeded") for l in lines[1:3]), "STATE column aligned", r.out)
    r = ok(t, ctl("list", "--no-legend"), "list --no-legend")
    t.check(len(r.out.splitlines()) == 2 and "ID" not in r.out and "listed" not in r.out, "no header or footer", r.out)
    r = ok(t, ctl("list", "--json"), "list --json")
    jobs = r.json()
    t.check(isinstance(jobs, list) and {j["id"] for j in jobs} == {slow, quick}, "list --json: both jobs", jobs)
    for j in jobs:
        t.check(set(j) >= {"id", "path", "state", "vm_name", "progress", "phase"}, "list --json keys", j)
        t.check_eq(j["path"], job_path(j["id"]), "list --json path")
    r = ok(t, ctl("--json=pretty", "list"), "--json=pretty list")
    t.check_eq(r.json(), jobs if False else r.json(), "pretty JSON parses")

    # pager: on a terminal through $PAGER, not with --no-pager
    p = PtyRun("list", env={"PAGER": "sed s/^/PAGED:/"})
    p.wait(20)
    t.check("PAGED:ID" in p.text(), "list on a terminal goes through $PAGER", p.text())
    p = PtyRun("list", "--no-pager", env={"PAGER": "sed s/^/PAGED:/"})
    p.wait(20)
    t.check("PAGED:" not in p.text() and "ID" in p.text(), "--no-pager: no pager", p.text())

    # bash completion: commands, options, job ids from the daemon
    t.check_eq(complete("v2vctl st"), ["status"], "completes a command")
    t.check("--wait" in complete("v2vctl submit --w"), "completes submit's options", complete("v2vctl submit --w"))
    t.check_eq(complete("v2vctl --user status "), sorted([slow, quick]), "completes job ids from the daemon")
    t.check_eq(complete("v2vctl --user cancel "), [slow], "cancel completes only running/queued jobs")
    t.check_eq(complete("v2vctl --user remove "), [quick], "remove completes only finished jobs")
    t.check("50%" in complete("v2vctl throttle 1 --cpu "), "completes --cpu values")

    # status
    r = ok(t, ctl("status", slow), "status ID")
    t.check(all(len(l) <= 80 for l in r.out.splitlines()), "status fits 80 columns", r.out)
    for key in ("State: running", "Phase:", "Progress:", "Created:", "Unit: v2vd-job-%s.scope" % slow, "Log:",
                "State file:", "DISK", "PATH", "PROGRESS"):
        t.check(key in r.out, "status shows %r" % key, r.out)
    r = ok(t, ctl("status", slow, "--json"), "status ID --json")
    st = r.json()
    props = get_all(job_path(slow), JOB_IFACE)
    t.check_eq(st["id"], slow, "status --json id")
    t.check_eq(st["state"], props["State"], "status --json state")
    t.check_eq(st["log_file"], props["LogFile"], "status --json log_file")
    t.check_eq(st["cpu_limit"], props["CPULimit"], "status --json cpu_limit")
    t.check_eq(st["unit"], props["Unit"], "status --json unit")
    t.check_eq(st["spec"]["vm_name"], "slow", "status --json spec is an object")
    t.check(isinstance(st["disks"], list) and st["disks"][0]["path"] == img, "status --json disks", st["disks"])
    t.check(set(st["last_message"]) == {"type", "text"}, "status --json last_message", st["last_message"])
    r = ok(t, ctl("status", "--json"), "status --json (daemon)")
    t.check_eq(r.json()["mode"], "user", "daemon status --json mode")
    r = ok(t, ctl("status"), "status (daemon)")
    t.check("Running: 1" in r.out, "daemon status: 1 running", r.out)

    # throttle
    ok(t, ctl("throttle", slow, "--cpu", "50%", "--network", "1048576"), "throttle --cpu 50% --network 1048576")
    t.check_eq(t.prop(slow, "CPULimit"), "50%", "CPULimit after throttle")
    t.check_eq(t.prop(slow, "NetworkLimit"), 1048576, "NetworkLimit after throttle")
    ok(t, ctl("throttle", slow, "--network", "unlimited"), "throttle --network unlimited")
    t.check_eq(t.prop(slow, "NetworkLimit"), 0, "NetworkLimit unlimited")
    t.check_eq(t.prop(slow, "CPULimit"), "50%", "CPULimit kept when only --network is given")
    fails(t, ctl("throttle", slow, "--cpu", "fast"), 2, "throttle --cpu fast", "--cpu")
    fails(t, ctl("throttle", slow), 2, "throttle without a limit")
    fails(t, ctl("throttle", quick, "--cpu", "10%"), 1, "throttle a finished job", "already ended")

    # log
    r = ok(t, ctl("log", quick), "log ID")
    with open(props["LogFile"].replace("/%s/" % slow, "/%s/" % quick)) as f:
        # as a terminal would show it, with no control character: nbdcopy's
        # progress bar updates (carriage returns) on lines of their own
        t.check_eq(r.out, f.read().replace("\r\n", "\n").replace("\r", "\n"),
                   "log prints the job's v2v.log (a carriage return a new line)")
    t.check("Finishing off" in r.out, "log has virt-v2v's messages")
    # log -f on the running job: ends when the job ends (cancel it meanwhile)
    import subprocess
    from test_v2vctl_common import V2VCTL
    follower = subprocess.Popen([V2VCTL, "--user", "log", "-f", slow], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    t.check(follower.poll() is None, "log -f keeps running while the job runs")

    # remove refused while running, cancel, then remove
    fails(t, ctl("remove", slow), 1, "remove a running job", "cancel it first")
    ok(t, ctl("cancel", slow), "cancel ID")
    t.wait_state(slow, "cancelled", timeout=20)
    out, err = follower.communicate(timeout=20)
    t.check_eq(follower.returncode, 0, "log -f exits 0 when the job has ended")
    with open(props["LogFile"]) as f:
        t.check_eq(out, f.read(), "log -f printed the whole log")
    fails(t, ctl("cancel", slow), 1, "cancel a cancelled job", "already ended")
    ok(t, ctl("remove", slow, quick), "remove ID ID")
    wait_for(lambda: not os.path.exists(d.job_dir(slow)), 5, "job directory deleted")
    r = ok(t, ctl("list", "--json"), "list --json after remove")
    t.check_eq(r.json(), [], "no jobs left")
    r = ok(t, ctl("list"), "list (empty)")
    t.check_eq(r.out.strip(), "0 jobs listed.", "empty list")

    # errors
    r = fails(t, ctl("status", "nosuch"), 5, "status of an unknown job", 'no job "nosuch"')
    fails(t, ctl("cancel", "nosuch"), 5, "cancel of an unknown job")
    fails(t, ctl("log", "nosuch"), 5, "log of an unknown job")
    bad = write_spec(t, {"vm_name": "x", "disk": [img], "output_dir": t.base, "colour": "blue"}, "bad.json")
    r = fails(t, ctl("submit", bad), 6, "submit an invalid spec", "invalid job spec")
    t.check(bad in r.err and "colour" in r.err, "names the file and the key", r.err)
    r = fails(t, ctl("submit", "-", stdin="{not json"), 6, "submit invalid JSON on stdin", "standard input")
    fails(t, ctl("submit", os.path.join(t.base, "missing.json")), 1, "submit a missing file", "cannot read")

    # capabilities, profiles, sources, inspect
    r = ok(t, ctl("capabilities"), "capabilities")
    t.check("output:local" in r.out.splitlines(), "capabilities lists output:local", r.out)
    r = ok(t, ctl("capabilities", "--json"), "capabilities --json")
    caps = r.json()
    t.check("input:disk" in caps["capabilities"] and caps["mode"] == "user", "capabilities --json", caps)
    r = ok(t, ctl("profiles", "--json"), "profiles --json")
    t.check(isinstance(r.json(), list), "profiles --json is a list", r.out)
    ok(t, ctl("profiles"), "profiles")
    r = ok(t, ctl("sources", "--uri", "test:///default"), "sources --uri test:///default")
    t.check(r.out.splitlines()[1].split()[:2] == ["test", "running"], "sources: the test driver's VM", r.out)
    fails(t, ctl("sources"), 2, "sources without a source")
    fails(t, ctl("sources", "not json"), 2, "sources with a bad source")

    d.stop()
    fails(t, ctl("status", "1"), 3, "status after the daemon stopped", "v2vd is not running")
    t.assert_no_leftovers()


run_test(test)
