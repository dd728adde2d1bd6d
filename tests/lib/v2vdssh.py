"""A loopback sshd for the tests that reach v2vd over ssh (v2vctl -H, the
ManageIQ client): keys generated in a directory of the test's, sshd on a
free 127.0.0.1 port with the config the test writes, and an ssh client
config that trusts only that host key."""
import os
import shutil
import socket
import subprocess

from v2vdtest import TestFailure, wait_for

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_keys(d, port):
    """host_key, client_key, authorized_keys (the client key) and known_hosts
    (the host key for [127.0.0.1]:PORT) in D."""
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "v2vd-test", "-f",
                        os.path.join(d, name)], check=True)
    shutil.copy(os.path.join(d, "client_key.pub"), os.path.join(d, "authorized_keys"))
    os.chmod(os.path.join(d, "authorized_keys"), 0o600)
    with open(os.path.join(d, "host_key.pub")) as f:
        host_pub = f.read().split()
    with open(os.path.join(d, "known_hosts"), "w") as f:
        f.write("[127.0.0.1]:%d %s %s\n" % (port, host_pub[0], host_pub[1]))


def write_client_config(d):
    """D/ssh_config: the client key, only the known host, no prompts."""
    path = os.path.join(d, "ssh_config")
    with open(path, "w") as f:
        f.write("""Host *
  IdentityFile %s/client_key
  IdentitiesOnly yes
  UserKnownHostsFile %s/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  LogLevel ERROR
""" % (d, d))
    return path


def start_sshd(d, port, config):
    """sshd -D with D/sshd_config = the common lines + CONFIG; returns the
    process once it listens."""
    with open(os.path.join(d, "sshd_config"), "w") as f:
        f.write("""Port %d
ListenAddress 127.0.0.1
HostKey %s/host_key
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
PrintMotd no
""" % (port, d, d, d) + config)
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
    return proc
