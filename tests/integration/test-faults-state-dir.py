#!/usr/bin/env python3
"""Faults: the state directory full, then read-only,
while a job copies.

The daemon's state directory is a small tmpfs mounted by the test in its
private mount namespace (tests/lib/with-systemd-user runs every test in
one), so root's disregard of file modes does not matter.

Full (ENOSPC): once the job copies, a filler file takes every free page of
the tmpfs for FULL_SECONDS, then is deleted.

Read-only (EROFS): `mount -o remount,ro` of the state directory's
filesystem is refused with EBUSY while a job runs — virt-v2v's stdout and
stderr are v2v.log in the job directory, open for writing, and the kernel
does not make a filesystem (or a mount) read-only under a writer; the test
checks that, because it decides what "read-only while a job runs" can mean.
An administrator cannot get there; only the kernel can (ext4
errors=remount-ro after an I/O error, an XFS shutdown), and then every write
fails, virt-v2v's to its log included, and the filesystem stays read-only
until it is unmounted — the same harm as the full case below, with no way
back for the job. What the test does instead: it stacks a read-only bind
mount of the same filesystem on the state directory (`mount --bind` onto
itself, then `mount -o remount,bind,ro`). Every write by path name — all the
daemon's writes: state.json, job.json — then fails with EROFS, while the
files already open (v2v.log held by virt-v2v, the runner's directory fd for
exit-status) go on working; unmounting it makes the directory writable again.

In both windows the daemon must: keep the job running (it ends `succeeded`),
say once — not once a second — that it cannot write state.json (counted in
its stderr), say once that it is written again when the window ends, and
then write state.json again (its progress moves on, and at the end it says
succeeded). The fake virt-v2v must not die of the window.

What the fake writes in the windows: only nbdcopy's progress bar on stderr
(the windows lie inside "Copying disk 1/1"; the fake opens its machine-
readable log afresh per line, which it does not do inside a copy). The full
window lasts until the fake has had to append past the page of v2v.log it
was writing into when the space ran out (tmpfs allocates by page). Before
v2vd reserved the logs' space (fallocate FALLOC_FL_KEEP_SIZE in job_start,
given back in job_finish) that append failed with ENOSPC, the fake died of
it, the runner could not write exit-status either, and the job ended
`failed` ("the job's runner ended without recording how virt-v2v ended") —
a full *state* directory killed the *conversion*. The reserve (4 MiB for
v2v.log, 256 KiB for v2v-machine.log) covers a normal run's output; output
beyond it (virt-v2v -v -x writes megabytes) still meets ENOSPC — the
complete fix would be in the runner.

Figures printed: the daemon's lines about the state file per window, how
often state.json was rewritten before/in/after each window.
"""
import errno
import os
import subprocess
import time

from v2vdtest import run_test, make_image, wait_for, log, Daemon, TestFailure

TMPFS_SIZE = "16m"
FULL_SECONDS = 4
RO_SECONDS = 4


