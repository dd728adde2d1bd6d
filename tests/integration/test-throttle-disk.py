#!/usr/bin/env python3
"""The disk limit: throttling {"disk": BYTES} becomes IOReadBandwidthMax and
IOWriteBandwidthMax on the job's scope for the whole-disk device under its
input and output (a loop device with ext4 here, mounted in the test's own
mount namespace), changes live through SetThrottling and throttling.json,
goes away with "unlimited"; a path on a file system without a block device
(tmpfs) is a warning naming it; and where the kernel's blkio/io controller
covers the scope, the limit is there (blkio.throttle.read_bps_device or
io.max) and reading the input goes no faster than it."""
import json
import os
import subprocess
import time

from v2vdtest import run_test, make_image, wait_for, job_path, JOB_IFACE, busctl, BUS_NAME, scope_name, \
    proc_cgroup, on_loop_ext4, unit_property


def set_disk(job, value):
    busctl("call", BUS_NAME, job_path(job), JOB_IFACE, "SetThrottling", "a{sv}", "1", "disk", "s", value)


def test(t):
    on_loop_ext4(t, 256 * 1024 * 1024, body)


def body(t, loop, mnt):
    t.start_daemon()
    img = make_image(os.path.join(mnt, "in"), "ondisk", size=64 * 1024 * 1024,
                     control={"step_delay": 0.02, "copy_seconds": 30, "read_input": True})
    # Data, not a hole: reading a hole never reaches the device.
    with open(img, "r+b") as f:
        for _ in range(64):
            f.write(b"\1" * (1024 * 1024))
        os.fsync(f.fileno())
    out = os.path.join(mnt, "out")
    job, _ = t.create_job(t.spec_disk(img, out_dir=out, vm_name="ondisk", throttling={"disk": "1048576"}))
    t.wait_state(job, "running")
    wait_for(lambda: t.prop(job, "Phase").startswith("Copying disk"), 20, "copying")
    unit = scope_name(job)
    want = "%s 1048576" % loop
    t.check_eq(unit_property(unit, "IOReadBandwidthMax"), want, "IOReadBandwidthMax on the scope")
    t.check_eq(unit_property(unit, "IOWriteBandwidthMax"), want, "IOWriteBandwidthMax on the scope")
    t.check_eq(t.prop(job, "DiskLimit"), 1048576, "DiskLimit")

    # Enforced where the controller covers the scope.
    pid = t.prop(job, "PID")
    cg = proc_cgroup(pid)
    blkio = [l.split(":", 2)[2] for l in cg.splitlines() if ":blkio:" in l]
    limit_file = "/sys/fs/cgroup/blkio%s/blkio.throttle.read_bps_device" % blkio[0] if blkio else None
    if limit_file and os.path.exists(limit_file):
        with open(limit_file) as f:
            text = f.read()
        dev = os.stat(loop).st_rdev
        t.check("%d:%d 1048576" % (os.major(dev), os.minor(dev)) in text, "blkio.throttle.read_bps_device", text)
        rate_log = img + ".fake.read"
        wait_for(lambda: os.path.exists(rate_log) and len(open(rate_log).read().split("\n")) > 25, 30,
                 "the fake reading its input for a few seconds")
        rows = [tuple(map(float, l.split())) for l in open(rate_log).read().splitlines() if l.strip()]
        (t0, b0), (t1, b1) = rows[2], rows[-1]
        rate = (b1 - b0) / (t1 - t0)
        t.check(rate < 1.5 * 1048576, "reading the input goes at most at the limit (%.0f bytes/s)" % rate, rows[-5:])
    else:
        t.note("no blkio/io controller for the scope here: enforcement not checked")

    set_disk(job, "2097152")
    wait_for(lambda: unit_property(unit, "IOReadBandwidthMax") == "%s 2097152" % loop, 5, "the new limit on the scope")
    t.note("SetThrottling disk=2097152 applied to the running scope")
    with open(os.path.join(t.daemon.job_dir(job), "throttling.json"), "w") as f:
        json.dump({"disk": "3145728"}, f)
    wait_for(lambda: unit_property(unit, "IOWriteBandwidthMax") == "%s 3145728" % loop, 5, "throttling.json's limit")
    t.note("throttling.json disk=3145728 applied")
    set_disk(job, "unlimited")
    wait_for(lambda: unit_property(unit, "IOReadBandwidthMax") == "", 5, "no read limit left")
    t.check_eq(t.prop(job, "DiskLimit"), 0, "DiskLimit 0 (unlimited)")
    busctl("call", BUS_NAME, job_path(job), JOB_IFACE, "Cancel")
    t.wait_finished(job, timeout=60)

    # tmpfs (mounted here, in the test's mount namespace): no block device,
    # a warning that names the path.
    tmpfs = os.path.join(t.base, "tmpfs")
    os.makedirs(tmpfs)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", tmpfs], check=True)
    try:
        tmp_img = make_image(os.path.join(tmpfs, "in"), "ontmpfs", control={"step_delay": 0.02, "copy_seconds": 0.5})
        j2, _ = t.create_job(t.spec_disk(tmp_img, out_dir=os.path.join(tmpfs, "out"), vm_name="ontmpfs",
                                         throttling={"disk": 1048576}))
        t.wait_finished(j2, timeout=60)
        # virt-v2v's later messages take LastMessage's place: the signals keep it.
        msgs = [v for _, v in t.monitor.prop_changes(job_path(j2), "LastMessage")]
        t.check(any(m[0] == "warning" and "without a block device" in m[1] and tmp_img in m[1] for m in msgs),
                "a warning in LastMessage names the path without a block device", msgs)
        t.check("without a block device" in t.daemon.stderr(), "and the log says so")
        t.check_eq(t.prop(j2, "State"), "succeeded", "the job itself goes on")
    finally:
        subprocess.run(["umount", "-l", tmpfs])
    e = subprocess.run(["busctl", "--user", "call", BUS_NAME, job_path(job), JOB_IFACE, "SetThrottling", "a{sv}",
                        "1", "disk", "s", "lots"], capture_output=True, text=True)
    t.check(e.returncode != 0 and "disk: expected" in e.stderr, "a bad disk value is refused, naming the key",
            e.stderr)


run_test(test)
