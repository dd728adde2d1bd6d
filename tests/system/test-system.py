#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The system suite: v2vd installed like a distro package, under a real PID-1
systemd, checked the way an administrator would.

A fresh copy of a cached Debian 12 rootfs (tests/system/build-rootfs.sh:
debootstrap with systemd, dbus, polkitd, virt-v2v, libguestfs, qemu, a
kernel) gets what `meson install` of a --prefix=/usr build produces
(DESTDIR, nothing else of v2vd), and is booted with `systemd-nspawn --boot`
on a private network. Test-only additions, none of them part of v2vd: the
fake virt-v2v (tests/fake) in /opt/v2vd-test, a polkit rule and two users,
a veth with a default route, the guest image bound read-only at
/srv/guest.img, and /etc/v2vd/v2vd.conf written from the installed example.

Then, inside the container: systemd-analyze verify and security; bus
activation; Type=notify with its status text; a job as root (the installed
example profile, CPU quota in v2vd.slice set and changed live, nft + HTB
egress under the unit's sandbox) and one as an unprivileged user allowed by
a polkit rule (and one refused); the journal (V2VD_JOB=, no secret, no
build path in CODE_FILE=); the catalogued entries of a job's life and
`journalctl -x` after `journalctl --update-catalog`; metrics_file= read
through prometheus-node-exporter; restart mid-job; SIGKILL → Restart=; the
watchdog; stop with a running job and start again; user mode (session-bus
activation of the user unit); and the real virt-v2v converting the real
guest through the hardened v2vd.service.

Usage: test-system.py SOURCE_ROOT BUILD_ROOT
Environment: V2VD_GUEST_IMAGE (else tests/fixtures/build-guest.sh is run),
V2VD_SYSTEM_SKIP_REAL=1 leaves the real conversion out (said so, and the
test then fails: the real conversion is part of the suite),
V2VD_SYSTEM_KEEP=1 keeps the container's directory for a post-mortem.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

top = os.path.abspath(sys.argv[1])
build_root = os.path.abspath(sys.argv[2])
failures = []
t0 = time.monotonic()


def log(msg):
    print("[%6.1f] %s" % (time.monotonic() - t0, msg), flush=True)


def check(ok, what, detail=None):
    log(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)
        if detail:
            print("    " + str(detail).replace("\n", "\n    ")[:4000], flush=True)
    return ok


def run(argv, **kw):
    kw.setdefault("check", True)
    return subprocess.run(argv, **kw)


# ------------------------------------------------------------------ the package

def build_package(destdir):
    """meson setup --prefix=/usr (its own build dir), compile, DESTDIR install."""
    pkg_build = os.path.join(build_root, "tests", "system", "pkg-build")
    if not os.path.exists(os.path.join(pkg_build, "build.ninja")):
        run(["meson", "setup", "--prefix=/usr", "-De2e=false", pkg_build, top],
            stdout=subprocess.DEVNULL)
    run(["meson", "compile", "-C", pkg_build], stdout=subprocess.DEVNULL)
    env = dict(os.environ, DESTDIR=destdir)
    run(["meson", "install", "-C", pkg_build, "--no-rebuild", "--quiet"], env=env, stdout=subprocess.DEVNULL)
    return pkg_build


# ------------------------------------------------------------------ the container

class Container:
    def __init__(self, base, rootfs_tar, guest_image):
        self.base = base
        self.root = os.path.join(base, "root")
        self.guest_image = guest_image
        os.makedirs(self.root)
        run(["tar", "-C", self.root, "--numeric-owner", "--xattrs", "-xf", rootfs_tar])
        self.proc = None
        self.pid1 = None

    def install_tree(self, tree):
        # merged /usr in the rootfs: keep its /lib, /bin, /sbin symlinks
        run(["tar", "-C", tree, "-cf", os.path.join(self.base, "install.tar"), "."])
        run(["tar", "-C", self.root, "--keep-directory-symlink", "--no-overwrite-dir",
             "-xf", os.path.join(self.base, "install.tar")])

    def write(self, path, text, mode=0o644):
        p = os.path.join(self.root, path.lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)

    def chroot(self, *argv):
        run(["chroot", self.root] + list(argv), stdout=subprocess.DEVNULL)

    def boot(self):
        env = dict(os.environ, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY="1")
        argv = ["systemd-nspawn", "-D", self.root, "--register=no", "--keep-unit", "--private-network",
                "--console=read-only", "--boot", "--machine=v2vd-system-test"]
        if self.guest_image:
            argv.append("--bind-ro=%s:/srv/guest.img" % self.guest_image)
        self.console = open(os.path.join(self.base, "console.log"), "w")
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=self.console,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.pid1 is None:
            if self.proc.poll() is not None:
                raise RuntimeError("systemd-nspawn exited %d: see %s" % (self.proc.returncode, self.console.name))
            kids = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
            for k in kids:
                try:
                    with open("/proc/%s/comm" % k) as f:
                        if f.read().strip() == "systemd":
                            self.pid1 = int(k)
                except OSError:
                    pass
            time.sleep(0.2)
        if self.pid1 is None:
            raise RuntimeError("no systemd in the container after 60 s")
        r = self.sh("timeout 90 systemctl is-system-running --wait", check=False)
        state = r.stdout.strip()
        if state != "running":
            log("system state %r; failed units: %s" % (state, self.sh("systemctl --failed --no-legend", check=False).stdout))
        return state

    def sh(self, script, user=None, check=True, timeout=600, env=None):
        """Run a shell script in the container (as root, or as USER)."""
        argv = ["nsenter", "-t", str(self.pid1), "-m", "-u", "-i", "-n", "-p", "-C", "--"]
        if user:
            argv += ["runuser", "-u", user, "--"]
        argv += ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SYSTEMD_PAGER=",
                 "SYSTEMD_COLORS=0", "TERM=dumb"]
        if user:
            uid = self.uid(user)
            argv += ["HOME=/home/" + user, "USER=" + user, "XDG_RUNTIME_DIR=/run/user/%d" % uid,
                     "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/%d/bus" % uid]
        for k, v in (env or {}).items():
            argv.append("%s=%s" % (k, v))
        argv += ["bash", "-c", script]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("in the container%s: %s\nexit %d\nstdout: %s\nstderr: %s" %
                               (" as " + user if user else "", script, r.returncode, r.stdout, r.stderr))
        return r

    _uids = {}

    def uid(self, user):
        if user not in self._uids:
            with open(os.path.join(self.root, "etc/passwd")) as f:
                for line in f:
                    f_ = line.split(":")
                    if f_[0] == user:
                        self._uids[user] = int(f_[2])
        return self._uids[user]

    def poweroff(self):
        if self.proc and self.proc.poll() is None:
            if self.pid1:
                os.kill(self.pid1, signal.SIGRTMIN + 4)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ------------------------------------------------------------------ helpers

