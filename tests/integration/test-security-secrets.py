#!/usr/bin/env python3
"""Secrets, proved.

Jobs whose passwords and keys are unique marker strings (vmware_password,
libvirt_password, ssh_key, rhv_password, OpenStack OS_PASSWORD and a
*_SECRET, LUKS keys from a vault) run, fail and are cancelled. While they
are queued and running, and again after they ended, the test searches:

  * every process's command line and environment (/proc/*/cmdline, environ);
  * the journal, where the harness has one (this one has none: said so);
  * every file under the test's whole temporary tree: the state, log and
    runtime directories of the daemon, the daemon's own output (stderr),
    the systemd --user log, what the fake virt-v2v recorded;
  * every D-Bus property (GetManagedObjects, GetAll on the manager and each
    job) and every message seen on the bus except the CreateJob calls that
    carry the secrets in.

While a job runs a marker may only be in files of mode 0600 in a 0700
directory under <runtime-dir>/jobs/<id>/; after all jobs ended: nowhere.
"""
import json
import os
import stat
import subprocess
import uuid

from v2vdtest import (run_test, call, get_all, make_image, MANAGER_PATH, MANAGER_IFACE, OM_IFACE,
                      JOB_IFACE, job_path, log, wait_for, write_luks_vault, RHV_OUTPUT)


def marker(tag):
    return "S3CRET-%s-%s" % (tag, uuid.uuid4().hex)


