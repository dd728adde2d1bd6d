#!/usr/bin/env python3
"""v2vd benchmarks. Run under tests/lib/with-systemd-user, as
tests/bench/run.sh or `meson test -C BUILD --benchmark` do.

Environment (set by meson or run.sh): V2VD_BINARY, V2VD_RUNNER,
V2VD_BENCH_FAKE (tests/bench/bench-fake-v2v), V2VD_BENCH_CLIENT
(tests/bench/bench-client); optional V2VD_GUEST_IMAGE (else
tests/fixtures/build-guest.sh is run), V2VD_BENCH_JSON (where the JSON
document goes, default ./v2vd-bench.json), V2VD_BENCH_ONLY (comma list of
latency,load,recovery,e2e), V2VD_BENCH_E2E_RUNS (pairs, default 3),
V2VD_BENCH_TB_SIZE (MiB of TCG translation buffer for both kinds of real
conversion, default 128; 0 for qemu's own default: qemu-tcg-tb-size).

Figures (each with median and p99 or min/max over its repeated samples):
 1. latency  one job, a fake writing 20 progress steps a second and
             recording CLOCK_REALTIME just before each write; bench-client
             (sd-bus) records when each PropertiesChanged with a new
             Progress arrives and when state.json is replaced. Reported:
             write → signal for every Progress value signalled; the time
             until a written step is visible in a signal (≥ its value) and
             in state.json.
 2. load     1, 50, 200 concurrent jobs, the fake at 10 steps a second each:
             daemon RSS growth per job, daemon CPU per running job, signals
             and state-file writes per job per second, sampled each second
             of a measurement window; the jobs' own processes (runner,
             fake) apart.
 3. bus      GetAll on a job and ListJobs round trips while 200 jobs run.
 4. recovery 200 jobs copying, the daemon SIGKILLed and started again: the
             time from its start to its first answer on the bus, and to an
             answer (ListJobs) listing every job running again (re-adopted);
             every job then still copying, none queued again or failed.
 5. e2e      the real guest converted with virt-v2v directly and through
             v2vd, alternating; the ratio of the medians.
Exit status 0 whether or not the targets are met (a benchmark, not a
test); 1 if something could not be measured.
"""
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from v2vdtest import (Daemon, call, busctl, wait_for, log, MANAGER_PATH, MANAGER_IFACE,
                      JOB_IFACE, cgroup_root)
from v2vdfixtures import guest_image

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CLIENT = os.environ.get("V2VD_BENCH_CLIENT", "")
FAKE = os.environ.get("V2VD_BENCH_FAKE", "")
ONLY = set(filter(None, os.environ.get("V2VD_BENCH_ONLY", "latency,load,recovery,e2e").split(",")))

SETTLE_S = 2

TARGETS = {
    "latency_p99_ms": 50.0,
    "state_file_max_s": 1.1,
    "daemon_rss_per_job_kib": 1024.0,
    "daemon_cpu_per_job_pct": 0.1,
    "signals_per_job_s": 10.0,
    "state_writes_per_job_s": 1.0,
    "rtt_p99_ms": 10.0,
    "recovery_s": 1.0,
    "e2e_ratio": 1.02,
}


# ------------------------------------------------------------------ statistics

