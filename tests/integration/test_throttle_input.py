#!/usr/bin/env python3
"""Input-side throttling, measured: a VMware-over-SSH job (a network input,
so the daemon passes --bandwidth-file) whose fake virt-v2v copies its source
the way 2.2.0 copies a network input, through `nbdkit --filter=rate
rate-file=<the job's bandwidth file>` (nbd_input), so the daemon's bandwidth
file is what limits it. Held to 1 MB/s (+-25%), 4 MB/s after SetThrottling,
unlimited after "unlimited" (the rest of the copy goes at once). Not
parallel: measurements."""
import json
import os
import time

from v2vdtest import run_test, call, log, wait_for, JOB_IFACE
from v2vdnet import RateLog, measure

MB = 1048576
SIZE = 96 * MB


def set_network(path, value):
    call(path, JOB_IFACE, "SetThrottling", "a{sv}", 1, "network", "s", value)


def bandwidth_file(d, jid):
    with open(os.path.join(d.job_dir(jid), "bandwidth")) as f:
        return f.read().strip()


def check_rate(t, rl, limit, what, seconds=4, settle=2.5):
    # The rate filter's bucket lets a burst through and reads the file again
    # about once a second: settle first.
    got = measure(rl, seconds, settle=settle)
    log("  MEASURED input %s: %.3f MB/s (limit %.3f MB/s, %+.1f%%)"
        % (what, got / MB, limit / MB, (got / limit - 1) * 100))
    t.check(0.75 * limit <= got <= 1.25 * limit, "input %s within 25%% of %d B/s (%.0f B/s)" % (what, limit, got))


def test(t):
    rate_log = os.path.join(t.base, "input.rate")
    fake = {"step_delay": 0.02, "nbd_input": True, "nbd_size": SIZE, "warnings": False, "nbd_rate_log": rate_log}
    d = t.start_daemon(environment={"FAKE_V2V_DEFAULTS": json.dumps(fake)})
    rl = RateLog(rate_log)
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    jid, path = t.create_job({"vm_name": "guest", "transport_method": "ssh",
                              "vmware_uri": "ssh://root@esx.invalid/vmfs/volumes/ds1/guest/guest.vmx",
                              "output_dir": out, "throttling": {"network": str(MB)}})
    t.wait_state(jid, "running")
    argv = [a for a in open("/proc/%d/cmdline" % t.prop(jid, "PID")).read().split("\0")] \
        if wait_for(lambda: t.prop(jid, "PID"), 10, "virt-v2v's pid") else []
    t.check("--bandwidth-file" in argv and os.path.join(d.job_dir(jid), "bandwidth") in argv,
            "virt-v2v got --bandwidth-file <job dir>/bandwidth", argv)
    t.check_eq(bandwidth_file(d, jid), str(MB * 8), "bandwidth file (bits/s)")
    wait_for(lambda: rl.last()[1] > 0, 30, "the nbdkit copy to start")

    check_rate(t, rl, MB, "1 MB/s")

    set_network(path, str(4 * MB))
    t.check_eq(bandwidth_file(d, jid), str(4 * MB * 8), "bandwidth file follows SetThrottling")
    check_rate(t, rl, 4 * MB, "4 MB/s")

    set_network(path, "unlimited")
    t0 = time.time()
    left = SIZE - rl.total_at(t0)[1]
    t.check_eq(bandwidth_file(d, jid), "0", "bandwidth file 0 = unlimited")
    wait_for(lambda: rl.last()[1] >= SIZE, 30, "the copy to finish")
    took = rl.last()[0] - t0
    got = left / took
    log("  MEASURED input unlimited: the last %.1f MB took %.2f s: %.1f MB/s" % (left / MB, took, got / MB))
    t.check(got > 3 * 4 * MB, "unlimited: more than 3x the old 4 MB/s limit (%.1f MB/s)" % (got / MB))
    t.check_eq(t.wait_finished(jid, 60), "succeeded", "job succeeded")


run_test(test)
