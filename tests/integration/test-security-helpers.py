#!/usr/bin/env python3
"""Nothing a caller controls is waited for on the event loop, and helpers
start with fresh stdio, on v2vd --system with a
real polkitd (tests/lib/with-system-bus, rules security-bus.rules: v2vdta
may create jobs, v2vdtb may browse sources).

  * root's own CreateJob (the daemon's uid) names a disk on a FUSE mount
    of root's that never answers: its check runs in a helper as well,
    ListJobs keeps answering, the CreateJob fails with the timeout error;
    once unmounted, the next one works.
  * v2vdta mounts a FUSE file system of its own that never answers
    (tests/lib/fusestall.py, through the setuid fusermount3) and names a
    disk on it: the path check as v2vdta hangs in stat(). Root's ListJobs
    keeps answering (its latency is printed); the CreateJob fails alone,
    after the check's timeout, with a clear error; a 5th such call while 4
    hang is refused at once (LimitsExceeded). Cancel's cleanup of a job
    whose output directory the owner swapped for a link into the mount is
    killed at its timeout, the daemon answering meanwhile.
  * a program of v2vdtb's started by libvirt in the sources helper
    (qemu+ext:///system?command=) takes the helper's stderr (the helper is
    v2vdtb's own process) and finds a pipe, not the daemon's journal
    stream; what it writes there ("<0>v2vd[job 1]: ...", an
    escape sequence, 200 lines) is logged as v2vdtb's words, escaped, with
    its uid and at most 20 lines.
  * CheckJob's helper (v2vd-sources, checking the spec as the caller) is
    bounded as every helper: v2vdta's 4 checks of a disk on its stalled
    mount are held, its 5th is refused at once (LimitsExceeded naming its
    uid), and so is its CreateJob (the same count of v2vdta's helpers);
    v2vdtb's ListSourceVMs and root's CheckJob still run, root's ListJobs
    answers meanwhile; once the mount goes, v2vdta's checks run again.
"""
import json
import os
import subprocess
import threading
import time

from v2vdtest import (run_test, log, make_image, job_path, wait_for, MANAGER_PATH, MANAGER_IFACE, JOB_IFACE, BUS_NAME)
from v2vdsystem import SystemDaemon, users, as_user, run_as, give, user_call, user_create_job, user_dir, user_image
import minibus

HERE = os.path.dirname(os.path.abspath(__file__))
FUSESTALL = os.path.join(HERE, "..", "lib", "fusestall.py")
TIMEOUT_ERROR = "org.freedesktop.DBus.Error.Timeout"
LIMITS_EXCEEDED = "org.v2vd.V2V1.Error.LimitsExceeded"
CHECK_TIMEOUT = 10      # OWNER_CHECK_TIMEOUT_USEC
CLEANUP_TIMEOUT = 30    # OWNER_CLEANUP_TIMEOUT_USEC
CHECK_JOB_TIMEOUT = 20  # source_timeout_sec: how long a CheckJob may run


class Latency:
    """Root's ListJobs, every 0.2 s on one connection, while something else
    goes on: the slowest answer."""
    def __init__(self):
        self.worst, self.calls, self.stop = 0.0, 0, False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        with minibus.Connection(timeout=60) as c:
            while not self.stop:
                t0 = time.monotonic()
                c.call(BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "ListJobs")
                self.worst = max(self.worst, time.monotonic() - t0)
                self.calls += 1
                time.sleep(0.2)

    def end(self):
        self.stop = True
        self.thread.join(30)
        return self.worst


