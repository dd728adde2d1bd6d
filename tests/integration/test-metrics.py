#!/usr/bin/python3
"""Metrics: metrics_file= written atomically at start, at once on
every state change and on Remove, at most every 5 s while only progress
moves; `v2vctl metrics` (Manager.GetMetrics) prints the same figures. Every
read is parsed with python3-prometheus-client's OpenMetrics parser and the
file also with its text-format (0.0.4) parser, as node_exporter reads it.
argv[1]: v2vctl."""
import os
import time

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_parse
from prometheus_client.parser import text_string_to_metric_families as text_parse

from v2vdtest import run_test, make_image, wait_for, call, JOB_IFACE
from test_v2vctl_common import ctl


def parse(text, both=False):
    """{(sample name, frozenset(labels)): value}."""
    out = {}
    for fam in openmetrics_parse(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    if both:
        plain = {}
        for fam in text_parse(text):
            for s in fam.samples:
                plain[(s.name, frozenset(s.labels.items()))] = s.value
        if plain != out:
            raise AssertionError("the text-format parser reads other samples: %s" % (set(plain) ^ set(out)))
    return out


def v(m, name, **labels):
    return m.get((name, frozenset(labels.items())))


def test(t):
    textdir = os.path.join(t.base, "textfile")
    os.makedirs(textdir)
    prom = os.path.join(textdir, "v2vd.prom")
    d = t.start_daemon(config={"max_running_jobs": 1, "metrics_file": prom})

    def read():
        with open(prom) as f:
            return parse(f.read(), both=True)

    m = wait_for(lambda: os.path.exists(prom) and read(), 5, "metrics_file written at start")
    t.check_eq([v(m, "v2vd_jobs", state=s) for s in ("queued", "running", "succeeded", "failed", "cancelled")],
               [0] * 5, "no jobs yet")
    t.check_eq((v(m, "v2vd_max_running_jobs"), v(m, "v2vd_max_queued_jobs")), (1, 10000), "the limits in force")
    t.check_eq(oct(os.stat(prom).st_mode & 0o777), "0o644", "metrics_file mode")

    imgs = os.path.join(t.base, "imgs")
    slow = make_image(imgs, "slow", {"step_delay": 0.05, "copy_seconds": 12})
    bad = make_image(imgs, "bad", {"step_delay": 0.02, "fail_at": "Copying disk 1/1"})
    quick = make_image(imgs, "quick", {"step_delay": 0.02, "copy_seconds": 0.2})
    j1, p1 = t.create_job(t.spec_disk(slow, vm_name="slowvm"))
    j2, _ = t.create_job(t.spec_disk(bad, vm_name="badvm"))
    j3, p3 = t.create_job(t.spec_disk(quick, vm_name="quickvm"))
    t.wait_state(j1, "running")
    m = wait_for(lambda: (lambda m: m if v(m, "v2vd_jobs_running") == 1 and v(m, "v2vd_jobs_queued") == 2 else None)(read()),
                 2, "metrics_file: 1 running, 2 queued within 2 s")
    t.check_eq(v(m, "v2vd_jobs", state="queued"), 2, "v2vd_jobs{state=queued}")
    t.check_eq(v(m, "v2vd_job_disk_bytes", job=j1, vm="slowvm"), 10 * 1024 * 1024, "the running job's disk bytes")

    # While only progress moves: the file follows, but at most every 5 s.
    wait_for(lambda: t.prop(j1, "Phase").startswith("Copying disk 1/1"), 15, "slowvm copying")
    inodes, seen, ratios = [], [], []
    end = time.monotonic() + 7
    while time.monotonic() < end:
        st = os.stat(prom)
        if not inodes or inodes[-1] != st.st_ino:
            inodes.append(st.st_ino)
            mm = read()             # every version parses: the file is replaced whole
            seen.append(mm)
            ratios.append(v(mm, "v2vd_job_progress_ratio", job=j1, vm="slowvm"))
        time.sleep(0.05)
    t.check(2 <= len(inodes) <= 3, "7 s of copying: the file replaced 2 or 3 times, not more (%d)" % len(inodes),
            ratios)
    t.check(ratios[-1] > ratios[0] and 0 < ratios[-1] < 1, "progress moves in the file: %s" % ratios)
    copied = v(seen[-1], "v2vd_job_copied_bytes", job=j1, vm="slowvm")
    t.check(0 < copied < 10 * 1024 * 1024, "bytes copied so far: %s" % copied)

    # A state change is in the file at once.
    call(p1, JOB_IFACE, "Cancel")
    t.wait_finished(j1)
    t0 = time.monotonic()
    # "At once": well before the 5 s of a progress-only write, even on a loaded machine.
    wait_for(lambda: v(read(), "v2vd_jobs", state="cancelled") == 1, 3, "the cancel in metrics_file within 3 s")
    t.note("the cancel reached the file %.2f s after the state" % (time.monotonic() - t0))
    t.wait_finished(j2)
    t.wait_finished(j3)
    m = wait_for(lambda: (lambda m: m if v(m, "v2vd_jobs", state="succeeded") == 1 else None)(read()), 2,
                 "all three ended in metrics_file")
    t.check_eq([v(m, "v2vd_jobs", state=s) for s in ("queued", "running", "succeeded", "failed", "cancelled")],
               [0, 0, 1, 1, 1], "jobs by state at the end")
    t.check_eq(v(m, "v2vd_jobs_failed", reason="exit_1"), 1, "the failure's reason: virt-v2v's exit status")
    t.check_eq(v(m, "v2vd_job_duration_seconds_count"), 3, "three durations in the histogram")
    t.check_eq(v(m, "v2vd_job_progress_ratio", job=j3, vm="quickvm"), 1, "the succeeded job's progress")
    t.check_eq(v(m, "v2vd_job_copied_bytes", job=j3, vm="quickvm"), 10 * 1024 * 1024, "its bytes copied")

    # v2vctl metrics: the daemon's text, the same figures as the file now.
    r = ctl("metrics")
    t.check(r.rc == 0 and r.out.endswith("# EOF\n"), "v2vctl metrics exits 0, OpenMetrics text", r)
    t.check_eq(parse(r.out), read(), "v2vctl metrics == metrics_file")

    # Remove: the job leaves the figures at once.
    call(p3, JOB_IFACE, "Remove")
    wait_for(lambda: v(read(), "v2vd_jobs", state="succeeded") == 0, 2, "the removed job gone from metrics_file")
    t.check(v(read(), "v2vd_job_progress_ratio", job=j3, vm="quickvm") is None, "no series of the removed job")
    leftovers = [f for f in os.listdir(textdir) if f != "v2vd.prom"]
    t.check_eq(leftovers, [], "no temporary file left in the textfile directory")
    t.check("metrics_file" not in d.stderr(), "no metrics_file warning", d.stderr()[-2000:])
    t.assert_no_leftovers()


run_test(test)
