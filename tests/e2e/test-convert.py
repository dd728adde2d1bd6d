#!/usr/bin/env python3
"""e2e: the real virt-v2v converts a real Debian 12 guest through v2vd.

Run by meson (suite 'e2e') under tests/lib/with-systemd-user, so the session
bus and `systemd --user` are private to this test:

    with-systemd-user python3 test-convert.py V2VD V2VD_RUNNER

The guest image is $V2VD_GUEST_IMAGE, or else what
tests/fixtures/build-guest.sh builds or finds in its cache (3 minutes the
first time). virt-v2v runs under TCG: the daemon's configuration passes
LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg through its
[environment] section.

What is checked: CreateJob of `-i disk … -o local -of qcow2`; the job's
PropertiesChanged signals (busctl monitor) carry Progress rising from 0 to
100 without going back, and Phase values including "Copying disk 1/1";
the job ends with State=succeeded, ReturnCode=0, Progress=100; JobFinished
is emitted with "succeeded"; state.json says finished, return_code 0 and has
no "failed" key; the output directory holds guest-sda (qcow2) and guest.xml
written by virt-v2v, for a domain named guest.
Prints TAP.
"""

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

BUS_NAME = "org.v2vd.V2V1"
MGR_PATH = "/org/v2vd/V2V1"
MGR_IFACE = "org.v2vd.V2V1.Manager"
JOB_IFACE = "org.v2vd.V2V1.Job"
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
JOB_TIMEOUT = float(os.environ.get("V2VD_E2E_JOB_TIMEOUT", "900"))

results = []


def log(msg):
    print(f"# {msg}", flush=True)


def check(ok, name, detail=""):
    results.append(bool(ok))
    n = len(results)
    print(f"{'ok' if ok else 'not ok'} {n} - {name}", flush=True)
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f"#   {line}", flush=True)
    return ok


