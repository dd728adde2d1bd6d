#!/usr/bin/env python3
"""Files the job's owner can write are untrusted,
on v2vd --system with a real polkitd (tests/lib/with-system-bus, rules
security-owner.rules: v2vdta may create jobs, v2vdtb nothing).

  * the owner appends messages carrying an OSC title sequence, a
    clear screen, C1 controls and a bidi override to its job's
    v2v-machine.log and v2v.log; LastMessage and Phase hold them escaped,
    and root's `v2vctl status`, `list` and `log`, plain and on a terminal,
    print no control character.
  * the owner makes its running job's v2v-machine.log a 15 TB
    sparse file, floods it with 100 MB of messages, or truncates it: the
    daemon's CPU stays low (printed) and the job fails, saying why, instead
    of being followed for as long as the owner keeps it alive.
"""
import json
import os
import re
import subprocess
import time

from v2vdtest import run_test, make_image, job_path, get_property, wait_for, log, memory_checker, JOB_IFACE
from v2vdsystem import SystemDaemon, run_as, user_create_job, give, user_dir, user_image

V2VCTL = os.path.join(os.path.dirname(os.environ["V2VD_BINARY"]), "..", "client", "v2vctl")
HOSTILE = "\x1b]0;owned-title\x07\x1b[2J\x1b[H\u009b31mred\u202eexe.txt\x7f"
# what must never reach a terminal: C0 but \t \n (\r neither), DEL, C1
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]")


def v2vctl(*args, tty=False):
    argv = [os.path.realpath(V2VCTL), "--no-pager"] + list(args)
    if tty:
        # a terminal of its own: script(1) runs it on a pty, COLUMNS fixed
        cmd = " ".join("'%s'" % a for a in argv)
        argv = ["script", "-qec", cmd, "/dev/null"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                       env=dict(os.environ, COLUMNS="200", LANG="C.UTF-8"))
    return p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


