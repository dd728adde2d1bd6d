#!/usr/bin/env python3
"""CheckJob and v2vctl check: each preflight finding from a spec
that has that problem, on a real daemon with the fake virt-v2v and
libvirt's test driver; a spec with three problems shows all three; a good
spec has no error; CreateJobWithOptions / submit --check refuse a spec with
errors (CheckFailed) and create one without; the queue ahead. The checks
run in the v2vd-sources helper as the caller."""
import json
import os
import socket
import subprocess

from v2vdtest import run_test, make_image, call, wait_for, BUS_NAME, MANAGER_PATH, MANAGER_IFACE
from test_v2vctl_common import ctl, ok, fails, write_spec, V2VCTL
import sourcesdata as sd


def codes(findings):
    return {(f["severity"], f["code"], f["key"]) for f in findings}


def check(t, spec, *extra, what):
    r = ctl("check", write_spec(t, spec, "spec.json"), "--json", *extra)
    t.check(r.rc in (0, 1), "%s: v2vctl check ran" % what, r)
    f = r.json()
    t.check_eq(r.rc, 1 if any(x["severity"] == "error" for x in f) else 0, "%s: exit status" % what)
    return f


def expect(t, findings, severity, code, key, what):
    t.check((severity, code, key) in codes(findings), "%s: finding (%s, %s, %s)" % (what, severity, code, key),
            json.dumps(findings, indent=1))