def pct(values, p):
    """p-th percentile, linear interpolation between closest ranks."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(values, scale=1.0):
    v = [x * scale for x in values]
    if not v:
        return {"n": 0}
    return {"n": len(v), "median": pct(v, 50), "p99": pct(v, 99), "min": min(v), "max": max(v)}


def fmt(s, unit="", digits=2):
    if not s.get("n"):
        return "(no samples)"
    f = "%%.%df" % digits
    return ("median " + f + "%s  p99 " + f + "%s  min " + f + "  max " + f + "  (n=%d)") % (
        s["median"], unit, s["p99"], unit, s["min"], s["max"], s["n"])


# ------------------------------------------------------------------ the machine

def sh(argv):
    try:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return "(%s)" % e


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    os_release = ""
    try:
        with open("/etc/os-release") as f:
            os_release = dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l).get("PRETTY_NAME", "").strip('"')
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_mib": mem,
        "kernel": platform.release(),
        "os": os_release,
        "v2vd": sh(["git", "-C", TOP, "describe", "--always", "--dirty"]),
        "gcc": sh(["gcc", "-dumpfullversion"]),
        "systemd": sh(["systemctl", "--version"]).splitlines()[0],
        "glib": sh(["pkg-config", "--modversion", "glib-2.0"]),
        "dbus": sh(["dbus-daemon", "--version"]).splitlines()[0],
        "virt_v2v": sh(["virt-v2v", "--version"]),
        "python": platform.python_version(),
        "loadavg_start": loadavg(),
    }


# ------------------------------------------------------------------ processes

def proc_cpu_ns(pid):
    """CPU time of all threads of PID in ns (schedstat: precise, unlike ticks)."""
    total = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return total


def proc_status_kib(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def proc_pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def job_pids():
    """PIDs in any job scope of this instance (v2vd.slice below our cgroup)."""
    needle = "%s/v2vd.slice/" % cgroup_root()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cgroup" % d) as f:
                if needle in f.read():
                    out.append(int(d))
        except OSError:
            pass
    return out


class Watcher:
    """bench-client watch: PropertiesChanged and state.json replacements."""

    def __init__(self, out, jobs_dir, read_state=False):
        self.out = out
        os.makedirs(jobs_dir, exist_ok=True)
        argv = [CLIENT, "watch", out, jobs_dir] + (["--read-state"] if read_state else [])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError("bench-client watch did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        events = []
        with open(self.out, errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(" ", 3)
                if len(parts) < 3:
                    continue
                events.append((parts[0], int(parts[1]) / 1e6, parts[2], parts[3] if len(parts) > 3 else ""))
        return events


def new_daemon(base, environment, max_running):
    os.makedirs(base, exist_ok=True)
    os.environ["V2VD_FAKE_V2V"] = FAKE
    # Every bench job reads a local file (the one source "local"): no cap per source.
    d = Daemon(base, config={"max_running_jobs": max_running, "max_running_jobs_per_source": 0,
                             "max_queued_jobs": 10000,
                             "cancel_grace_sec": 3, "virt_v2v": FAKE},
               environment=environment)
    d.start()
    return d


def stop_jobs_and_daemon(d):
    subprocess.run(["systemctl", "--user", "stop", "v2vd.slice"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)
    d.stop(timeout=60)


def spec_for(base, name="bench"):
    img = os.path.join(base, "disk.img")
    if not os.path.exists(img):
        with open(img, "wb") as f:
            f.truncate(1024 * 1024)
    out = os.path.join(base, "out")
    os.makedirs(out, exist_ok=True)
    return json.dumps({"vm_name": name, "disk": [img], "output_dir": out})


# ------------------------------------------------------------------ 1. latency

def bench_latency(work, runs=3, disks=3, rate=20):
    log("\n== 1. progress latency: 1 job, %d steps/s, %d runs of %d steps" % (rate, runs, disks * 100))
    sig_lat, step_sig_lat, state_lat, sig_rates = [], [], [], []
    for run in range(runs):
        base = os.path.join(work, "latency-%d" % run)
        rec = os.path.join(base, "rec")
        os.makedirs(rec, exist_ok=True)
        d = new_daemon(os.path.join(base, "daemon"),
                       {"BENCH_FAKE_RATE": str(rate), "BENCH_FAKE_DISKS": str(disks),
                        "BENCH_FAKE_RECORD": rec}, 4)
        w = Watcher(os.path.join(base, "watch.txt"), os.path.join(d.state_dir, "jobs"), read_state=True)
        out = subprocess.run([CLIENT, "run", spec_for(base)], stdout=subprocess.PIPE, text=True, timeout=600)
        time.sleep(0.3)
        events = w.stop()
        d.stop()
        secs, result, job = out.stdout.split()
        if result != "succeeded":
            raise RuntimeError("latency job ended %s" % result)
        steps = []
        with open(os.path.join(rec, "steps-%s" % job)) as f:
            for line in f:
                t, dk, p = line.split()
                steps.append((int(t) / 1e6, int(dk), int(p)))
        # A signal's newest step, from its Disks: (the last disk with
        # progress, its percent); the overall Progress is the job's own
        # (phases count in it), not a function of the steps alone.
        value_time = {}
        for t, dk, p in steps:
            value_time.setdefault(dk * 1000 + p, t)

        def step_of(disks_text):
            try:
                ds = [float(x) for x in disks_text.split(",")]
            except ValueError:
                return None
            for i in range(len(ds) - 1, -1, -1):
                if ds[i] > 0:
                    return (i + 1) * 1000 + ds[i]
            return None
        sigs = []
        for k, t, j, v in events:
            if k == "S" and j == job and len(v.split()) == 2 and v.split()[1] != "-":
                st_ = step_of(v.split()[1])
                if st_ is not None:
                    sigs.append((t, st_))
        first_t = steps[0][0]
        last_t = steps[-1][0]
        n_run = 0
        for t, v in sigs:
            wt = value_time.get(v)
            if wt is None:
                # e.g. 100 at the end, set by the daemon itself
                continue
            sig_lat.append(t - wt)
            n_run += 1
        copying = [t for t, v in sigs if first_t <= t <= last_t + 0.2]
        if last_t > first_t:
            sig_rates.append(len(copying) / (last_t - first_t + 0.2))
        # Per written step: until a signal or state.json shows it.
        si = 0
        sig_sorted = sorted(sigs)
        states = []
        for k, t, j, content in events:
            if k == "F" and j == job:
                try:
                    st = json.loads(content)
                    states.append((t, [dd.get("progress", 0) for dd in st.get("disks", [])]))
                except ValueError:
                    pass
        states.sort()
        fi = 0
        for t, dk, p in steps:
            v = dk * 1000 + p
            while si < len(sig_sorted) and (sig_sorted[si][0] < t or sig_sorted[si][1] < v - 1e-9):
                si += 1
            if si < len(sig_sorted):
                step_sig_lat.append(sig_sorted[si][0] - t)
            while fi < len(states) and (states[fi][0] < t or len(states[fi][1]) < dk
                                         or not all(x >= 100 for x in states[fi][1][:dk - 1])
                                         or states[fi][1][dk - 1] < p):
                fi += 1
            if fi < len(states):
                state_lat.append(states[fi][0] - t)
        log("  run %d: job %s %s in %s s, %d steps, %d Progress signals (%d matched)"
            % (run + 1, job, result, secs, len(steps), len(sigs), n_run))
    res = {
        "write_to_signal_ms": summary(sig_lat, 1000),
        "step_visible_in_signal_ms": summary(step_sig_lat, 1000),
        "step_visible_in_state_file_s": summary(state_lat),
        "progress_signals_per_s": summary(sig_rates),
        "steps_per_s": rate, "runs": runs, "steps_per_run": disks * 100,
    }
    log("  write → PropertiesChanged (each Progress value signalled): %s" % fmt(res["write_to_signal_ms"], " ms"))
    log("  step written → first signal showing it:                   %s" % fmt(res["step_visible_in_signal_ms"], " ms"))
    log("  step written → state.json showing it:                     %s" % fmt(res["step_visible_in_state_file_s"], " s", 3))
    log("  Progress signals per second while copying:                %s" % fmt(res["progress_signals_per_s"], "/s"))
    return res


# ------------------------------------------------------------------ 2./3. load

def bench_load(work, n, window, rtt=False, rate=10):
    log("\n== 2. per-job cost: %d concurrent job(s), %d steps/s each, %d s window" % (n, rate, window))
    base = os.path.join(work, "load-%d" % n)
    ramp_allow = 20 + n * 0.25
    disks = max(1, math.ceil((ramp_allow + SETTLE_S + window + 15) * rate / 100))
    d = new_daemon(os.path.join(base, "daemon"),
                   {"BENCH_FAKE_RATE": str(rate), "BENCH_FAKE_DISKS": str(disks)}, n + 10)
    pid = d.proc.pid
    time.sleep(1)
    rss0 = proc_status_kib(pid, "VmRSS")
    w = Watcher(os.path.join(base, "watch.txt"), os.path.join(d.state_dir, "jobs"))
    t_create = time.monotonic()
    p = subprocess.run([CLIENT, "create", str(n), spec_for(base)], stdout=subprocess.PIPE,
                       text=True, timeout=600)
    ids = p.stdout.split()
    if len(ids) != n:
        raise RuntimeError("created %d of %d jobs" % (len(ids), n))

    def all_copying():
        r = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", timeout=60)[0]
        return sum(1 for j in r if j[2] == "running" and j[4] > 0) == n

    wait_for(all_copying, ramp_allow + 60, "all %d jobs copying" % n, interval=0.5)
    ramp = time.monotonic() - t_create
    log("  %d jobs created and copying after %.1f s" % (n, ramp))
    pids = job_pids()
    # Steady state: the daemon's emit schedule aligns itself with each
    # writer within about a second of the copy's start (job-follow.c, on_emit_timer).
    time.sleep(SETTLE_S)

    rtt_thread = None
    rtt_out = os.path.join(base, "rtt.txt")
    if rtt:
        count = int((window - 2) / 0.05)
        rtt_thread = subprocess.Popen([CLIENT, "rtt", "/org/v2vd/V2V1/job/%s" % ids[0], str(count), "40",
                                       rtt_out])
    # Sample once a second.
    samples = []
    t0 = time.time()
    for i in range(window + 1):
        target = t0 + i
        time.sleep(max(0, target - time.time()))
        samples.append({"t": time.time(), "cpu": proc_cpu_ns(pid), "rss": proc_status_kib(pid, "VmRSS"),
                        "anon": proc_status_kib(pid, "RssAnon"),
                        "jobs_cpu": sum(proc_cpu_ns(x) or 0 for x in pids)})
        if i == window // 2:
            jobs_pss = sum(proc_pss_kib(x) for x in pids)
            jobs_rss = sum(proc_status_kib(x, "VmRSS") or 0 for x in pids)
    t1 = samples[-1]["t"]
    if rtt_thread:
        rtt_thread.wait(120)
    still = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", timeout=60)[0]
    running_end = sum(1 for j in still if j[2] == "running")
    events = w.stop()
    stop_jobs_and_daemon(d)
    if running_end != n:
        log("  WARNING: only %d of %d jobs still running at the end of the window" % (running_end, n))

    cpu_pct, job_cpu_pct, rss_per_job = [], [], []
    for a, b in zip(samples, samples[1:]):
        dt = b["t"] - a["t"]
        cpu_pct.append((b["cpu"] - a["cpu"]) / 1e9 / dt * 100 / n)
        job_cpu_pct.append((b["jobs_cpu"] - a["jobs_cpu"]) / 1e9 / dt * 100 / n)
    for s in samples:
        rss_per_job.append((s["rss"] - rss0) / n)
    sig_per_job, sig_prog_per_job, state_per_job = [], [], []
    for sec in range(window):
        lo, hi = t0 + sec, t0 + sec + 1
        cs = {}
        cp = {}
        cf = {}
        for k, t, j, v in events:
            if lo <= t < hi:
                if k == "S":
                    cs[j] = cs.get(j, 0) + 1
                    if v.split()[0] != "-":
                        cp[j] = cp.get(j, 0) + 1
                elif k == "F":
                    cf[j] = cf.get(j, 0) + 1
        sig_per_job.append(sum(cs.values()) / n)
        sig_prog_per_job.append(sum(cp.values()) / n)
        state_per_job.append(sum(cf.values()) / n)
    # The busiest single job over the whole window: its rate is (events - 1)
    # over the time from its first to its last event in the window (a plain
    # count over the window counts one event too many half the time).
    times_sig, times_state = {}, {}
    for k, t, j, v in events:
        if t0 <= t < t1:
            (times_sig if k == "S" else times_state).setdefault(j, []).append(t)

    def busiest(times):
        return max(((len(ts) - 1) / (ts[-1] - ts[0]) for ts in times.values() if len(ts) > 2 and ts[-1] > ts[0]),
                   default=0)
    res = {
        "jobs": n, "steps_per_s": rate, "window_s": window, "ramp_s": round(ramp, 1),
        "daemon_rss_baseline_kib": rss0,
        "daemon_rss_max_kib": max(s["rss"] for s in samples),
        "daemon_rss_per_job_kib": summary(rss_per_job),
        "daemon_cpu_per_job_pct_of_core": summary(cpu_pct),
        "daemon_cpu_per_job_s_per_min": summary([c / 100 * 60 for c in cpu_pct]),
        "signals_per_job_s": summary(sig_per_job),
        "signals_per_job_s_mean": sum(len(ts) for ts in times_sig.values()) / n / (t1 - t0),
        "state_writes_per_job_s_mean": sum(len(ts) for ts in times_state.values()) / n / (t1 - t0),
        "progress_signals_per_job_s": summary(sig_prog_per_job),
        "signals_per_job_s_busiest_job": busiest(times_sig),
        "state_writes_per_job_s": summary(state_per_job),
        "state_writes_per_job_s_busiest_job": busiest(times_state),
        "job_processes": len(pids),
        "job_processes_cpu_per_job_pct_of_core": summary(job_cpu_pct),
        "job_processes_pss_per_job_kib": jobs_pss / n,
        "job_processes_rss_per_job_kib": jobs_rss / n,
        "jobs_running_at_end": running_end,
    }
    log("  daemon RSS %d KiB before, max %d KiB; growth per job: %s"
        % (rss0, res["daemon_rss_max_kib"], fmt(res["daemon_rss_per_job_kib"], " KiB", 0)))
    log("  daemon CPU per running job, %% of one core: %s" % fmt(res["daemon_cpu_per_job_pct_of_core"], "%", 4))
    log("  daemon CPU per job per minute, s:          %s" % fmt(res["daemon_cpu_per_job_s_per_min"], " s", 4))
    log("  PropertiesChanged per job per second:      mean %.3f; each second: %s; busiest job %.3f"
        % (res["signals_per_job_s_mean"], fmt(res["signals_per_job_s"], "/s"), res["signals_per_job_s_busiest_job"]))
    log("  state.json writes per job per second:      mean %.3f; each second: %s; busiest job %.3f"
        % (res["state_writes_per_job_s_mean"], fmt(res["state_writes_per_job_s"], "/s"),
           res["state_writes_per_job_s_busiest_job"]))
    log("  job processes (runner + fake, %d): CPU per job %s; PSS per job %.0f KiB (RSS %.0f KiB)"
        % (len(pids), fmt(res["job_processes_cpu_per_job_pct_of_core"], "%", 4),
           res["job_processes_pss_per_job_kib"], res["job_processes_rss_per_job_kib"]))
    if rtt:
        g, l = [], []
        with open(rtt_out) as f:
            for line in f:
                k, v = line.split()
                (g if k == "G" else l).append(int(v) / 1000)
        res["rtt_getall_ms"] = summary(g)
        res["rtt_listjobs_ms"] = summary(l)
        log("\n== 3. bus round trips while %d jobs run" % n)
        log("  GetAll(Job):  %s" % fmt(res["rtt_getall_ms"], " ms", 3))
        log("  ListJobs:     %s" % fmt(res["rtt_listjobs_ms"], " ms", 3))
    return res


# ------------------------------------------------------------------ 4. recovery

def bench_recovery(work, n=200, runs=3, rate=10):
    log("\n== 4. recovery: %d jobs copying, v2vd SIGKILLed and started again, %d runs" % (n, runs))
    base = os.path.join(work, "recovery")
    disks = max(1, math.ceil((60 + n * 0.25 + runs * 20) * rate / 100))
    d = new_daemon(os.path.join(base, "daemon"), {"BENCH_FAKE_RATE": str(rate), "BENCH_FAKE_DISKS": str(disks)},
                   n + 10)
    p = subprocess.run([CLIENT, "create", str(n), spec_for(base)], stdout=subprocess.PIPE, text=True, timeout=600)
    if len(p.stdout.split()) != n:
        raise RuntimeError("created %d of %d jobs" % (len(p.stdout.split()), n))

    def listed():
        return call(MANAGER_PATH, MANAGER_IFACE, "ListJobs", timeout=60)[0]
    wait_for(lambda: sum(1 for j in listed() if j[2] == "running" and j[4] > 0) == n, 60 + n * 0.5,
             "all %d jobs copying" % n, interval=0.5)
    first, full, lost = [], [], 0
    for run in range(runs):
        time.sleep(SETTLE_S)
        d.kill9()
        client = subprocess.Popen([CLIENT, "recovery", str(n)], stdout=subprocess.PIPE, text=True)
        if client.stdout.readline().strip() != "READY":
            raise RuntimeError("bench-client recovery did not start")
        t0 = time.time()
        d.start(timeout=60)
        out = client.communicate(timeout=180)[0].split()
        if client.returncode != 0 or len(out) != 3:
            raise RuntimeError("bench-client recovery failed")
        first.append(int(out[0]) / 1e6 - t0)
        full.append(int(out[1]) / 1e6 - t0)
        jobs = listed()
        lost += sum(1 for j in jobs if j[2] != "running")
        log("  run %d: first answer after %.3f s, every job running again after %.3f s" % (run + 1, first[-1],
                                                                                           full[-1]))
    stop_jobs_and_daemon(d)
    res = {"jobs": n, "runs": runs, "first_answer_s": summary(first), "all_readopted_s": summary(full),
           "jobs_not_running_after": lost}
    log("  restart → first answer:            %s" % fmt(res["first_answer_s"], " s", 3))
    log("  restart → every job re-adopted:    %s" % fmt(res["all_readopted_s"], " s", 3))
    log("  jobs not running after a restart:  %d" % lost)
    return res


# ------------------------------------------------------------------ 5. e2e

PHASE_LINE = re.compile(r"^\[\s*([0-9.]+)\] (.*)$")


def phase_times(log_path):
    """virt-v2v's "[  12.3] Message" lines → [(message, seconds until the next one)]."""
    marks = []
    try:
        with open(log_path, errors="replace") as f:
            for line in f:
                m = PHASE_LINE.match(line.rstrip("\n"))
                if m:
                    marks.append((float(m.group(1)), m.group(2)))
    except OSError:
        return []
    return [(msg, round(marks[i + 1][0] - t, 1)) for i, (t, msg) in enumerate(marks[:-1])]


