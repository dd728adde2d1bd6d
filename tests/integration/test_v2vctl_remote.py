#!/usr/bin/env python3
"""v2vctl -H [USER@]HOST[:PORT]: the remote transport (ssh + systemd-stdio-
bridge, as systemctl -H) against this machine: an sshd started by the test
on a free loopback port, with a generated host key and client key. The
"remote" v2vd is the test's daemon: sshd's ForceCommand runs
systemd-stdio-bridge on the test's bus (and records the command v2vctl asked
for, so the test sees "systemd-stdio-bridge" for the system bus and
"... --user" for --user). ssh finds the key and known_hosts through an `ssh`
wrapper first in PATH (-F CONFIG): v2vctl itself gets nothing special."""
import os
import shutil

from v2vdtest import run_test
from v2vdssh import free_port, make_keys, write_client_config, start_sshd
from test_v2vctl_common import ctl, ok, fails, disk_spec, write_spec


def setup_ssh(t):
    d = os.path.join(t.base, "ssh")
    os.makedirs(d, mode=0o700)
    port = free_port()
    make_keys(d, port)
    # The forced command: record what was asked, bridge to the test's bus.
    record = os.path.join(d, "commands")
    bridge = os.path.join(d, "bridge")
    with open(bridge, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' \"$SSH_ORIGINAL_COMMAND\" >> %s\n"
                "exec systemd-stdio-bridge --bus-path='%s'\n"
                % (record, os.environ["DBUS_SESSION_BUS_ADDRESS"]))
    os.chmod(bridge, 0o755)
    cfg = write_client_config(d)
    bindir = os.path.join(d, "bin")
    os.makedirs(bindir)
    with open(os.path.join(bindir, "ssh"), "w") as f:
        f.write("#!/bin/sh\nexec %s -F %s \"$@\"\n" % (shutil.which("ssh"), cfg))
    os.chmod(os.path.join(bindir, "ssh"), 0o755)
    proc = start_sshd(d, port, "PermitRootLogin prohibit-password\nForceCommand %s\n" % bridge)
    env = {"PATH": bindir + ":" + os.environ["PATH"]}
    return proc, port, env, record, d


def test(t):
    sshd = None
    try:
        sshd, port, env, record, sshdir = setup_ssh(t)
        t.note("sshd on 127.0.0.1:%d" % port)
        host = "root@127.0.0.1:%d" % port

        def remote(*args, user=False, **kw):
            a = (["--user"] if user else []) + ["-H", host] + list(args)
            return ctl(*a, user=False, env=env, **kw)

        # nothing there yet
        r = fails(t, remote("list"), 3, "-H list without a daemon", "v2vd is not running on root@127.0.0.1")
        t.check("systemctl start v2vd" in r.err, "says how to start it there", r.err)

        d = t.start_daemon()
        img, spec = disk_spec(t, "remote", {"step_delay": 0.02, "copy_seconds": 2})
        specfile = write_spec(t, spec, "remote.json")

        # system-bus path (sd_bus_open_system_remote)
        r = ok(t, remote("submit", specfile), "-H submit")
        job = r.out.strip()
        t.jobs.append(job)
        r = ok(t, remote("list", "--json"), "-H list --json")
        t.check([j["id"] for j in r.json()] == [job], "-H list --json shows the job", r.out)
        r = ok(t, remote("status", job, "--json"), "-H status --json")
        t.check_eq(r.json()["vm_name"], "remote", "-H status --json vm_name")
        r = ok(t, remote("watch", job, timeout=60), "-H watch (plain) until the end")
        t.check("Job %s (remote) succeeded" % job in r.out, "-H watch sees the end", r.out)
        with open(record) as f:
            cmds = f.read().splitlines()
        t.check(cmds and all(c == "systemd-stdio-bridge" for c in cmds),
                "the system transport asked for 'systemd-stdio-bridge'", cmds)

        # user bus path
        r = ok(t, remote("submit", specfile, "--wait", user=True, timeout=60), "--user -H submit --wait")
        job2 = r.out.splitlines()[0]
        t.jobs.append(job2)
        t.check("succeeded" in r.out.splitlines()[-1], "--user -H submit --wait ends with success", r.out)
        r = ok(t, remote("list", user=True), "--user -H list")
        t.check(len(r.out.splitlines()) == 5 and "2 jobs listed." in r.out, "--user -H list table", r.out)
        with open(record) as f:
            last = f.read().splitlines()[-1]
        t.check_eq(last, "systemd-stdio-bridge --user", "the --user transport asks for the user bus")

        # the other commands over -H
        r = ok(t, remote("capabilities", "--json"), "-H capabilities --json")
        t.check("output:local" in r.json()["capabilities"], "-H capabilities")
        fails(t, remote("status", "nosuch"), 5, "-H status of an unknown job", 'no job "nosuch"')
        r = ok(t, remote("sources", "--uri", "test:///default", "--json"), "-H sources --uri test:///default")
        t.check_eq([v["name"] for v in r.json()], ["test"], "-H sources: the test driver's VM")
        r = remote("log", job)
        t.check(r.rc == 0 or (r.rc == 7 and "-H" in r.err), "-H log: the log, or a clear 'not over -H'", r)
        img3, spec3 = disk_spec(t, "remote3", {"step_delay": 0.02, "copy_seconds": 60})
        r = ok(t, remote("submit", write_spec(t, spec3, "remote3.json")), "-H submit a long job")
        job3 = r.out.strip()
        t.jobs.append(job3)
        t.wait_state(job3, "running")
        ok(t, remote("throttle", job3, "--cpu", "25%"), "-H throttle")
        t.check_eq(t.prop(job3, "CPULimit"), "25%", "CPULimit set over -H")
        ok(t, remote("cancel", job3), "-H cancel")
        t.wait_state(job3, "cancelled", timeout=20)
        ok(t, remote("remove", job3), "-H remove")

        # a host that does not answer
        r = fails(t, ctl("-H", "root@127.0.0.1:%d" % free_port(), "list", user=False, env=env), 3,
                  "-H to a port nobody listens on")
        t.check("127.0.0.1" in r.err, "names the host", r.err)
        d.stop()
        t.assert_no_leftovers()
    finally:
        if sshd:
            sshd.terminate()
            sshd.wait(10)


run_test(test)
