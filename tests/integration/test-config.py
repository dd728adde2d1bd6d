#!/usr/bin/env python3
"""v2vd.conf: a bad value stops the daemon at start-up with an error that
names the file and the key; progress_interval_ms sets how often a job's
progress is signalled (here 1000 ms: at most one Progress signal a second,
plus what a state change sends at once), and the job still reaches 100 %.
An unknown key or section is a warning with file, line and key at start (the
daemon runs); `v2vd --check-config` prints every problem and exits 1 on any,
0 on a clean file."""
import os
import subprocess

from v2vdtest import run_test, Daemon, make_image


BAD = [
    ({"progress_interval_ms": 50}, "progress_interval_ms"),
    ({"progress_interval_ms": "often"}, "progress_interval_ms"),
    ({"max_running_jobs": 0}, "max_running_jobs"),
]


def test(t):
    for i, (cfg, key) in enumerate(BAD):
        d = Daemon(os.path.join(t.base, "bad-%d" % i), config=cfg)
        r = subprocess.run(d.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=d.env, timeout=30)
        t.check(r.returncode != 0, "%s: v2vd refuses to start (exit %d)" % (cfg, r.returncode), r.stdout)
        t.check(d.config_path in r.stdout and key in r.stdout,
                "%s: the error names %s and %s" % (cfg, d.config_path, key), r.stdout)

    # Unknown keys and sections: named with file and line, at start and by --check-config.
    d = Daemon(os.path.join(t.base, "unknown"), config={"max_running_jobs_per_sorce": 1})
    with open(d.config_path, "a") as f:
        f.write("[deamon]\nmax_running_jobs=1\n")
    with open(d.config_path) as f:
        lines = f.read().splitlines()
    key_line = lines.index("max_running_jobs_per_sorce=1") + 1
    sect_line = lines.index("[deamon]") + 1
    want = ['%s:%d: unknown key "max_running_jobs_per_sorce" in section [daemon]' % (d.config_path, key_line),
            "%s:%d: unknown section [deamon]" % (d.config_path, sect_line)]
    r = subprocess.run([d.binary, "--check-config", "--config", d.config_path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    t.check(r.returncode == 1 and all(w in r.stdout for w in want),
            "--check-config names both problems with file and line and exits 1 (exit %d)" % r.returncode, r.stdout)
    d.start()
    d.stop()
    t.check(all(w in d.stderr() for w in want), "the daemon starts and warns about both, with file and line",
            d.stderr()[-2000:])
    r = subprocess.run([d.binary, "--check-config", "--config", os.path.join(t.base, "bad-0", "v2vd.conf")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    t.check(r.returncode == 1 and "progress_interval_ms" in r.stdout, "--check-config: a bad value, exit 1",
            r.stdout)
    good = Daemon(os.path.join(t.base, "good"), config={"max_running_jobs": 2})
    r = subprocess.run([good.binary, "--check-config", "--config", good.config_path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    t.check(r.returncode == 0 and "no problems" in r.stdout, "--check-config: a clean file, exit 0", r.stdout)

    t.start_daemon(config={"progress_interval_ms": 1000})
    mon = t.monitor
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.02, "copy_seconds": 4})
    job_id, path = t.create_job(t.spec_disk(img))
    t.wait_finished(job_id, timeout=60)
    t.check_eq(t.prop(job_id, "State"), "succeeded", "the job succeeded")
    prog = mon.prop_changes(path, "Progress")
    vals = [v for _, v in prog]
    times = [ts for ts, _ in prog]
    t.check(vals and vals[-1] == 100.0 and len(set(vals)) >= 3, "Progress rises to 100 through several values", vals)
    worst = max(sum(1 for x in times if s <= x < s + 1.0) for s in times)
    t.check(worst <= 2, "at most %d Progress signals in any 1 s window (≤ 1 + a state change's)" % worst, times)
    span = times[-1] - times[0]
    # With the default 500 ms there would be about twice as many.
    t.check(span >= 3 and len(times) <= span + 3, "%d Progress signals over %.1f s" % (len(times), span), times)
    t.assert_no_leftovers()


run_test(test)
