"""Helpers for the v2vd integration and e2e tests.

Run under tests/lib/with-systemd-user (a private `systemd --user` and session
bus: DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR, TMPDIR are set by it).

Environment (set by meson): V2VD_BINARY (the daemon), V2VD_RUNNER (the
runner, passed on to the daemon's environment), V2VD_FAKE_V2V (the fake
virt-v2v), V2VD_TEST_DATA (tests/data).

The bus is spoken with the command line tools of systemd and dbus:
  * `busctl --user --json=short` for calls and properties (its JSON is parsed);
  * `dbus-send --print-reply` when a call is expected to fail, because
    busctl prints only the error message, not the error name;
  * `busctl --user monitor --json=short` in a background thread for signals.
    It sees every message of the private bus; a marker signal emitted after
    it starts proves it is listening before the test acts (no race).
No python3-gi is needed.

A test is a function taking a `T` (test context) run by `run_test()`; `T`
owns the daemon, the temp directory and the monitor, checks with `t.check()`
(printed as it goes) and on failure prints the daemon's stderr, the job logs
and state files, and what the monitor saw.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BUS_NAME = "org.v2vd.V2V1"
MANAGER_PATH = "/org/v2vd/V2V1"
MANAGER_IFACE = "org.v2vd.V2V1.Manager"
JOB_IFACE = "org.v2vd.V2V1.Job"
JOB_PATH_PREFIX = "/org/v2vd/V2V1/job/"
ERROR_PREFIX = "org.v2vd.V2V1.Error."
PROPS_IFACE = "org.freedesktop.DBus.Properties"
OM_IFACE = "org.freedesktop.DBus.ObjectManager"
TERMINAL_STATES = ("succeeded", "failed", "cancelled")


class TestFailure(AssertionError):
    pass


def log(msg):
    print(msg, flush=True)


def stop_process(proc, timeout):
    """SIGTERM to proc (a Popen, or None), up to TIMEOUT s for it to end,
    then SIGKILL; reaped either way."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def env_path(name):
    v = os.environ.get(name)
    if not v:
        raise TestFailure("environment variable %s is not set (run through meson test)" % name)
    return v


# ------------------------------------------------------------------ bus calls

class BusError(Exception):
    def __init__(self, name, message):
        super().__init__("%s: %s" % (name, message))
        self.name = name
        self.message = message


def _run(argv, timeout=30, check=True):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise TestFailure("command failed (%d): %s\nstdout: %s\nstderr: %s"
                          % (p.returncode, " ".join(argv), p.stdout, p.stderr))
    return p


def busctl(*args, timeout=30):
    """busctl --user --json=short ARGS → parsed JSON (or None if no output)."""
    argv = ["busctl", "--user", "--json=short", "--timeout=%d" % timeout] + [str(a) for a in args]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout + 5)
    if p.returncode != 0:
        # busctl only prints "Call failed: MESSAGE"
        raise BusError("(busctl)", p.stderr.strip())
    out = p.stdout.strip()
    return json.loads(out) if out else None


def call(path, iface, method, signature="", *args, timeout=30):
    """Call a method on the daemon; returns the list of out values."""
    a = ["call", BUS_NAME, path, iface, method]
    if signature:
        a += [signature] + list(args)
    r = busctl(*a, timeout=timeout)
    return r["data"] if r else []


def _dbus_send_arg(sig, v):
    m = {"s": "string", "o": "objpath", "u": "uint32", "i": "int32",
         "t": "uint64", "b": "boolean", "d": "double"}
    if sig not in m:
        raise ValueError("dbus-send arg type %s not supported" % sig)
    if sig == "b":
        v = "true" if v else "false"
    return "%s:%s" % (m[sig], v)


def call_error(path, iface, method, signature="", *args, timeout=30):
    """Call a method expected to fail; returns (error_name, message).
    Raises TestFailure if it succeeds."""
    argv = ["dbus-send", "--session", "--print-reply", "--reply-timeout=%d" % (timeout * 1000),
            "--dest=" + BUS_NAME, path, "%s.%s" % (iface, method)]
    for sig, v in zip(signature, args):
        argv.append(_dbus_send_arg(sig, v))
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout + 5)
    if p.returncode == 0:
        raise TestFailure("%s.%s unexpectedly succeeded: %s" % (iface, method, p.stdout.strip()))
    m = re.match(r"Error (\S+): (.*)", p.stderr.strip(), re.S)
    if not m:
        raise TestFailure("cannot parse dbus-send error: %r" % p.stderr)
    return m.group(1), m.group(2)


