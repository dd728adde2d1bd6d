#!/usr/bin/env python3
"""e2e: the real virt-v2v 2.2 converts the real Debian 12 guest through v2vd
on one input/output path each: argv[1] names it (a key of PATHS). Every
fixture is built here from the cached guest image (tests/lib/v2vdfixtures.py):
nothing is downloaded.

Each path is its own conversion, one input and one output, so the paths of
virt-v2v's man pages are each converted once by some test; PATHS says which
(tests/unit/test-path-table.py holds v2vd.job(5)'s table of paths to it).

Run by meson (suite 'e2e') under tests/lib/with-systemd-user; conversions of
different tests run two at a time and share the libguestfs appliance
($V2VD_GUESTFS_CACHE, set by meson, as LIBGUESTFS_CACHEDIR through the
daemon's [environment]).

Checked for every path: CreateJob; the job runs and succeeds (ReturnCode 0,
Progress 100, each disk at 100 %, the virt-v2v phases signalled in order,
"Copying disk 1/1" unless in place); state.json finished with return_code 0
and no "failed"; v2v.log and v2v-machine.log hold virt-v2v's output; then the
output the path writes (files, OVF, domain XML, YAML, script). The time of
the conversion is printed as "TIME <path> <seconds>".
"""
import glob
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET

from v2vdtest import (run_test, call, log, MANAGER_PATH, MANAGER_IFACE, JOB_IFACE, TERMINAL_STATES)
import v2vdfixtures as fx
from v2vdfixtures import V2V_PHASES, tail

JOB_TIMEOUT = float(os.environ.get("V2VD_E2E_JOB_TIMEOUT", "1500"))

# meson test → (input, output) it converts, in the words of v2vd.job(5)'s
# table of paths (tests/unit/test-path-table.py holds the two together).
PATHS = {
    "realpath-ova-file-to-rhv": ("ova file", "rhv path"),
    "realpath-ova-dir-to-null": ("ova directory", "null"),
    "realpath-vmx-to-qemu": ("vmx", "qemu"),
    "realpath-vmx-ssh-to-local": ("vmx ssh", "local"),
    "realpath-libvirt-to-libvirt": ("libvirt", "libvirt"),
    "realpath-libvirtxml-to-kubevirt": ("libvirtxml", "kubevirt"),
    "realpath-disk-to-vdsm": ("disk", "vdsm"),
    "realpath-in-place": ("disk", "in place"),
    "realpath-ova-file-nonroot": ("ova file", "local"),
    "realpath-libvirt-nonroot": ("libvirt", "local"),
    "realpath-vmx-ssh-nonroot": ("vmx ssh", "local"),
    "realpath-vmx-ssh-wrapper": ("vmx ssh", "rhv path"),
}


def start_daemon(t, **config):
    os.environ.pop("V2VD_FAKE_V2V", None)
    os.environ.pop("V2VD_VIRT_V2V", None)
    env = fx.v2v_environment()
    cfg = {"max_running_jobs": 1}
    cfg.update(config)
    return t.start_daemon(config=cfg, environment=env)