def phase_summary(phases):
    """The phases that took 5 s or more, short names: "Converting 61.2, Mapping 21.4"."""
    return ", ".join("%s %.1f" % (msg.split()[0], s) for msg, s in phases if s >= 5)


def e2e_scratch_dir(work):
    """Where the source disk, the overlays and the output go, for both kinds
    of run.

    A tmpfs when there is one. virt-v2v 2.2.0 serves the source through
    nbdkit's file plugin with cache=none (`virt-v2v -v` shows it), which
    drops what it read from the page cache, so every read of the guest goes
    to the disk; nbdkit's cow filter keeps its overlay under $TMPDIR. On the
    shared virtual disk of the machines this was written on, such reads
    sometimes wait for seconds, noise on top of virt-v2v's own (the long
    "Mapping filesystem data" stalls are qemu's TCG inside the appliance
    and come on the tmpfs too: tests/bench/README.md). So both arms convert
    a copy of the guest on the tmpfs, with TMPDIR and VIRT_V2V_TMPDIR
    there. V2VD_BENCH_E2E_TMPDIR= picks another directory (say, /var/tmp to
    include the disk)."""
    chosen = os.environ.get("V2VD_BENCH_E2E_TMPDIR")
    if not chosen:
        chosen = "/dev/shm" if os.path.isdir("/dev/shm") and "tmpfs" in sh(["stat", "-f", "-c", "%T", "/dev/shm"]) else work
    os.makedirs(chosen, exist_ok=True)
    return tempfile.mkdtemp(prefix="v2vd-bench-e2e.", dir=chosen)