def test(t):
    d = SystemDaemon(os.path.join(t.base, "daemon"), config={"max_running_jobs": 2})
    t.daemon = d
    d.start()
    os.chmod(t.base, 0o755)
    home = user_dir("v2vdta", t.base, "home-a")
    echo = os.path.join(home, "echo")
    img = user_image("v2vdta", home, "guest", {"step_delay": 0.02, "hang_at": "Copying disk 1/1", "hang_echo": echo})
    out = user_dir("v2vdta", home, "out")

    # ---- control characters from the owner's logs.
    r = user_create_job("v2vdta", json.dumps({"vm_name": "guest", "disk": [img], "output_dir": out}))
    t.check(r[0] == "ok", "v2vdta creates a job", r)
    job = r[1].split()[0]
    t.jobs.append(job)
    t.wait_state(job, "running", timeout=30)
    jdir = d.job_dir(job)
    wait_for(lambda: get_property(job_path(job), JOB_IFACE, "Phase").startswith("Copying disk 1/1"), 30,
             "the job to copy")
    lines = "".join(json.dumps({"type": "message", "message": "step %d %s" % (i, HOSTILE)}) + "\n"
                    for i in range(40))
    p = run_as("v2vdta", ["sh", "-c", 'cat >> "$1"', "sh", os.path.join(jdir, "v2v-machine.log")], input=lines)
    t.check(p.returncode == 0, "the owner appends 40 messages with OSC, CSI, C1 and bidi to v2v-machine.log",
            p.stderr)
    # v2v.log is virt-v2v's stdout: the owner writes into it through its own
    # virt-v2v process (here the fake's hang_echo)
    p = run_as("v2vdta", ["sh", "-c", 'cat > "$1"', "sh", echo],
               input="[  99.0] Hostile %s phase\nplain line %s\n" % (HOSTILE, HOSTILE))
    t.check(p.returncode == 0, "... and, through its virt-v2v, a phase line and a plain line to v2v.log", p.stderr)
    wait_for(lambda: b"plain line" in open(os.path.join(jdir, "v2v.log"), "rb").read(), 20,
             "the owner's lines in v2v.log")
    wait_for(lambda: "step 39" in get_property(job_path(job), JOB_IFACE, "LastMessage")[1], 20,
             "LastMessage to take the owner's last message")
    msg = get_property(job_path(job), JOB_IFACE, "LastMessage")[1]
    t.check(not CONTROL.search(msg), "LastMessage holds no control character", msg)
    t.check("\\x1b]0;owned-title\\x07\\x1b[2J" in msg and "\\u009b31m" in msg and "\\u202e" in msg,
            "... but shows them escaped", msg)
    wait_for(lambda: b"plain line" in open(os.path.join(jdir, "v2v.log"), "rb").read(), 20,
             "the owner's lines in v2v.log")
    wait_for(lambda: "step 39" in get_property(job_path(job), JOB_IFACE, "Phase"), 20, "the owner's phase")
    phase = get_property(job_path(job), JOB_IFACE, "Phase")
    t.check(not CONTROL.search(phase), "Phase holds no control character", phase)

    for args in (("status", job), ("list",), ("log", job)):
        for tty in (False, True):
            rc, text = v2vctl(*args, tty=tty)
            what = "root's v2vctl %s%s" % (" ".join(args), " on a terminal" if tty else "")
            t.check_eq(rc, 0, what)
            bad = CONTROL.search(text.replace("\r\n", "\n"))
            t.check(not bad, "%s prints no control character" % what, repr(text[-600:]))
            if args[0] == "log":
                t.check("Hostile \\x1b]0;owned-title" in text, "%s shows the owner's line escaped" % what,
                        repr(text[-600:]))
            if args[0] != "list":
                t.check("\\x1b" in text, "%s shows the owner's escape sequences escaped" % what, repr(text[-600:]))

    tamper(t, d, home, out)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tamper(t, d, home, out):
    pid = d.proc.pid
    attacks = [
        ("a 15 TB sparse v2v-machine.log (truncate -s 15T)", ["truncate", "-s", "15T"], "has a hole"),
        ("100 MB of messages appended to v2v-machine.log",
         ["sh", "-c", 'yes \'{"message": "Copying disk 1/1", "type": "message"}\' | head -c 100000000 >> "$1"',
          "sh"], "over 64 MiB"),
        ("v2v-machine.log truncated to nothing", ["truncate", "-s", "0"], "shrank"),
    ]
    for i, (what, argv, reason) in enumerate(attacks):
        img = make_image(home, "t%d" % i, {"step_delay": 0.02, "hang_at": "Copying disk 1/1"})
        give("v2vdta", img, img + ".fake.json")
        r = user_create_job("v2vdta", json.dumps({"vm_name": "t%d" % i, "disk": [img], "output_dir": out}))
        t.check(r[0] == "ok", "v2vdta creates job t%d" % i, r)
        job = r[1].split()[0]
        t.jobs.append(job)
        t.wait_state(job, "running", timeout=30)
        wait_for(lambda: get_property(job_path(job), JOB_IFACE, "Phase").startswith("Copying disk 1/1"), 30,
                 "job t%d to copy" % i)
        machine_log = os.path.join(d.job_dir(job), "v2v-machine.log")
        c0, w0 = cpu_seconds(pid), time.monotonic()
        p = run_as("v2vdta", argv + [machine_log], timeout=120)
        t.check(p.returncode == 0, "the owner: %s" % what, p.stderr)
        state = t.wait_finished(job, timeout=60)
        # what the daemon spends while the owner's file is there: until the
        # job ended, and 3 s more
        time.sleep(3)
        c1, w1 = cpu_seconds(pid), time.monotonic()
        t.check_eq(state, "failed", "the job with %s" % what)
        msg = get_property(job_path(job), JOB_IFACE, "LastMessage")
        t.check(msg[0] == "error" and reason in msg[1], "... saying why", msg)
        t.note("%s: LastMessage %r; the daemon used %.2f s of CPU in %.1f s (%.0f %%)"
               % (what, msg[1], c1 - c0, w1 - w0, 100 * (c1 - c0) / (w1 - w0)))
        if memory_checker(pid):
            # parsing the budget's 8 MiB a second costs several times more there
            log("       (the daemon's CPU under %s: not checked)" % memory_checker(pid))
        else:
            t.check((c1 - c0) / (w1 - w0) < 0.5, "the daemon's CPU stayed under half a core", c1 - c0)
        t.check(d.running(), "the daemon is running")


run_test(test)