def submit_v2vctl(t, spec, owner=None):
    """`v2vctl submit job.json --wait` on a pty, as a person types it: returns
    the PtyRun and the job id (from the JobNew signal). OWNER: (user, home)
    of v2vd --system; v2vctl runs as that user on the system bus, with its
    job.json in its home."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
    import test_v2vctl_common as vc
    vc.V2VCTL = os.environ["V2VCTL"]
    job = os.path.join(owner[1] if owner else t.base, "job.json")
    with open(job, "w") as f:
        json.dump(spec, f)
    os.chmod(job, 0o600)       # it may hold ssh_key
    since = time.monotonic()
    if owner:
        from v2vdsystem import as_user, give
        give(owner[0], job)
        run = vc.PtyRun("submit", job, "--wait", columns=100, user=False, wrap=as_user(owner[0], []),
                        env={"HOME": owner[1], "USER": owner[0], "LOGNAME": owner[0]})
    else:
        run = vc.PtyRun("submit", job, "--wait", columns=100)
    m = None
    while m is None:
        m = t.monitor.wait(lambda m: m.get("member") == "JobNew" and m.get("_received", 0) >= since, 0.5,
                           raise_on_timeout=False)
        run.pump(0.1)
        if m is None and (run.proc.poll() is not None or time.monotonic() - since > 60):
            raise AssertionError("v2vctl submit made no job (exit status %s):\n%s"
                                 % (run.proc.poll(), run.text()[-2000:]))
    job_id = m["payload"]["data"][0]
    t.jobs.append(job_id)
    return run, job_id


def virt_v2v_uid(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return int([l for l in f if l.startswith("Uid:")][0].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def convert(t, name, spec, copies=True, client="bus", owner=None):
    """Submit SPEC (CreateJob, or client="v2vctl": `v2vctl submit --wait`),
    follow the job to its end, check that it succeeded as every path must;
    returns the job's properties (and "_uid": whom virt-v2v ran as).
    OWNER: (user, home) of v2vd --system who submits with v2vctl and reads
    the job's properties itself."""
    d = t.daemon
    run = None
    if owner:
        from v2vdsystem import user_props

        def props(job_id):
            return user_props(owner[0], job_id)
    else:
        props = t.props
    if client == "v2vctl":
        run, job_id = submit_v2vctl(t, spec, owner)
        path = "/org/v2vd/V2V1/job/%s" % job_id
    else:
        job_id, path = t.create_job(spec)
    t0 = time.monotonic()
    last = None
    seen_uid = None
    polled = []
    state = props(job_id)["State"]
    while state not in TERMINAL_STATES:
        if not d.running():
            raise AssertionError("v2vd exited (status %s) while the job ran" % d.proc.returncode)
        if time.monotonic() - t0 > JOB_TIMEOUT:
            raise AssertionError("the job did not end within %.0f s" % JOB_TIMEOUT)
        if run:
            for _ in range(10):
                run.pump(0.1)
        else:
            time.sleep(1)
        p = props(job_id)
        state = p["State"]
        if p["PID"] and seen_uid is None:
            seen_uid = virt_v2v_uid(p["PID"])
        polled.append((p["Phase"], p["Progress"]))
        line = "%-9s %5.1f%%  %s" % (state, p["Progress"], p["Phase"])
        if line != last:
            log("  [%5.0f s] %s" % (time.monotonic() - t0, line))
            last = line
    rc = run.wait(timeout=60) if run else None
    elapsed = time.monotonic() - t0
    log("TIME %s %.0f" % (name, elapsed))

    p = props(job_id)
    p["_uid"] = seen_uid
    t.check(p["State"] == "succeeded", "%s: State is succeeded" % name,
            "%s, LastMessage %s\n---- v2v.log:\n%s" % (p["State"], p["LastMessage"], tail(p["LogFile"], 60)))
    if run:
        text = run.text()
        screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "\n").splitlines()
        log("  v2vctl's last screen:\n" + "\n".join("    " + l for l in screen[-6:]))
        t.check_eq(rc, 0, "v2vctl submit --wait exit status")
        t.check("succeeded" in text, "v2vctl says the job succeeded", screen[-6:])
        if copies:
            t.check("Copying disk 1/1" in text, "v2vctl showed the copy phase")
    t.check_eq(p["ReturnCode"], 0, "ReturnCode")
    t.check_eq(p["Progress"], 100.0, "Progress at the end")
    if copies:
        t.check_eq(p["DiskCount"], 1, "DiskCount")
        t.check(len(p["Disks"]) == 1 and p["Disks"][0][1] == 100.0, "Disks: one disk at 100%", p["Disks"])

    mon = t.monitor
    mon.wait(lambda m: m.get("member") == "JobFinished"
             and m.get("payload", {}).get("data") == [job_id, path, "succeeded"],
             10, what="JobFinished(%s, %s, succeeded)" % (job_id, path))
    progress = [v for _, v in mon.prop_changes(path, "Progress")]
    if owner:
        # On the system bus PropertiesChanged only names a job's Phase
        # (v2vd(8)); its owner reads it again, as the loop above did once a
        # second (v2vctl, whose display shows the copy phase, does the same).
        inval = [m for m in mon.signals("PropertiesChanged", path=path)
                 if m["payload"]["data"][0] == JOB_IFACE and "Phase" in m["payload"]["data"][2]]
        t.check(len(inval) >= 2, "PropertiesChanged invalidates Phase (%d times)" % len(inval))
        phases = [ph for i, (ph, _) in enumerate(polled) if ph and (i == 0 or polled[i - 1][0] != ph)]
        log("  Phase read by its owner: %s" % phases)
    else:
        phases = [v for _, v in mon.prop_changes(path, "Phase")]
        log("  Phase signalled: %s" % phases)
    back = [(a, b) for a, b in zip([0.0] + progress, progress) if b < a]
    t.check(not back, "Progress never goes back", back)
    if copies:
        if not owner:
            t.check("Copying disk 1/1" in phases, 'Phase "Copying disk 1/1" signalled', phases)
        mid = sorted({v for v in progress if 0.0 < v < 100.0})
        t.check(len(mid) >= 2, "intermediate Progress values signalled (%d)" % len(mid), mid)
    order = [next((i for i, o in enumerate(V2V_PHASES) if ph.startswith(o)), None) for ph in phases]
    known = [o for o in order if o is not None]
    t.check(known == sorted(known) and "Inspecting the source" in phases,
            "virt-v2v's phases signalled in its order", list(zip(phases, order)))

    st = d.state(job_id)
    t.check(st.get("finished") is True and st.get("return_code") == 0 and "failed" not in st
            and st.get("state") == "succeeded", "state.json: finished, return_code 0, no failed", st)
    with open(p["MachineLogFile"]) as f:
        msgs = [json.loads(line).get("message", "") for line in f if line.strip()]
    t.check(any(m.startswith("Inspecting the source") for m in msgs),
            "v2v-machine.log holds virt-v2v's messages", msgs[:20])
    with open(p["LogFile"], errors="replace") as f:
        v2vlog = f.read()
    t.check("Finishing off" in v2vlog, "v2v.log holds virt-v2v's output to the end", v2vlog[-500:])
    p["_log"] = v2vlog
    p["_seconds"] = elapsed
    return p


