#!/usr/bin/env python3
"""`sudo virt-v2v-wrapper` grants no more than the old wrapper did: the
first round's attacks of a create-job user (test-security-owner.py), made
through the wrapper under a real sudo on v2vd --system with a real polkitd
(tests/lib/with-system-bus, rules security-owner.rules). v2vdta may run the
wrapper through sudo, as ManageIQ's ssh user does; the wrapper's job is
root's, so only the old wrapper's vocabulary passes (client/wrapper-compat.c):

  * --qemu-boot (qemu_dir, qemu_boot) with the NAME.sh swap: refused, no job;
  * a root-only input (disk, ova, libvirtxml): refused, the same words
    whether it exists or not, no job;
  * outputs through symlinks planted at the output names (output_dir):
    refused, root's files untouched;
  * a VDDK library or virtio-win ISO of the caller's, an ssh "host" that is
    an option: refused;
  * a ManageIQ document (VDDK → oVirt) is taken, and its job is root's.
"""
import json
import os
import subprocess

from v2vdtest import run_test, make_image, log, MANAGER_PATH, MANAGER_IFACE, call
from v2vdsystem import SystemDaemon, users, as_user, give

V2VCTL = os.path.join(os.path.dirname(os.environ["V2VD_BINARY"]), "..", "client", "v2vctl")
REFUSED_EXIT = 6


def sudo_rule(t, user, v2vctl):
    """A sudoers rule for user, as the README tells admins, in this test's
    mount namespace only (an overlay of /etc/sudoers.d)."""
    d = os.path.join(t.base, "sudoers")
    up, work = d + "-up", d + "-work"
    os.makedirs(up)
    os.makedirs(work)
    os.makedirs("/etc/sudoers.d", exist_ok=True)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=/etc/sudoers.d,upperdir=%s,workdir=%s" % (up, work), "/etc/sudoers.d"], check=True)
    # sudo validates the account: a shadow entry (no password) for the user
    shadow = os.path.join(t.base, "shadow")
    with open("/etc/shadow") as f, open(shadow, "w") as g:
        g.write(f.read() + "%s:*:19000:0:99999:7:::\n" % user)
    os.chmod(shadow, 0o640)
    subprocess.run(["mount", "--bind", shadow, "/etc/shadow"], check=True)
    rule = "/etc/sudoers.d/v2vd-security-wrapper"
    with open(rule, "w") as f:
        f.write('Defaults:%s env_keep += "DBUS_SYSTEM_BUS_ADDRESS V2VD_WRAPPER_DIR"\n'
                "%s ALL=(root) NOPASSWD: %s wrapper\n" % (user, user, v2vctl))
    os.chmod(rule, 0o440)


def sudo_wrapper(user, doc, wrapper_dir):
    env = dict(os.environ, V2VD_WRAPPER_DIR=wrapper_dir)
    p = subprocess.run(as_user(user, ["sudo", "-n", V2VCTL, "wrapper"]), input=json.dumps(doc), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    log("  sudo wrapper: exit %d, stdout %r, stderr %r" % (p.returncode, p.stdout.strip(), p.stderr.strip()))
    return p


def job_ids():
    return [j[0] for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0]]


def read(path):
    with open(path) as f:
        return f.read()


