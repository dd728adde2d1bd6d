#!/usr/bin/env python3
"""The host-wide budget on v2vd.slice: [daemon] host_cpu= and host_disk= are
on the slice from the start (CPUQuotaPerSecUSec; IOReadBandwidthMax and
IOWriteBandwidthMax on every block device a job uses — a loop device with
ext4 here), SetHostLimits changes them live (HostCPULimit, HostDiskLimit),
"unlimited" removes them, and a bad key or value is refused naming it."""
import os
import subprocess

from v2vdtest import run_test, make_image, wait_for, busctl, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, get_property, \
    on_loop_ext4, unit_property


def set_host(*kv):
    args = []
    for k, v in kv:
        args += [k, "s", v]
    busctl("call", BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "SetHostLimits", "a{sv}", str(len(kv)), *args)


def test(t):
    on_loop_ext4(t, 128 * 1024 * 1024, body)


def body(t, loop, mnt):
    t.start_daemon(config={"host_cpu": "150%", "host_disk": "10485760"})
    wait_for(lambda: unit_property("v2vd.slice", "CPUQuotaPerSecUSec") == "1.500000s", 10,
             "host_cpu on the slice at start")
    t.note("host_cpu=150% is the slice's CPUQuotaPerSecUSec from the start")
    t.check_eq(get_property(MANAGER_PATH, MANAGER_IFACE, "HostCPULimit"), "150%", "HostCPULimit")
    t.check_eq(get_property(MANAGER_PATH, MANAGER_IFACE, "HostDiskLimit"), 10485760, "HostDiskLimit")

    img = make_image(os.path.join(mnt, "in"), "g", control={"step_delay": 0.02, "copy_seconds": 20})
    job, _ = t.create_job(t.spec_disk(img, out_dir=os.path.join(mnt, "out"), vm_name="g"))
    t.wait_state(job, "running")
    wait_for(lambda: unit_property("v2vd.slice", "IOReadBandwidthMax") == "%s 10485760" % loop, 10,
             "host_disk on the slice for the job's device")
    t.check_eq(unit_property("v2vd.slice", "IOWriteBandwidthMax"), "%s 10485760" % loop,
               "IOWriteBandwidthMax on the slice")

    set_host(("cpu", "50%"), ("disk", "2097152"))
    wait_for(lambda: unit_property("v2vd.slice", "CPUQuotaPerSecUSec") == "500ms", 5, "SetHostLimits cpu=50%")
    wait_for(lambda: unit_property("v2vd.slice", "IOReadBandwidthMax") == "%s 2097152" % loop, 5, "SetHostLimits disk")
    t.note("SetHostLimits applied live to the slice")
    t.check_eq(get_property(MANAGER_PATH, MANAGER_IFACE, "HostCPULimit"), "50%", "HostCPULimit after SetHostLimits")
    t.check_eq(t.prop(job, "State"), "running", "the running job goes on")
    set_host(("cpu", "unlimited"), ("disk", "unlimited"))
    wait_for(lambda: unit_property("v2vd.slice", "CPUQuotaPerSecUSec") == "infinity", 5, "no CPU budget left")
    wait_for(lambda: unit_property("v2vd.slice", "IOReadBandwidthMax") == "", 5, "no disk budget left")
    t.note("unlimited removes both")
    for key, value, want in (("io", "1", "unknown host limit"), ("cpu", "0%", "cpu: expected"),
                             ("disk", "lots", "disk: expected")):
        p = subprocess.run(["busctl", "--user", "call", BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "SetHostLimits",
                            "a{sv}", "1", key, "s", value], capture_output=True, text=True)
        t.check(p.returncode != 0 and want in p.stderr, "SetHostLimits %s=%s refused" % (key, value), p.stderr)
    busctl("call", BUS_NAME, "/org/v2vd/V2V1/job/%s" % job, "org.v2vd.V2V1.Job", "Cancel")
    t.wait_finished(job, timeout=60)


run_test(test)