def invalid_spec(t, spec, needle):
    """CreateJob refuses SPEC with InvalidSpec, its message holding NEEDLE;
    no job is made."""
    from v2vdtest import call_error, ERROR_PREFIX
    name, msg = call_error(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", json.dumps(spec))
    t.check(name == ERROR_PREFIX + "InvalidSpec" and needle in msg,
            "CreateJob refused before queueing: %s" % msg, (name, msg))


def qemu_img_info(path):
    r = subprocess.run(["qemu-img", "info", "--output=json", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise AssertionError("qemu-img info %s: %s" % (path, r.stderr))
    return json.loads(r.stdout)


def check_disk(t, path, fmt, what):
    t.check(os.path.isfile(path) and os.path.getsize(path) > 1024 * 1024, "%s: %s written" % (what, path))
    info = qemu_img_info(path)
    t.check_eq(info.get("format"), fmt, "%s: format" % what)
    t.check_eq(info.get("virtual-size"), fx.virtual_size(fx.guest_image()), "%s: virtual size" % what)


# ------------------------------------------------------------------ the paths

def reachable_by_all(t):
    """The test's directories (0700 from mkdtemp) passable by every user, as
    a data directory is: virt-v2v -o rhv writes the export domain as
    vdsm:kvm, and must get to it."""
    d = t.base
    top = os.path.dirname(os.environ.get("V2VD_TEST_BASE", t.base))
    while d.startswith(top + "/"):
        os.chmod(d, os.stat(d).st_mode | 0o711)
        d = os.path.dirname(d)


def check_export_domain(t, ed, sd):
    """What virt-v2v -o rhv wrote into the export domain ED/SD: one VM's OVF,
    one raw volume with its .meta, named by the OVF, owned by vdsm:kvm."""
    ovfs = glob.glob(os.path.join(ed, sd, "master", "vms", "*", "*.ovf"))
    t.check(len(ovfs) == 1, "one OVF under %s/master/vms" % sd, ovfs)
    vm_uuid = os.path.basename(os.path.dirname(ovfs[0]))
    root = ET.parse(ovfs[0]).getroot()
    text = ET.tostring(root, encoding="unicode")
    t.check("guest" in [e.text for e in root.iter() if e.tag.endswith("Name")],
            "the OVF names the VM guest", text[:600])
    vols = [f for f in glob.glob(os.path.join(ed, sd, "images", "*", "*"))
            if not f.endswith(".meta")]
    t.check(len(vols) == 1, "one volume under images/", vols)
    check_disk(t, vols[0], "raw", "export domain volume")
    t.check(os.path.isfile(vols[0] + ".meta"), "the volume has its .meta")
    vol_uuid = os.path.basename(vols[0])
    img_uuid = os.path.basename(os.path.dirname(vols[0]))
    t.check(vol_uuid in text and img_uuid in text, "the OVF names the image and volume", text[:800])
    st = os.stat(vols[0])
    t.check((st.st_uid, st.st_gid) == (36, 36), "the volume is vdsm:kvm (36:36)", (st.st_uid, st.st_gid))
    t.check(re.search(r"[Vv]irtio|VirtIO", text) is not None or "ovirt" in text.lower(),
            "the OVF is oVirt's", text[:300])
    log("  VM %s, image %s, volume %s" % (vm_uuid, img_uuid, vol_uuid))


def path_ova_file_to_rhv(t, img):
    """A VMware OVA file into an export storage domain given as a path."""
    reachable_by_all(t)
    ova = fx.ova_file(img, os.path.join(t.base, "guest.ova"))
    ed, sd = fx.export_domain(os.path.join(t.base, "export"))
    # The mistakes told before queueing: a directory that is no export
    # domain, one vdsm:kvm cannot write.
    bad, bad_sd = fx.export_domain(os.path.join(t.base, "not-export"), owner=None)
    shutil.rmtree(os.path.join(bad, bad_sd, "master"))
    invalid_spec(t, {"vm_name": "guest", "ova": ova, "export_domain": bad},
                 "has no master/vms/")
    ro, _ = fx.export_domain(os.path.join(t.base, "root-export"), owner=None)
    invalid_spec(t, {"vm_name": "guest", "ova": ova, "export_domain": ro},
                 "36:36 (vdsm:kvm, as which virt-v2v writes the export domain) cannot write into")
    convert(t, "realpath-ova-file-to-rhv", {"vm_name": "guest", "ova": ova,
                                            "export_domain": ed}, client="v2vctl")
    check_export_domain(t, ed, sd)


def path_ova_dir_to_null(t, img):
    """An unpacked OVA (a directory) into -o null."""
    d = fx.ova_dir(img, os.path.join(t.base, "guest-ova"))
    before = sorted(os.listdir(d))
    # told before queueing: an OVF edited after the manifest was made
    edited = os.path.join(t.base, "edited-ova")
    os.makedirs(edited)
    for n in before:
        os.link(os.path.join(d, n), os.path.join(edited, n))
    ovf = os.path.join(edited, "guest.ovf")
    with open(ovf) as f:
        text = f.read().replace("1024MB of memory", "2048MB of memory")
    os.unlink(ovf)
    with open(ovf, "w") as f:
        f.write(text)
    invalid_spec(t, {"vm_name": "guest", "ova": edited, "null_output": True},
                 "checksum mismatch for guest.ovf: the manifest has SHA256")
    p = convert(t, "realpath-ova-dir-to-null", {"vm_name": "guest", "ova": d, "null_output": True})
    t.check("-o null" in p["_log"] or "Setting up the destination: -o null" in p["_log"],
            "virt-v2v ran with -o null", re.findall(r"Setting up the destination.*", p["_log"]))
    t.check_eq(sorted(os.listdir(d)), before, "the OVA directory is unchanged")


def path_vmx_to_qemu(t, img):
    """A .vmx on a (locally mounted) datastore into -o qemu: the script is
    written, not run."""
    vmx = fx.datastore_vm(img, os.path.join(t.base, "datastore1", "guest"))
    out = os.path.join(t.base, "out-qemu")
    os.makedirs(out)
    # told before queueing: a .vmx whose disk is not beside it
    broken = fx.vmx(os.path.join(t.base, "datastore1", "guest"), "broken", vmdk_name="broken.vmdk")
    invalid_spec(t, {"vm_name": "guest", "vmx": broken, "qemu_dir": out},
                 "names the disk broken.vmdk (scsi0:0.fileName), but")
    convert(t, "realpath-vmx-to-qemu", {"vm_name": "guest", "vmx": vmx, "qemu_dir": out, "output_format": "qcow2"})
    check_disk(t, os.path.join(out, "guest-sda"), "qcow2", "-o qemu disk")
    sh = os.path.join(out, "guest.sh")
    t.check(os.path.isfile(sh) and os.access(sh, os.X_OK), "guest.sh written, executable", os.listdir(out))
    with open(sh) as f:
        text = f.read()
    t.check(text.startswith("#!/bin/sh") and "qemu-system-x86_64" in text and
            os.path.join(out, "guest-sda") in text, "guest.sh boots guest-sda with qemu", text[:600])
    t.check(fx.GUEST_MAC in text, "guest.sh keeps the VMware NIC's MAC", text)


def esxi_over_ssh(t, img, owner=None):
    """A VMware host as virt-v2v -i vmx -it ssh reaches it: a VM folder under
    .../vmfs/volumes/datastore1 served by an sshd on the loopback that takes
    only a key; the client trusts its host key (known_hosts in a tmpfs over
    ~/.ssh of the test's own mount namespace: the host's is neither read nor
    written). OWNER: (user, home) whose own ~/.ssh trusts it instead, as
    that user's first `ssh` would have left it. Returns (vmx path, port,
    private key, cleanup)."""
    from v2vdssh import free_port, make_keys, start_sshd
    ds = os.path.join(t.base, "vmfs", "volumes", "datastore1", "guest")
    vmx = fx.datastore_vm(img, ds)
    keys = os.path.join(t.base, "ssh")
    os.makedirs(keys)
    port = free_port()
    make_keys(keys, port)
    sshd = start_sshd(keys, port, "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n")
    # virt-v2v's scp and nbdkit's ssh plugin check the server's key against
    # the user's known_hosts, as after a first `ssh` that accepted it.
    if owner:
        from v2vdsystem import give
        ssh_dir = os.path.join(owner[1], ".ssh")
        os.makedirs(ssh_dir, mode=0o700)
        shutil.copy(os.path.join(keys, "known_hosts"), os.path.join(ssh_dir, "known_hosts"))
        give(owner[0], ssh_dir, os.path.join(ssh_dir, "known_hosts"))
    else:
        ssh_dir = os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".ssh")
        os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700", "v2vd-test-ssh", ssh_dir], check=True)
        shutil.copy(os.path.join(keys, "known_hosts"), os.path.join(ssh_dir, "known_hosts"))
    with open(os.path.join(keys, "client_key")) as f:
        key = f.read()

    def cleanup():
        sshd.terminate()
        sshd.wait()
        if not owner:
            subprocess.run(["umount", ssh_dir])
    return vmx, port, key, cleanup


def path_vmx_ssh_wrapper(t, img):
    """VMware over SSH into an export domain, driven as ManageIQ drives a
    conversion host: its ssh user runs `sudo /usr/bin/virt-v2v-wrapper` with
    the conversion options (ssh transport, vm_name the .vmx URI, ssh_key,
    source_disks, network_mappings with MAC and IP) on stdin, then polls the
    state file over SFTP until the wrapper's job ends (the client and host
    setup of tests/integration/test_v2vctl_manageiq.py)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
    argv, sys.argv = sys.argv, [sys.argv[0], os.environ["V2VCTL"]]
    try:
        import test_v2vctl_manageiq as miq
    finally:
        sys.argv = argv
    reachable_by_all(t)
    ed, sd = fx.export_domain(os.path.join(t.base, "export"))
    vmx, port, key, cleanup = esxi_over_ssh(t, img)
    wrapper_dir = os.path.join(t.base, "wrapper")
    miq_sshd = None
    try:
        miq_sshd, ssu = miq.setup_host(t, wrapper_dir)
        host = miq.ConversionHost(ssu)
        doc = {"vm_name": "ssh://root@127.0.0.1:%d%s" % (port, vmx),
               "vm_uuid": "42290f6c-0c5d-4a3b-9e8e-000000000777",
               "conversion_host_uuid": "5f2a1a53-b2c1-4c66-8a53-7d35c4c2a8e1",
               "transport_method": "ssh", "ssh_key": key,
               "source_disks": ["[datastore1] guest/guest.vmdk"],
               "network_mappings": [{"source": "VM Network", "destination": "ovirtmgmt",
                                     "mac_address": fx.GUEST_MAC, "ip_address": "10.8.1.23"}],
               "export_domain": ed}
        task = miq.Task(host, doc, [fx.virtual_size(img)])
        t0 = time.monotonic()
        task.run_conversion()
        t.check_eq(ssu.last_stderr, "", "nothing on the wrapper's stderr (ManageIQ treats stderr as failure)")
        paths = task.options["virtv2v_wrapper"]
        t.jobs.append(os.path.basename(os.path.dirname(paths["state_file"])))
        status = task.poll_until_done(JOB_TIMEOUT, interval=2)
        log("TIME realpath-vmx-ssh-wrapper %.0f" % (time.monotonic() - t0))
        v2vlog = host.get_conversion_log(paths["v2v_log"])
        t.check(status == "succeeded", "ManageIQ's virtv2v_status is succeeded", "%s; v2v log's tail:\n%s"
                % (status, v2vlog[-1500:]))
        seen = sorted(task.seen_percent.get("[datastore1] guest/guest.vmdk", ()))
        t.check(any(0 < p < 100 for p in seen), "ManageIQ saw the disk's progress between 0 and 100", seen)
        for what in ("Setting up the source: -i vmx ssh://", "Setting up the destination: -o rhv"):
            t.check(what in v2vlog, "v2v log fetched over SFTP: %s" % what, v2vlog[-1500:])
        wlog = host.get_conversion_log(paths["wrapper_log"])
        t.check("network_mappings[0].ip_address: ignored" in wlog, "wrapper log: ip_address ignored", wlog)
        check_export_domain(t, ed, sd)
        ovf = glob.glob(os.path.join(ed, sd, "master", "vms", "*", "*.ovf"))[0]
        with open(ovf) as f:
            text = f.read()
        t.check(fx.GUEST_MAC in text and "ovirtmgmt" in text, "the OVF's NIC: the VMware MAC on ovirtmgmt",
                text[-1500:])
    finally:
        if miq_sshd:
            miq_sshd.terminate()
            miq_sshd.wait(10)
        cleanup()


def path_vmx_ssh_to_local(t, img):
    """A .vmx over SSH (ManageIQ's transport) from an sshd on the loopback
    that takes only the job's key, into -o local; submitted with v2vctl."""
    vmx, port, key, cleanup = esxi_over_ssh(t, img)
    try:
        out = os.path.join(t.base, "out-local")
        os.makedirs(out)
        convert(t, "realpath-vmx-ssh-to-local", {
            "vm_name": "guest", "transport_method": "ssh",
            "vmware_uri": "ssh://root@127.0.0.1:%d%s" % (port, vmx),
            "ssh_key": key, "output_dir": out}, client="v2vctl")
        check_disk(t, os.path.join(out, "guest-sda"), "raw", "-o local disk")
        root = ET.parse(os.path.join(out, "guest.xml")).getroot()
        t.check(root.findtext("name") == "guest", "guest.xml describes the domain guest")
        macs = [m.get("address") for m in root.iter("mac")]
        t.check(fx.GUEST_MAC in macs, "guest.xml keeps the VMware NIC's MAC", macs)
    finally:
        cleanup()


def path_libvirt_to_libvirt(t, img):
    """A shut-off KVM guest of a libvirtd (qemu:///system) picked from
    ListSourceVMs, converted with -i libvirt into -o libvirt on the same
    libvirtd's directory pool."""
    from v2vdlibvirt import Libvirtd, domain_xml, virsh
    lv = Libvirtd(os.path.join(t.base, "libvirt")).start()
    try:
        pool_dir = os.path.join(t.base, "pool")
        lv.define_pool("v2vd", pool_dir)
        lv.define_domain(domain_xml("kvmguest", img, "52:54:00:4a:11:22"))
        start_daemon(t)
        vms = json.loads(call(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s",
                              json.dumps({"uri": "qemu:///system"}), timeout=120)[0])
        log("  ListSourceVMs: %s" % json.dumps(vms)[:400])
        pick = [v for v in vms if v.get("name") == "kvmguest"]
        t.check(len(pick) == 1 and pick[0].get("state") == "shutoff" and pick[0].get("running") is False,
                "ListSourceVMs lists kvmguest, shut off", vms)
        convert(t, "realpath-libvirt-to-libvirt", {"vm_name": pick[0]["name"], "libvirt_uri": "qemu:///system",
                                              "libvirt_output_uri": "qemu:///system", "libvirt_pool": "v2vd",
                                              "name": "kvmguest-v2v", "output_format": "qcow2"},
                client="v2vctl")
        names = virsh("list", "--all", "--name").split()
        t.check("kvmguest-v2v" in names, "the domain kvmguest-v2v is defined", names)
        xml = virsh("dumpxml", "kvmguest-v2v")
        root = ET.fromstring(xml)
        disks = [d.find("source") for d in root.iter("disk") if d.get("device") == "disk"]
        log("  kvmguest-v2v's disk sources: %s" % [d.attrib for d in disks if d is not None])
        t.check(len(disks) == 1 and disks[0] is not None and disks[0].get("pool") == "v2vd" and disks[0].get("volume"),
                "its one disk is a volume of the pool v2vd (<source pool= volume=>)", xml)
        vol = disks[0].get("volume")
        vol_path = virsh("vol-path", "--pool", "v2vd", vol).strip()
        t.check(os.path.dirname(vol_path) == pool_dir, "the volume %s is in the pool's directory" % vol, vol_path)
        check_disk(t, vol_path, "qcow2", "-o libvirt volume")
        vols = virsh("vol-list", "v2vd")
        t.check(vol in vols, "the pool lists the volume", vols)
        macs = [m.get("address") for m in root.iter("mac")]
        t.check("52:54:00:4a:11:22" in macs, "the NIC keeps its MAC", macs)
    finally:
        lv.stop()


def path_libvirtxml_to_kubevirt(t, img):
    """-i libvirtxml (a domain XML naming the disk) into -o kubevirt."""
    from v2vdlibvirt import domain_xml
    xml = os.path.join(t.base, "guest-domain.xml")
    with open(xml, "w") as f:
        f.write(domain_xml("guest", img, "52:54:00:4a:33:44", dom_type="kvm"))
    out = os.path.join(t.base, "out-kubevirt")
    os.makedirs(out)
    convert(t, "realpath-libvirtxml-to-kubevirt", {"vm_name": "guest", "libvirtxml": xml, "kubevirt_dir": out})
    check_disk(t, os.path.join(out, "guest-sda"), "raw", "-o kubevirt disk")
    yml = os.path.join(out, "guest.yaml")
    t.check(os.path.isfile(yml), "guest.yaml written", os.listdir(out))
    with open(yml) as f:
        text = f.read()
    log("  guest.yaml:\n" + "\n".join("    " + l for l in text.splitlines()[:40]))
    t.check(re.search(r"^apiVersion: kubevirt.io/v1\s*$", text, re.M) is not None and
            re.search(r"^kind: VirtualMachineInstance\s*$", text, re.M) is not None,
            "a KubeVirt VirtualMachineInstance (kubevirt.io/v1)", text)
    t.check(re.search(r"^metadata:\n\s+name: guest\s*$", text, re.M) is not None, "metadata name guest", text)
    mem = re.search(r"^\s+memory: (\d+)(Mi|Gi)\s*$", text, re.M)
    t.check(mem is not None and int(mem.group(1)) * (1024 if mem.group(2) == "Gi" else 1) == 1024,
            "memory: the domain's 1 GiB", mem and mem.group(0))
    t.check(os.path.join(out, "guest-sda") in text, "the YAML points at guest-sda", text)


def path_disk_to_vdsm(t, img):
    """-i disk into -o vdsm: VDSM's import into a data domain, with the
    image, volume and VM UUIDs VDSM would choose and its OVF directory."""
    sd = str(uuid.uuid4())
    dom = os.path.join(t.base, "data-center", "mnt", sd)
    img_uuid, vol_uuid, vm_uuid = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    os.makedirs(os.path.join(dom, "images", img_uuid))
    ovf_dir = os.path.join(t.base, "vdsm-ovf")
    os.makedirs(ovf_dir)
    convert(t, "realpath-disk-to-vdsm", {"vm_name": "guest", "disk": [img], "vdsm_storage_domain": dom,
                                "vdsm_vm_uuid": vm_uuid, "vdsm_image_uuids": [img_uuid],
                                "vdsm_volume_uuids": [vol_uuid], "vdsm_ovf_dir": ovf_dir})
    vol = os.path.join(dom, "images", img_uuid, vol_uuid)
    check_disk(t, vol, "raw", "-o vdsm volume")
    t.check(os.path.isfile(vol + ".meta"), "the volume's .meta written")
    ovf = os.path.join(ovf_dir, vm_uuid + ".ovf")
    t.check(os.path.isfile(ovf), "the OVF %s.ovf written in vdsm_ovf_dir" % vm_uuid, os.listdir(ovf_dir))
    with open(ovf) as f:
        text = f.read()
    t.check(vm_uuid in text and img_uuid in text and vol_uuid in text,
            "the OVF names the VM, image and volume UUIDs", text[:800])


def path_in_place(t, img):
    """in_place: virt-v2v-in-place converts a copy of the guest."""
    copy = fx.copy_sparse(img, os.path.join(t.base, "guest-copy.img"))
    before = fx.sha256(copy)
    convert(t, "realpath-in-place", {"vm_name": "guest", "disk": [copy], "in_place": True}, copies=False)
    t.check(fx.sha256(copy) != before, "the disk was changed in place")
    with open(t.props(t.jobs[-1])["LogFile"], errors="replace") as f:
        text = f.read()
    t.check("Converting " in text and "to run on KVM" in text, "virt-v2v-in-place converted the guest",
            text[-600:])


def nonroot_home(t, user="v2vdta"):
    """USER's home under the test's base (passwd says so in this mount
    namespace) and the test's TMPDIR made a sticky one a job of USER can
    write, as /tmp is on a host. Returns (user, home, uid)."""
    from v2vdsystem import users, give, set_home
    uid, _ = users()[user]
    os.chmod(t.base, 0o711)
    home = os.path.join(t.base, user)
    os.makedirs(home, mode=0o700)
    give(user, home)
    set_home(user, home)
    return user, home, uid


def nonroot_daemon(t, environment=None):
    """v2vd --system on the bus of tests/lib/with-system-bus (its rules file
    from meson: V2VD_POLKIT_RULES), running the real virt-v2v; the monitor
    records the system-like bus."""
    from v2vdsystem import SystemDaemon
    env = fx.v2v_environment()
    # The test's TMPDIR is root's (with-system-bus makes it 0711).
    tmp = os.path.join(t.base, "tmp")
    os.makedirs(tmp)
    os.chmod(tmp, 0o1777)
    env["TMPDIR"] = tmp
    env.update(environment or {})
    os.environ.pop("V2VD_FAKE_V2V", None)
    os.environ.pop("V2VD_VIRT_V2V", None)
    t.monitor = __import__("v2vdtest").Monitor()
    t.monitor.start()
    d = SystemDaemon(os.path.join(t.base, "daemon"), config={"max_running_jobs": 1}, environment=env)
    t.daemon = d
    d.start()
    return d


def owner_check(t, user, home, spec, what):
    """`v2vctl check job.json --json` as USER (its job.json in HOME): the
    findings of CheckJob, whose checks run with USER's rights."""
    from v2vdsystem import run_as, give
    job = os.path.join(home, "check.json")
    with open(job, "w") as f:
        json.dump(spec, f)
    os.chmod(job, 0o600)
    give(user, job)
    r = run_as(user, [os.environ["V2VCTL"], "check", job, "--json"], timeout=120,
               env=dict(os.environ, HOME=home, USER=user, LOGNAME=user))
    t.check(r.returncode in (0, 1), "%s: v2vctl check as %s ran" % (what, user), (r.returncode, r.stderr))
    findings = json.loads(r.stdout)
    log("  v2vctl check as %s: %s" % (user, json.dumps(findings)[:1500]))
    t.check_eq(r.returncode, 1 if any(x["severity"] == "error" for x in findings) else 0,
               "%s: v2vctl check's exit status" % what)
    return findings


def errors_of(findings):
    return [(x["code"], x["key"]) for x in findings if x["severity"] == "error"]


def check_nonroot_local(t, p, owner, out, name):
    """virt-v2v ran as the owner and wrote its -o local output (NAME-sda,
    NAME.xml) as it."""
    user, _, uid = owner
    t.check_eq(p["OwnerUID"], uid, "OwnerUID is %s's" % user)
    t.check(p["_uid"] == uid, "virt-v2v ran as %s (uid %d)" % (user, uid), p["_uid"])
    disk = os.path.join(out, name + "-sda")
    check_disk(t, disk, "raw", "%s's output" % user)
    for f in (name + "-sda", name + ".xml"):
        st = os.stat(os.path.join(out, f))
        t.check(st.st_uid == uid, "%s belongs to %s" % (f, user), st.st_uid)


def path_ova_file_nonroot(t, img):
    """v2vd --system (tests/lib/with-system-bus: a system-like bus, a real
    polkitd whose rules let v2vdta create jobs): the unprivileged v2vdta
    converts its own OVA into its own directory; virt-v2v runs as v2vdta."""
    from v2vdsystem import give, user_create_job, user_props
    user, home, uid = nonroot_home(t)
    out = os.path.join(home, "out")
    os.makedirs(out)
    ova = fx.ova_file(img, os.path.join(home, "guest.ova"))
    give(user, out, ova)
    os.chmod(ova, 0o600)           # only its owner can read it
    d = nonroot_daemon(t)
    r = user_create_job(user, json.dumps({"vm_name": "guest", "ova": ova, "output_dir": out}))
    t.check(r[0] == "ok", "CreateJob as v2vdta", r)
    job_id = r[1].split()[0]
    t.jobs.append(job_id)
    t0 = time.monotonic()
    p = user_props(user, job_id)
    t.check_eq(p["OwnerUID"], uid, "OwnerUID")
    seen_uid = None
    while p["State"] not in TERMINAL_STATES:
        if time.monotonic() - t0 > JOB_TIMEOUT:
            raise AssertionError("the job did not end within %.0f s" % JOB_TIMEOUT)
        time.sleep(2)
        p = user_props(user, job_id)
        if p["PID"] and seen_uid is None:
            seen_uid = virt_v2v_uid(p["PID"])
    log("TIME realpath-ova-file-nonroot %.0f" % (time.monotonic() - t0))
    t.check(p["State"] == "succeeded", "State is succeeded (as v2vdta)",
            "%s, LastMessage %s\n---- v2v.log:\n%s" % (p["State"], p["LastMessage"], tail(p["LogFile"], 60)))
    t.check_eq(p["Progress"], 100.0, "Progress at the end")
    t.check(seen_uid == uid, "virt-v2v ran as v2vdta (uid %d)" % uid, seen_uid)
    st = d.state(job_id)
    t.check(st.get("finished") is True and st.get("return_code") == 0 and "failed" not in st,
            "state.json: finished, return_code 0", st)
    disk = os.path.join(out, "guest-sda")
    check_disk(t, disk, "raw", "v2vdta's output")
    t.check(os.stat(disk).st_uid == uid, "guest-sda belongs to v2vdta", os.stat(disk).st_uid)


def path_libvirt_nonroot(t, img):
    """v2vd --system: v2vdta, a member of the group of libvirtd's socket (as
    an operator lets its migration admins use qemu:///system), lists the
    libvirtd's VMs with ListSourceVMs as itself (polkit: browse-sources),
    picks the shut-off one and converts it with -i libvirt into its own
    directory, submitted with `v2vctl submit --wait` as itself. The domain's
    disk is one v2vdta can read, as virt-v2v opens it as the owner."""
    from v2vdlibvirt import Libvirtd, domain_xml, virsh
    from v2vdsystem import give, user_call, run_as, user_create_job, user_props, user_dir
    owner = nonroot_home(t)
    user, home, uid = owner
    out = user_dir(user, home, "out")
    images = os.path.join(t.base, "images")
    os.makedirs(images)
    disk = fx.copy_sparse(img, os.path.join(images, "kvmguest.img"))
    give(user, disk)
    os.chmod(disk, 0o600)
    lv = Libvirtd(os.path.join(t.base, "libvirt"), sock_group="libvirt", members=[user]).start()
    try:
        lv.define_domain(domain_xml("kvmguest", disk, "52:54:00:4a:55:66"))
        sock = os.stat("/run/libvirt/libvirt-sock")
        grp = __import__("grp").getgrnam("libvirt")
        t.check(sock.st_gid == grp.gr_gid and sock.st_mode & 0o777 == 0o770 and user in grp.gr_mem,
                "libvirtd's socket is libvirt's group's (0770), %s a member" % user,
                (sock.st_gid, oct(sock.st_mode), grp))
        # Without the group (setpriv --clear-groups) the socket is closed to it.
        r = run_as(user, ["virsh", "-c", "qemu:///system", "list", "--all", "--name"])
        t.check(r.returncode != 0, "v2vdta without its groups cannot use qemu:///system", r.stdout + r.stderr)
        nonroot_daemon(t)
        r = user_call(user, MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s",
                      json.dumps({"uri": "qemu:///system"}))
        t.check(r[0] == "ok", "ListSourceVMs as v2vdta", r)
        vms = json.loads(r[1]) if r[0] == "ok" else []
        log("  ListSourceVMs as %s: %s" % (user, json.dumps(vms)[:400]))
        pick = [v for v in vms if v.get("name") == "kvmguest"]
        t.check(len(pick) == 1 and pick[0].get("state") == "shutoff" and pick[0].get("running") is False,
                "ListSourceVMs lists kvmguest, shut off", vms)
        spec = {"vm_name": pick[0]["name"], "libvirt_uri": "qemu:///system", "output_dir": out}
        f = owner_check(t, user, home, spec, "v2vdta's spec")
        t.check(errors_of(f) == [], "CheckJob as v2vdta (in the socket's group): no error", f)
        # v2vdtb may browse sources and create jobs too but is not in the
        # socket's group: CheckJob says so, not that a password is wrong.
        other, other_home, _ = nonroot_home(t, "v2vdtb")
        other_out = user_dir(other, other_home, "out")
        f = owner_check(t, other, other_home, dict(spec, output_dir=other_out), "v2vdtb's spec")
        bad = [x for x in f if x["severity"] == "error" and x["code"] == "source-access"]
        t.check(errors_of(f) == [("source-access", "libvirt_uri")] and "Permission denied" in bad[0]["message"]
                and "/run/libvirt/libvirt-sock" in bad[0]["message"] and "unix_sock_group" in bad[0]["message"],
                "CheckJob as v2vdtb (not in the group): source-access names the socket and its group", f)
        # Listing itself refused (the URI names the read-write socket): the
        # same finding, not a credentials one.
        f = owner_check(t, other, other_home, dict(spec, output_dir=other_out,
                                                   libvirt_uri="qemu:///system?socket=/run/libvirt/libvirt-sock"),
                        "v2vdtb's spec naming the read-write socket")
        t.check(errors_of(f) == [("source-access", "libvirt_uri")], "CheckJob as v2vdtb, the listing refused: "
                "source-access, not source-auth", f)
        # What the check foretells: v2vdtb's job fails, its virt-v2v refused
        # the read-write socket (listing took the read-only one).
        r = user_create_job(other, json.dumps(dict(spec, output_dir=other_out)))
        t.check(r[0] == "ok", "CreateJob as v2vdtb (no check)", r)
        bad_job = r[1].split()[0]
        t.jobs.append(bad_job)
        t0 = time.monotonic()
        pb = user_props(other, bad_job)
        while pb["State"] not in TERMINAL_STATES and time.monotonic() - t0 < 600:
            time.sleep(1)
            pb = user_props(other, bad_job)
        log("  v2vdtb's job: %s, LastMessage %s" % (pb["State"], pb["LastMessage"]))
        t.check(pb["State"] == "failed" and "Permission denied" in str(pb["LastMessage"])
                and "libvirt-sock" in str(pb["LastMessage"]),
                "v2vdtb's job failed: LastMessage names the socket it may not use",
                "%s %s\n%s" % (pb["State"], pb["LastMessage"], tail(pb["LogFile"], 20)))
        p = convert(t, "realpath-libvirt-nonroot", spec, client="v2vctl", owner=owner)
        t.check(re.search(r"Setting up the source: -ic qemu:///system -i libvirt kvmguest", p["_log"]),
                "virt-v2v read the source with -i libvirt from qemu:///system",
                re.findall(r"Setting up the source.*", p["_log"]))
        check_nonroot_local(t, p, owner, out, "kvmguest")
        root = ET.parse(os.path.join(out, "kvmguest.xml")).getroot()
        macs = [m.get("address") for m in root.iter("mac")]
        t.check("52:54:00:4a:55:66" in macs, "kvmguest.xml keeps the domain's MAC", macs)
        names = virsh("list", "--all", "--name").split()
        t.check(names == ["kvmguest"], "the libvirtd still has only kvmguest", names)
    finally:
        lv.stop()


def path_vmx_ssh_nonroot(t, img):
    """v2vd --system: v2vdta converts a .vmx over SSH (ssh_key in its spec;
    the daemon's ssh-agent and virt-v2v's scp and nbdkit-ssh run as v2vdta,
    whose own known_hosts trusts the server) into its own directory,
    submitted with `v2vctl submit --wait` as itself."""
    from v2vdsystem import user_dir
    owner = nonroot_home(t)
    user, home, uid = owner
    out = user_dir(user, home, "out")
    vmx, port, key, cleanup = esxi_over_ssh(t, img, owner=(user, home))
    try:
        nonroot_daemon(t)
        spec = {"vm_name": "guest", "transport_method": "ssh",
                "vmware_uri": "ssh://root@127.0.0.1:%d%s" % (port, vmx), "ssh_key": key, "output_dir": out}
        f = owner_check(t, user, home, spec, "v2vdta's spec")
        t.check(errors_of(f) == [], "CheckJob as v2vdta (the key, its known_hosts): no error", f)
        # v2vdtb has the key but has never trusted the host: the check's
        # ssh login, as v2vdtb, says so before anything is queued.
        other, other_home, _ = nonroot_home(t, "v2vdtb")
        other_out = user_dir(other, other_home, "out")
        f = owner_check(t, other, other_home, dict(spec, output_dir=other_out), "v2vdtb's spec")
        bad = [x for x in f if x["severity"] == "error"]
        t.check(errors_of(f) == [("ssh-login", "ssh_key")] and "Host key verification failed" in bad[0]["message"]
                and os.path.join(other_home, ".ssh", "known_hosts") in bad[0]["message"],
                "CheckJob as v2vdtb (host not in its known_hosts): ssh-login names its known_hosts", f)
        p = convert(t, "realpath-vmx-ssh-nonroot", spec, client="v2vctl", owner=owner)
        t.check("Setting up the source: -i vmx ssh://" in p["_log"], "virt-v2v read the .vmx over ssh",
                re.findall(r"Setting up the source.*", p["_log"]))
        check_nonroot_local(t, p, owner, out, "guest")
        root = ET.parse(os.path.join(out, "guest.xml")).getroot()
        macs = [m.get("address") for m in root.iter("mac")]
        t.check(fx.GUEST_MAC in macs, "guest.xml keeps the VMware NIC's MAC", macs)
    finally:
        cleanup()


FUNCS = {
    "realpath-ova-file-to-rhv": path_ova_file_to_rhv,
    "realpath-ova-dir-to-null": path_ova_dir_to_null,
    "realpath-vmx-to-qemu": path_vmx_to_qemu,
    "realpath-vmx-ssh-to-local": path_vmx_ssh_to_local,
    "realpath-libvirt-to-libvirt": path_libvirt_to_libvirt,
    "realpath-libvirtxml-to-kubevirt": path_libvirtxml_to_kubevirt,
    "realpath-disk-to-vdsm": path_disk_to_vdsm,
    "realpath-in-place": path_in_place,
    "realpath-ova-file-nonroot": path_ova_file_nonroot,
    "realpath-libvirt-nonroot": path_libvirt_nonroot,
    "realpath-vmx-ssh-nonroot": path_vmx_ssh_nonroot,
    "realpath-vmx-ssh-wrapper": path_vmx_ssh_wrapper,
}
assert set(FUNCS) == set(PATHS)


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in PATHS:
        sys.exit("usage: test-realpath.py TEST (one of %s)" % ", ".join(PATHS))

    def test(t):
        img = fx.guest_image()
        t.check(os.path.isfile(img), "guest image %s exists" % img)
        if name != "realpath-libvirt-to-libvirt" and not name.endswith("-nonroot"):
            start_daemon(t)
        FUNCS[name](t, img)
        t.assert_no_leftovers()

    run_test(test, name)


if __name__ == "__main__":
    main()
