#!/usr/bin/env python3
"""Faults: the bus goes away under a running job, and
comes back.

The harness (tests/lib/with-systemd-user) gives each test its own
`systemd --user` whose bus is dbus-daemon in dbus.service, activated by
dbus.socket. The test kills that dbus-daemon with SIGKILL (a crash, the
harshest way to lose the bus) while a job copies. What it can prove:

  * v2vd notices the disconnect (sd_bus_set_exit_on_disconnect) and exits
    promptly with EXIT_FAILURE and a message that says the bus connection
    was lost — so that Restart= in v2vd.service brings it back;
  * the conversion is not harmed: virt-v2v (the fake) and the runner go on
    in the job's scope, which belongs to the service manager, not to the bus;
    v2v.log keeps growing while no daemon and no bus exist;
  * the bus comes back without restarting the service manager: dbus.socket
    still listens, the next connection activates a new dbus-daemon, and
    systemd --user reconnects to it (org.freedesktop.systemd1 answers again);
    the scopes survive all of this (the manager was never restarted);
  * a new v2vd re-adopts the job (same PID, Unit; "re-adopted" in its log),
    follows its progress and ends it `succeeded` with JobFinished; the job's
    outcome comes from the runner's exit-status file;
  * the restarted daemon creates new scopes through the reconnected manager
    (a second job runs and succeeds).

Restarting the whole user manager is not tried: stopping systemd --user stops
every unit it has, the job scopes included — that is a deliberate stop of the
conversions, not a fault the daemon could survive.

Figures printed: bus kill → v2vd exit, bus restart → systemd1 answering,
daemon restart → job seen running, and how far the copy went meanwhile.
"""
import os
import signal
import subprocess
import time

from v2vdtest import (run_test, call, busctl, BusError, Monitor, MANAGER_PATH, MANAGER_IFACE, make_image,
                      wait_for, pids_in_scope, scope_gone, log, TestFailure)