def scan_processes(markers):
    hits = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        for what in ("cmdline", "environ"):
            try:
                with open("/proc/%s/%s" % (d, what), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            for mk in markers:
                if mk.encode() in data:
                    hits.append("pid %s %s: %s" % (d, what, mk))
    return hits


def scan_files(root, markers, skip=()):
    """→ (hits [(path, marker)], files scanned)."""
    hits, n = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        for fn in filenames:
            p = os.path.join(dirpath, fn)
            if p in skip:
                continue
            try:
                st = os.lstat(p)
                if not stat.S_ISREG(st.st_mode):
                    continue
                with open(p, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            n += 1
            for mk in markers:
                if mk.encode() in data:
                    hits.append((p, mk))
    return hits, n


def scan_bus(t, markers):
    hits = []
    everything = [("GetManagedObjects", call(MANAGER_PATH, OM_IFACE, "GetManagedObjects")),
                  ("Manager.GetAll", get_all(MANAGER_PATH, MANAGER_IFACE))]
    for j in t.jobs:
        try:
            everything.append(("job %s GetAll" % j, t.props(j)))
        except Exception:  # noqa: BLE001 — a removed job has no object
            pass
    for what, data in everything:
        text = json.dumps(data)
        hits += ["%s: %s" % (what, mk) for mk in markers if mk in text]
    n = 0
    for m in t.monitor.snapshot():
        if m.get("type") == "method_call" and m.get("member") == "CreateJob":
            continue
        n += 1
        text = json.dumps(m)
        hits += ["bus message %s.%s from %s: %s" % (m.get("interface"), m.get("member"), m.get("sender"), mk)
                 for mk in markers if mk in text]
    return hits, n


def scan_journal(markers):
    if not os.path.exists("/run/systemd/journal/socket"):
        return None
    p = subprocess.run(["journalctl", "--no-pager", "-o", "export", "--since", "-10min"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60)
    return [mk for mk in markers if mk.encode() in p.stdout]


def test(t):
    base = os.environ["V2VD_TEST_BASE"]
    d = t.start_daemon(config={"max_running_jobs": 3})
    runtime_jobs = os.path.join(d.runtime_dir, "jobs")
    M = {k: marker(k) for k in ("VMWARE", "LIBVIRT", "SSHKEY", "RHV1", "RHV2", "RHV3", "OSPPW",
                                "OSPSECRET", "LUKS1", "LUKS2")}
    markers = list(M.values())

    imgs = os.path.join(t.base, "imgs")
    ok_img = make_image(imgs, "okguest", {"step_delay": 0.2, "copy_seconds": 3})
    fail_img = make_image(imgs, "failguest", {"step_delay": 0.2, "copy_seconds": 2,
                                              "fail_at": "Copying disk 1/1", "fail_after_copy_frac": 0.5})
    hang_img = make_image(imgs, "hangguest", {"step_delay": 0.2, "hang_at": "Copying disk 1/1"})
    vault = os.path.join(t.base, "luks-vault.json")
    write_luks_vault(vault, "okguest", [M["LUKS1"], M["LUKS2"]])
    rhv = RHV_OUTPUT
    specs = [
        ("succeeds", {"vm_name": "okguest", "disk": [ok_img], "rhv_password": M["RHV1"],
                      "luks_keys_vault": vault, **rhv}),
        ("fails", {"vm_name": "failguest", "disk": [fail_img], "osp_server_id": "srv-1",
                   "osp_environment": {"OS_AUTH_URL": "https://keystone.example.com/v3",
                                       "OS_USERNAME": "admin", "OS_PASSWORD": M["OSPPW"],
                                       "OS_APPLICATION_CREDENTIAL_SECRET": M["OSPSECRET"],
                                       "OS_PROJECT_NAME": "p"}}),
        ("cancelled", {"vm_name": "hangguest", "disk": [hang_img], "rhv_password": M["RHV2"], **rhv}),
        ("vddk", {"vm_name": "vddkguest", "transport_method": "vddk",
                  "vmware_uri": "esx://root@esxi.example.com?no_verify=1", "vmware_password": M["VMWARE"],
                  "vmware_fingerprint": "1A:3F:26:C6:DC:2C:44:88:AA:33:81:3C:18:6E:5D:9F:C0:EE:DF:5C",
                  "output_dir": os.path.join(t.base, "out-vddk")}),
        ("libvirt-ssh", {"vm_name": "xenguest", "libvirt_uri": "xen+ssh://root@xen.example.com",
                         "libvirt_password": M["LIBVIRT"], "ssh_key": M["SSHKEY"],
                         "rhv_password": M["RHV3"], **rhv}),
    ]
    os.makedirs(os.path.join(t.base, "out-vddk"), exist_ok=True)
    ids = {}
    for what, spec in specs:
        ids[what], _ = t.create_job(spec)
    log("  jobs: %s" % ids)

    def check_everywhere(phase, allow_secret_files):
        hits = scan_processes(markers)
        t.check(not hits, "%s: no marker in any process's command line or environment" % phase, hits)
        fhits, nfiles = scan_files(base, markers, skip=(vault,))
        bad = []
        for p, mk in fhits:
            ok = False
            if allow_secret_files and p.startswith(runtime_jobs + "/"):
                st, dst = os.stat(p), os.stat(os.path.dirname(p))
                ok = stat.S_IMODE(st.st_mode) == 0o600 and stat.S_IMODE(dst.st_mode) == 0o700 \
                    and st.st_uid == os.getuid()
            if not ok:
                bad.append((p, mk))
        t.check(not bad, "%s: %d files scanned, markers only in 0600 secret files (%d such hits)"
                % (phase, nfiles, len(fhits) - len(bad)), bad)
        bhits, nmsg = scan_bus(t, markers)
        t.check(not bhits, "%s: no marker in any D-Bus property or in %d bus messages" % (phase, nmsg), bhits)
        jhits = scan_journal(markers)
        if jhits is None:
            log("  --   %s: no journal in this harness (nothing to search)" % phase)
        else:
            t.check(not jhits, "%s: no marker in the journal" % phase, jhits)
        return len(fhits) - len(bad)

    # While running (and the queued ones queued): the cancelled job hangs in
    # "Copying disk", the others are under way.
    t.wait_state(ids["cancelled"], "running", timeout=30)
    wait_for(lambda: "Copying" in t.prop(ids["cancelled"], "Phase"), 30, "the hanging job to copy")
    running = [w for w, i in ids.items() if t.prop(i, "State") in ("running", "queued")]
    log("  jobs not finished yet: %s" % running)
    n_secret_hits = check_everywhere("while running", True)
    t.check(n_secret_hits > 0, "the secrets are in the 0600 files while the jobs need them (%d hits)"
            % n_secret_hits)

    call(job_path(ids["cancelled"]), JOB_IFACE, "Cancel")
    results = {w: t.wait_finished(i, timeout=90) for w, i in ids.items()}
    log("  results: %s" % results)
    t.check_eq(results["succeeds"], "succeeded", "the LUKS+oVirt job")
    t.check_eq(results["fails"], "failed", "the OpenStack job")
    t.check_eq(results["cancelled"], "cancelled", "the cancelled job")
    t.check(all(s in ("succeeded", "failed") for s in (results["vddk"], results["libvirt-ssh"])),
            "the vddk and libvirt jobs ended")
    wait_for(lambda: not any(os.listdir(runtime_jobs)), 15, "the secret directories to be removed")
    check_everywhere("after the end", False)
    t.check(not os.listdir(runtime_jobs), "no secret directory left under %s" % runtime_jobs)
    log("  FIGURES: %d markers, %d jobs, zero leaks" % (len(markers), len(ids)))


run_test(test)