def unwrap(v):
    """busctl JSON variant {"type":..,"data":..} → data."""
    if isinstance(v, dict) and set(v.keys()) == {"type", "data"}:
        return v["data"]
    return v


def get_property(path, iface, prop):
    r = busctl("get-property", BUS_NAME, path, iface, prop)
    return r["data"]


def get_all(path, iface):
    r = call(path, PROPS_IFACE, "GetAll", "s", iface)
    return {k: unwrap(v) for k, v in r[0].items()}


def introspect_xml(path, check=True):
    p = _run(["busctl", "--user", "--xml-interface", "introspect", BUS_NAME, path], check=check)
    return p.stdout if p.returncode == 0 else ""


def name_has_owner(name=BUS_NAME):
    try:
        r = busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                   "org.freedesktop.DBus", "NameHasOwner", "s", name, timeout=5)
        return bool(r["data"][0])
    except BusError:
        return False


# ------------------------------------------------------------------ monitor

class Monitor:
    """All messages on the session bus, parsed, collected by a thread."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.proc = None
        self.thread = None

    def start(self):
        self.proc = subprocess.Popen(["busctl", "--user", "monitor", "--json=short"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()
        # Prove the monitor is listening before the test acts.
        token = "ready-%d-%f" % (os.getpid(), time.time())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _run(["busctl", "--user", "emit", "/org/v2vd/test/marker",
                  "org.v2vd.Test", "Marker", "s", token])
            if self.wait(lambda m: m.get("member") == "Marker"
                         and m.get("payload", {}).get("data") == [token], timeout=0.5,
                         raise_on_timeout=False):
                return
        raise TestFailure("busctl monitor did not see the marker signal within 10 s")

    def _reader(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                m = json.loads(line)
            except ValueError:
                continue
            m["_received"] = time.monotonic()
            with self.cond:
                self.messages.append(m)
                self.cond.notify_all()

    def stop(self):
        stop_process(self.proc, 5)

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def wait(self, pred, timeout=10, raise_on_timeout=True, what="message"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for m in self.messages:
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    if raise_on_timeout:
                        raise TestFailure("timed out after %.1f s waiting for %s" % (timeout, what))
                    return None
                self.cond.wait(min(left, 0.2))

    def signals(self, member=None, path=None, path_prefix=None, iface=None, since=0):
        out = []
        for m in self.snapshot():
            if m.get("type") != "signal" or m.get("_received", 0) < since:
                continue
            if member and m.get("member") != member:
                continue
            if iface and m.get("interface") != iface:
                continue
            if path and m.get("path") != path:
                continue
            if path_prefix and not str(m.get("path", "")).startswith(path_prefix):
                continue
            out.append(m)
        return out

    def prop_changes(self, path, prop, iface=JOB_IFACE):
        """[(received, value)] of PropertiesChanged for PROP on PATH."""
        out = []
        for m in self.signals("PropertiesChanged", path=path):
            data = m["payload"]["data"]
            if data[0] != iface:
                continue
            if prop in data[1]:
                out.append((m["_received"], unwrap(data[1][prop])))
        return out

    def dump(self, path_prefix="/org/v2vd", limit=80):
        lines = []
        for m in self.snapshot():
            if not str(m.get("path", "")).startswith(path_prefix):
                continue
            lines.append("%s %s.%s %s" % (m.get("path"), m.get("interface"), m.get("member"),
                                          json.dumps(m.get("payload", {}).get("data"))[:300]))
        return "\n".join(lines[-limit:])


# ------------------------------------------------------------------ daemon

class Daemon:
    def __init__(self, base, config=None, environment=None, env=None):
        self.base = base
        self.state_dir = os.path.join(base, "state")
        self.runtime_dir = os.path.join(base, "runtime")
        self.config_path = os.path.join(base, "v2vd.conf")
        self.binary = env_path("V2VD_BINARY")
        self.fake = os.environ.get("V2VD_FAKE_V2V")
        self.proc = None
        self.stderr_path = os.path.join(base, "daemon.stderr")
        self.starts = 0
        os.makedirs(self.state_dir, exist_ok=True)
        os.makedirs(self.runtime_dir, exist_ok=True)
        daemon_cfg = {"max_running_jobs": 4, "cancel_grace_sec": 3,
                      # No egress shaping on the host's own interfaces: a job
                      # still running when the test ends would leave its HTB
                      # qdisc there. The throttle tests shape their own veth.
                      "egress_interfaces": "none"}
        if self.fake:
            daemon_cfg["virt_v2v"] = self.fake
        daemon_cfg.update(config or {})
        self.environment = {"FAKE_V2V_SPEED": os.environ.get("FAKE_V2V_SPEED", "1")}
        self.environment.update(environment or {})
        with open(self.config_path, "w") as f:
            f.write("[daemon]\n")
            for k, v in daemon_cfg.items():
                f.write("%s=%s\n" % (k, v))
            f.write("\n[environment]\n")
            for k, v in self.environment.items():
                f.write("%s=%s\n" % (k, v))
        self.env = dict(os.environ)
        if self.fake:
            self.env["V2VD_VIRT_V2V"] = self.fake
        self.env.update(self.environment)
        self.env.update(env or {})
        for k in [k for k, v in self.env.items() if v is None]:
            del self.env[k]          # env={"X": None}: only via [environment]
        self.max_running = int(daemon_cfg["max_running_jobs"])

    def argv(self):
        return [self.binary, "--user", "--config", self.config_path,
                "--state-dir", self.state_dir, "--runtime-dir", self.runtime_dir]

    def start(self, timeout=15):
        self.starts += 1
        errf = open(self.stderr_path, "a")
        errf.write("---- start #%d: %s\n" % (self.starts, " ".join(self.argv())))
        errf.flush()
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=errf,
                                     stderr=errf, env=self.env)
        errf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("v2vd exited with status %s during start-up" % self.proc.returncode)
            if name_has_owner(BUS_NAME):
                return self
            time.sleep(0.05)
        raise TestFailure("v2vd did not own %s within %d s" % (BUS_NAME, timeout))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the exit status. Fails if it hangs."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("v2vd did not exit within %d s of SIGTERM" % timeout)

    def kill9(self):
        if self.running():
            self.proc.kill()
            self.proc.wait()
        # wait until the bus noticed
        wait_for(lambda: not name_has_owner(BUS_NAME), 10, "bus name released after SIGKILL")

    def restart(self):
        self.stop()
        return self.start()

    def stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def job_dir(self, job_id):
        return os.path.join(self.state_dir, "jobs", str(job_id))

    def state(self, job_id):
        with open(os.path.join(self.job_dir(job_id), "state.json")) as f:
            return json.load(f)


# ------------------------------------------------------------------ helpers

def wait_for(pred, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except (BusError, OSError, ValueError, KeyError) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.1f s waiting for %s%s"
                              % (timeout, what, (" (last error: %s)" % last_exc) if last_exc else ""))
        time.sleep(interval)


def job_path(job_id):
    return JOB_PATH_PREFIX + str(job_id)


def cgroup_root():
    return os.environ.get("V2VD_TEST_CGROUP", "")


def scope_name(job_id):
    return "v2vd-job-%s.scope" % job_id


def pids_in_scope(job_id):
    """PIDs whose /proc/PID/cgroup names the job's scope (any hierarchy)."""
    out = []
    # Only this test's cgroup subtree: parallel tests have their own job "1".
    needle = "%s/v2vd.slice/%s\n" % (cgroup_root(), scope_name(job_id))
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cgroup" % d) as f:
                cg = f.read()
        except OSError:
            continue
        if needle in cg:
            out.append(int(d))
    return sorted(out)


