#!/usr/bin/env python3
"""ListSourceVMs / InspectSourceVM on libvirt sources, through the
real libvirt library and its test driver, with the daemon on a private bus:

* test:///default (the acceptance: busctl lists the driver's VM "test");
* a test-driver file with three domains (running and shut off, BIOS and
  UEFI, several disks and NICs, snapshots) behind the driver's own
  authentication: the password path works from "password" and from a 0600
  "password_file", and the marker password appears in no reply, not in the
  daemon's log (its stderr, which is what reaches the journal: the harness
  has no journald), no file of its state or runtime directories, no
  /proc/*/cmdline or environ;
* a source that accepts the connection and never answers times out with a
  clear SourceError while ListJobs stays fast (figures printed);
* 500 domains listed over one connection (the figure printed).
"""
import json
import os
import re
import subprocess
import threading
import time

from v2vdtest import (run_test, call, call_error, busctl, log, MANAGER_PATH, MANAGER_IFACE, ERROR_PREFIX)
import sourcesdata as sd

SOURCE_ERROR = ERROR_PREFIX + "SourceError"


def list_vms(source):
    return json.loads(call(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", json.dumps(source))[0])


def inspect(source, vm):
    return json.loads(call(MANAGER_PATH, MANAGER_IFACE, "InspectSourceVM", "ss", json.dumps(source), vm)[0])


def fails(source, vm=None, timeout=60):
    if vm is None:
        return call_error(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", json.dumps(source), timeout=timeout)
    return call_error(MANAGER_PATH, MANAGER_IFACE, "InspectSourceVM", "ss", json.dumps(source), vm,
                      timeout=timeout)


def proc_texts():
    """(pid, cmdline + environ) of every process we can read, but the test's
    own bus clients (dbus-send carries the source JSON in its argv: that is
    this test's doing, not the daemon's)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        blob = b""
        for f in ("cmdline", "environ"):
            try:
                with open("/proc/%s/%s" % (pid, f), "rb") as fh:
                    blob += fh.read()
            except OSError:
                pass
        if blob.split(b"\0")[0].endswith((b"dbus-send", b"busctl")):
            continue
        out.append((pid, blob))
    return out


def my_helpers():
    """The v2vd-sources processes of this test's own systemd instance (other
    tests, or other checkouts, may run theirs on the machine meanwhile)."""
    mine = []
    for pid in subprocess.run(["pgrep", "-f", "v2vd-sources"], stdout=subprocess.PIPE, text=True).stdout.split():
        try:
            with open("/proc/%s/cgroup" % pid) as f:
                if os.environ["V2VD_TEST_CGROUP"] in f.read():
                    mine.append(pid)
        except OSError:
            pass
    return mine


def test(t):
    d = t.start_daemon()
    base = t.base

    # --- acceptance: test:///default -----------------------------------
    r = busctl("call", "org.v2vd.V2V1", MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s",
               '{"uri":"test:///default"}')
    vms = json.loads(r["data"][0])
    t.check([v["name"] for v in vms] == ["test"], "busctl ListSourceVMs test:///default lists the VM \"test\"", vms)
    t.check_eq(vms[0]["state"], "running", "test:///default's VM state")
    t.check(vms[0]["running"] is True and vms[0]["convertible"] is False, "a running VM is flagged not convertible",
            vms[0])

    # --- the custom test-driver file, with authentication ----------------
    xml = os.path.join(base, "node.xml")
    with open(xml, "w") as f:
        f.write(sd.driver_xml(auth=True))
    uri = "test://" + xml
    src = {"uri": uri, "user": sd.USER, "password": sd.MARKER_PASSWORD}
    replies = []

    vms = list_vms(src)
    replies.append(json.dumps(vms))
    by = {v["name"]: v for v in vms}
    t.check_eq(sorted(by), ["db", "legacy", "web"], "the file's three domains")
    t.check_eq((by["web"]["state"], by["web"]["running"]), ("shutoff", False), "web is shut off")
    t.check_eq((by["db"]["state"], by["db"]["running"]), ("running", True), "db is running")
    t.check_eq(by["web"]["firmware"], "uefi", "web is UEFI")
    t.check_eq(by["db"]["firmware"], "bios", "db is BIOS")
    t.check_eq((by["web"]["vcpus"], by["web"]["memory_bytes"]), (4, 4096 << 20), "web: vcpus and memory")
    t.check_eq(len(by["legacy"]["disks"]), 3, "legacy: three disks")
    t.check_eq(len(by["legacy"]["nics"]), 3, "legacy: three NICs")
    t.check_eq(by["web"]["snapshot_count"], 2, "web: two snapshots")
    t.check_eq(by["db"]["uuid"], "11111111-2222-3333-4444-555555555502", "db: UUID")
    t.check(any("running" in w for w in by["db"]["warnings"]), "db: warned it is running", by["db"]["warnings"])

    web = inspect(src, "web")
    replies.append(json.dumps(web))
    t.check_eq(web["machine"], "pc-q35-7.2", "inspect web: machine type")
    t.check_eq(web["os"].get("arch"), "x86_64", "inspect web: architecture")
    t.check_eq([(x["target"], x.get("path"), x.get("format"), x.get("bus"), x["device"]) for x in web["disks"]],
               [("vda", "/var/lib/libvirt/images/web-os.qcow2", "qcow2", "virtio", "disk"),
                ("sdb", "/var/lib/libvirt/images/web-data.raw", "raw", "sata", "disk"),
                ("sdc", None, "raw", "sata", "cdrom")], "inspect web: disks (target, path, format, bus)")
    t.check(all(x.get("capacity_bytes", 0) > 0 and "allocation_bytes" in x for x in web["disks"][:2]),
            "inspect web: capacity and allocation from virDomainGetBlockInfo", web["disks"])
    t.check_eq([(n["mac"], n["network"], n["model"]) for n in web["nics"]],
               [("52:54:00:00:01:01", "default", "virtio"), ("52:54:00:00:01:02", "br0", "e1000")],
               "inspect web: NICs (MAC, network/bridge, model)")
    t.check_eq(sorted(web["snapshots"]), ["after-upgrade", "before-upgrade"], "inspect web: snapshot names")
    t.check(any("snapshot" in w for w in web["warnings"]), "inspect web: warns about the snapshots", web["warnings"])
    t.check_eq(web["v2v"]["input_mode"], "libvirt", "inspect web: virt-v2v input mode")
    t.check_eq(web["v2v"]["options"], ["-ic", uri, "-ip", "PASSWORD_FILE", "web"], "inspect web: virt-v2v options")
    t.check_eq(web["v2v"]["spec"], {"vm_name": "web", "libvirt_uri": uri}, "inspect web: the spec keys")

    # --- print_source: the fake virt-v2v --print-source in a transient scope
    ps = inspect(dict(src, print_source=True), "web")
    replies.append(json.dumps(ps))
    t.check_eq(ps["print_source"]["exit_status"], 0, "print_source: virt-v2v's exit status")
    t.check("Source guest information (--print-source option)" in ps["print_source"]["output"]
            and "source name: web" in ps["print_source"]["output"], "print_source: its output", ps["print_source"])
    t.check_eq(ps["name"], "web", "print_source: the rest of the object is there")
    name, msg = fails(dict(src, print_source=True))
    t.check(name == SOURCE_ERROR and "InspectSourceVM" in msg, "print_source with ListSourceVMs: refused", msg)

    # --- the password from a 0600 file; refused from a 0644 one ----------
    pwf = os.path.join(base, "password")
    with open(pwf, "w") as f:
        f.write(sd.MARKER_PASSWORD + "\n")
    os.chmod(pwf, 0o600)
    vms = list_vms({"uri": uri, "user": sd.USER, "password_file": pwf})
    t.check_eq(len(vms), 3, "password_file (0600): listed")
    os.chmod(pwf, 0o644)
    name, msg = fails({"uri": uri, "user": sd.USER, "password_file": pwf})
    t.check(name == SOURCE_ERROR and "0600" in msg, "password_file (0644): refused, naming the mode", (name, msg))
    replies.append(msg)

    # --- auth failures carry libvirt's text ------------------------------
    name, msg = fails({"uri": uri, "user": sd.USER})
    t.check(name == SOURCE_ERROR and "password" in msg, "no password: SourceError asking for one", (name, msg))
    replies.append(msg)
    name, msg = fails({"uri": uri, "user": sd.USER, "password": "wrong"})
    t.check(name == SOURCE_ERROR and "authentication failed" in msg, "wrong password: libvirt's text", (name, msg))
    replies.append(msg)
    name, msg = fails(src, "nosuchvm")
    t.check(name == SOURCE_ERROR and "nosuchvm" in msg, "inspect an unknown VM: SourceError naming it", (name, msg))
    name, msg = fails({"uri": "qemu://user:" + sd.MARKER_PASSWORD + "@host/system"})
    t.check(name == SOURCE_ERROR and "password" in msg and sd.MARKER_PASSWORD not in msg,
            "a password in the URI is refused without echoing it", msg)
    name, msg = fails({"uri": uri, "colour": "blue"})
    t.check(name == SOURCE_ERROR and "colour" in msg, "an unknown key is named", msg)

    # --- a source that never answers: timeout, and the bus stays fast -----
    srv = sd.SilentServer()
    hang_src = {"uri": "qemu+tcp://127.0.0.1:%d/system" % srv.port, "user": sd.USER,
                "password": sd.MARKER_PASSWORD, "timeout": 4}
    result = {}

    def hang():
        s = time.monotonic()
        result["err"] = fails(hang_src, timeout=60)
        result["secs"] = time.monotonic() - s

    th = threading.Thread(target=hang)
    th.start()
    time.sleep(0.5)
    lat = []
    leaked = []
    scopes = set()
    while th.is_alive():
        for pid in my_helpers():
            try:
                with open("/proc/%s/cgroup" % pid) as f:
                    scopes |= set(re.findall(r"v2vd\.slice/(v2vd-source-%s\.scope)$" % pid, f.read(), re.M))
            except OSError:
                pass
        s = time.monotonic()
        call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")
        lat.append(time.monotonic() - s)
        leaked += [pid for pid, blob in proc_texts() if sd.MARKER_PASSWORD.encode() in blob]
        time.sleep(0.1)
    th.join()
    srv.close()
    lat.sort()
    log("  ListJobs during a hanging source: %d calls, median %.1f ms, max %.1f ms"
        % (len(lat), 1000 * lat[len(lat) // 2], 1000 * lat[-1]))
    t.check(len(lat) >= 10, "ListJobs called while the source hung", len(lat))
    t.check(lat[len(lat) // 2] < 0.1 and lat[-1] < 1.0, "ListJobs stays fast (median < 100 ms, max < 1 s)", lat)
    name, msg = result["err"]
    log("  hanging source answered after %.1f s: %s" % (result["secs"], msg))
    t.check(name == SOURCE_ERROR and "no answer within 4 s" in msg, "the hanging source: SourceError, timeout", msg)
    t.check(3.5 <= result["secs"] < 20, "it came at the timeout", result["secs"])
    t.check(not leaked, "the marker password is in no /proc/*/cmdline or environ during the call", leaked)
    replies.append(msg)
    time.sleep(0.5)
    helpers = my_helpers()
    t.check(not helpers, "the helper was killed", helpers)
    t.check(len(scopes) == 1, "the helper ran in its own v2vd-source-PID.scope of v2vd.slice", scopes)
    units = subprocess.run(["systemctl", "--user", "list-units", "--all", "--plain", "--no-legend", "v2vd-source-*"],
                           stdout=subprocess.PIPE, text=True).stdout.split("\n")
    t.check(not [u for u in units if " active " in u], "its scope is gone", units)

    # The same through VMware's driver (HTTPS, libcurl): esx:// at the port.
    srv = sd.SilentServer()
    s = time.monotonic()
    name, msg = fails({"uri": "esx://127.0.0.1:%d/?no_verify=1" % srv.port, "user": "root",
                       "password": sd.MARKER_PASSWORD, "timeout": 3})
    secs = time.monotonic() - s
    srv.close()
    log("  esx:// to a silent port: %.1f s: %s" % (secs, msg))
    t.check(name == SOURCE_ERROR and "no answer within 3 s" in msg and secs < 15,
            "esx:// to a silent port: SourceError within the timeout", (name, msg, secs))
    replies.append(msg)

    # --- 500 domains ----------------------------------------------------
    big = os.path.join(base, "many.xml")
    with open(big, "w") as f:
        f.write(sd.many_domains_xml(500))
    s = time.monotonic()
    vms = list_vms({"uri": "test://" + big})
    secs = time.monotonic() - s
    log("  ListSourceVMs of 500 domains: %.2f s (%.1f ms per VM)" % (secs, 1000 * secs / 500))
    t.check_eq(len(vms), 500, "500 domains listed")
    t.check(secs < 30, "500 domains within 30 s", secs)
    t.check_eq(sum(1 for v in vms if v["running"]), 167, "their running ones flagged")

    # --- the secret is nowhere -------------------------------------------
    t.check(all(sd.MARKER_PASSWORD not in r for r in replies), "the marker password is in no reply")
    t.check(sd.MARKER_PASSWORD not in d.stderr(),
            "the marker password is not in the daemon's log (its stderr: the journal's stream; the helper's too)")
    found = []
    for top in (d.state_dir, d.runtime_dir, os.environ.get("XDG_RUNTIME_DIR", "/nonexistent")):
        for dirpath, _, files in os.walk(top):
            for fn in files:
                path = os.path.join(dirpath, fn)
                if not os.path.isfile(path) or os.path.islink(path):
                    continue        # FIFOs and sockets there: never open them
                try:
                    with open(path, "rb") as f:
                        if sd.MARKER_PASSWORD.encode() in f.read(1 << 20):
                            found.append(path)
                except OSError:
                    pass
    t.check(not found, "the marker password is in no file of the daemon's state, runtime or XDG_RUNTIME_DIR", found)


run_test(test)