def test(t):
    global V2VCTL
    V2VCTL = os.path.realpath(V2VCTL)
    d = SystemDaemon(os.path.join(t.base, "daemon"), config={"max_running_jobs": 1})
    t.daemon = d
    d.start()
    os.chmod(t.base, 0o755)
    sudo_rule(t, "v2vdta", V2VCTL)
    wrapper_dir = os.path.join(t.base, "wrapper")
    os.makedirs(wrapper_dir)

    p = subprocess.run(as_user("v2vdta", ["sudo", "-n", "id", "-u"]), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    t.check(p.returncode != 0, "v2vdta may run nothing else through sudo", p.stdout)

    home = os.path.join(t.base, "home-a")
    os.makedirs(home)
    give("v2vdta", home)
    rootdir = os.path.join(t.base, "root-only")
    os.makedirs(rootdir, mode=0o700)
    img = make_image(home, "guestq", {"step_delay": 0.02, "copy_seconds": 0.2, "qemu_boot_pause": 2})
    give("v2vdta", img, img + ".fake.json")
    root_img = make_image(rootdir, "secret", {"step_delay": 0.02})
    out = os.path.join(home, "out")
    os.makedirs(out)
    give("v2vdta", out)
    victim = os.path.join(rootdir, "victim")
    with open(victim, "w") as f:
        f.write("root's\n")
    os.symlink(victim, os.path.join(out, "guestq-sda"))

    attacks = [
        ("--qemu-boot with the caller's directory",
         {"vm_name": "guestq", "disk": [img], "qemu_dir": out, "qemu_boot": True}, "disk:"),
        ("--qemu-boot behind a VMware source",
         {"vm_name": "guestq", "transport_method": "vddk", "vmware_uri": "vpx://vc/dc/h",
          "qemu_dir": out, "qemu_boot": True}, "qemu_dir:"),
        ("a root-only input that exists", {"vm_name": "secret", "disk": [root_img], "output_dir": out}, "disk:"),
        ("a root-only input that does not exist",
         {"vm_name": "secret", "disk": [root_img + ".none"], "output_dir": out}, "disk:"),
        ("outputs through planted symlinks", {"vm_name": "guestq", "disk": [img], "output_dir": out}, "disk:"),
        ("outputs through planted symlinks, VMware source",
         {"vm_name": "guestq", "transport_method": "vddk", "vmware_uri": "vpx://vc/dc/h", "output_dir": out},
         "output_dir:"),
        ("a VDDK library of the caller's",
         {"vm_name": "guestq", "transport_method": "vddk", "vmware_uri": "vpx://vc/dc/h", "vddk_libdir": home,
          "rhv_url": "https://e/api", "rhv_password": "p", "rhv_cluster": "c", "rhv_storage": "s"},
         "vddk_libdir:"),
        ("an ssh option as the host",
         {"vm_name": "ssh://-oProxyCommand=sh/vmfs/volumes/d/a/a.vmx", "transport_method": "ssh",
          "export_domain": "nfs:/e"}, "vmware_uri:"),
        ("a profile", {"vm_name": "guestq", "transport_method": "vddk", "vmware_uri": "vpx://vc/dc/h",
                       "profile": "local"}, "profile:"),
    ]
    messages = {}
    for what, doc, key in attacks:
        p = sudo_wrapper("v2vdta", doc, wrapper_dir)
        t.check_eq(p.returncode, REFUSED_EXIT, "sudo wrapper, %s: refused" % what)
        t.check(p.stderr.startswith("v2vctl: standard input: " + key), "…naming %s" % key, p.stderr)
        t.check_eq(p.stdout, "", "…nothing on stdout")
        messages[what] = p.stderr.replace(root_img + ".none", root_img)
    t.check_eq(messages["a root-only input that exists"], messages["a root-only input that does not exist"],
               "a root-only input: the same words whether it exists or not")
    t.check_eq(job_ids(), [], "no job was created by any of them")
    t.check_eq(read(victim), "root's\n", "root's file behind the planted symlink untouched")
    t.check_eq(sorted(os.listdir(wrapper_dir)), [], "no wrapper directory was made")

    # ManageIQ's own document passes, and its job is root's (the old
    # wrapper's model): the daemon's spec checks still apply.
    doc = {"vm_name": "web01", "vm_uuid": "42290f6c", "conversion_host_uuid": "5f2a1a53", "two_phase": True,
           "warm": False, "transport_method": "vddk", "vmware_uri": "esx://root@10.8.0.20/?no_verify=1",
           "vmware_password": "pw", "vmware_fingerprint": "1A:3F:26:C6:DC:2C:44:88:AA:33:81:3C:18:6E:5D:9F:C0:EE:DF:5C",
           "rhv_url": "https://rhvm.example.com/ovirt-engine/api", "rhv_cluster": "Default", "rhv_storage": "data",
           "rhv_password": "pw2", "install_drivers": True, "insecure_connection": True,
           "source_disks": ["[datastore1] web01/web01.vmdk"],
           "network_mappings": [{"source": "VM Network", "destination": "ovirtmgmt", "ip_address": "10.8.1.23"}]}
    p = sudo_wrapper("v2vdta", doc, wrapper_dir)
    t.check_eq(p.returncode, 0, "sudo wrapper, ManageIQ's VDDK → oVirt document: taken")
    ids = job_ids()
    t.check_eq(len(ids), 1, "one job")
    if ids:
        t.jobs.append(ids[0])
        t.check_eq(t.prop(ids[0], "OwnerUID"), 0, "the wrapper's job is root's, as the old wrapper's was")
        paths = json.loads(p.stdout)
        st = os.stat(os.path.dirname(paths["state_file"]))
        t.check_eq(st.st_uid, users()["v2vdta"][0], "its files are for sudo's caller")


run_test(test)