def e2e_prepare_appliance(cache, env_v2v):
    """libguestfs's appliance (kernel, initrd, a 4 GB sparse root) in the
    scratch directory too. This machine keeps almost nothing in its page
    cache (`fincore` shows a file read a minute ago gone again), so the
    appliance's root is read from the disk in every run, and its reads
    wait whenever the disk is slow. The appliance libguestfs already built
    is copied (mtimes kept, so libguestfs does not rebuild it).

    Then one launch outside the timed runs, with the environment both kinds
    of run get: it builds the appliance if there was none to copy, and lets
    libguestfs probe the qemu it will run (LIBGUESTFS_HV). libguestfs keeps
    that probe in the cache per qemu binary, so without this the first
    timed run would pay for it."""
    os.makedirs(cache)
    src = os.path.join(os.environ.get("LIBGUESTFS_CACHEDIR") or os.environ.get("TMPDIR") or "/var/tmp",
                       ".guestfs-%d" % os.getuid())
    if os.path.isfile(os.path.join(src, "appliance.d", "root")):
        subprocess.run(["cp", "-a", "--sparse=always", src, cache], check=True)
    p = subprocess.run(["guestfish", "-a", "/dev/null", "run"], env=dict(os.environ, **env_v2v),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=900)
    if p.returncode != 0:
        raise RuntimeError("cannot launch libguestfs's appliance from %s:\n%s" % (cache, p.stdout[-2000:]))


