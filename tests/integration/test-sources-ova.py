#!/usr/bin/env python3
"""ListSourceVMs / InspectSourceVM on OVA sources, with OVA files
made here: a valid tar (SHA256 manifest), a valid zip (deflated, SHA1
manifest), an unpacked directory; and the refusals, each naming the problem:
not a tar/zip, corrupt tar header, XML error with its position, no .ovf,
checksum mismatch naming the file, member path escaping the archive, a disk
the OVF names missing; and a huge sparse disk member, inspected from its
header without reading it."""
import json
import os
import re
import resource
import subprocess
import tarfile
import time

from v2vdtest import (run_test, call, call_error, log, MANAGER_PATH, MANAGER_IFACE, ERROR_PREFIX)
import sourcesdata as sd

SOURCE_ERROR = ERROR_PREFIX + "SourceError"


def list_vms(path):
    return json.loads(call(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", json.dumps({"ova": path}))[0])


def inspect(path, vm):
    return json.loads(call(MANAGER_PATH, MANAGER_IFACE, "InspectSourceVM", "ss", json.dumps({"ova": path}), vm)[0])


def refused(t, path, expect, what):
    name, msg = call_error(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", json.dumps({"ova": path}))
    t.check(name == SOURCE_ERROR and all(e in msg for e in expect), "%s: SourceError %r" % (what, msg), (name, msg))
    return msg


def check_vm(t, vm, kind, algo):
    t.check_eq(vm["name"], "appliance", "%s: name" % kind)
    t.check_eq((vm["vcpus"], vm["memory_bytes"]), (4, 6144 << 20), "%s: vcpus, memory (byte * 2^20)" % kind)
    t.check_eq(vm["firmware"], "uefi", "%s: firmware" % kind)
    t.check_eq(vm["os"], {"ovf_id": "80", "type": "rhel7_64Guest",
                          "description": "Red Hat Enterprise Linux 7 (64-bit)"}, "%s: OS section" % kind)
    t.check_eq([(d["disk_id"], d["file"], d["capacity_bytes"], d["format"], d["bus"], d["file_bytes"])
                for d in vm["disks"]],
               [("vmdisk1", "disk1.vmdk", 16 << 30, "vmdk", "scsi", len(sd.disk_bytes(1))),
                ("vmdisk2", "disk2.vmdk", 2 << 30, "vmdk", "scsi", len(sd.disk_bytes(2)))],
               "%s: disks (capacity in byte * 2^30, file reference)" % kind)
    t.check_eq([(n["network"], n["model"], n.get("mac")) for n in vm["nics"]],
               [("VM Network", "VmxNet3", None), ("Storage", "E1000", "00:50:56:aa:bb:cc")], "%s: NICs" % kind)
    t.check_eq([n["name"] for n in vm["networks"]], ["VM Network", "Storage"], "%s: networks" % kind)
    t.check_eq(vm["archive"], kind, "%s: archive kind" % kind)
    t.check_eq(sorted((e["file"], e["algorithm"]) for e in vm["manifest"]["verified"]),
               sorted((f, algo) for f in ("appliance.ovf", "disk1.vmdk", "disk2.vmdk")),
               "%s: every manifest checksum verified" % kind)


def test(t):
    t.start_daemon()
    b = t.base

    tar = sd.write_tar(os.path.join(b, "appliance.ova"), sd.members())
    vms = list_vms(tar)
    t.check_eq(len(vms), 1, "tar: one VM")
    check_vm(t, vms[0], "tar", "SHA256")
    t.check_eq(vms[0]["v2v"], {"input_mode": "ova", "options": ["-i", "ova", tar],
                               "spec": {"vm_name": "appliance", "ova": tar}}, "tar: the virt-v2v input and spec keys")
    vm = inspect(tar, "appliance")
    t.check_eq(vm["source"], tar, "tar: inspect")
    name, msg = call_error(MANAGER_PATH, MANAGER_IFACE, "InspectSourceVM", "ss", json.dumps({"ova": tar}), "other")
    t.check(name == SOURCE_ERROR and "appliance" in msg and "other" in msg, "inspect another name: refused", msg)

    # print_source: (the fake) virt-v2v --print-source, in a transient scope.
    with open(tar + ".fake.json", "w") as f:
        json.dump({"record": True}, f)
    name, msg = call_error(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s",
                           json.dumps({"ova": tar, "print_source": True}))
    t.check("InspectSourceVM" in msg, "print_source with ListSourceVMs: refused", msg)
    vm = json.loads(call(MANAGER_PATH, MANAGER_IFACE, "InspectSourceVM", "ss",
                         json.dumps({"ova": tar, "print_source": True}), "appliance")[0])
    t.check(vm["print_source"]["exit_status"] == 0 and "source name: appliance" in vm["print_source"]["output"],
            "print_source: virt-v2v's output", vm["print_source"])
    with open(tar + ".fake.record") as f:
        rec = json.loads(f.read().splitlines()[-1])
    t.check_eq(rec["argv"][1:], ["--print-source", "-i", "ova", tar], "print_source: virt-v2v's arguments")
    t.check(any(re.search(r"/v2vd\.slice/v2vd-source-\d+\.scope$", l) for l in rec["cgroup"]),
            "print_source: virt-v2v ran in a v2vd-source-PID.scope of v2vd.slice", rec["cgroup"])
    os.unlink(tar + ".fake.json")

    z = sd.write_zip(os.path.join(b, "appliance-zip.ova"), sd.members(algo="SHA1"))
    check_vm(t, list_vms(z)[0], "zip", "SHA1")

    d = sd.write_dir(os.path.join(b, "unpacked"), sd.members())
    check_vm(t, list_vms(d)[0], "directory", "SHA256")

    # --- refusals ---------------------------------------------------------
    junk = os.path.join(b, "junk.ova")
    with open(junk, "wb") as f:
        f.write(os.urandom(4096))
    refused(t, junk, ["not a tar or zip archive", junk], "random bytes")

    corrupt = os.path.join(b, "corrupt.ova")
    with open(tar, "rb") as f:
        orig = f.read()
    data = bytearray(orig)
    second = 512 + ((len(sd.members()[0][1]) + 511) // 512) * 512
    data[second + 10:second + 20] = b"XXXXXXXXXX"
    with open(corrupt, "wb") as f:
        f.write(data)
    refused(t, corrupt, ["corrupt tar header at offset %d" % second], "a corrupt tar header")

    trunc = os.path.join(b, "truncated.ova")
    with open(trunc, "wb") as f:
        f.write(orig[:second + 600])
    refused(t, trunc, ["truncated archive: member at offset %d" % second], "a truncated archive")

    bad_xml = sd.write_tar(os.path.join(b, "badxml.ova"), sd.members(with_mf=False, broken=True))
    msg = refused(t, bad_xml, ["appliance.ovf", "XML error at line", "column"], "an OVF with an XML error")
    log("  XML error: %s" % msg)

    no_ovf = sd.write_tar(os.path.join(b, "noovf.ova"), [("disk1.vmdk", sd.disk_bytes(1))])
    refused(t, no_ovf, ["no .ovf file"], "no .ovf")

    mismatch = sd.write_tar(os.path.join(b, "mismatch.ova"), sd.members(corrupt="disk2.vmdk"))
    refused(t, mismatch, ["checksum mismatch for disk2.vmdk", "SHA256"], "a checksum mismatch")

    trav = sd.write_tar(os.path.join(b, "traversal.ova"), sd.members(), extra=[("../evil.vmdk", b"x")])
    refused(t, trav, ["member path escapes the archive: ../evil.vmdk"], "a member path escaping the archive")
    href = sd.write_tar(os.path.join(b, "href.ova"), sd.members(with_mf=False, href_override="../../etc/passwd"))
    refused(t, href, ["escapes the archive", "../../etc/passwd"], "an OVF file reference escaping the archive")

    missing = sd.write_tar(os.path.join(b, "missing.ova"), sd.members(with_mf=False, drop="disk2.vmdk"))
    refused(t, missing, ["disk2.vmdk", "vmdisk2", "not in the archive"], "a missing disk")

    gz = os.path.join(b, "gz.ova")
    with tarfile.open(gz, "w:gz") as tf:
        tf.add(tar, "x")
    refused(t, gz, ["gzip"], "a gzip-compressed OVA")
    refused(t, os.path.join(b, "nope.ova"), ["nope.ova", "No such file"], "a missing file")

    # --- a huge sparse disk member: headers only ----------------------------
    huge = sd.write_huge_sparse_tar(os.path.join(b, "huge.ova"), 200 << 30)
    st = os.stat(huge)
    s = time.monotonic()
    vm = list_vms(huge)[0]
    secs = time.monotonic() - s
    log("  huge.ova: %d GiB apparent, %d KiB on disk, listed in %.2f s"
        % (st.st_size >> 30, st.st_blocks // 2, secs))
    t.check_eq(vm["disks"][0]["file_bytes"], 200 << 30, "huge: the 200 GiB member's size from its (pax) header")
    t.check_eq(vm["disks"][0]["capacity_bytes"], 200 << 30, "huge: its capacity from the OVF")
    t.check(secs < 10, "huge: inspected without reading the member (< 10 s)", secs)
    # The helper's peak memory for it, run directly as the daemon runs it.
    helper = os.environ["V2VD_SOURCES_HELPER"]
    p = subprocess.run([helper], input=json.dumps({"op": "inspect", "vm": "huge", "source": {"ova": huge}}),
                       stdout=subprocess.PIPE, text=True, timeout=60)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # all children: an upper bound
    log("  v2vd-sources on huge.ova: exit %d, peak RSS %d KiB" % (p.returncode, rss))
    t.check(p.returncode == 0 and json.loads(p.stdout)["name"] == "huge", "huge: the helper run directly", p)
    t.check(rss < 64 * 1024, "huge: the helper's peak RSS under 64 MiB", rss)


run_test(test)
