#!/usr/bin/env python3
"""v2vctl bundle: the support bundle of a job is a tar with the
masked spec, its properties and Failure, state.json, job.json, v2v.log,
v2v-machine.log, the checks it was created with, the versions, its journal
lines and a MANIFEST; and no secret: a marker in every secret field of the
spec (vmware_password, libvirt_password, ssh_key, rhv_password, the
OpenStack password and secret, both LUKS keys) is in no member of any
bundle. Also -o -, and a job of another kind (failed, cancelled)."""
import io
import json
import os
import tarfile

from v2vdtest import run_test, make_image, call, job_path, JOB_IFACE, write_luks_vault, RHV_OUTPUT
from test_v2vctl_common import ctl, ok, write_spec


def marker(k):
    return "MARKER-%s-%s" % (k, os.urandom(4).hex())


def members(t, data):
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        return {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}


def test(t):
    t.start_daemon(config={"max_running_jobs": 3})
    M = {k: marker(k) for k in ("VMWARE", "LIBVIRT", "SSHKEY", "RHV1", "RHV2", "OSPPW", "OSPSECRET", "LUKS1", "LUKS2")}
    imgs = os.path.join(t.base, "imgs")
    ok_img = make_image(imgs, "okguest", {"step_delay": 0.01, "copy_seconds": 0.3})
    fail_img = make_image(imgs, "failguest", {"step_delay": 0.01, "fail_as": "dest-full"})
    hang_img = make_image(imgs, "hangguest", {"step_delay": 0.01, "hang_at": "Copying disk 1/1"})
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    vault = os.path.join(t.base, "luks-vault.json")
    write_luks_vault(vault, "okguest", [M["LUKS1"], M["LUKS2"]])
    rhv = RHV_OUTPUT
    specs = {
        "ok": {"vm_name": "okguest", "disk": [ok_img], "output_dir": out, "luks_keys_vault": vault},
        "osp": {"vm_name": "failguest", "disk": [fail_img], "osp_server_id": "srv-1",
                "osp_environment": {"OS_AUTH_URL": "https://keystone.example.com/v3", "OS_USERNAME": "admin",
                                    "OS_PASSWORD": M["OSPPW"], "OS_APPLICATION_CREDENTIAL_SECRET": M["OSPSECRET"],
                                    "OS_PROJECT_NAME": "p"}},
        "rhv": {"vm_name": "hangguest", "disk": [hang_img], "rhv_password": M["RHV1"], **rhv},
        "vddk": {"vm_name": "vddkguest", "transport_method": "vddk",
                 "vmware_uri": "esx://root@esxi.example.com?no_verify=1", "vmware_password": M["VMWARE"],
                 "vmware_fingerprint": "1A:3F:26:C6:DC:2C:44:88:AA:33:81:3C:18:6E:5D:9F:C0:EE:DF:5C",
                 "output_dir": out},
        "libvirt-ssh": {"vm_name": "xenguest", "libvirt_uri": "xen+ssh://root@xen.example.com",
                        "libvirt_password": M["LIBVIRT"], "ssh_key": M["SSHKEY"], "rhv_password": M["RHV2"], **rhv},
    }
    ids = {}
    for what, spec in specs.items():
        args = ["submit", write_spec(t, spec, what + ".json")] + (["--check"] if what == "ok" else [])
        r = ok(t, ctl(*args), "submit %s" % what)
        ids[what] = r.out.strip()
        t.jobs.append(ids[what])
    for what in ("ok", "osp", "vddk", "libvirt-ssh"):
        t.wait_finished(ids[what], timeout=60)
    t.wait_state(ids["rhv"], ["running"])
    call(job_path(ids["rhv"]), JOB_IFACE, "Cancel")
    t.wait_finished(ids["rhv"], timeout=60)

    for what, jid in ids.items():
        path = os.path.join(t.base, "bundle-%s.tar" % what)
        ok(t, ctl("bundle", jid, "-o", path), "bundle %s" % what)
        with open(path, "rb") as f:
            data = f.read()
        m = members(t, data)
        prefix = "v2vd-job-%s/" % jid
        names = {n[len(prefix):] for n in m}
        for want in ("spec.json", "properties.json", "state.json", "job.json", "v2v.log", "v2v-machine.log",
                     "versions.txt", "journal.txt", "MANIFEST.txt"):
            t.check(want in names, "bundle %s has %s" % (what, want), sorted(names))
        spec = json.loads(m[prefix + "spec.json"])
        if what != "ok":   # its only secrets are in the vault file
            t.check("*****" in json.dumps(spec), "bundle %s: the spec's secrets are masked" % what, spec)
        t.check(b"virt-v2v: virt-v2v 2.2.0" in m[prefix + "versions.txt"] and b"libguestfs: " in m[prefix + "versions.txt"], "bundle %s: virt-v2v's version" % what,
                m[prefix + "versions.txt"])
        for k, mk in M.items():
            hits = [n for n, b in m.items() if mk.encode() in b]
            t.check(not hits, "bundle %s: no %s marker in it" % (what, k), hits)
        t.check(all(mk.encode() not in data for mk in M.values()), "bundle %s: no marker in the tar's bytes" % what)
        if what in ("osp", "rhv"):   # failed, cancelled
            t.check("failure.txt" in names, "bundle %s: failure.txt" % what, sorted(names))
    m = members(t, open(os.path.join(t.base, "bundle-ok.tar"), "rb").read())
    check = json.loads(m["v2vd-job-%s/check.json" % ids["ok"]])
    t.check(any(f["code"] == "queue-wait" for f in check), "the bundle of a job made with --check has its findings",
            check)
    fail = m = members(t, open(os.path.join(t.base, "bundle-osp.tar"), "rb").read())
    t.check(b"code: dest-full" in fail["v2vd-job-%s/failure.txt" % ids["osp"]], "failure.txt names the Failure")
    # To standard output.
    r = ctl("bundle", ids["ok"], "-o", "-")
    t.check(r.rc == 0, "bundle -o -", r)


run_test(test)