def dbus_daemon_pid():
    p = subprocess.run(["systemctl", "--user", "show", "-p", "MainPID", "--value", "dbus.service"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
    return int(p.stdout.strip() or 0)


def systemd1_answers():
    try:
        busctl("call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
               "org.freedesktop.DBus.Peer", "Ping", timeout=2)
        return True
    except (BusError, subprocess.TimeoutExpired):
        return False


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.02, "copy_seconds": 12})
    out = os.path.join(t.base, "out")
    job_id, path = t.create_job(t.spec_disk(img, out_dir=out))
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk") and t.prop(job_id, "Progress") > 0,
             20, "copying with progress")
    v2v_pid = t.prop(job_id, "PID")
    unit = t.prop(job_id, "Unit")
    runner_pids = [p for p in pids_in_scope(job_id) if p != v2v_pid]
    log_path = os.path.join(d.job_dir(job_id), "v2v.log")

    bus_pid = dbus_daemon_pid()
    t.check(bus_pid > 0, "dbus-daemon of the test's user manager runs (pid %d)" % bus_pid)
    sd_pid = int(os.environ["SYSTEMD_USER_PID"])
    t.monitor.stop()
    t0 = time.monotonic()
    os.kill(bus_pid, signal.SIGKILL)
    try:
        rc = d.proc.wait(10)
    except subprocess.TimeoutExpired:
        raise TestFailure("v2vd did not exit within 10 s of losing its bus")
    t_exit = time.monotonic() - t0
    log("  figures: bus killed → v2vd exited in %.3f s, status %d" % (t_exit, rc))
    t.check(rc != 0, "v2vd exits with a failure status (%d) when its bus disconnects" % rc)
    t.check(t_exit < 5, "v2vd exits promptly (%.2f s)" % t_exit)
    err = d.stderr()
    t.check("bus connection was lost" in err, "v2vd says the bus connection was lost",
            err.strip().splitlines()[-3:])

    # No bus, no daemon: the conversion goes on.
    size0 = os.path.getsize(log_path)
    time.sleep(1.5)
    t.check(os.path.exists("/proc/%d" % v2v_pid) and v2v_pid in pids_in_scope(job_id),
            "virt-v2v (pid %d) still runs in %s without bus and daemon" % (v2v_pid, unit))
    t.check(all(os.path.exists("/proc/%d" % p) for p in runner_pids), "the runner still runs", runner_pids)
    size1 = os.path.getsize(log_path)
    t.check(size1 > size0, "v2v.log grows meanwhile (%d → %d bytes)" % (size0, size1))
    t.check(os.path.exists("/proc/%d" % sd_pid), "systemd --user (pid %d) still runs" % sd_pid)

    # The bus comes back: dbus.socket activates a new dbus-daemon, the
    # manager reconnects.
    t1 = time.monotonic()
    r = subprocess.run(["systemctl", "--user", "start", "dbus.service"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    t.check(r.returncode == 0, "systemctl --user start dbus.service (through the manager's private socket)",
            r.stdout)
    wait_for(systemd1_answers, 20, "org.freedesktop.systemd1 on the new bus")
    t_bus = time.monotonic() - t1
    new_bus = dbus_daemon_pid()
    t.check(new_bus > 0 and new_bus != bus_pid, "a new dbus-daemon (pid %d)" % new_bus)
    log("  figures: bus restarted → systemd1 answering in %.3f s" % t_bus)
    t.check(os.path.exists("/proc/%d" % v2v_pid) and v2v_pid in pids_in_scope(job_id),
            "virt-v2v still runs in %s after the bus came back" % unit)

    t.monitor = Monitor()
    t.monitor.start()
    t2 = time.monotonic()
    d.start()
    st = t.prop(job_id, "State")
    t_adopt = time.monotonic() - t2
    progress = t.prop(job_id, "Progress")
    log("  figures: daemon restarted → job %s seen %s at %.1f %% in %.3f s" % (job_id, st, progress, t_adopt))
    t.check(st in ("running", "succeeded"), "job %s after restart: %s" % (job_id, st))
    if st == "running":
        t.check_eq(t.prop(job_id, "PID"), v2v_pid, "PID re-adopted")
        t.check_eq(t.prop(job_id, "Unit"), unit, "Unit re-adopted")
        t.check("re-adopted" in d.stderr().split("---- start #2")[-1], "the new daemon logs the re-adoption")
    t.wait_finished(job_id, timeout=40)
    p = t.props(job_id)
    t.check_eq(p["State"], "succeeded", "final State")
    t.check_eq(p["ReturnCode"], 0, "ReturnCode")
    t.check_eq(p["Progress"], 100.0, "Progress")
    with open(os.path.join(d.job_dir(job_id), "exit-status")) as f:
        t.check_eq(f.read().strip(), "exited 0", "exit-status written by the runner")
    sj = d.state(job_id)
    t.check(sj.get("finished") is True and "failed" not in sj and sj.get("return_code") == 0,
            "state.json succeeded", sj)
    t.check(os.path.exists(os.path.join(out, "guest.xml")), "output XML written")
    if st == "running":
        t.monitor.wait(lambda m: m.get("member") == "JobFinished" and m["payload"]["data"][0] == job_id
                       and m["payload"]["data"][2] == "succeeded", 5, what="JobFinished(succeeded)")
        t.note("JobFinished(succeeded) from the restarted daemon")
    wait_for(lambda: scope_gone(job_id), 10, "scope of job %s gone" % job_id)

    # Scopes through the reconnected manager.
    img2 = make_image(os.path.join(t.base, "img2"), "two", control={"step_delay": 0.01, "copy_seconds": 0.3})
    j2, _ = t.create_job(t.spec_disk(img2, vm_name="two"))
    t.wait_finished(j2, timeout=30)
    t.check_eq(t.prop(j2, "State"), "succeeded", "a new job after the bus came back")
    t.check_eq(t.prop(j2, "Unit"), "v2vd-job-%s.scope" % j2, "its Unit")
    t.check(d.stop() == 0, "v2vd stops cleanly")
    t.assert_no_leftovers()


run_test(test)
