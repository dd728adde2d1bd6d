#!/usr/bin/env python3
"""The spec issue's acceptance, with the real virt-v2v 2.2.0: the two
examples of the virt-v2v-wrapper README (tests/data/wrapper-vddk-rhv.json,
wrapper-vddk-osp.json: VDDK → oVirt upload, VDDK → OpenStack) and an OVA →
local spec (tests/data/ova-local.json) are accepted by CreateJob as they
are — only what would reach beyond this machine is pointed at a closed port
on 127.0.0.1, the README's nonexistent LUKS vault is dropped, and the
passwords are unique markers. virt-v2v cannot connect here (no ESXi, no
VDDK, no engine), so each job fails; LastMessage must then hold virt-v2v's
own error, and no marker may be anywhere — state and runtime directories,
logs, every property, the daemon's output — once the jobs have ended (the
0600 secret files are gone with them)."""
import json
import os
import subprocess
import tarfile

from v2vdtest import run_test, env_path, get_all, job_path, JOB_IFACE, log

DEAD = "127.0.0.1:9"     # discard port, nothing listens: refused at once, never leaves the machine


def load(name):
    with open(os.path.join(env_path("V2VD_TEST_DATA"), name)) as f:
        return json.load(f)


def tree_contains(top, needles):
    hits = []
    for root, dirs, files in os.walk(top):
        for n in files:
            p = os.path.join(root, n)
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            hits += ["%s: %s" % (p, m) for m in needles if m.encode() in data]
    return hits


def make_ova(directory):
    """A small OVA virt-v2v will open and then refuse (no disk in it)."""
    os.makedirs(directory, exist_ok=True)
    ovf = os.path.join(directory, "guest.ovf")
    with open(ovf, "w") as f:
        f.write('<?xml version="1.0"?><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1">'
                '<VirtualSystem ovf:id="g" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"/></Envelope>\n')
    ova = os.path.join(directory, "guest.ova")
    with tarfile.open(ova, "w") as t:
        t.add(ovf, arcname="guest.ovf")
    return ova


def test(t):
    virt_v2v = subprocess.run(["sh", "-c", "command -v virt-v2v"], capture_output=True, text=True).stdout.strip()
    t.check(bool(virt_v2v), "the real virt-v2v is installed", virt_v2v)
    d = t.start_daemon(config={"virt_v2v": virt_v2v},
                       environment={"LIBGUESTFS_BACKEND": "direct", "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"},
                       env={"V2VD_VIRT_V2V": virt_v2v})
    markers = {}

    def marker(what):
        markers[what] = "MARKER-%s-%d-7f3a" % (what, os.getpid())
        return markers[what]

    rhv = load("wrapper-vddk-rhv.json")
    rhv.pop("luks_keys_vault")
    rhv["vmware_uri"] = "esx://root@%s?no_verify=1" % DEAD
    rhv["vmware_password"] = marker("vmware-rhv")
    rhv["rhv_url"] = "https://%s/ovirt-engine/api" % DEAD
    rhv["rhv_password"] = marker("rhv")

    osp = load("wrapper-vddk-osp.json")
    osp["vmware_uri"] = "esx://root@%s?no_verify=1" % DEAD
    osp["vmware_password"] = marker("vmware-osp")
    osp["osp_environment"]["OS_AUTH_URL"] = "https://%s/v3" % DEAD
    osp["osp_environment"]["OS_PASSWORD"] = marker("osp")

    out = os.path.join(t.base, "out")
    os.makedirs(out)
    ova = load("ova-local.json")
    ova["ova"] = make_ova(os.path.join(t.base, "ova"))
    ova["output_dir"] = out

    jobs = {}
    for name, spec in (("vddk-rhv", rhv), ("vddk-osp", osp), ("ova-local", ova)):
        job_id, _ = t.create_job(spec)
        log("  %s accepted as job %s" % (name, job_id))
        jobs[name] = job_id

    for name, job_id in jobs.items():
        state = t.wait_finished(job_id, timeout=240)
        props = t.props(job_id)
        mtype, text = props["LastMessage"]
        log("  %s: %s, ReturnCode %s, LastMessage (%s) %s" % (name, state, props["ReturnCode"], mtype, text[:160]))
        t.check_eq(state, "failed", "%s fails here (nothing to connect to)" % name)
        t.check_eq(props["ReturnCode"], 1, "%s: virt-v2v's exit status" % name)
        t.check_eq(mtype, "error", "%s: LastMessage is an error" % name)
        with open(os.path.join(d.job_dir(job_id), "v2v.log"), errors="replace") as f:
            v2v_log = f.read()
        first_line = text.splitlines()[0] if text else "(empty)"
        t.check(first_line in v2v_log and "virt-v2v: error:" in v2v_log,
                "%s: LastMessage is virt-v2v's own error (in v2v.log)" % name, first_line)
        st = d.state(job_id)
        t.check(st.get("failed") is True and st.get("finished") is True, "%s: state.json says failed" % name, st)

    needles = list(markers.values())
    hits = tree_contains(d.state_dir, needles) + tree_contains(d.runtime_dir, needles)
    t.check_eq(hits, [], "no secret marker under the state or runtime directory after the jobs ended")
    for job_id in jobs.values():
        props = json.dumps(get_all(job_path(job_id), JOB_IFACE))
        t.check_eq([m for m in needles if m in props], [], "no marker in job %s's properties" % job_id)
        t.check_eq(os.listdir(d.runtime_dir + "/jobs") if os.path.isdir(d.runtime_dir + "/jobs") else [],
                   [], "no secret files left in the runtime directory")
    t.check_eq([m for m in needles if m in d.stderr()], [], "no marker in the daemon's output")
    spec_rhv = json.loads(t.prop(jobs["vddk-rhv"], "Spec"))
    t.check_eq((spec_rhv["vmware_password"], spec_rhv["rhv_password"]), ("*****", "*****"), "Spec shows *****")
    t.assert_no_leftovers()


run_test(test)