def mount(*args):
    return subprocess.run(["mount"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def fill(directory):
    """Write a filler until ENOSPC; returns (path, bytes)."""
    path = os.path.join(directory, "filler")
    n = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for chunk in (65536, 4096, 1):
            buf = b"\0" * chunk
            while True:
                try:
                    n += os.write(fd, buf)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return path, n


def state_lines(d, since):
    """The daemon's stderr lines about state.json after offset SINCE."""
    text = d.stderr()[since:]
    return [l for l in text.splitlines() if "state.json" in l]


def test(t):
    d = Daemon(os.path.join(t.base, "daemon"))
    r = mount("-t", "tmpfs", "-o", "size=%s,mode=0755" % TMPFS_SIZE, "v2vd-state", d.state_dir)
    t.check(r.returncode == 0, "tmpfs of %s on the state directory" % TMPFS_SIZE, r.stdout)
    try:
        run(t, d)
    finally:
        if t.daemon and t.daemon.running():
            t.daemon.stop()
        mount_point = d.state_dir
        for _ in range(3):
            subprocess.run(["umount", "-l", mount_point], stderr=subprocess.DEVNULL)


def job_status(d, job_id):
    try:
        return d.state(job_id)
    except (OSError, ValueError):
        return {}


def run(t, d):
    from v2vdtest import Monitor
    t.monitor = Monitor()
    t.monitor.start()
    t.daemon = d
    d.start()
    log("  daemon started (pid %d)" % d.proc.pid)

    img = make_image(os.path.join(t.base, "img"),
                     control={"step_delay": 0.02, "copy_seconds": 30})
    out = os.path.join(t.base, "out")
    job_id, path = t.create_job(t.spec_disk(img, out_dir=out))
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk") and t.prop(job_id, "Progress") > 0,
             20, "copying with progress")
    v2v_pid = t.prop(job_id, "PID")
    sf = os.path.join(d.job_dir(job_id), "state.json")
    st = os.stat(os.path.join(d.job_dir(job_id), "v2v.log"))
    t.check(st.st_blocks * 512 >= 1024 * 1024 + st.st_size,
            "v2v.log has space reserved beyond its end (%d bytes allocated, size %d)"
            % (st.st_blocks * 512, st.st_size))

    # ---------------------------------------------------------------- full
    since = len(d.stderr())
    filler, nbytes = fill(d.state_dir)
    st_full = job_status(d, job_id)
    t.note("state directory full: filler of %d bytes, then ENOSPC" % nbytes)
    ino0 = os.stat(sf).st_ino
    # Full for FULL_SECONDS, and at least until the fake has had to append
    # to v2v.log past the page it was writing into when the space ran out
    # (tmpfs allocates by page; an append within the last page needs no
    # space): it must have met ENOSPC on its stderr, unless v2vd reserved
    # the log's space beforehand.
    log_path = os.path.join(d.job_dir(job_id), "v2v.log")
    size0 = os.path.getsize(log_path)
    page_end = (size0 // 4096 + 1) * 4096
    t_start = time.monotonic()
    t_end = t_start + FULL_SECONDS
    rewrites = 0
    while time.monotonic() < t_end or (os.path.getsize(log_path) <= page_end
                                       and os.path.exists("/proc/%d" % v2v_pid)
                                       and time.monotonic() < t_start + 30):
        ino = os.stat(sf).st_ino
        rewrites += ino != ino0
        ino0 = ino
        time.sleep(0.05)
    full_secs = time.monotonic() - t_start
    size1 = os.path.getsize(log_path)
    log("  figures: full for %.1f s; v2v.log %d → %d bytes meanwhile (the page it was in ended at %d)"
        % (full_secs, size0, size1, page_end))
    progress_in = t.prop(job_id, "Progress")
    t.check_eq(t.prop(job_id, "State"), "running", "State while the state directory is full")
    t.check(progress_in > st_full.get("progress", 0), "Progress still followed on the bus (%.1f > %.1f)"
            % (progress_in, st_full.get("progress", 0)))
    t.check(os.path.exists("/proc/%d" % v2v_pid), "virt-v2v (pid %d) still runs" % v2v_pid)
    lines = state_lines(d, since)
    failed_lines = [l for l in lines if "cannot write" in l]
    log("  figures: full window %.1f s: %d daemon line(s) about state.json, %d rewrite(s) of it"
        % (full_secs, len(failed_lines), rewrites))
    t.check(len(failed_lines) == 1 and "No space left on device" in failed_lines[0],
            "the failure to write state.json logged once (ENOSPC), not in a loop", lines)
    t.check_eq(rewrites, 0, "state.json not replaced while full")
    os.unlink(filler)
    wait_for(lambda: job_status(d, job_id).get("progress", 0) > st_full.get("progress", 0), 5,
             "state.json written again after space came back")
    wait_for(lambda: any("written again" in l for l in state_lines(d, since)), 5, "'written again' logged")
    lines = state_lines(d, since)
    t.check(len([l for l in lines if "written again" in l]) == 1, "'state.json is written again' logged once", lines)
    t.check(os.path.exists("/proc/%d" % v2v_pid), "virt-v2v still runs after the full window")

    # ---------------------------------------------------------------- read-only
    r = mount("-o", "remount,ro", d.state_dir)
    t.check(r.returncode != 0 and "busy" in r.stdout.lower(),
            "mount -o remount,ro is refused (EBUSY) while virt-v2v writes v2v.log", r.stdout.strip())
    if r.returncode == 0:
        mount("-o", "remount,rw", d.state_dir)
    since = len(d.stderr())
    r = mount("--bind", d.state_dir, d.state_dir)
    t.check(r.returncode == 0, "bind mount of the state directory onto itself", r.stdout)
    r = mount("-o", "remount,bind,ro", d.state_dir)
    t.check(r.returncode == 0, "… made read-only", r.stdout)
    try:
        open(os.path.join(d.job_dir(job_id), "probe"), "w").close()
        t.check(False, "writes by path fail with EROFS")
    except OSError as e:
        t.check(e.errno == errno.EROFS, "writes by path fail with EROFS", e)
    st_ro = job_status(d, job_id)
    time.sleep(RO_SECONDS)
    t.check_eq(t.prop(job_id, "State"), "running", "State while the state directory is read-only")
    t.check(t.prop(job_id, "Progress") > st_ro.get("progress", 0), "Progress still followed on the bus")
    t.check(os.path.exists("/proc/%d" % v2v_pid), "virt-v2v still runs")
    lines = state_lines(d, since)
    failed_lines = [l for l in lines if "cannot write" in l]
    log("  figures: read-only window %d s: %d daemon line(s) about state.json" % (RO_SECONDS, len(failed_lines)))
    t.check(len(failed_lines) == 1 and "Read-only file system" in failed_lines[0],
            "the failure to write state.json logged once (EROFS), not in a loop", lines)
    t.check_eq(job_status(d, job_id).get("progress"), st_ro.get("progress"), "state.json unchanged while read-only")
    r = subprocess.run(["umount", d.state_dir], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t.check(r.returncode == 0, "read-only mount removed: writable again", r.stdout)
    wait_for(lambda: job_status(d, job_id).get("progress", 0) > st_ro.get("progress", 0), 5,
             "state.json written again after the directory became writable")
    wait_for(lambda: any("written again" in l for l in state_lines(d, since)), 5, "'written again' logged")
    t.note("state.json written again; 'written again' logged")

    # ---------------------------------------------------------------- the end
    t.wait_finished(job_id, timeout=40)
    p = t.props(job_id)
    t.check_eq(p["State"], "succeeded", "final State")
    t.check_eq(p["ReturnCode"], 0, "ReturnCode")
    st = d.state(job_id)
    t.check(st.get("state") == "succeeded" and st.get("finished") is True and "failed" not in st
            and st.get("return_code") == 0 and st.get("progress") == 100, "state.json says succeeded", st)
    with open(os.path.join(d.job_dir(job_id), "v2v.log"), errors="replace") as f:
        v2vlog = f.read()
    t.check("Finishing off" in v2vlog and "Traceback" not in v2vlog and "No space left" not in v2vlog,
            "v2v.log complete: 'Finishing off', no traceback, no ENOSPC", v2vlog[-600:])
    t.check(os.path.exists(os.path.join(out, "guest.xml")), "output XML written")
    for name in ("v2v.log", "v2v-machine.log"):
        st = os.stat(os.path.join(d.job_dir(job_id), name))
        t.check(st.st_blocks * 512 <= st.st_size + 4096, "%s: reserved space given back at the end "
                "(%d bytes allocated, size %d)" % (name, st.st_blocks * 512, st.st_size))
    t.assert_no_leftovers()


run_test(test)
