#!/usr/bin/env python3
"""A job writing its log fast cannot make bus calls wait: the
daemon reads at most 1 MiB of a log per event-loop turn and the rest on
later turns at idle priority. A virt-v2v stand-in writes 400 MB of lines
at 100 MB/s while ListJobs is timed from a raw bus connection, until the
job has ended. Printed: the p50/p99 of
ListJobs before and during the flood and the write rate; checked: p99 during
the flood ≤ 250 ms (the issue's target is 10 ms on an unloaded machine,
measured 7 ms there; the test allows for the writer itself and six builds
sharing two cores, where the scheduler alone costs tens of ms) the job succeeds, and
v2v.log stays under max_log_size= (64 MiB here), its oldest part replaced by
a marker line."""
import os
import time

import minibus
from v2vdtest import run_test, call, log, make_image, MANAGER_PATH, MANAGER_IFACE, BUS_NAME

RATE = 100 * 1000 * 1000      # bytes/s, the figure
FLOOD_BYTES = 4 * RATE        # four seconds of it
MAX_LOG = 64 * 1024 * 1024    # max_log_size=
SCRIPT = """#!/usr/bin/python3
import sys, time
args = " ".join(sys.argv[1:])
if "--version" in args:
    print("virt-v2v 2.2.0"); sys.exit(0)
if args == "--machine-readable":
    print("virt-v2v-2.0\\ninput:disk\\noutput:local"); sys.exit(0)
out = sys.stdout.buffer
out.write(b"[   0.0] Setting up the source: -i disk\\n"); out.flush()
line = b"[   1.0] a line of a job that writes its log very fast, about a hundred bytes, over and over..\\n"
chunk = line * (1024 * 1024 // len(line))
start, sent = time.monotonic(), 0
while sent < %d:
    out.write(chunk); out.flush()
    sent += len(chunk)
    ahead = sent / %d - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
out.write(b"[   5.0] Finishing off\\n")
""" % (FLOOD_BYTES, RATE)


def timed_list_jobs(conn, n, pause=0.01):
    out = []
    for _ in range(n):
        t0 = time.monotonic()
        conn.call(BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "ListJobs")
        out.append((time.monotonic() - t0) * 1000)
        time.sleep(pause)
    return sorted(out)


def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p))]


def test(t):
    fake = os.path.join(t.base, "flood-v2v")
    with open(fake, "w") as f:
        f.write(SCRIPT)
    os.chmod(fake, 0o755)
    d = t.start_daemon(config={"virt_v2v": fake, "max_log_size": MAX_LOG}, env={"V2VD_VIRT_V2V": fake})
    img = make_image(os.path.join(t.base, "img"))
    conn = minibus.Connection(timeout=30)
    before = timed_list_jobs(conn, 50)
    job_id, _ = t.create_job(t.spec_disk(img))
    t.wait_state(job_id, "running", timeout=30)
    log_path = os.path.join(d.job_dir(job_id), "v2v.log")
    t0 = time.monotonic()
    during = []
    # Timed while virt-v2v writes and until the job has ended (its last
    # read included).
    while time.monotonic() - t0 < 90 and t.prop(job_id, "State") == "running":
        during += timed_list_jobs(conn, 20)
    elapsed = time.monotonic() - t0
    size = os.path.getsize(log_path)
    during.sort()
    t.check_eq(t.wait_finished(job_id, timeout=120), "succeeded", "the flooding job")
    conn.close()
    log("  FIGURES: ListJobs p50/p99 %.2f/%.2f ms before, %.2f/%.2f ms during %d calls while the job wrote "
        "%.0f MB at %.0f MB/s" % (pct(before, 0.5), pct(before, 0.99), pct(during, 0.5), pct(during, 0.99),
                                  len(during), FLOOD_BYTES / 1e6, FLOOD_BYTES / 1e6 / max(elapsed, 0.001)))
    # max_log_size=: the oldest part dropped, a marker in its place, the end kept.
    with open(log_path, "rb") as f:
        head = f.read(200)
        f.seek(max(0, size - 4096))
        tail = f.read()
    t.check(size <= MAX_LOG + 8 * 1024 * 1024, "v2v.log capped: %d bytes for %d written (max_log_size=%d)"
            % (size, FLOOD_BYTES, MAX_LOG))
    t.check(head.startswith(b"[v2vd: ") and b"dropped" in head, "the log starts with the marker", head[:120])
    t.check(b"Finishing off" in tail, "the log's end is kept")
    t.check(len(during) >= 20, "ListJobs timed while the log grew (%d calls)" % len(during))
    t.check(pct(during, 0.99) <= 250, "ListJobs p99 during the flood %.1f ms ≤ 250 ms" % pct(during, 0.99))


run_test(test)
