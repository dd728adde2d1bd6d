#!/usr/bin/python3
"""The metrics text (core/metrics.c, printed by `test-metrics --print`) read
by python3-prometheus-client's two parsers: OpenMetrics (what GetMetrics and
v2vctl metrics promise) and the Prometheus text format 0.0.4 (what
node_exporter's textfile collector reads). The families, their types and
a few values come out as written."""
import subprocess
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_parse
from prometheus_client.parser import text_string_to_metric_families as text_parse

text = subprocess.run([sys.argv[1], "--print"], capture_output=True, text=True, check=True).stdout
n = 0
failed = False


def check(ok, what):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
    failed |= not ok


for name, parse in (("openmetrics", openmetrics_parse), ("text 0.0.4", text_parse)):
    try:
        fams = {f.name: f for f in parse(text)}
    except Exception as e:  # noqa: BLE001 — a parse error is the failure
        check(False, "%s parser: %s" % (name, e))
        continue
    check(True, "%s parser reads the text (%d families)" % (name, len(fams)))
    # The 0.0.4 parser names a histogram family by its base name too.
    hist = fams.get("v2vd_job_duration_seconds")
    check(hist is not None and hist.type == "histogram", "%s: v2vd_job_duration_seconds is a histogram" % name)
    if hist:
        count = [s.value for s in hist.samples if s.name == "v2vd_job_duration_seconds_count"]
        inf = [s.value for s in hist.samples if s.name.endswith("_bucket") and s.labels.get("le") == "+Inf"]
        check(count == [3.0] and inf == [3.0], "%s: 3 finished jobs that ran (count %s, +Inf %s)" % (name, count, inf))
    jobs = fams.get("v2vd_jobs")
    by_state = {s.labels["state"]: s.value for s in jobs.samples} if jobs else {}
    check(by_state == {"queued": 1, "running": 1, "succeeded": 1, "failed": 2, "cancelled": 1},
          "%s: v2vd_jobs by state %s" % (name, by_state))
    prog = fams.get("v2vd_job_progress_ratio")
    vms = {s.labels["job"]: s.labels["vm"] for s in prog.samples} if prog else {}
    check(vms.get("2") == 'db "main"\\\nx', "%s: a VM name with quote, backslash, newline round-trips (%r)"
          % (name, vms.get("2")))
    failed_by = fams.get("v2vd_jobs_failed")
    reasons = {s.labels["reason"]: s.value for s in failed_by.samples} if failed_by else {}
    check(reasons == {"exit_1": 1, "unknown": 1}, "%s: failures by reason %s" % (name, reasons))
    for f in ("v2vd_jobs_queued", "v2vd_jobs_running", "v2vd_job_copied_bytes", "v2vd_job_disk_bytes",
              "v2vd_job_cpu_limit_ratio", "v2vd_job_network_limit_bytes_per_second", "v2vd_max_running_jobs",
              "v2vd_max_queued_jobs", "v2vd_default_cpu_limit_ratio", "v2vd_default_network_limit_bytes_per_second"):
        check(f in fams and fams[f].type == "gauge", "%s: %s is a gauge" % (name, f))

print("1..%d" % n)
sys.exit(1 if failed else 0)