def bench_e2e(work, pairs):
    cached_img = guest_image()
    scratch = e2e_scratch_dir(work)
    tmpdir = os.path.join(scratch, "tmp")
    os.makedirs(tmpdir)
    img = os.path.join(scratch, "guest.img")
    subprocess.run(["cp", "--sparse=always", cached_img, img], check=True)
    appliance_cache = os.path.join(scratch, "appliance")
    env_v2v = {"LIBGUESTFS_BACKEND": "direct", "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg",
               "VIRT_V2V_TMPDIR": tmpdir, "TMPDIR": tmpdir, "LIBGUESTFS_CACHEDIR": appliance_cache}
    # Both kinds of run get the same qemu: TCG with a smaller translation
    # buffer (tests/bench/qemu-tcg-tb-size says why). 0 keeps qemu's default.
    tb_size = int(os.environ.get("V2VD_BENCH_TB_SIZE", "128"))
    if tb_size > 0:
        env_v2v["LIBGUESTFS_HV"] = os.path.join(HERE, "qemu-tcg-tb-size")
        env_v2v["V2VD_BENCH_TB_SIZE"] = str(tb_size)
    e2e_prepare_appliance(appliance_cache, env_v2v)
    log("\n== 4. overhead on a real conversion: %s, %d of each, alternating" % (cached_img, pairs))
    log("  qemu: TCG, translation buffer %s" % ("%d MiB (tests/bench/qemu-tcg-tb-size)" % tb_size
                                                if tb_size > 0 else "qemu's default"))
    scratch_fs = sh(["stat", "-f", "-c", "%T", scratch])
    log("  the guest (a copy), libguestfs's appliance, TMPDIR, overlays and output in %s (%s)"
        % (scratch, scratch_fs))
    base = os.path.join(work, "e2e")
    os.makedirs(base, exist_ok=True)
    os.environ.pop("V2VD_FAKE_V2V", None)
    d = Daemon(os.path.join(base, "daemon"), config={"max_running_jobs": 1}, environment=env_v2v)
    d.env.pop("V2VD_VIRT_V2V", None)
    d.start()
    direct, daemon, phases = [], [], {"direct": [], "daemon": []}
    added, daemon_cpu = [], []
    out = os.path.join(scratch, "out")
    env = dict(os.environ)
    env.update(env_v2v)
    try:
        for i in range(pairs):
            for how in ("direct", "daemon") if i % 2 == 0 else ("daemon", "direct"):
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                if how == "direct":
                    ml = os.path.join(base, "direct-machine.log")
                    with open(os.path.join(base, "direct-v2v.log"), "w") as logf:
                        t = time.monotonic()
                        p = subprocess.run(["virt-v2v", "--root", "first", "--machine-readable=file:" + ml,
                                            "-i", "disk", img, "-o", "local", "-os", out, "-of", "qcow2"],
                                           stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=env,
                                           timeout=1800)
                        secs = time.monotonic() - t
                    if p.returncode != 0:
                        raise RuntimeError("direct virt-v2v failed (exit %d)" % p.returncode)
                    direct.append(secs)
                    phases["direct"].append(phase_times(os.path.join(base, "direct-v2v.log")))
                else:
                    spec = json.dumps({"vm_name": "guest", "disk": [img], "output_dir": out,
                                       "output_format": "qcow2"})
                    cpu0 = proc_cpu_ns(d.proc.pid)
                    p = subprocess.run([CLIENT, "run", spec], stdout=subprocess.PIPE, text=True, timeout=1800)
                    cpu1 = proc_cpu_ns(d.proc.pid)
                    secs, result, job = p.stdout.split()
                    if result != "succeeded":
                        raise RuntimeError("conversion through v2vd ended %s" % result)
                    daemon.append(float(secs))
                    jd = os.path.join(d.state_dir, "jobs", job)
                    phases["daemon"].append(phase_times(os.path.join(jd, "v2v.log")))
                    # What v2vd itself adds: the time outside virt-v2v's own
                    # run (the runner writes v2v.pid as it starts virt-v2v and
                    # exit-status as virt-v2v ends), and its CPU meanwhile.
                    try:
                        own = os.stat(os.path.join(jd, "exit-status")).st_mtime - os.stat(os.path.join(jd, "v2v.pid")).st_mtime
                        added.append(float(secs) - own)
                    except OSError:
                        pass
                    daemon_cpu.append((cpu1 - cpu0) / 1e9)
                log("  %-6s %.1f s   (load %s; %s)" % (how, (direct if how == "direct" else daemon)[-1],
                                                       " ".join("%.2f" % x for x in loadavg()),
                                                       phase_summary(phases[how][-1])))
    finally:
        d.stop(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)
    res = {"image": cached_img, "direct_s": summary(direct), "daemon_s": summary(daemon),
           "ratio_of_medians": pct(daemon, 50) / pct(direct, 50),
           # Less sensitive to other work on a shared machine: the least
           # disturbed run of each kind.
           "ratio_of_minimums": min(daemon) / min(direct),
           "direct_runs_s": direct, "daemon_runs_s": daemon,
           "scratch_fs": scratch_fs, "tcg_tb_size_mib": tb_size or None,
           # The stall tests/bench/qemu-tcg-tb-size is about, counted.
           "mapping_over_10s": {how: sum(1 for run in phases[how]
                                         if any(m.startswith("Mapping") and s > 10 for m, s in run))
                                for how in ("direct", "daemon")},
           "daemon_added_s": summary(added), "daemon_cpu_s": summary(daemon_cpu),
           "phases_s": phases}
    log("  virt-v2v directly: %s" % fmt(res["direct_s"], " s", 1))
    log("  through v2vd:      %s" % fmt(res["daemon_s"], " s", 1))
    log("  runs whose \"Mapping filesystem data\" took over 10 s: %d direct, %d through v2vd"
        % (res["mapping_over_10s"]["direct"], res["mapping_over_10s"]["daemon"]))
    log("  ratio of medians (v2vd / direct): %.4f   (of the fastest runs: %.4f)"
        % (res["ratio_of_medians"], res["ratio_of_minimums"]))
    log("  v2vd's own part of a run: time outside virt-v2v (CreateJob → its start, its end → JobFinished) %s;"
        % fmt(res["daemon_added_s"], " s", 3))
    log("    the daemon's CPU during the run %s" % fmt(res["daemon_cpu_s"], " s", 3))
    if added and daemon_cpu:
        # Everything v2vd adds to a run, over a direct run: far below the
        # run-to-run spread of virt-v2v itself on a shared machine.
        res["ratio_from_own_part"] = (pct(direct, 50) + pct(added, 50) + pct(daemon_cpu, 50)) / pct(direct, 50)
        log("  (direct median + v2vd's added time + its CPU) / direct median: %.4f" % res["ratio_from_own_part"])
    return res


