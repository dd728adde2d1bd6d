#!/usr/bin/env python3
"""with-systemd-user gives a working user manager and bus: scopes land in
this test's own cgroup subtree with the real CPU controller."""
import os
import subprocess
import time

from v2vdtest import run_test, busctl, wait_for


def test(t):
    root = os.environ.get("V2VD_TEST_CGROUP", "")
    t.check(root.startswith("/v2vd-t"), "V2VD_TEST_CGROUP set (%s)" % root)
    rt = os.environ["XDG_RUNTIME_DIR"]
    t.check_eq(oct(os.stat(rt).st_mode & 0o777), "0o700", "XDG_RUNTIME_DIR mode")
    t.check_eq(os.environ["DBUS_SESSION_BUS_ADDRESS"], "unix:path=%s/bus" % rt, "bus address")
    v = busctl("get-property", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
               "org.freedesktop.systemd1.Manager", "Version")["data"]
    t.check(v.startswith("252"), "systemd1 answers on the session bus (version %s)" % v)
    st = subprocess.run(["systemctl", "--user", "is-system-running"], capture_output=True, text=True).stdout.strip()
    t.check(st in ("running", "degraded"), "systemctl --user talks to it (%s)" % st)
    p = subprocess.Popen(["systemd-run", "--user", "--scope", "--unit", "harness-probe.scope",
                          "-p", "CPUQuota=20%", "sleep", "5"], stderr=subprocess.DEVNULL)
    try:
        d = "/sys/fs/cgroup/cpu%s/app.slice/harness-probe.scope" % root
        wait_for(lambda: os.path.exists(d + "/cgroup.procs") and open(d + "/cgroup.procs").read().strip(), 10,
                 "scope cgroup %s" % d)
        with open(d + "/cpu.cfs_quota_us") as f:
            q = f.read().strip()
        t.check_eq(q, "20000", "cpu.cfs_quota_us of the scope")
        pid = int(open(d + "/cgroup.procs").read().split()[0])
        cg = open("/proc/%d/cgroup" % pid).read()
        t.check("name=systemd:%s/app.slice/harness-probe.scope" % root in cg, "sleep's /proc/PID/cgroup names the scope", cg)
    finally:
        p.terminate()
        p.wait()
    subprocess.run(["systemctl", "--user", "stop", "harness-probe.scope"], capture_output=True)


run_test(test)