def test(t):
    t.start_daemon(config={"max_running_jobs": 1})
    img = make_image(os.path.join(t.base, "g"), "g", control={"step_delay": 0.01})
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    good = {"vm_name": "g", "disk": [img], "output_dir": out}

    # A good spec: no error; where it would wait, its limits, not inspected.
    f = check(t, good, what="good spec")
    t.check(not any(x["severity"] == "error" for x in f), "good spec: no error", f)
    for code in ("queue-wait", "limits", "not-inspected"):
        t.check(any(x["code"] == code and x["severity"] == "info" for x in f), "good spec: info %s" % code, f)
    t.check(all(x["message"] for x in f), "every finding says what to do", f)

    # The spec as CreateJob takes it.
    f = check(t, dict(good, output_format="vmdk"), what="bad output_format")
    expect(t, f, "error", "spec-invalid", "output_format", "bad output_format")
    f = check(t, dict(good, disk=[os.path.join(t.base, "nosuch.img")]), what="missing disk")
    expect(t, f, "error", "input-unreadable", "disk", "missing disk")

    # Three problems: the source VM runs (test:///default's "test"), the
    # output directory does not exist, virtio-win is missing.
    three = {"vm_name": "test", "libvirt_uri": "test:///default", "output_dir": os.path.join(t.base, "nosuch"),
             "install_drivers": True, "virtio_win": os.path.join(t.base, "virtio-win.iso")}
    r = ctl("check", write_spec(t, three, "three.json"))
    t.note("v2vctl check on a spec with three problems:\n" + r.out + r.err)
    f = check(t, three, what="three problems")
    expect(t, f, "error", "source-running", "vm_name", "three problems")
    expect(t, f, "error", "dest-missing", "output_dir", "three problems")
    expect(t, f, "error", "virtio-win-missing", "virtio_win", "three problems")
    t.check_eq(r.rc, 1, "v2vctl check exits 1 on errors")
    for line in ("source-running", "dest-missing", "virtio-win-missing"):
        t.check(line in r.out, "the table shows %s" % line, r.out)

    # Source: an unknown VM, a shut-off one with its disks' allocation.
    xml = os.path.join(t.base, "node.xml")
    with open(xml, "w") as fp:
        fp.write(sd.driver_xml(auth=False))
    f = check(t, {"vm_name": "nosuch", "libvirt_uri": "test://" + xml, "output_dir": out}, what="unknown VM")
    expect(t, f, "error", "source-vm-missing", "vm_name", "unknown VM")
    f = check(t, {"vm_name": "web", "libvirt_uri": "test://" + xml, "output_dir": out}, what="shut-off VM")
    t.check(not any(x["code"].startswith("source-") and x["severity"] == "error" for x in f),
            "shut-off VM: no source error", f)
    expect(t, f, "warning", "source-warning", "libvirt_uri", "shut-off VM (snapshots, test driver)")
    # web boots with UEFI; this machine has OVMF (the missing case: test-preflight.c)
    expect(t, f, "info", "firmware", "", "UEFI VM")
    f = check(t, {"vm_name": "web", "libvirt_uri": "test:///nonexistent/node.xml", "output_dir": out},
              what="unreachable source")
    expect(t, f, "error", "source-connect", "libvirt_uri", "unreachable source")

    # A wrong password (the test driver's <auth>).
    xml_auth = os.path.join(t.base, "node-auth.xml")
    with open(xml_auth, "w") as fp:
        fp.write(sd.driver_xml(auth=True))
    f = check(t, {"vm_name": "web", "libvirt_uri": "test://" + xml_auth, "libvirt_password": "pw-WRONG-9c1e",
                  "output_dir": out}, what="wrong password")
    expect(t, f, "error", "source-auth", "libvirt_password", "wrong password")
    t.check("pw-WRONG-9c1e" not in json.dumps(f), "no password in the findings", f)

    # OVA: a manifest that does not match.
    tar = sd.write_tar(os.path.join(t.base, "bad.ova"), sd.members(corrupt="disk1.vmdk"))
    f = check(t, {"vm_name": "appliance", "ova": tar, "output_dir": out}, what="corrupt OVA")
    expect(t, f, "error", "ova-invalid", "ova", "corrupt OVA")

    # SSH transport: nobody answers on port 1.
    f = check(t, {"vm_name": "vm", "transport_method": "ssh",
                  "vmware_uri": "ssh://root@127.0.0.1:1/vmfs/volumes/ds/vm/vm.vmx", "output_dir": out},
              what="ssh login")
    expect(t, f, "error", "ssh-login", "vmware_uri", "ssh login")

    # A host that takes the connection and never speaks: ssh is stopped
    # before the check's own timeout (its key file is removed); libvirt
    # (ESX over HTTPS) is not, and the timeout ends the check with the
    # daemon's findings and check-timeout.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        key = "KEY-MARKER-5e1d"
        f = check(t, {"vm_name": "vm", "transport_method": "ssh", "output_dir": out, "ssh_key": key,
                      "vmware_uri": "ssh://root@127.0.0.1:%d/vmfs/volumes/ds/vm/vm.vmx" % port},
                  "--timeout", "8", what="silent ssh host")
        expect(t, f, "error", "ssh-login", "vmware_uri", "silent ssh host")
        left = [p for p in os.listdir("/tmp") if p.startswith("v2vd-check-")
                and any(key in open(os.path.join("/tmp", p, n), errors="replace").read()
                        for n in os.listdir(os.path.join("/tmp", p)))]
        t.check_eq(left, [], "no key file left behind")
        f = check(t, {"vm_name": "vm", "libvirt_uri": "esx://root@127.0.0.1:%d/?no_verify=1" % port, "libvirt_password": "pw",
                      "output_dir": out}, "--timeout", "4", what="silent libvirt host")
        expect(t, f, "error", "check-timeout", "", "silent libvirt host")
        expect(t, f, "info", "queue-wait", "", "silent libvirt host: the daemon's findings too")
    finally:
        silent.close()

    # VDDK: no library, no plugin, and what is not checked; a malformed
    # thumbprint is the spec's.
    vddk = {"vm_name": "vm", "transport_method": "vddk", "vmware_uri": "vpx://u@vc/dc/host?no_verify=1",
            "vmware_password": "pw", "vmware_fingerprint": ":".join(["AB"] * 20),
            "vddk_libdir": os.path.join(t.base, "vddk"), "output_dir": out}
    f = check(t, vddk, what="vddk")
    expect(t, f, "error", "vddk-libdir", "vddk_libdir", "vddk")
    expect(t, f, "error", "vddk-plugin", "transport_method", "vddk")
    expect(t, f, "info", "remote-not-checked", "vmware_uri", "vddk")
    f = check(t, dict(vddk, vmware_fingerprint="01:02:zz"), what="vddk thumbprint")
    expect(t, f, "error", "spec-invalid", "vmware_fingerprint", "vddk thumbprint")

    # Destination: not writable (a read-only bind mount of the test's own),
    # too small (a 1 MiB tmpfs for a disk with 4 MiB allocated).
    full = os.path.join(t.base, "small")
    os.makedirs(full)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", full], check=True)
    try:
        data = os.path.join(t.base, "data.img")
        with open(data, "wb") as fp:
            fp.write(b"\1" * (4 * 1024 * 1024))
        f = check(t, {"vm_name": "d", "disk": [data], "output_dir": full}, what="small destination")
        expect(t, f, "error", "dest-space", "output_dir", "small destination")
        subprocess.run(["mount", "-o", "remount,ro", full], check=True)
        f = check(t, dict(good, output_dir=full), what="read-only destination")
        expect(t, f, "error", "dest-unwritable", "output_dir", "read-only destination")
    finally:
        subprocess.run(["umount", full])

    # libvirt output: no such pool, no such network.
    f = check(t, dict(vm_name="g", disk=[img], libvirt_output_uri="test:///default", libvirt_pool="nosuch",
                      network_mappings=[{"source": "default", "destination": "nosuchnet", "type": "network"}]),
              what="libvirt output")
    expect(t, f, "error", "pool-missing", "libvirt_pool", "libvirt output")
    expect(t, f, "error", "network-unknown", "network_mappings", "libvirt output")

    # rhv-upload: the CA file, and what is not checked.
    f = check(t, {"vm_name": "g", "disk": [img], "rhv_url": "https://engine/ovirt-engine/api", "rhv_password": "pw",
                  "rhv_cluster": "c", "rhv_storage": "s", "rhv_cafile": os.path.join(t.base, "nosuch.pem")},
              what="rhv-upload")
    expect(t, f, "error", "rhv-cafile", "rhv_cafile", "rhv-upload")
    expect(t, f, "info", "remote-not-checked", "rhv_url", "rhv-upload")

    # --inspect: the fake virt-v2v-inspector replays real output.
    f = check(t, good, "--inspect", "--timeout", "60", what="inspect")
    guest = [x for x in f if x["code"] == "guest"]
    t.check(guest and "12.15 (debian 12.15, x86_64), 1 disk" in guest[0]["message"]
            and "about 675 MiB to copy" in guest[0]["message"], "inspect: the guest's OS, disks and estimate", f)
    t.check(not any(x["code"] == "not-inspected" for x in f), "inspect: no not-inspected", f)
    win = make_image(os.path.join(t.base, "w"), "w", control={"inspector": {"xml": "windows2019"}})
    f = check(t, {"vm_name": "w", "disk": [win], "output_dir": out}, "--inspect", what="inspect windows")
    expect(t, f, "warning", "virtio-win-missing", "virtio_win", "inspect windows")
    bad = make_image(os.path.join(t.base, "b"), "b", control={"inspector": {"fail_as": "no-os"}})
    f = check(t, {"vm_name": "b", "disk": [bad], "output_dir": out}, "--inspect", what="inspect no OS")
    expect(t, f, "error", "no-os", "", "inspect no OS")
    slow = make_image(os.path.join(t.base, "s"), "s", control={"inspector": {"hang": True}})
    f = check(t, {"vm_name": "s", "disk": [slow], "output_dir": out}, "--inspect", "--timeout", "25",
              what="inspect timeout")
    expect(t, f, "warning", "inspect-timeout", "", "inspect timeout")

    # At most two inspections at once: a third is refused at once.
    inspector = os.path.join(os.path.dirname(os.environ["V2VD_FAKE_V2V"]), "virt-v2v-inspector")
    hung = [subprocess.Popen([V2VCTL, "--user", "check",
                              write_spec(t, {"vm_name": "s", "disk": [slow], "output_dir": out}, "slow%d.json" % i),
                              "--inspect", "--timeout", "120"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i in range(2)]
    try:
        # one timeout(1) per inspection (preflight.c runs it under timeout)
        wait_for(lambda: len(subprocess.run(["pgrep", "-f", "^timeout .*" + inspector], capture_output=True,
                                            text=True).stdout.split()) >= 2, 60, "two inspections running")
        r = ctl("check", write_spec(t, good, "third.json"), "--inspect")
        t.check(r.rc != 0 and "inspections are running already" in r.err, "a third inspection is refused", r)
    finally:
        # the calls go on in the daemon until their timeout or its stop
        for p in hung:
            p.kill()
            p.wait(timeout=10)

    hang = make_image(os.path.join(t.base, "h"), "h", control={"step_delay": 0.01, "hang_at": "Copying disk"})
    running, _ = t.create_job(t.spec_disk(hang, vm_name="h"))
    t.wait_state(running, ["running"])
    f = check(t, good, what="queue")
    t.check(any(x["code"] == "queue-wait" and "would wait" in x["message"] for x in f), "queue: would wait", f)

    # CreateJobWithOptions and submit --check.
    p = subprocess.run(["busctl", "--user", "call", BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "CreateJobWithOptions",
                        "sa{sv}", json.dumps(three), "1", "check", "b", "true"], capture_output=True, text=True)
    t.check(p.returncode != 0 and "the checks found errors" in p.stderr, "CreateJobWithOptions refuses a spec with errors",
            p.stderr)
    t.check("source-running" in p.stderr and "dest-missing" in p.stderr, "CheckFailed names the errors", p.stderr)
    r = fails(t, ctl("submit", "--check", write_spec(t, three, "three.json")), 6, "submit --check", "source-running")
    r = ok(t, ctl("submit", "--check", write_spec(t, good, "good.json")), "submit --check of a good spec")
    t.jobs.append(r.out.strip())
    jid, path = call(MANAGER_PATH, MANAGER_IFACE, "CreateJobWithOptions", "sa{sv}", json.dumps(good), "0")
    t.jobs.append(jid)
    t.check(path.startswith("/org/v2vd/V2V1/job/"), "CreateJobWithOptions without check creates at once", path)
    # Plain CheckJob(s).
    f = call(MANAGER_PATH, MANAGER_IFACE, "CheckJob", "s", json.dumps(good))[0]
    t.check(all(len(x) == 4 for x in f) and any(x[1] == "queue-wait" for x in f), "CheckJob(s) → a(ssss)", f)
    call(os.path.join("/org/v2vd/V2V1/job", running), "org.v2vd.V2V1.Job", "Cancel")


run_test(test)
