#!/usr/bin/python3
"""One conversion host of the Ansible fleet test: run by test-fleet.py as

    nsenter --net=/run/netns/NS with-systemd-user fleet-host.py DIR ADDRESS PID

so it has its own network namespace, mount namespace, cgroup subtree,
systemd --user and session bus. It starts an sshd on ADDRESS:22 (in the
namespace) whose sessions get this host's bus and XDG directories (SetEnv),
writes DIR/ready, and stops sshd once DIR/stop exists or process PID (the
test) is gone, at the latest after an hour; with-systemd-user then stops the manager (and the v2vd
the role started) and removes what is left."""
import os
import subprocess
import sys
import time

d, address, test_pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
keep = ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
        "XDG_DATA_HOME", "XDG_CACHE_HOME", "TMPDIR")
setenv = " ".join("%s=%s" % (k, os.environ[k]) for k in keep if os.environ.get(k))
with open(os.path.join(d, "sshd_config"), "w") as f:
    f.write("""Port 22
ListenAddress %s
HostKey %s/host_key
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
PrintMotd no
Subsystem sftp internal-sftp
SetEnv %s
""" % (address, d, d, d, setenv))
os.makedirs("/run/sshd", exist_ok=True)
log = open(os.path.join(d, "sshd.log"), "w")
sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", os.path.join(d, "sshd_config")],
                        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
with open(os.path.join(d, "ready.tmp"), "w") as f:
    f.write("%d\n%s\n" % (sshd.pid, setenv))
os.rename(os.path.join(d, "ready.tmp"), os.path.join(d, "ready"))
# with-systemd-user runs us in the background: no standard input to wait on.
deadline = time.monotonic() + 3600
while not os.path.exists(os.path.join(d, "stop")) and time.monotonic() < deadline and sshd.poll() is None:
    try:
        os.kill(test_pid, 0)
    except ProcessLookupError:
        break
    time.sleep(0.2)
sshd.terminate()
try:
    sshd.wait(10)
except subprocess.TimeoutExpired:
    sshd.kill()
sys.exit(0)