def create_async(user, spec, method="CreateJob"):
    """METHOD (CreateJob, CheckJob, ListSourceVMs: one string) as USER in
    the background; answer() gives [error name or "ok", text, seconds]."""
    p = subprocess.Popen(as_user(user, ["python3", "-c", """
import json, sys, time
import minibus
c = minibus.Connection(timeout=90)
t0 = time.monotonic()
try:
    r = c.call("org.v2vd.V2V1", "/org/v2vd/V2V1", "org.v2vd.V2V1.Manager", sys.argv[1], "s", sys.stdin.read())
    print(json.dumps(["ok", " ".join(r), time.monotonic() - t0]))
except minibus.CallError as e:
    print(json.dumps([e.name, e.message, time.monotonic() - t0]))
""", method]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write(json.dumps(spec))
    p.stdin.close()
    return p


def answer(p):
    out = p.stdout.read()
    p.wait(90)
    return json.loads(out)


def daemon_log(d):
    with open(d.stderr_path, errors="replace") as f:
        return f.read()


def test(t):
    d = SystemDaemon(os.path.join(t.base, "daemon"), config={"max_running_jobs": 2,
                                                             "source_timeout_sec": CHECK_JOB_TIMEOUT})
    t.daemon = d
    d.start()
    os.chmod(t.base, 0o755)
    uid_a, uid_b = users()["v2vdta"][0], users()["v2vdtb"][0]
    home = user_dir("v2vdta", t.base, "home-a")

    root_stall(t, d)
    if not os.environ.get("V2VD_TEST_QUICK"):
        stall(t, d, home, uid_a)
    check_stall(t, d, home, uid_a)
    caller_stderr(t, d, uid_b)


def check_stall(t, d, home, uid_a):
    # ---- CheckJob's helper, bounded as the others: checks of a disk on the
    # caller's FUSE mount that never answers.
    mnt = user_dir("v2vdta", home, "fuse-check")
    fuse = subprocess.Popen(as_user("v2vdta", ["python3", FUSESTALL, mnt]), stdout=subprocess.PIPE, text=True)
    t.check_eq(fuse.stdout.readline().strip(), "ready", "v2vdta mounted a FUSE file system that never answers")
    try:
        out = user_dir("v2vdta", home, "out-check")
        spec = {"vm_name": "c", "disk": [os.path.join(mnt, "disk.img")], "output_dir": out}
        lat = Latency()
        held = [create_async("v2vdta", dict(spec, vm_name="c%d" % i), "CheckJob") for i in range(4)]
        time.sleep(2)
        t.check(all(p.poll() is None for p in held), "v2vdta's 4 CheckJob calls are held by the stalled mount",
                [answer(p) for p in held if p.poll() is not None])
        fifth = answer(create_async("v2vdta", dict(spec, vm_name="c5"), "CheckJob"))
        t.check(fifth[0] == LIMITS_EXCEEDED and "uid %d" % uid_a in fifth[1] and fifth[2] < 5,
                "a 5th CheckJob of v2vdta's while 4 hang: refused at once with LimitsExceeded naming its uid", fifth)
        t.note("... %s (%.2f s)" % (fifth[1], fifth[2]))
        r = user_create_job("v2vdta", json.dumps({"vm_name": "x", "disk": [os.path.join(home, "none.img")],
                                                  "output_dir": out}))
        t.check(r[0] == "error" and r[1] == LIMITS_EXCEEDED,
                "... and its CreateJob too: its path check is one more helper of v2vdta's", r)
        other = answer(create_async("v2vdtb", {"uri": "test:///default"}, "ListSourceVMs"))
        t.check(other[0] == "ok" and "test" in other[1],
                "v2vdtb's ListSourceVMs (another uid's helper) runs meanwhile", other)
        img = make_image(t.base, "rootcheck", {})
        with minibus.Connection(timeout=60) as c:
            t0 = time.monotonic()
            c.call(BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "CheckJob", "s",
                   json.dumps({"vm_name": "r", "disk": [img], "output_dir": t.base}))
            t.check(time.monotonic() - t0 < 10, "root's CheckJob runs meanwhile", time.monotonic() - t0)
        answers = [answer(p) for p in held]
        worst = lat.end()
        t.check(all(a[0] == "ok" and CHECK_JOB_TIMEOUT - 1 < a[2] < CHECK_JOB_TIMEOUT + 10 for a in answers),
                "the 4 held checks answer (their findings) at the timeout, %d s" % CHECK_JOB_TIMEOUT, answers)
        t.check(lat.calls > 20 and worst < 2.0, "root's ListJobs answered all along (%d calls)" % lat.calls, worst)
        t.note("ListJobs latency while 4 checks hang on FUSE: worst %.3f s over %d calls" % (worst, lat.calls))
    finally:
        fuse.terminate()
        fuse.wait(10)
    # Killed, the helpers count until they are reaped, which the mount's
    # end allows.
    def check_runs():
        a = answer(create_async("v2vdta", dict(spec, disk=[os.path.join(home, "none.img")]), "CheckJob"))
        return a if a[0] == "ok" else None
    a = wait_for(check_runs, 20, "v2vdta's checks to be reaped", interval=0.5)
    t.check(a[0] == "ok", "once v2vdta unmounts, its checks are reaped and its CheckJob runs", a)


def root_stall(t, d):
    # ---- root's own job (the daemon's uid: nothing dropped) with a disk on
    # a FUSE mount that never answers: its check runs in a helper too, not
    # on the loop. (A FIFO is refused by its stat() alone: not a disk.)
    mnt = os.path.join(t.base, "root-fuse")
    os.makedirs(mnt)
    fuse = subprocess.Popen(["python3", FUSESTALL, mnt], stdout=subprocess.PIPE, text=True)
    t.check_eq(fuse.stdout.readline().strip(), "ready", "root mounted a FUSE file system that never answers")
    out = os.path.join(t.base, "root-out")
    os.makedirs(out)
    lat = Latency()
    p = subprocess.Popen(["python3", "-c", """
import json, sys, time
import minibus
c = minibus.Connection(timeout=90)
t0 = time.monotonic()
try:
    r = c.call("org.v2vd.V2V1", "/org/v2vd/V2V1", "org.v2vd.V2V1.Manager", "CreateJob", "s", sys.stdin.read())
    print(json.dumps(["ok", " ".join(r), time.monotonic() - t0]))
except minibus.CallError as e:
    print(json.dumps([e.name, e.message, time.monotonic() - t0]))
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write(json.dumps({"vm_name": "rootfuse", "disk": [os.path.join(mnt, "disk.img")], "output_dir": out}))
    p.stdin.close()
    try:
        a = answer(p)
        worst = lat.end()
    finally:
        fuse.terminate()
        fuse.wait(10)
    t.check(a[0] == TIMEOUT_ERROR and "could not be checked as uid 0" in a[1],
            "root's CreateJob with a disk on the stalled mount fails with the check's timeout error", a)
    t.check(CHECK_TIMEOUT - 1 < a[2] < CHECK_TIMEOUT + 10, "... after the check's timeout (%d s)" % CHECK_TIMEOUT,
            a[2])
    t.check(lat.calls > 20 and worst < 2.0, "root's ListJobs answered while root's own check hung (%d calls)"
            % lat.calls, worst)
    t.note("ListJobs latency while root's own path check hangs on FUSE: worst %.3f s over %d calls"
           % (worst, lat.calls))
    # Unmounted, the killed check is reaped: root's next CreateJob works.
    time.sleep(1)
    img = make_image(os.path.join(t.base, "root-img"), "rootok", {"step_delay": 0.01})
    r = user_call_root_create(json.dumps({"vm_name": "rootok", "disk": [img], "output_dir": out}))
    t.check(r[0] == "ok", "root's next CreateJob works", r)
    if r[0] == "ok":
        job = r[1].split()[0]
        t.jobs.append(job)
        t.wait_finished(job, timeout=60)


def user_call_root_create(text):
    p = subprocess.run(["python3", "-c", """
import json, sys
import minibus
c = minibus.Connection(timeout=60)
try:
    print(json.dumps(["ok", " ".join(c.call("org.v2vd.V2V1", "/org/v2vd/V2V1", "org.v2vd.V2V1.Manager",
                                            "CreateJob", "s", sys.stdin.read()))]))
except minibus.CallError as e:
    print(json.dumps([e.name, e.message]))
"""], input=text, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=90)
    return json.loads(p.stdout)


def stall(t, d, home, uid_a):
    # ---- a disk on a FUSE mount of the caller's that never answers.
    mnt = os.path.join(home, "fuse")
    os.makedirs(mnt)
    give("v2vdta", mnt)
    fuse = subprocess.Popen(as_user("v2vdta", ["python3", FUSESTALL, mnt]), stdout=subprocess.PIPE, text=True)
    t.check_eq(fuse.stdout.readline().strip(), "ready", "v2vdta mounted a FUSE file system that never answers")
    try:
        img = user_image("v2vdta", home, "guest", {"step_delay": 0.02, "hang_at": "Copying disk 1/1"})
        out = user_dir("v2vdta", home, "out")

        lat = Latency()
        stalled = [create_async("v2vdta", {"vm_name": "s%d" % i, "disk": [os.path.join(mnt, "disk.img")],
                                           "output_dir": out}) for i in range(4)]
        time.sleep(1.5)
        fifth = answer(create_async("v2vdta", {"vm_name": "s5", "disk": [os.path.join(mnt, "disk.img")],
                                               "output_dir": out}))
        t.check_eq(fifth[0], LIMITS_EXCEEDED, "a 5th CreateJob while 4 path checks of v2vdta's hang: refused at once")
        t.note("... %s (%.2f s)" % (fifth[1], fifth[2]))
        answers = [answer(p) for p in stalled]
        worst = lat.end()
        t.check(all(a[0] == TIMEOUT_ERROR and "could not be checked as uid %d" % uid_a in a[1] for a in answers),
                "the 4 CreateJob calls with a disk on the stalled mount fail alone, with a clear error", answers)
        t.check(all(CHECK_TIMEOUT - 1 < a[2] < CHECK_TIMEOUT + 10 for a in answers),
                "... after the check's timeout (%d s)" % CHECK_TIMEOUT, [a[2] for a in answers])
        t.note("... %s" % answers[0][1])
        t.check(lat.calls > 20 and worst < 2.0, "root's ListJobs answered all along (%d calls)" % lat.calls, worst)
        t.note("ListJobs latency while 4 path checks hang on FUSE: worst %.3f s over %d calls" % (worst, lat.calls))
        # A process the kernel has handed to the FUSE server cannot die until
        # it answers or the mount goes: the killed checks count for v2vdta
        # (and only for it) until they are reaped.
        r = user_create_job("v2vdta", json.dumps({"vm_name": "guest", "disk": [img], "output_dir": out}))
        t.check(r[0] == "error" and r[1] == LIMITS_EXCEEDED, "while the killed checks hang in the kernel, v2vdta's "
                "next CreateJob is refused at once", r)
        fuse.terminate()
        fuse.wait(10)
        time.sleep(1)
        r = user_create_job("v2vdta", json.dumps({"vm_name": "guest", "disk": [img], "output_dir": out}))
        t.check(r[0] == "ok", "once v2vdta unmounts, its checks are reaped and its CreateJob works", r)
        job = r[1].split()[0]
        t.jobs.append(job)

        # Cancel's cleanup through a link into the mount.
        t.wait_state(job, "running", timeout=30)
        wait_for(lambda: os.path.exists(os.path.join(out, "guest-sda")), 30, "the job's output disk")
        fuse = subprocess.Popen(as_user("v2vdta", ["python3", FUSESTALL, mnt]), stdout=subprocess.PIPE, text=True)
        t.check_eq(fuse.stdout.readline().strip(), "ready", "v2vdta mounts it again")
        p = run_as("v2vdta", ["sh", "-c", 'mv "$1" "$1.real" && ln -s "$2" "$1"', "sh", out, mnt])
        t.check(p.returncode == 0, "the owner swaps its output directory for a link into the mount", p.stderr)
        lat = Latency()
        t0 = time.monotonic()
        r = user_call("v2vdta", job_path(job), JOB_IFACE, "Cancel")
        t.check(r[0] == "ok" and time.monotonic() - t0 < 5, "v2vdta's Cancel answered", r)
        t.check_eq(t.wait_finished(job, timeout=30), "cancelled", "the job")
        wait_for(lambda: "cleanup as uid %d did not end in time; killed" % uid_a in daemon_log(d),
                 CLEANUP_TIMEOUT + 20, "the cleanup to be killed at its timeout")
        worst = lat.end()
        t.check(worst < 2.0, "root's ListJobs answered while the cleanup hung (%d calls)" % lat.calls, worst)
        t.note("ListJobs latency while Cancel's cleanup hangs on FUSE: worst %.3f s over %d calls"
               % (worst, lat.calls))
        t.check(os.path.exists(os.path.join(out + ".real", "guest-sda")), "(nothing was removed through the link)")
    finally:
        fuse.terminate()
        fuse.wait(10)



def caller_stderr(t, d, uid_b):
    # ---- a caller's program writing on the helper's stderr.
    home_b = os.path.join(t.base, "home-b")
    os.makedirs(home_b)
    give("v2vdtb", home_b)
    prog = os.path.join(home_b, "prog")
    with open(prog, "w") as f:
        # libvirt gives the command a stderr pipe of its own, but the helper
        # that started it is the caller's own process: the command attaches
        # to it (gdb, as any process of the same user may) and writes on its
        # fd 2, as code of the caller's in the helper (a libvirt module, a
        # preloaded library) would.
        f.write('#!/bin/sh\nreadlink /proc/$PPID/fd/2 > "%s/fd2"\n'
                'gdb -p $PPID -batch -nx -x "%s/write.gdb" > "%s/gdb.log" 2>&1\nexit 1\n' % (home_b, home_b, home_b))
    with open(os.path.join(home_b, "write.gdb"), "w") as f:
        f.write('call (int) dprintf(2, "title \\033]0;owned\\007 clear \\033[2J\\n")\n'
                "set $i = 0\nwhile $i < 40\n"
                'call (int) dprintf(2, "<0>v2vd[job 1]: forged emergency %d\\n", $i)\n'
                "set $i = $i + 1\nend\ndetach\n")
    os.chmod(prog, 0o755)
    give("v2vdtb", prog)
    source = json.dumps({"uri": "qemu+ext:///system?command=" + prog})
    r = user_call("v2vdtb", MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", source)
    t.check(r[0] == "error", "v2vdtb's ListSourceVMs through its own qemu+ext command fails (it speaks no RPC)", r)
    wait_for(lambda: os.path.exists(os.path.join(home_b, "fd2")), 20, "the program to run")
    with open(os.path.join(home_b, "fd2")) as f:
        fd2 = f.read().strip()
    t.check(fd2.startswith("pipe:"), "the helper's stderr, which the program took, is a pipe (the daemon reads it), "
            "not the daemon's own stderr or journal stream", fd2)
    try:
        wait_for(lambda: "forged emergency" in daemon_log(d), 20, "its lines in the daemon's log")
    finally:
        with open(os.path.join(home_b, "gdb.log")) as f:
            log("  the program's gdb: %s" % f.read()[-600:])
    time.sleep(1)
    logged = [line for line in daemon_log(d).splitlines() if "forged emergency" in line]
    t.check(logged and all(line.startswith("v2vd: v2vd-sources for ListSourceVMs (as uid %d) said: <0>v2vd[job 1]"
                                                           % uid_b)
                           for line in logged),
            "each is logged as v2vdtb's words (uid %d), after the daemon's own prefix" % uid_b, logged[:3])
    t.check(0 < len(logged) <= 20, "at most 20 lines of the helper's 41 are logged", len(logged))
    t.check("more output not logged" in daemon_log(d), "... and the rest is said to be dropped")
    t.check("\x1b" not in daemon_log(d) and "\x07" not in daemon_log(d),
            "no control character of the program's reaches the log")
    t.check("title \\x1b]0;owned\\x07 clear \\x1b[2J" in daemon_log(d), "... its escape sequences are logged escaped")


run_test(test)
