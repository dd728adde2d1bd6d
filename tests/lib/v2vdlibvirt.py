"""A libvirtd of the test's own serving qemu:///system, for the real-path
e2e tests: -i libvirt (a shut-off domain on the guest image), ListSourceVMs,
-o libvirt (a directory storage pool).

It needs the test's private mount namespace (tests/lib/with-systemd-user
runs every test in one): tmpfs mounts over /run/libvirt, /etc/libvirt,
/var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt make its sockets,
configuration and domains invisible to the host and to parallel tests, so
the host's own libvirtd (if any) is neither seen nor touched.
"""
import os
import shutil
import subprocess
import time

from v2vdtest import TestFailure, log, wait_for

LIBVIRTD = shutil.which("libvirtd") or "/usr/sbin/libvirtd"
PRIVATE_DIRS = ("/run/libvirt", "/etc/libvirt", "/var/lib/libvirt", "/var/cache/libvirt", "/var/log/libvirt")
URI = "qemu:///system"


def _in_private_mount_ns():
    # with-systemd-user exports V2VD_TEST_CGROUP once it has unshared the
    # mount namespace; V2VD_TEST_PRIVATE_MOUNTS=1 says the caller did.
    return bool(os.environ.get("V2VD_TEST_CGROUP")) or os.environ.get("V2VD_TEST_PRIVATE_MOUNTS") == "1"


def virsh(*args, check=True):
    p = subprocess.run(["virsh", "-q", "-c", URI] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    if check and p.returncode != 0:
        raise TestFailure("virsh %s failed (%d): %s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


class Libvirtd:
    """sock_group: the group whose members may use qemu:///system read-write
    (unix_sock_group, the socket 0770), as an operator sets up libvirt's
    socket for its admins; members: users this namespace's /etc/group adds
    to that group (it is made when it does not exist)."""
    def __init__(self, base, sock_group="root", members=()):
        self.base = base
        self.sock_group = sock_group
        self.members = tuple(members)
        self.proc = None
        self.bound = []
        self.log_path = os.path.join(base, "libvirtd.log")

    def start(self):
        if not _in_private_mount_ns():
            raise TestFailure("the libvirtd of a test needs a private mount namespace (run under "
                              "tests/lib/with-systemd-user)")
        os.makedirs(self.base, exist_ok=True)
        # The client configuration (libvirt.conf) is kept; nothing else of
        # the host's /etc/libvirt is seen.
        keep = {}
        for n in ("libvirt.conf",):
            try:
                with open(os.path.join("/etc/libvirt", n)) as f:
                    keep[n] = f.read()
            except OSError:
                pass
        for d in PRIVATE_DIRS:
            os.makedirs(d, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "v2vd-test-libvirt", d], check=True)
        for n, text in keep.items():
            with open(os.path.join("/etc/libvirt", n), "w") as f:
                f.write(text)
        # libvirtd's qemu driver resolves its user (libvirt-qemu) before it
        # reads qemu.conf; without libvirt-daemon-system that user does not
        # exist, so the namespace gets a passwd and group that have it. No
        # domain is ever started here.
        self._private_user("libvirt-qemu", 64055)
        if self.members:
            self._group_members(self.sock_group, self.members)
        with open("/etc/libvirt/qemu.conf", "w") as f:
            f.write('user = "root"\ngroup = "root"\ndynamic_ownership = 0\nsecurity_driver = "none"\n')
        with open("/etc/libvirt/libvirtd.conf", "w") as f:
            f.write('unix_sock_group = "%s"\nunix_sock_rw_perms = "0770"\nauth_unix_rw = "none"\n'
                    'auth_unix_ro = "none"\n' % self.sock_group)
        env = dict(os.environ)
        env["LIBVIRT_LOG_OUTPUTS"] = "3:file:%s" % self.log_path
        self.proc = subprocess.Popen([LIBVIRTD, "--pid-file", os.path.join(self.base, "libvirtd.pid")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path + ".stderr", "w"), env=env)
        t0 = time.monotonic()

        def up():
            if self.proc.poll() is not None:
                raise TestFailure("libvirtd exited (%s): %s" % (self.proc.returncode, self.logs()))
            return subprocess.run(["virsh", "-c", URI, "version"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=60).returncode == 0
        wait_for(up, 90, "libvirtd answering on %s" % URI, interval=0.5)
        log("  libvirtd (pid %d) answers on %s after %.1f s" % (self.proc.pid, URI, time.monotonic() - t0))
        return self

    def _private_user(self, name, uid):
        for f, line in (("/etc/passwd", "%s:x:%d:%d:libvirt qemu:/nonexistent:/usr/sbin/nologin\n" % (name, uid, uid)),
                        ("/etc/group", "%s:x:%d:\n" % (name, uid))):
            with open(f) as fh:
                text = fh.read()
            if ("\n%s:" % name) in ("\n" + text):
                continue
            copy = os.path.join(self.base, os.path.basename(f))
            with open(copy, "w") as fh:
                fh.write(text + line)
            os.chmod(copy, 0o644)
            subprocess.run(["mount", "--bind", copy, f], check=True)
            self.bound.append(f)

    def _group_members(self, group, members):
        """/etc/group of this namespace with MEMBERS in GROUP (a new group,
        gid 64100 and up, when there is none)."""
        with open("/etc/group") as fh:
            lines = fh.read().splitlines()
        gids = {int(l.split(":")[2]) for l in lines if l.count(":") >= 3 and l.split(":")[2].isdigit()}
        for i, l in enumerate(lines):
            f = l.split(":")
            if len(f) >= 4 and f[0] == group:
                have = [m for m in f[3].split(",") if m]
                f[3] = ",".join(have + [m for m in members if m not in have])
                lines[i] = ":".join(f)
                break
        else:
            gid = next(g for g in range(64100, 65000) if g not in gids)
            lines.append("%s:x:%d:%s" % (group, gid, ",".join(members)))
        copy = os.path.join(self.base, "group-%s" % group)
        with open(copy, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        os.chmod(copy, 0o644)
        subprocess.run(["mount", "--bind", copy, "/etc/group"], check=True)
        self.bound.append("/etc/group")

    def logs(self):
        out = ""
        for p in (self.log_path + ".stderr", self.log_path):
            try:
                with open(p, errors="replace") as f:
                    out += f.read()[-3000:]
            except OSError:
                pass
        return out

    def define_pool(self, name, directory):
        os.makedirs(directory, exist_ok=True)
        xml = os.path.join(self.base, "pool-%s.xml" % name)
        with open(xml, "w") as f:
            f.write("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>\n"
                    % (name, directory))
        virsh("pool-define", xml)
        virsh("pool-start", name)
        return name

    def define_domain(self, xml_text):
        path = os.path.join(self.base, "domain-%d.xml" % time.monotonic_ns())
        with open(path, "w") as f:
            f.write(xml_text)
        virsh("define", path)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for d in list(reversed(PRIVATE_DIRS)) + self.bound:
            subprocess.run(["umount", "-l", d], stderr=subprocess.DEVNULL)


def domain_xml(name, disk, mac, fmt="raw", dom_type="qemu"):
    """A KVM guest as libvirt holds it: one virtio disk on DISK, one NIC."""
    return """<domain type='{t}'>
  <name>{name}</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='{fmt}'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='{mac}'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
""".format(t=dom_type, name=name, disk=disk, mac=mac, fmt=fmt)