def prop(c, unit, *names, user=None):
    flag = "--user " if user else ""
    out = c.sh("systemctl %sshow %s %s" % (flag, " ".join("-p " + n for n in names), unit), user=user).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def status(c, job, user=None):
    r = c.sh("v2vctl status %s --json" % job, user=user)
    return json.loads(r.stdout)


def wait_for(what, fn, timeout=60, interval=0.3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
        except Exception as e:  # noqa: BLE001 — keep polling; the last error is reported
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    check(False, "%s (within %d s)" % (what, timeout), last)
    return None


def fake_image(c, path, control, owner=None):
    """A sparse input file for the fake virt-v2v and its control file."""
    c.sh("truncate -s 16M %s && printf '%%s' %s > %s.fake.json" %
         (path, shlex.quote(json.dumps(control)), path) + (" && chown %s: %s %s.fake.json" % (owner, path, path)
                                                           if owner else ""))


def submit(c, spec, user=None, wait=False, timeout=600, mode=""):
    name = "/tmp/spec-%d.json" % int(time.monotonic() * 1000)
    c.sh("cat > %s <<'EOF'\n%s\nEOF" % (name, json.dumps(spec)), user=user)
    r = c.sh("v2vctl %s submit %s%s" % (mode, name, " --wait" if wait else ""), user=user, check=False,
             timeout=timeout)
    return r


def submit_id(c, spec, user=None):
    r = submit(c, spec, user=user)
    if r.returncode != 0:
        raise RuntimeError("v2vctl submit: %s %s" % (r.stdout, r.stderr))
    return r.stdout.strip().splitlines()[-1]


def wait_state(c, job, states, timeout=120, user=None):
    return wait_for("job %s reaches %s" % (job, "/".join(states)),
                    lambda: (lambda s: s if s["state"] in states else None)(status(c, job, user)), timeout)


def wait_copying(c, job):
    return wait_for("job %s is copying" % job,
                    lambda: (lambda s: s if s["phase"].startswith("Copying") else None)(status(c, job)), 60)


def start_copying(c, name, copy_seconds):
    """A fake job as root that copies for copy_seconds → (id, its status once copying) or (id, None)."""
    img = "/srv/%s-guest.img" % name
    fake_image(c, img, {"step_delay": 0.1, "copy_seconds": copy_seconds})
    job = submit_id(c, {"vm_name": name + "guest", "disk": [img], "output_dir": "/srv/out"})
    return job, wait_copying(c, job)


def main_pid(c):
    return int(prop(c, "v2vd.service", "MainPID")["MainPID"])


# ------------------------------------------------------------------ the checks

def check_unit_files(c):
    r = c.sh("systemd-analyze verify v2vd.service v2vd.slice 2>&1", check=False)
    check(r.returncode == 0 and r.stdout.strip() == "", "systemd-analyze verify v2vd.service v2vd.slice is clean",
          r.stdout)
    r = c.sh("export XDG_RUNTIME_DIR=$(mktemp -d); systemd-analyze --user verify /usr/lib/systemd/user/v2vd.service 2>&1",
             check=False)
    check(r.returncode == 0 and r.stdout.strip() == "", "systemd-analyze verify of the user unit is clean", r.stdout)
    r = c.sh("systemd-analyze security --no-pager v2vd.service", check=False)
    print(r.stdout, flush=True)
    m = re.search(r"Overall exposure level for v2vd.service: ([0-9.]+)", r.stdout)
    with open(os.path.join(top, "README.md")) as f:
        readme = f.read()
    promised = re.search(r"`systemd-analyze security v2vd\.service`[^.]*?: ([0-9.]+)", readme)
    check(m is not None, "systemd-analyze security v2vd.service prints an exposure level", r.stdout[-500:])
    check(promised is not None, "the README states the exposure level of v2vd.service")
    if m and promised:
        check(float(m.group(1)) <= float(promised.group(1)),
              "exposure %s is no worse than the README's %s" % (m.group(1), promised.group(1)))


def check_activation_and_notify(c):
    check(c.sh("systemctl is-active v2vd.service", check=False).stdout.strip() == "inactive",
          "v2vd.service is not running after boot (not enabled)")
    r = c.sh("busctl call org.v2vd.V2V1 /org/v2vd/V2V1 org.freedesktop.DBus.Peer Ping", check=False)
    check(r.returncode == 0, "a bus call to org.v2vd.V2V1 succeeds with the service stopped", r.stderr)
    check(c.sh("systemctl is-active v2vd.service", check=False).stdout.strip() == "active",
          "the bus call activated v2vd.service")
    c.sh("systemctl stop v2vd.service")
    t = time.monotonic()
    c.sh("systemctl enable --now v2vd.service")  # as the README's install section says
    log("systemctl enable --now took %.2f s" % (time.monotonic() - t))
    check(c.sh("systemctl is-enabled v2vd.service", check=False).stdout.strip() == "enabled",
          "systemctl enable --now v2vd: enabled")
    p = prop(c, "v2vd.service", "Type", "ActiveState", "StatusText", "WatchdogUSec", "Restart")
    check(p["Type"] == "notify" and p["ActiveState"] == "active",
          "systemctl start v2vd reaches active through Type=notify", p)
    check(re.fullmatch(r"\d+ running, \d+ queued", p["StatusText"]) is not None,
          "the status text is set (%r)" % p["StatusText"])
    st = c.sh("systemctl status --no-pager v2vd.service", check=False).stdout
    check("Status: \"%s\"" % p["StatusText"] in st, "systemctl status shows it", st)
    check(p["Restart"] == "on-failure", "Restart=on-failure")


def check_root_job(c):
    # The administrator takes the installed example profile.
    c.sh("mkdir -p /etc/v2vd/profiles.d /var/lib/v2vd/output && "
         "cp /usr/share/doc/v2vd/examples/profiles.d/local.json /etc/v2vd/profiles.d/")
    r = c.sh("v2vctl profiles", check=False)
    check("local" in r.stdout, "v2vctl profiles lists the example profile", r.stdout + r.stderr)
    fake_image(c, "/srv/root-guest.img", {"step_delay": 0.1, "copy_seconds": 8})
    job = submit_id(c, {"vm_name": "rootguest", "disk": ["/srv/root-guest.img"], "profile": "local"})
    s = wait_copying(c, job)
    if not s:
        return
    unit = "v2vd-job-%s.scope" % job
    st = prop(c, "v2vd.service", "StatusText")["StatusText"]
    check(st == "1 running, 0 queued", "the service's status text follows the job (%r)" % st)
    p = prop(c, unit, "Slice", "CPUQuotaPerSecUSec", "ActiveState")
    check(p["Slice"] == "v2vd.slice" and p["ActiveState"] == "active", "%s is active in v2vd.slice" % unit, p)
    check(p["CPUQuotaPerSecUSec"] == "1s", "the profile's cpu 100%% is the scope's quota (%s)"
          % p["CPUQuotaPerSecUSec"])
    check(c.sh("nft list table inet v2vd", check=False).stdout.count(unit) == 0,
          "no egress rule for the job while its network is unlimited")
    c.sh("v2vctl throttle %s --cpu 35%% --network 1048576" % job)
    p = prop(c, unit, "CPUQuotaPerSecUSec")
    check(p["CPUQuotaPerSecUSec"] == "350ms", "v2vctl throttle --cpu 35%% changes it live (%s)"
          % p["CPUQuotaPerSecUSec"])
    cg = c.sh("cat /sys/fs/cgroup/v2vd.slice/%s/cpu.max 2>&1; cat /sys/fs/cgroup/cgroup.controllers" % unit,
              check=False).stdout
    log("cpu.max / controllers in the container (no cpu controller here means not enforced): %r" % cg)
    nft = c.sh("nft list table inet v2vd", check=False)
    check(nft.returncode == 0 and "socket cgroupv2" in nft.stdout and unit in nft.stdout,
          "nft table inet v2vd marks the job's scope (socket cgroupv2)", nft.stdout + nft.stderr)
    tc = c.sh("tc class show dev eth0", check=False).stdout
    check(re.search(r"class htb \S+ .*rate 8388Kbit", tc) is not None,
          "an HTB class on eth0 limits the job to 1048576 B/s (8388Kbit)", tc)
    s = wait_state(c, job, ("succeeded", "failed", "cancelled"))
    check(s and s["state"] == "succeeded", "the root job succeeded", s)
    out = c.sh("ls /var/lib/v2vd/output", check=False).stdout.split()
    check("rootguest-sda" in out and "rootguest.xml" in out, "it wrote the profile's output_dir", out)
    r = c.sh("journalctl -b V2VD_JOB=%s -o cat" % job, check=False)
    check(len(r.stdout.splitlines()) >= 2, "journalctl V2VD_JOB=%s finds the job's entries" % job, r.stdout)
    return job


def check_user_jobs(c):
    alice = c.uid("alice")
    fake_image(c, "/home/alice/guest.img", {"step_delay": 0.05, "copy_seconds": 2}, owner="alice")
    c.sh("install -d -o alice -g alice /home/alice/out")
    r = submit(c, {"vm_name": "aliceguest", "disk": ["/home/alice/guest.img"], "output_dir": "/home/alice/out"},
               user="alice", wait=True)
    print(r.stdout[-1500:], r.stderr[-1500:], flush=True)
    check(r.returncode == 0, "alice (group v2v, polkit rule in /etc/polkit-1/rules.d) runs a job: "
          "v2vctl submit --wait exits 0", r.stderr)
    jobs = json.loads(c.sh("v2vctl list --json").stdout)
    mine = [j for j in jobs if j["vm_name"] == "aliceguest"]
    if check(len(mine) == 1, "root sees alice's job"):
        s = status(c, mine[0]["id"])
        if not check(s["owner_uid"] == alice and s["state"] == "succeeded",
                     "alice's job is owned by uid %d and succeeded" % alice, s):
            print(c.sh("tail -c 3000 %s; ls -la /opt/v2vd-test %s" % (s["log_file"], os.path.dirname(s["log_file"])),
                       check=False).stdout, flush=True)
    fake_image(c, "/home/bob/guest.img", {"copy_seconds": 1}, owner="bob")
    r = submit(c, {"vm_name": "bobguest", "disk": ["/home/bob/guest.img"], "output_dir": "/home/bob"}, user="bob")
    said = r.stdout + r.stderr
    check(r.returncode != 0 and ("AccessDenied" in said or "denied" in said.lower()),
          "bob (not in the group) is refused: %s" % said.strip()[:200], said)


def check_journal(c, markers):
    fake_image(c, "/srv/secret-guest.img", {"step_delay": 0.05, "copy_seconds": 1})
    c.sh("umask 077; printf '%%s' '%s' > /root/vault.json" %
         json.dumps({"secretguest": [{"device": "/dev/sda1", "key": markers[1]}]}))
    job = submit_id(c, {"vm_name": "secretguest", "disk": ["/srv/secret-guest.img"],
                        "rhv_url": "https://engine.example.com/ovirt-engine/api", "rhv_cluster": "Default",
                        "rhv_storage": "data", "insecure_connection": True, "rhv_password": markers[0],
                        "luks_keys_vault": "/root/vault.json"})
    s = wait_state(c, job, ("succeeded", "failed", "cancelled"))
    check(s is not None, "the job with secrets ended (%s)" % (s or {}).get("state"))
    r = c.sh("journalctl -b V2VD_JOB=%s -o cat" % job, check=False)
    check(r.stdout.strip() != "", "journalctl V2VD_JOB=%s finds the secret job's entries" % job)
    export = subprocess.run(["nsenter", "-t", str(c.pid1), "-m", "-p", "--", "journalctl", "-b", "-o", "export"],
                            capture_output=True).stdout
    for mk in markers:
        check(mk.encode() not in export, "no marker password in journalctl -o export (%d bytes)" % len(export))
    files = set(re.findall(rb"^CODE_FILE=(.*)$", subprocess.run(
        ["nsenter", "-t", str(c.pid1), "-m", "-p", "--", "journalctl", "-b", "-o", "export", "SYSLOG_IDENTIFIER=v2vd"],
        capture_output=True).stdout, re.M))
    check(files and all(not f.startswith(b"/") and not f.startswith(b"..") and top.encode() not in f
                        and build_root.encode() not in f for f in files),
          "v2vd's CODE_FILE= fields name source files, not the build path: %s" % sorted(files))


def check_journal_catalog(c):
    """The catalogued entries of a job's life under PID-1 journald, and
    `journalctl -x` explaining them after `journalctl --update-catalog`."""
    ids = dict(re.findall(r'#define\s+V2VD_MESSAGE_JOB_(\w+)\s+"([0-9a-f]{32})"',
                          open(os.path.join(top, "daemon/common/message-ids.h")).read()))
    fake_image(c, "/srv/catalog-guest.img", {"step_delay": 0.05, "fail_at": "Copying disk 1/1",
                                             "error": "catalog test: disk unreadable"})
    job = submit_id(c, {"vm_name": "catalogguest", "disk": ["/srv/catalog-guest.img"], "output_dir": "/srv/out"})
    wait_state(c, job, ("failed",))
    r = c.sh("journalctl --update-catalog && journalctl --list-catalog | grep -c ' v2vd: '", check=False)
    check(r.stdout.strip().endswith("5"), "journalctl --update-catalog loads the 5 entries of the installed "
          "/usr/lib/systemd/catalog/v2vd.catalog", r.stdout + r.stderr)

    def entry(kind):
        out = c.sh("journalctl -b -o json MESSAGE_ID=%s V2VD_JOB=%s" % (ids[kind], job), check=False).stdout
        e = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        return e[0] if len(e) == 1 else None
    cr, st = wait_for("the created entry of job %s" % job, lambda: entry("CREATED"), 10), entry("STARTED")
    fa = entry("FAILED")
    check(cr and cr.get("V2VD_VM") == "catalogguest" and cr.get("V2VD_OWNER_UID") == "0"
          and cr.get("_SYSTEMD_UNIT") == "v2vd.service", "job created: V2VD_VM, V2VD_OWNER_UID, from v2vd.service", cr)
    check(st and st.get("V2VD_RESULT") == "running" and st.get("V2VD_UNIT") == "v2vd-job-%s.scope" % job,
          "job started: V2VD_RESULT=running, V2VD_UNIT", st)
    check(fa and fa.get("V2VD_RESULT") == "failed" and fa.get("V2VD_RETURN_CODE") == "1" and fa.get("PRIORITY") == "3"
          and "catalog test: disk unreadable" in fa.get("MESSAGE", ""), "job failed: its error, at priority err", fa)
    x = c.sh("journalctl -b -x --no-pager V2VD_JOB=%s" % job, check=False).stdout
    check("Subject: A v2vd conversion job failed" in x and "What to do: read the end of the job's log" in x
          and "Subject: A v2vd conversion job was created" in x,
          "journalctl -x explains the job's entries from the catalog", x[-2500:])
    alice = c.uid("alice")
    out = c.sh("journalctl -b -o json MESSAGE_ID=%s V2VD_VM=aliceguest" % ids["SUCCEEDED"], check=False).stdout
    e = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    check(len(e) == 1 and e[0].get("V2VD_OWNER_UID") == str(alice), "alice's job succeeded: V2VD_OWNER_UID=%d" % alice,
          e)


def check_metrics(c):
    """metrics_file= of the installed example (Debian's textfile directory),
    read once through prometheus-node-exporter, agrees with v2vctl metrics."""
    prom = "/var/lib/prometheus/node-exporter/v2vd.prom"
    r = c.sh("grep -x 'metrics_file=%s' /etc/v2vd/v2vd.conf && test -s %s && stat -c %%a %s" % (prom, prom, prom),
             check=False)
    check(r.returncode == 0 and r.stdout.strip().endswith("644"), "v2vd wrote %s (0644)" % prom, r.stdout + r.stderr)
    want = {}
    for line in c.sh("v2vctl metrics").stdout.splitlines():
        m = re.match(r'^v2vd_jobs\{state="(\w+)"\} (\d+)$', line)
        if m:
            want[m.group(1)] = int(m.group(2))
    check(sum(want.values()) > 0, "v2vctl metrics counts the jobs so far: %s" % want)
    fetch = ("python3 -c 'import urllib.request; "
             "print(urllib.request.urlopen(\"http://127.0.0.1:9100/metrics\", timeout=10).read().decode())'")
    out = wait_for("prometheus-node-exporter answers on 127.0.0.1:9100",
                   lambda: c.sh(fetch, check=False).stdout or None, 60, interval=1)
    got = {m.group(1): int(float(m.group(2)))
           for m in re.finditer(r'^v2vd_jobs\{state="(\w+)"\} (\S+)$', out or "", re.M)}
    check(got == want, "node_exporter serves v2vd_jobs from the textfile: %s" % got, (out or "")[-1500:])
    errs = re.findall(r"^node_textfile_scrape_error (\S+)$", out or "", re.M)
    check(errs == ["0"], "node_exporter reads the textfile without error (node_textfile_scrape_error %s)" % errs)
    check(re.search(r'^v2vd_job_duration_seconds_bucket\{le="\+Inf"\} \d', out or "", re.M) is not None,
          "the duration histogram comes through node_exporter")


def check_restart_mid_job(c):
    job, s = start_copying(c, "restart", 8)
    if not s:
        return
    before = main_pid(c)
    c.sh("systemctl restart v2vd.service")
    check(main_pid(c) not in (0, before), "systemctl restart v2vd: a new main PID")
    s2 = status(c, job)
    check(s2["state"] == "running" and s2["unit"] == s["unit"],
          "after the restart the job is running in the same scope %s" % s["unit"], s2)
    s = wait_state(c, job, ("succeeded", "failed", "cancelled"))
    check(s and s["state"] == "succeeded", "the re-adopted job succeeded", s)
    r = c.sh("journalctl -b V2VD_JOB=%s -o cat | grep -c re-adopted" % job, check=False)
    check(r.stdout.strip() not in ("", "0"), "the journal says it was re-adopted")


def check_kill(c):
    job, s = start_copying(c, "kill", 8)
    if not s:
        return
    n0 = int(prop(c, "v2vd.service", "NRestarts")["NRestarts"])
    before = main_pid(c)
    c.sh("systemctl kill -s KILL v2vd.service")
    ok = wait_for("v2vd.service is restarted by Restart= after SIGKILL", lambda: (
        lambda p: p["ActiveState"] == "active" and int(p["NRestarts"]) == n0 + 1 and int(p["MainPID"]) != before)(
        prop(c, "v2vd.service", "ActiveState", "NRestarts", "MainPID")), 30)
    check(bool(ok), "systemctl kill -s KILL v2vd → restarted (NRestarts %d → %d)" % (n0, n0 + 1))
    s = wait_state(c, job, ("succeeded", "failed", "cancelled"))
    check(s and s["state"] == "succeeded", "the job survived the SIGKILL and succeeded", s)


def check_watchdog(c):
    c.write("/etc/systemd/system/v2vd.service.d/50-test-watchdog.conf", "[Service]\nWatchdogSec=3s\n")
    c.sh("systemctl daemon-reload && systemctl restart v2vd.service")
    n0 = int(prop(c, "v2vd.service", "NRestarts")["NRestarts"])
    time.sleep(8)
    p = prop(c, "v2vd.service", "ActiveState", "NRestarts", "WatchdogUSec", "WatchdogTimestampMonotonic")
    check(p["WatchdogUSec"] == "3s" and p["ActiveState"] == "active" and int(p["NRestarts"]) == n0
          and int(p["WatchdogTimestampMonotonic"]) > 0,
          "with WatchdogSec=3s v2vd keeps pinging: still active after 8 s", p)
    pid = main_pid(c)
    c.sh("kill -s STOP %d" % pid)
    ok = wait_for("a stopped (hung) v2vd is killed by the watchdog and restarted", lambda: (
        lambda p: int(p["NRestarts"]) == n0 + 1 and p["ActiveState"] == "active")(
        prop(c, "v2vd.service", "NRestarts", "ActiveState")), 30)
    r = c.sh("journalctl -b -u v2vd.service -o cat | grep -ci watchdog", check=False)
    check(bool(ok) and r.stdout.strip() not in ("", "0"), "the watchdog fired and Restart= brought it back")
    c.sh("rm /etc/systemd/system/v2vd.service.d/50-test-watchdog.conf && systemctl daemon-reload && "
         "systemctl restart v2vd.service")


def check_stop_start(c):
    job, s = start_copying(c, "stop", 10)
    if not s:
        return
    c.sh("systemctl stop v2vd.service")
    check(c.sh("systemctl is-active v2vd.service", check=False).stdout.strip() == "inactive", "v2vd stopped")
    check(c.sh("systemctl is-active %s" % s["unit"], check=False).stdout.strip() == "active",
          "systemctl stop v2vd leaves the running job's scope %s running (as the README says)" % s["unit"])
    time.sleep(1)
    c.sh("systemctl start v2vd.service")
    s2 = status(c, job)
    check(s2["state"] == "running", "a later start re-adopts it (running)", s2)
    s = wait_state(c, job, ("succeeded", "failed", "cancelled"))
    check(s and s["state"] == "succeeded", "and it succeeded", s)


def check_user_mode(c):
    uid = c.uid("alice")
    c.sh("loginctl enable-linger alice")
    wait_for("alice's systemd --user runs", lambda: c.sh("systemctl is-active user@%d.service" % uid,
                                                         check=False).stdout.strip() == "active", 30)
    wait_for("alice's session bus socket exists", lambda: c.sh("test -S /run/user/%d/bus" % uid,
                                                               check=False).returncode == 0, 30)
    # only what the test needs: the fake virt-v2v (egress shaping as by default)
    c.sh("mkdir -p ~/.config/v2vd && printf '[daemon]\\nvirt_v2v=/opt/v2vd-test/virt-v2v\\n'"
         " > ~/.config/v2vd/v2vd.conf", user="alice")
    check(c.sh("systemctl --user is-active v2vd.service", user="alice", check=False).stdout.strip() == "inactive",
          "alice's user v2vd.service is not running yet")
    r = c.sh("busctl --user call org.v2vd.V2V1 /org/v2vd/V2V1 org.freedesktop.DBus.Peer Ping", user="alice",
             check=False)
    check(r.returncode == 0, "a call on alice's session bus activates v2vd --user", r.stderr)
    p = prop(c, "v2vd.service", "ActiveState", "Type", "ExecStart", user="alice")
    check(p.get("ActiveState") == "active" and p.get("Type") == "notify" and "--user" in p.get("ExecStart", ""),
          "through the user unit v2vd.service (Type=notify, v2vd --user)", p)
    r = c.sh("systemctl --user enable v2vd.service", user="alice", check=False)
    check(r.returncode == 0, "systemctl --user enable v2vd works", r.stderr)
    fake_image(c, "/home/alice/user-guest.img", {"step_delay": 0.05, "copy_seconds": 1}, owner="alice")
    r = submit(c, {"vm_name": "userguest", "disk": ["/home/alice/user-guest.img"], "output_dir": "/home/alice/out"},
               user="alice", wait=True, mode="--user")
    r2 = c.sh("v2vctl --user list", user="alice", check=False)
    check(r.returncode == 0 and "userguest" in r2.stdout, "alice's job in user mode succeeded (v2vctl --user)",
          r.stdout + r.stderr + r2.stdout)


def check_real_conversion(c):
    # The administrator's configuration for this host: TCG (no usable KVM).
    c.write("/etc/v2vd/v2vd.conf", REAL_CONF)
    c.sh("systemctl restart v2vd.service")
    v = c.sh("busctl get-property org.v2vd.V2V1 /org/v2vd/V2V1 org.v2vd.V2V1.Manager V2VVersion").stdout
    check("2.2" in v, "the daemon found the installed virt-v2v (%s)" % v.strip())
    c.sh("install -d /srv/real-out")
    t = time.monotonic()
    r = submit(c, {"vm_name": "guest", "disk": ["/srv/guest.img"], "output_dir": "/srv/real-out",
                   "output_format": "qcow2"}, wait=True, timeout=1500)
    log("real conversion: %.0f s" % (time.monotonic() - t))
    print(r.stdout[-3000:], r.stderr[-3000:], flush=True)
    jobs = json.loads(c.sh("v2vctl list --json").stdout)
    job = [j for j in jobs if j["vm_name"] == "guest"]
    if not check(r.returncode == 0, "the real virt-v2v converted the guest through v2vd.service "
                 "(v2vctl submit --wait exits 0)"):
        if job:
            print(c.sh("v2vctl log %s | tail -60" % job[-1]["id"], check=False).stdout, flush=True)
        return
    out = c.sh("ls -l /srv/real-out; qemu-img info /srv/real-out/guest-sda", check=False).stdout
    check("file format: qcow2" in out and "guest.xml" in out, "a qcow2 disk and the libvirt XML", out)
    s = status(c, job[-1]["id"])
    check(s["state"] == "succeeded" and s["progress"] == 100 and s["return_code"] == 0,
          "State succeeded, Progress 100, ReturnCode 0", s)


REAL_CONF = """\
[daemon]
max_running_jobs=1

[environment]
LIBGUESTFS_BACKEND=direct
LIBGUESTFS_BACKEND_SETTINGS=force_tcg
"""

NET_UNIT = """\
[Unit]
Description=test network: a veth eth0 with a default route (private to the container)
Before=v2vd.service network-online.target
DefaultDependencies=no
After=systemd-udevd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/ip link add eth0 type veth peer name eth0-peer
ExecStart=/usr/sbin/ip addr add 192.0.2.10/24 dev eth0
ExecStart=/usr/sbin/ip link set eth0 up
ExecStart=/usr/sbin/ip link set eth0-peer up
ExecStart=/usr/sbin/ip route add default via 192.0.2.1 dev eth0 onlink

[Install]
WantedBy=multi-user.target
"""

POLKIT_RULE = """\
// test: members of group v2v may create v2vd jobs
polkit.addRule(function(action, subject) {
    if (action.id == "org.v2vd.V2V1.create-job" && subject.isInGroup("v2v")) {
        return polkit.Result.YES;
    }
});
"""


def check_sources(c):
    # The installed v2vd-sources helper, under the hardened unit, through the real libvirt library.
    r = c.sh("busctl --json=short call org.v2vd.V2V1 /org/v2vd/V2V1 org.v2vd.V2V1.Manager "
             "ListSourceVMs s '{\"uri\": \"test:///default\"}'", check=False)
    vms = json.loads(json.loads(r.stdout)["data"][0]) if r.returncode == 0 else []
    check([v.get("name") for v in vms] == ["test"],
          "ListSourceVMs on test:///default lists the test driver's VM", r.stdout + r.stderr)
    r = c.sh("v2vctl sources --uri test:///default", check=False)
    check(r.returncode == 0 and re.search(r"^test\s+running\b", r.stdout, re.M) is not None,
          "v2vctl sources --uri test:///default prints it", r.stdout + r.stderr)
    r = c.sh("v2vctl sources --uri test:///default", user="bob", check=False)
    check(r.returncode != 0 and "test" not in r.stdout,
          "bob, whom no polkit rule allows browse-sources, is refused", r.stdout + r.stderr)


def main():
    if os.geteuid() != 0:
        print("SKIP: the system suite needs root (systemd-nspawn)")
        sys.exit(77)
    skip_real = os.environ.get("V2VD_SYSTEM_SKIP_REAL") == "1"
    log("rootfs: tests/system/build-rootfs.sh")
    rootfs = run(["bash", os.path.join(top, "tests/system/build-rootfs.sh")], stdout=subprocess.PIPE,
                 text=True).stdout.strip()
    guest = os.environ.get("V2VD_GUEST_IMAGE") or ""
    if not skip_real and not guest:
        log("guest image: tests/fixtures/build-guest.sh")
        guest = run(["bash", os.path.join(top, "tests/fixtures/build-guest.sh")], stdout=subprocess.PIPE,
                    text=True).stdout.strip()
    base = tempfile.mkdtemp(prefix="v2vd-system.", dir="/var/tmp")
    c = None
    try:
        destdir = os.path.join(base, "destdir")
        log("meson install (--prefix=/usr, DESTDIR=%s)" % destdir)
        build_package(destdir)
        log("unpacking %s" % rootfs)
        c = Container(base, rootfs, guest if not skip_real else None)
        c.install_tree(destdir)
        # test fixtures, none of them part of v2vd
        os.makedirs(os.path.join(c.root, "opt/v2vd-test"), exist_ok=True)
        shutil.copy(os.path.join(top, "tests/fake/virt-v2v"), os.path.join(c.root, "opt/v2vd-test/virt-v2v"))
        with open(os.path.join(c.root, "usr/share/doc/v2vd/examples/v2vd.conf")) as f:
            example = f.read()
        # every key of the installed example at its default, then this test's own
        conf = re.sub(r"^#([a-z_0-9]+=)", r"\1", example, flags=re.M)
        conf = re.sub(r"^virt_v2v=.*$", "virt_v2v=/opt/v2vd-test/virt-v2v", conf, flags=re.M)
        conf = re.sub(r"^(egress_interfaces=.*)$", r"#\1", conf, flags=re.M)  # default: the default route's
        conf = re.sub(r"^(LIBGUESTFS_\w+=.*)$", r"#\1", conf, flags=re.M)
        c.write("/etc/v2vd/v2vd.conf", conf)
        c.write("/etc/systemd/system/v2vd-test-net.service", NET_UNIT)
        c.write("/etc/polkit-1/rules.d/50-v2vd-test.rules", POLKIT_RULE)
        c.chroot("systemctl", "enable", "v2vd-test-net.service")
        c.chroot("groupadd", "v2v")
        c.chroot("useradd", "-m", "-G", "v2v", "alice")
        c.chroot("useradd", "-m", "bob")
        c.write("/srv/out/.keep", "")
        log("booting")
        state = c.boot()
        check(state in ("running", "degraded"), "the container boots (%s)" % state)
        markers = ["S3CRET-rhv-%s" % os.urandom(6).hex(), "S3CRET-luks-%s" % os.urandom(6).hex()]
        for fn, args in ((check_unit_files, ()), (check_activation_and_notify, ()), (check_root_job, ()),
                         (check_user_jobs, ()), (check_journal, (markers,)), (check_journal_catalog, ()), (check_metrics, ()),
                         (check_restart_mid_job, ()),
                         (check_kill, ()), (check_watchdog, ()), (check_stop_start, ()), (check_user_mode, ()),
                         (check_sources, ()),
                         (check_real_conversion, ())):
            if fn is check_real_conversion and skip_real:
                check(False, "the real conversion was left out (V2VD_SYSTEM_SKIP_REAL=1)")
                continue
            log("--- %s" % fn.__name__)
            try:
                fn(c, *args)
            except Exception as e:  # noqa: BLE001 — one check's crash must not hide the others
                check(False, "%s raised %s" % (fn.__name__, e))
        failed = c.sh("systemctl --failed --no-legend", check=False).stdout.strip()
        check("v2vd" not in failed, "no v2vd unit failed", failed)
        if failures:
            print(c.sh("journalctl -b -u v2vd.service --no-pager | tail -80", check=False).stdout, flush=True)
    finally:
        if c:
            c.poweroff()
        if os.environ.get("V2VD_SYSTEM_KEEP") == "1":
            log("kept %s" % base)
        else:
            run(["rm", "-rf", "--one-file-system", base], check=False)
    log("%d failed" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