def busctl(*args, timeout=30):
    cmd = ["busctl", "--user", "--json=short", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def get_props(path, *names):
    out = busctl("get-property", BUS_NAME, path, JOB_IFACE, *names)
    return {n: v["data"] for n, v in zip(names, out)}


def guest_image():
    img = os.environ.get("V2VD_GUEST_IMAGE")
    if img:
        return img
    log("V2VD_GUEST_IMAGE not set: running tests/fixtures/build-guest.sh")
    p = subprocess.run(["bash", os.path.join(TOP, "tests", "fixtures", "build-guest.sh")],
                       stdout=subprocess.PIPE, text=True, timeout=1800)
    if p.returncode != 0:
        raise RuntimeError(f"build-guest.sh failed with exit {p.returncode}")
    return p.stdout.strip().splitlines()[-1]


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return f"({path}: {e})"


def main():
    v2vd, runner = sys.argv[1], sys.argv[2]
    if "DBUS_SESSION_BUS_ADDRESS" not in os.environ or "V2VD_TEST_BASE" not in os.environ:
        print("1..0 # SKIP not run under tests/lib/with-systemd-user", flush=True)
        sys.exit(0)
    base = os.environ.get("TMPDIR") or os.environ["V2VD_TEST_BASE"]
    work = os.path.join(base, "e2e")
    state_dir = os.path.join(work, "state")
    out_dir = os.path.join(work, "out")
    os.makedirs(state_dir)
    os.makedirs(out_dir)

    img = guest_image()
    log(f"guest image {img}")
    if not check(os.path.isfile(img), "guest image exists", img):
        return 1

    conf = os.path.join(work, "v2vd.conf")
    with open(conf, "w") as f:
        f.write("[daemon]\nmax_running_jobs=1\n\n"
                "[environment]\nLIBGUESTFS_BACKEND=direct\n"
                "LIBGUESTFS_BACKEND_SETTINGS=force_tcg\n")

    # Every signal from the daemon's objects, from before the daemon starts.
    mon_out = os.path.join(work, "monitor.json")
    mon_err = os.path.join(work, "monitor.err")
    monitor = subprocess.Popen(
        ["busctl", "--user", "monitor", "--json=short",
         "--match", f"type='signal',path_namespace='{MGR_PATH}'"],
        stdout=open(mon_out, "w"), stderr=open(mon_err, "w"))

    env = dict(os.environ)
    env["V2VD_RUNNER"] = runner          # in case the daemon looks for it there
    env.pop("V2VD_VIRT_V2V", None)       # the real virt-v2v from PATH
    daemon_log = os.path.join(work, "v2vd.log")
    daemon = subprocess.Popen([v2vd, "--user", "--state-dir", state_dir, "--config", conf],
                              stdout=open(daemon_log, "w"), stderr=subprocess.STDOUT, env=env)
    try:
        return run(daemon, daemon_log, monitor, mon_out, mon_err, img, state_dir, out_dir)
    finally:
        for p in (daemon, monitor):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        log(f"daemon exit status {daemon.returncode}")


def run(daemon, daemon_log, monitor, mon_out, mon_err, img, state_dir, out_dir):
    deadline = time.monotonic() + 30
    up = False
    while time.monotonic() < deadline and daemon.poll() is None:
        try:
            busctl("call", BUS_NAME, MGR_PATH, "org.freedesktop.DBus.Peer", "Ping", timeout=5)
            up = True
            break
        except (RuntimeError, subprocess.TimeoutExpired):
            time.sleep(0.2)
    if not check(up, "daemon answers on the bus", tail(daemon_log)):
        return 1
    while "Monitoring" not in open(mon_err).read() and monitor.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    check(monitor.poll() is None, "busctl monitor runs", open(mon_err).read())

    spec = {"vm_name": "guest", "disk": [img], "output_dir": out_dir, "output_format": "qcow2"}
    try:
        reply = busctl("call", BUS_NAME, MGR_PATH, MGR_IFACE, "CreateJob", "s", json.dumps(spec))
    except RuntimeError as e:
        check(False, "CreateJob", f"{e}\n{tail(daemon_log)}")
        return 1
    job_id, job_path = reply[0]["data"]
    check(job_path == f"{MGR_PATH}/job/{job_id}", "CreateJob returns the id and its object path",
          reply)
    log(f"job {job_id} at {job_path}")

    first = get_props(job_path, "Progress", "State")
    log(f"right after CreateJob: {first}")
    polled = [(0.0, first["Progress"], "", first["State"])]
    t0 = time.monotonic()
    state = first["State"]
    last_line = None
    while state not in ("succeeded", "failed", "cancelled"):
        if time.monotonic() - t0 > JOB_TIMEOUT:
            break
        if daemon.poll() is not None:
            break
        time.sleep(1)
        try:
            p = get_props(job_path, "Progress", "Phase", "State")
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            log(f"get-property: {e}")
            continue
        state = p["State"]
        polled.append((time.monotonic() - t0, p["Progress"], p["Phase"], state))
        line = f"{state} {p['Progress']:.1f}% {p['Phase']}"
        if line != last_line:
            log(f"[{time.monotonic() - t0:6.1f} s] {line}")
            last_line = line
    elapsed = time.monotonic() - t0
    log(f"job ended as {state!r} after {elapsed:.0f} s")
    if not check(daemon.poll() is None, "daemon still running", tail(daemon_log)):
        return 1

    final = get_props(job_path, "State", "ReturnCode", "Progress", "Phase", "LastMessage",
                      "StateFile", "LogFile", "DiskCount", "Disks", "PID", "FinishedAt")
    log(f"final properties: {json.dumps(final)}")
    v2v_log = final["LogFile"]
    check(final["State"] == "succeeded", "State is succeeded",
          f"State={final['State']} LastMessage={final['LastMessage']}\n--- v2v.log:\n"
          f"{tail(v2v_log)}\n--- v2vd log:\n{tail(daemon_log)}")
    check(final["ReturnCode"] == 0, "ReturnCode is 0", final["ReturnCode"])
    check(abs(final["Progress"] - 100.0) < 1e-6, "Progress is 100 at the end", final["Progress"])
    check(final["PID"] == 0, "PID is 0 once finished", final["PID"])
    check(final["FinishedAt"] > 0, "FinishedAt is set", final["FinishedAt"])
    check(final["DiskCount"] == 1, "DiskCount is 1", final["DiskCount"])

    # ---- what the bus said while it ran
    time.sleep(1)                      # let the monitor write the last signals
    monitor.send_signal(signal.SIGINT)
    try:
        monitor.wait(timeout=10)
    except subprocess.TimeoutExpired:
        monitor.kill()
    progress, phases, states, finished_sig = [], [], [], []
    for line in open(mon_out, errors="replace"):
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("type") != "signal":
            continue
        data = m.get("payload", {}).get("data", [])
        if (m.get("member") == "PropertiesChanged" and m.get("path") == job_path
                and data and data[0] == JOB_IFACE):
            changed = data[1]
            if "Progress" in changed:
                progress.append(changed["Progress"]["data"])
            if "Phase" in changed:
                phases.append(changed["Phase"]["data"])
            if "State" in changed:
                states.append(changed["State"]["data"])
        elif m.get("member") == "JobFinished" and m.get("interface") == MGR_IFACE:
            finished_sig.append(data)
    log(f"Progress signalled ({len(progress)}): {progress}")
    log(f"Phase signalled: {phases}")
    log(f"State signalled: {states}")
    polled_phases = [p[2] for p in polled if p[2]]

    start = polled[0][1]
    check(start == 0.0 or (progress and progress[0] < 10.0),
          "Progress starts at 0", f"first polled {start}, first signalled {progress[:1]}")
    check(progress and abs(progress[-1] - 100.0) < 1e-6,
          "PropertiesChanged carries Progress 100 at the end", progress[-5:])
    mid = sorted({v for v in progress if 0.0 < v < 100.0})
    check(len(mid) >= 2, "PropertiesChanged carries intermediate Progress values", mid)
    backwards = [(a, b) for a, b in zip(progress, progress[1:]) if b < a - 1e-9]
    check(not backwards, "Progress never goes back", backwards)
    all_phases = phases + polled_phases
    check("Copying disk 1/1" in all_phases, 'phase "Copying disk 1/1" seen',
          sorted(set(all_phases)))
    check("Copying disk 1/1" in phases, 'phase "Copying disk 1/1" signalled', phases)
    check(len(set(phases)) >= 4, "several phases signalled", phases)
    check("running" in states and states[-1] == "succeeded",
          "State signalled running … succeeded", states)
    check(any(d[:1] == [job_id] and d[-1:] == ["succeeded"] for d in finished_sig),
          "JobFinished(id, path, \"succeeded\") emitted", finished_sig)

    # ---- state.json
    sf = final["StateFile"]
    try:
        st = json.load(open(sf))
    except (OSError, ValueError) as e:
        st = {}
        check(False, "state.json readable", f"{sf}: {e}")
    log(f"state.json: {json.dumps(st)}")
    check(st.get("finished") is True, "state.json: finished is true", st)
    check("failed" not in st, "state.json: no failed key", st)
    check(st.get("started") is True, "state.json: started is true", st)
    check(st.get("return_code") == 0, "state.json: return_code 0", st)
    check(st.get("state") == "succeeded", "state.json: state succeeded", st)
    check(st.get("progress") == 100, "state.json: progress 100", st)
    check(sf == os.path.join(state_dir, "jobs", job_id, "state.json"),
          "StateFile is <state-dir>/jobs/<id>/state.json", sf)
    mlog = os.path.join(os.path.dirname(sf), "v2v-machine.log")
    check(os.path.isfile(mlog) and os.path.getsize(mlog) > 0, "v2v-machine.log written", mlog)
    check(os.path.isfile(v2v_log) and "Copying disk 1/1" in open(v2v_log, errors="replace").read(),
          "v2v.log holds virt-v2v's output", tail(v2v_log, 10))

    # ---- the output
    disk = os.path.join(out_dir, "guest-sda")
    xml = os.path.join(out_dir, "guest.xml")
    log(f"output: {sorted(os.listdir(out_dir))}")
    ok = check(os.path.isfile(disk) and os.path.getsize(disk) > 0, "output disk guest-sda exists",
               os.listdir(out_dir))
    if ok:
        info = subprocess.run(["qemu-img", "info", "--output=json", disk],
                              capture_output=True, text=True)
        fmt = json.loads(info.stdout).get("format") if info.returncode == 0 else info.stderr
        check(fmt == "qcow2", "output disk is qcow2", fmt)
    if check(os.path.isfile(xml), "domain XML guest.xml exists", os.listdir(out_dir)):
        text = open(xml).read()
        try:
            root = ET.fromstring(text)
        except ET.ParseError as e:
            root = None
            check(False, "guest.xml parses", e)
        check("generated by virt-v2v" in text, "guest.xml was written by virt-v2v", text[:300])
        if root is not None:
            check(root.tag == "domain" and root.findtext("name") == "guest",
                  "guest.xml describes the domain guest", text[:300])
            src = [s.get("file") for s in root.iter("source")]
            check(any(s and s.endswith("guest-sda") for s in src),
                  "guest.xml points at the converted disk", src)
    return 0 if all(results) else 1


if __name__ == "__main__":
    try:
        rc = main()
    except Exception as e:  # report, do not hide, an unexpected error
        import traceback
        check(False, "unexpected error", traceback.format_exc())
        rc = 1
    print(f"1..{len(results)}", flush=True)
    sys.exit(rc)