def proc_status(pid):
    """'State' and 'PPid' of /proc/PID/status, or None if the pid is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            d = dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
        return {"pid": pid, "name": d.get("Name", "").strip(), "state": d.get("State", "").strip(),
                "ppid": int(d.get("PPid", "0"))}
    except (OSError, ValueError):
        return None


def wait_pids_gone(pids, timeout=5):
    """Waits until none of PIDS exists; returns the status of those left."""
    deadline = time.monotonic() + timeout
    while True:
        left = [s for s in (proc_status(p) for p in pids) if s]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def proc_cgroup(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        return f.read()


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def scope_cgroup_dirs(job_id):
    """Existing cgroup directories of the job's scope, in every hierarchy."""
    out = []
    name = scope_name(job_id)
    root = cgroup_root()
    for h in os.listdir("/sys/fs/cgroup"):
        top = "/sys/fs/cgroup/%s%s" % (h, root)
        if not root or not os.path.isdir(top):
            continue
        for dirpath, dirnames, _ in os.walk(top):
            if name in dirnames:
                out.append(os.path.join(dirpath, name))
    return out


def unit_active_state(unit):
    p = _run(["systemctl", "--user", "show", "-p", "ActiveState", unit], check=False)
    for line in p.stdout.splitlines():
        if line.startswith("ActiveState="):
            return line.split("=", 1)[1]
    return ""


