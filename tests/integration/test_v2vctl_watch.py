#!/usr/bin/env python3
"""v2vctl watch and submit --wait: plain lines without a terminal; on a
pseudo-terminal the live display (one bar line per disk with percentage,
rate and ETA, redrawn in place, phases above it); exit 0 only on success;
a failing job exits 1 with virt-v2v's error; Ctrl-C leaves the job running
and says so (exit 130); watching a finished job prints its end at once."""
import re
import time

from v2vdtest import run_test
from test_v2vctl_common import ctl, ok, fails, disk_spec, write_spec, PtyRun


def test(t):
    # The plain lines are checked at 50 %: the fake copies in 1.5 s, so the
    # daemon sends progress every 100 ms here (progress_interval_ms; the
    # default 500 ms would fold 50 % into the next value).
    t.start_daemon(config={"progress_interval_ms": 100})

    # --- no terminal: submit --wait, plain lines
    img, spec = disk_spec(t, "plain", {"step_delay": 0.02, "copy_seconds": 1.5})
    r = ok(t, ctl("submit", write_spec(t, spec, "plain.json"), "--wait", timeout=60), "submit --wait (no tty)")
    lines = r.out.splitlines()
    job = lines[0]
    t.jobs.append(job)
    t.check(re.fullmatch(r"[A-Za-z0-9_]+", job) is not None, "first line is the job id", lines[0])
    t.check("\033" not in r.out and "\r" not in r.out, "no terminal control sequences", repr(r.out[:500]))
    t.check("job %s: Copying disk 1/1" % job in lines, "plain line for the copy phase", r.out)
    t.check("job %s: disk 1/1 (plain.img)  50%%" % job in lines, "plain line at 50%", r.out)
    t.check("job %s: disk 1/1 (plain.img) 100%%" % job in lines, "plain line at 100%", r.out)
    t.check(lines[-1].startswith("Job %s (plain) succeeded" % job), "ends with the result", r.out)
    t.check_eq(t.prop(job, "State"), "succeeded", "the job succeeded")

    # watching a finished job: the result at once
    r = ok(t, ctl("watch", job, timeout=10), "watch a finished job")
    t.check("succeeded" in r.out.splitlines()[-1], "says it succeeded", r.out)

    # --- a failing job: exit 1 and the error
    img, spec = disk_spec(t, "broken", {"step_delay": 0.02, "fail_at": "Inspecting the source",
                                        "error": "inspection could not detect the source guest"})
    r = fails(t, ctl("submit", write_spec(t, spec, "broken.json"), "--wait", timeout=60), 1, "submit --wait, job fails")
    t.jobs.append(r.out.splitlines()[0])
    t.check("failed (virt-v2v exit status 1)" in r.out and "inspection could not detect" in r.out,
            "says it failed, with virt-v2v's error", r.out)
    t.check("v2vctl --user log" in r.out, "points at the log", r.out)

    # --- on a terminal: the live display, two disks
    img_a, spec = disk_spec(t, "tty", {"step_delay": 0.05, "copy_seconds": 2.0})
    from v2vdtest import make_image
    import os
    img_b = make_image(os.path.join(t.base, "img-tty"), "tty-second", size=20 * 1024 * 1024)
    spec["disk"] = [img_a, img_b]
    p = PtyRun("submit", write_spec(t, spec, "tty.json"), "--wait")
    rc = p.wait(90)
    out = p.text()
    t.check_eq(rc, 0, "submit --wait on a pty: exit status")
    t.check("\033[K" in out and re.search(r"\033\[\d+A", out) is not None, "redraws in place (cursor up, clear line)",
            repr(out[:300]))
    t.check("█" in out and "░" in out, "draws bars", repr(out[-600:]))
    bar_lines = [l for l in re.split(r"[\r\n]", re.sub(r"\033\[[0-9;]*[A-Za-z]", "\n", out)) if "[" in l and "%" in l]
    t.check(any(re.search(r"1/2\s+tty\.img\s+\[[█░]+\]\s+\d+\.\d%\s+\S+ (KiB|MiB|B)/s\s+ETA \d+:\d\d", l)
                for l in bar_lines), "a disk line with bar, percentage, rate and ETA", bar_lines[-6:])
    t.check(any(re.search(r"2/2\s+tty-second\.img", l) for l in bar_lines), "a line for the second disk",
            bar_lines[-6:])
    t.check(all(len(l) < 80 for l in bar_lines), "live lines fit the 80-column terminal",
            [l for l in bar_lines if len(l) >= 80][:3])
    t.check(re.search(r"\[\s*\d+:\d\d\] Copying disk 2/2", out) is not None, "phases scroll above the display",
            out[-2000:])
    t.check(re.search(r"Job \w+ \(tty\) succeeded after", out) is not None, "ends with the result", out[-500:])
    t.check("done" in out, "finished disks say done")
    t.jobs.append(out.split("\r\n")[0].strip())

    # --- Ctrl-C on a terminal: the job goes on
    img, spec = disk_spec(t, "long", {"step_delay": 0.02, "copy_seconds": 60})
    r = ok(t, ctl("submit", write_spec(t, spec, "long.json")), "submit a long job")
    long_job = r.out.strip()
    t.jobs.append(long_job)
    p = PtyRun("watch", long_job)
    p.wait_text("Copying disk 1/1", 30)
    p.wait_text("ETA", 30)
    p.interrupt()
    rc = p.wait(10)
    t.check_eq(rc, 130, "watch interrupted by SIGINT: exit status")
    t.check("job %s keeps running" % long_job in p.text(), "says the job keeps running", p.text()[-400:])
    time.sleep(0.5)
    t.check_eq(t.prop(long_job, "State"), "running", "the job is still running")

    # --- Ctrl-C with submit --wait (no terminal): same
    import subprocess, signal
    from test_v2vctl_common import V2VCTL
    proc = subprocess.Popen([V2VCTL, "--user", "watch", long_job], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    t.check_eq(proc.returncode, 130, "plain watch interrupted: exit status")
    t.check("keeps running" in err, "plain watch: says the job keeps running", err)

    # no signals at all (virt-v2v hangs): the elapsed clock still moves
    img, spec = disk_spec(t, "hang", {"step_delay": 0.02, "hang_at": "Inspecting the source"})
    r = ok(t, ctl("submit", write_spec(t, spec, "hang.json")), "submit a job that hangs")
    hang = r.out.strip()
    t.jobs.append(hang)
    p = PtyRun("watch", hang)
    p.wait_text("Inspecting the source", 30)
    mark = len(p.data)
    # the whole job's progress: "Inspecting the source" is its 3% floor
    p.wait_text("running · Inspecting the source  3.0%  0:03", 30)
    t.check(b"\033[" in p.data[mark:], "redrawn from the clock alone while nothing changes")
    p.interrupt()
    t.check_eq(p.wait(10), 130, "interrupted")
    ok(t, ctl("cancel", hang), "cancel the hanging job")

    # cancelling while watched: exit 1, "was cancelled"
    proc = subprocess.Popen([V2VCTL, "--user", "watch", long_job], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(1)
    ok(t, ctl("cancel", long_job), "cancel the watched job")
    out, err = proc.communicate(timeout=30)
    t.check_eq(proc.returncode, 1, "watch of a cancelled job: exit status")
    t.check("was cancelled" in out, "says it was cancelled", out)
    t.assert_no_leftovers()


run_test(test)
