#!/usr/bin/env python3
"""v2vctl -H [USER@]HOST[:PORT]: the remote transport (ssh + systemd-stdio-
bridge, as systemctl -H) against this machine: an sshd started by the test
on a free loopback port, with a generated host key and client key. The
"remote" v2vd is the test's daemon: sshd's ForceCommand runs
systemd-stdio-bridge on the test's bus (and records the command v2vctl asked
for, so the test sees "systemd-stdio-bridge" for the system bus and
"... --user" for --user). ssh finds the key and known_hosts through an `ssh`
wrapper first in PATH (-F CONFIG): v2vctl itself gets nothing special."""
import json
import os
import shutil
import socket
import subprocess
import time

from v2vdtest import run_test, TestFailure, wait_for
from test_v2vctl_common import ctl, ok, fails, disk_spec, write_spec

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def setup_ssh(t):
    d = os.path.join(t.base, "ssh")
    os.makedirs(d, mode=0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "v2vctl-test", "-f",
                        os.path.join(d, name)], check=True)
    port = free_port()
    with open(os.path.join(d, "client_key.pub")) as f:
        client_pub = f.read()
    with open(os.path.join(d, "authorized_keys"), "w") as f:
        f.write(client_pub)
    os.chmod(os.path.join(d, "authorized_keys"), 0o600)
    with open(os.path.join(d, "host_key.pub")) as f:
        host_pub = f.read().split()
    with open(os.path.join(d, "known_hosts"), "w") as f:
        f.write("[127.0.0.1]:%d %s %s\n" % (port, host_pub[0], host_pub[1]))

    # The forced command: record what was asked, bridge to the test's bus.
    record = os.path.join(d, "commands")
    bridge = os.path.join(d, "bridge")
    with open(bridge, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' \"$SSH_ORIGINAL_COMMAND\" >> %s\n"
                "exec systemd-stdio-bridge --bus-path='%s'\n"
                % (record, os.environ["DBUS_SESSION_BUS_ADDRESS"]))
    os.chmod(bridge, 0o755)
    with open(os.path.join(d, "sshd_config"), "w") as f:
        f.write("""Port %d
ListenAddress 127.0.0.1
HostKey %s/host_key
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
PrintMotd no
ForceCommand %s
""" % (port, d, d, d, bridge))
    with open(os.path.join(d, "ssh_config"), "w") as f:
        f.write("""Host *
  IdentityFile %s/client_key
  IdentitiesOnly yes
  UserKnownHostsFile %s/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
""" % (d, d))
    bindir = os.path.join(d, "bin")
    os.makedirs(bindir)
    with open(os.path.join(bindir, "ssh"), "w") as f:
        f.write("#!/bin/sh\nexec %s -F %s/ssh_config \"$@\"\n" % (shutil.which("ssh"), d))
    os.chmod(os.path.join(bindir, "ssh"), 0o755)
    os.makedirs("/run/sshd", exist_ok=True)   # sshd's privilege separation directory
    log = open(os.path.join(d, "sshd.log"), "w")
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", os.path.join(d, "sshd_config")], stdout=log, stderr=log)

    def listening():
        if proc.poll() is not None:
            with open(os.path.join(d, "sshd.log")) as f:
                raise TestFailure("sshd exited: %s" % f.read())
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            return False
    wait_for(listening, 10, "sshd listening on 127.0.0.1:%d" % port)
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
        fails(t, remote("sources", "--uri", "test:///default"), 7, "-H sources (not in this v2vd)")
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