def unit_property(unit, prop):
    """A property of a systemd --user unit as systemctl show prints it."""
    return subprocess.run(["systemctl", "--user", "show", "-p", prop, "--value", unit], stdout=subprocess.PIPE,
                          text=True).stdout.strip()


def on_loop_ext4(t, size, body):
    """body(t, loop, mnt) with an ext4 file system of size bytes on a loop
    device mounted at t.base/mnt; the daemon stopped and the device gone
    after. Skips the test (77) where no loop device can be set up."""
    img_file = os.path.join(t.base, "fs.img")
    with open(img_file, "wb") as f:
        f.truncate(size)
    p = subprocess.run(["losetup", "--find", "--show", img_file], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        # No loop device on this host (an unprivileged container): nothing to test on.
        print("SKIP: losetup: %s" % p.stderr.strip(), flush=True)
        sys.exit(77)
    loop = p.stdout.strip()
    mnt = os.path.join(t.base, "mnt")
    os.makedirs(mnt)
    try:
        subprocess.run(["mkfs.ext4", "-q", loop], check=True)
        subprocess.run(["mount", loop, mnt], check=True)
        body(t, loop, mnt)
    finally:
        if t.daemon and t.daemon.running():
            t.daemon.stop()
        subprocess.run(["umount", "-l", mnt])
        subprocess.run(["losetup", "-d", loop])


# An -o rhv target that never needs to answer (the fake virt-v2v does not
# connect): the keys a spec with rhv_password needs besides it.
RHV_OUTPUT = {"rhv_url": "https://engine.example.com/ovirt-engine/api", "rhv_cluster": "Default",
              "rhv_storage": "data", "insecure_connection": True}


def write_luks_vault(path, vm_name, keys):
    """A luks_keys_vault file (0600) giving vm_name keys for /dev/sda1, /dev/sda2, ..."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump({vm_name: [{"device": "/dev/sda%d" % (i + 1), "key": k} for i, k in enumerate(keys)]}, f)
    return path


def scope_gone(job_id):
    return unit_active_state(scope_name(job_id)) in ("inactive", "failed", "") \
        and not scope_cgroup_dirs(job_id) and not pids_in_scope(job_id)


def rss_kb(pid):
    """The resident set size of pid, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory_checker(pid):
    """'AddressSanitizer' or 'valgrind' when the daemon runs under one, else None."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            maps = f.read()
    except OSError:
        return None
    if "libasan" in maps:
        return "AddressSanitizer"
    if "vgpreload" in maps or "valgrind" in maps:
        return "valgrind"
    return None


def make_image(directory, name="guest", control=None, size=10 * 1024 * 1024):
    """A fake input disk (sparse file) and optionally its control file."""
    os.makedirs(directory, exist_ok=True)
    img = os.path.join(directory, name + ".img")
    with open(img, "wb") as f:
        f.truncate(size)
    if control is not None:
        with open(img + ".fake.json", "w") as f:
            json.dump(control, f)
    return img


def fake_records(img):
    try:
        with open(img + ".fake.record") as f:
            return [json.loads(l) for l in f if l.strip()]
    except OSError:
        return []


# ------------------------------------------------------------------ test context

class T:
    def __init__(self, name):
        self.name = name
        self.base = tempfile.mkdtemp(prefix="v2vd-%s." % name)
        self.daemon = None
        self.monitor = None
        self.checks = 0
        self.jobs = []

    # checks ------------------------------------------------------
    def check(self, cond, what, detail=None):
        self.checks += 1
        if cond:
            log("  ok   %s" % what)
        else:
            raise TestFailure("CHECK FAILED: %s%s" % (what, ("\n  got: %s" % (detail,)) if detail is not None else ""))

    def note(self, what):
        """Log what a preceding wait (wait_for, monitor.wait, …) established:
        that wait fails the test itself, so this is no check of its own."""
        log("  seen %s" % what)

    def check_eq(self, got, expected, what):
        r = repr(expected)
        if len(r) > 100:
            r = r[:60] + "…(%d chars)" % len(r)
        self.check(got == expected, "%s == %s" % (what, r), got)

    # daemon ------------------------------------------------------
    def start_daemon(self, monitor=True, **kw):
        if monitor and self.monitor is None:
            self.monitor = Monitor()
            self.monitor.start()
        self.daemon = Daemon(os.path.join(self.base, "daemon"), **kw)
        self.daemon.start()
        log("  daemon started (pid %d)" % self.daemon.proc.pid)
        return self.daemon

    # jobs --------------------------------------------------------
    def spec_disk(self, img, out_dir=None, vm_name="guest", **extra):
        if out_dir is None:
            out_dir = os.path.join(self.base, "out-%s" % vm_name)
        os.makedirs(out_dir, exist_ok=True)
        spec = {"vm_name": vm_name, "disk": [img] if isinstance(img, str) else img,
                "output_dir": out_dir}
        spec.update(extra)
        return spec

    def create_job(self, spec):
        text = spec if isinstance(spec, str) else json.dumps(spec)
        job_id, path = call(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", text)
        self.jobs.append(job_id)
        return job_id, path

    def props(self, job_id):
        return get_all(job_path(job_id), JOB_IFACE)

    def prop(self, job_id, name):
        return get_property(job_path(job_id), JOB_IFACE, name)

    def wait_state(self, job_id, states, timeout=30):
        if isinstance(states, str):
            states = (states,)
        return wait_for(lambda: self.prop(job_id, "State") in states and self.prop(job_id, "State"),
                        timeout, "job %s to reach %s" % (job_id, "/".join(states)))

    def wait_finished(self, job_id, timeout=30):
        return self.wait_state(job_id, TERMINAL_STATES, timeout)

    # diagnostics -------------------------------------------------
    def dump(self):
        out = ["======== diagnostics for %s ========" % self.name]
        if self.daemon:
            out.append("---- daemon stderr (%s):" % self.daemon.stderr_path)
            out.append(self.daemon.stderr()[-8000:])
            jobs_dir = os.path.join(self.daemon.state_dir, "jobs")
            if os.path.isdir(jobs_dir):
                for j in sorted(os.listdir(jobs_dir)):
                    d = os.path.join(jobs_dir, j)
                    for fn in ("state.json", "exit-status", "v2v.log", "v2v-machine.log"):
                        p = os.path.join(d, fn)
                        if os.path.exists(p):
                            # the tail only: a test's owner may have made the log huge or sparse
                            with open(p, "rb") as f:
                                f.seek(max(0, os.fstat(f.fileno()).st_size - 3000))
                                txt = f.read(3000).decode(errors="replace")
                            out.append("---- job %s %s:\n%s" % (j, fn, txt[-3000:].replace("\r", "\\r\n")))
        if self.monitor:
            out.append("---- bus signals on /org/v2vd (last 80):")
            out.append(self.monitor.dump())
        p = subprocess.run(["systemctl", "--user", "list-units", "--all", "--no-pager", "v2vd*"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out.append("---- systemctl --user list-units v2vd*:\n" + p.stdout)
        print("\n".join(out), file=sys.stderr, flush=True)

    def cleanup(self):
        if self.daemon and self.daemon.running():
            try:
                self.daemon.stop()
            except TestFailure as e:
                log("  warning: %s" % e)
        if self.monitor:
            self.monitor.stop()
        if os.environ.get("V2VD_TEST_KEEP") != "1":
            shutil.rmtree(self.base, ignore_errors=True)

    def assert_no_leftovers(self, timeout=10):
        """No v2vd-job scope unit or cgroup, no virt-v2v/runner process.
        systemd notices an emptied scope a moment after its last process
        exits (the cgroup-empty event), so this waits up to timeout."""
        def active_units():
            p = subprocess.run(["systemctl", "--user", "list-units", "--all", "--plain", "--no-legend",
                                "v2vd-job-*"], stdout=subprocess.PIPE, text=True)
            return [l for l in p.stdout.splitlines() if l.strip() and " active " in l]

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (active_units() or any(scope_cgroup_dirs(j) for j in self.jobs)):
            time.sleep(0.1)
        active = active_units()
        self.check(not active, "no active v2vd-job-* unit left", active)
        for j in self.jobs:
            self.check(not scope_cgroup_dirs(j), "no cgroup left for %s" % scope_name(j),
                       scope_cgroup_dirs(j))


def run_test(fn, name=None):
    """Run FN(t); exit 0 on success, 1 on failure (with diagnostics)."""
    name = name or os.path.splitext(os.path.basename(sys.argv[0]))[0]
    t = T(name)
    log("== %s" % name)
    rc = 0
    try:
        fn(t)
        log("PASS %s (%d checks)" % (name, t.checks))
    except Exception as e:  # noqa: BLE001 — any failure is a test failure
        rc = 1
        traceback.print_exc()
        log("FAIL %s: %s" % (name, e))
        try:
            t.dump()
        except Exception:  # noqa: BLE001
            traceback.print_exc()
    finally:
        t.cleanup()
    sys.exit(rc)