# ------------------------------------------------------------------ main

def verdicts(r):
    out = []

    def add(name, value, target, unit, ok=None, digits=None):
        # Rates counted over a window of W seconds are known to about 1/W:
        # they are compared as printed, to two decimals.
        if digits is not None:
            value = round(value, digits)
        ok = value <= target if ok is None else ok
        out.append({"figure": name, "value": value, "target": target, "unit": unit, "met": ok})

    if "latency" in r:
        L = r["latency"]
        add("progress write → signal p99", L["write_to_signal_ms"]["p99"], TARGETS["latency_p99_ms"], "ms")
        add("progress write → state.json max", L["step_visible_in_state_file_s"]["max"],
            TARGETS["state_file_max_s"], "s")
    if "load" in r:
        worst = lambda key, stat: max(x[key][stat] for x in r["load"])  # noqa: E731
        add("daemon RSS per job (max over levels, median)", worst("daemon_rss_per_job_kib", "median"),
            TARGETS["daemon_rss_per_job_kib"], "KiB")
        add("daemon CPU per running job (max over levels, median)",
            worst("daemon_cpu_per_job_pct_of_core", "median"), TARGETS["daemon_cpu_per_job_pct"], "% of a core")
        add("PropertiesChanged per job per second (max over levels, mean)",
            max(x["signals_per_job_s_mean"] for x in r["load"]), TARGETS["signals_per_job_s"], "/s", digits=2)
        add("state.json writes per job per second (max over levels, mean)",
            max(x["state_writes_per_job_s_mean"] for x in r["load"]),
            TARGETS["state_writes_per_job_s"], "/s", digits=2)
        rl = [x for x in r["load"] if "rtt_getall_ms" in x]
        if rl:
            add("GetAll p99 under load", rl[-1]["rtt_getall_ms"]["p99"], TARGETS["rtt_p99_ms"], "ms")
            add("ListJobs p99 under load", rl[-1]["rtt_listjobs_ms"]["p99"], TARGETS["rtt_p99_ms"], "ms")
    if "recovery" in r:
        add("restart → every job of %d re-adopted (max)" % r["recovery"]["jobs"],
            r["recovery"]["all_readopted_s"]["max"], TARGETS["recovery_s"], "s")
    if "e2e" in r:
        add("conversion through v2vd / directly (medians)", r["e2e"]["ratio_of_medians"],
            TARGETS["e2e_ratio"], "")
    return out


