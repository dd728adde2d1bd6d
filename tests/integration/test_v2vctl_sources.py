#!/usr/bin/env python3
"""v2vctl sources and inspect against a real v2vd: tables and
--json for libvirt's test driver (test:///default, and a file with
authentication through --password-file) and for an OVA; a spec built from
`inspect --json` as v2vctl(1) documents is accepted by `submit`; errors,
and the daemon's source_timeout_sec= on a silent host."""
import json
import os

from v2vdtest import run_test
from test_v2vctl_common import ctl, ok, fails, write_spec
import sourcesdata as sd


def test(t):
    # A short source_timeout_sec= for the silent source below.
    t.start_daemon(config={"source_timeout_sec": 2})
    r = ok(t, ctl("sources", "--uri", "test:///default"), "sources --uri test:///default")
    lines = r.out.splitlines()
    t.check(lines[0].split() == ["NAME", "STATE", "VCPUS", "MEMORY", "DISKS", "FIRMWARE"], "the table's header", r.out)
    t.check(lines[1].split() == ["test", "running", "2", "8.0", "GiB", "1", "bios"], "the test VM's row", r.out)
    t.check("1 VM listed." in r.out, "the legend", r.out)

    xml = os.path.join(t.base, "node.xml")
    with open(xml, "w") as f:
        f.write(sd.driver_xml(auth=True))
    pwf = os.path.join(t.base, "pw")
    fd = os.open(pwf, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, (sd.MARKER_PASSWORD + "\n").encode())
    os.close(fd)
    src = json.dumps({"uri": "test://" + xml, "user": sd.USER, "password_file": pwf})
    r = ok(t, ctl("sources", src, "--json"), "sources SOURCE_JSON --json")
    t.check_eq(sorted(v["name"] for v in r.json()), ["db", "legacy", "web"], "sources --json: the names")
    r = ok(t, ctl("inspect", src, "web", env={"COLUMNS": "120"}), "inspect web (table)")
    for want in ("Firmware: uefi", "Machine: pc-q35-7.2", "before-upgrade", "web-os.qcow2", "52:54:00:00:01:02",
                 "Warning: the VM has 2 snapshots", "virt-v2v input: libvirt"):
        t.check(want in r.out, "inspect web shows %r" % want, r.out)
    t.check(sd.MARKER_PASSWORD not in r.out + r.err, "no password in v2vctl's output")
    r = fails(t, ctl("inspect", src, "nosuch"), 1, "inspect an unknown VM", "nosuch")
    r = ok(t, ctl("inspect", src, "web", "--json"), "inspect web --json")
    web = r.json()
    t.check_eq(web["v2v"]["spec_needs"], ["libvirt_password"], "inspect --json: the spec needs the password")
    spec = dict(web["v2v"]["spec"], libvirt_password=sd.MARKER_PASSWORD, output_dir=t.base)
    r = ok(t, ctl("submit", write_spec(t, spec, "from-libvirt.json")), "submit the libvirt spec built from inspect")
    t.jobs.append(r.out.strip())

    # An OVA, and a spec built from inspect --json (v2vctl(1), EXAMPLES).
    tar = sd.write_tar(os.path.join(t.base, "appliance.ova"), sd.members())
    r = ok(t, ctl("sources", "--ova", tar), "sources --ova")
    t.check(r.out.splitlines()[1].split()[:2] == ["appliance", "shutoff"], "the OVA's VM", r.out)
    r = ok(t, ctl("inspect", "--ova", tar, "appliance", "--json"), "inspect --ova --json")
    vm = r.json()
    r2 = ok(t, ctl("inspect", "--ova", tar, "appliance", "--print-source"), "inspect --print-source")
    t.check("virt-v2v --print-source (exit status 0)" in r2.out and "source name: appliance" in r2.out,
            "inspect --print-source shows virt-v2v's output", r2.out)
    fails(t, ctl("sources", "--ova", tar, "--print-source"), 2, "--print-source with sources", "--print-source")
    t.check_eq(vm["v2v"]["spec"], {"vm_name": "appliance", "ova": tar}, "inspect --json: v2v.spec")
    spec = dict(vm["v2v"]["spec"], output_dir=t.base)
    path = write_spec(t, spec, "from-inspect.json")
    r = ok(t, ctl("submit", path), "submit the spec built from inspect --json")
    t.jobs.append(r.out.strip())

    fails(t, ctl("sources", "--ova", os.path.join(t.base, "none.ova")), 1, "sources of a missing OVA", "none.ova")

    # [daemon] source_timeout_sec=2 applies to a source without "timeout".
    srv = sd.SilentServer()
    r = fails(t, ctl("sources", "--uri", "qemu+tcp://127.0.0.1:%d/system" % srv.port), 1,
              "sources of a silent host", "no answer within 2 s")
    srv.close()


run_test(test)