def main():
    t_start = time.monotonic()
    result = {"machine": machine(), "targets": TARGETS}
    m = result["machine"]
    log("== machine: %d cores (%s), %d MiB, %s, kernel %s" % (m["cores"], m["cpu"], m["memory_mib"],
                                                            m["os"], m["kernel"]))
    log("   v2vd %s, gcc %s, %s, GLib %s, %s, %s, Python %s" % (
        m["v2vd"], m["gcc"], m["systemd"], m["glib"], m["dbus"], m["virt_v2v"], m["python"]))
    log("   load average at start: %s" % " ".join("%.2f" % x for x in m["loadavg_start"]))
    keep = os.environ.get("V2VD_BENCH_KEEP")     # a directory: the raw data stays there
    work = tempfile.mkdtemp(prefix="v2vd-bench.", dir=keep or None)
    try:
        if "latency" in ONLY:
            result["latency"] = bench_latency(work)
        if "load" in ONLY:
            result["load"] = [bench_load(work, 1, 15), bench_load(work, 50, 15),
                              bench_load(work, 200, 20, rtt=True)]
        if "recovery" in ONLY:
            result["recovery"] = bench_recovery(work)
        if "e2e" in ONLY:
            result["e2e"] = bench_e2e(work, int(os.environ.get("V2VD_BENCH_E2E_RUNS", "3")))
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    m["loadavg_end"] = loadavg()
    result["elapsed_s"] = round(time.monotonic() - t_start, 1)
    result["verdicts"] = verdicts(result)
    log("\n== summary (load average at start %s, at end %s; %.0f s)"
        % (" ".join("%.2f" % x for x in m["loadavg_start"]), " ".join("%.2f" % x for x in m["loadavg_end"]),
           result["elapsed_s"]))
    for v in result["verdicts"]:
        log("  %-4s %-55s %10.4g %-12s (target ≤ %g)" % ("met" if v["met"] else "MISS", v["figure"], v["value"],
                                                         v["unit"], v["target"]))
    out = os.environ.get("V2VD_BENCH_JSON") or os.path.join(os.getcwd(), "v2vd-bench.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    log("  JSON: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
