#!/usr/bin/env python3
"""Egress shaping, measured. In a network namespace and veth pair of the
test's own, a job whose fake virt-v2v streams data over TCP (from inside its
scope) to a receiver in the namespace is held to 1 MB/s (+-25%) by the spec's
throttling.network, rises to 4 MB/s after SetThrottling, is unlimited after
"unlimited" (the table and qdisc go away), follows a throttling.json
({"network": "2097152"}, the file round trip), and everything (nft table,
HTB qdisc and classes) is gone once the job ends. The bandwidth file (input
side) follows each change in bits per second. Not parallel: measurements."""
import json
import os
import time

from v2vdtest import run_test, call, log, make_image, wait_for, job_path, JOB_IFACE
from v2vdnet import egress_rig, check_rate, measure, nft_table, nft_table_exists, root_qdisc, htb_classes, MB


def set_network(path, value):
    call(path, JOB_IFACE, "SetThrottling", "a{sv}", 1, "network", "s", value)


def bandwidth_file(d, jid):
    with open(os.path.join(d.job_dir(jid), "bandwidth")) as f:
        return f.read().strip()


def test(t):
    with egress_rig(t, "egress") as (pair, name, rx):
        d = t.start_daemon(config={"egress_interfaces": pair.host_if, "throttle_name": name})
        img = make_image(os.path.join(t.base, "img"), "net",
                         control={"step_delay": 0.02, "copy_seconds": 300, "send_tcp": rx.addr, "warnings": False})
        jid, path = t.create_job(t.spec_disk(img, throttling={"network": str(MB)}))
        t.wait_state(jid, "running")
        wait_for(lambda: rx.total_at(time.time())[1] > 0, 30, "data at the receiver")
        table = nft_table(name)
        t.check("socket cgroupv2 level" in table and "v2vd job %s" % jid in table
                and "v2vd-job-%s.scope" % jid in table, "nft rule keyed on the scope's cgroup", table)
        t.check(root_qdisc(pair.host_if).startswith("qdisc htb"), "HTB root qdisc on %s" % pair.host_if,
                root_qdisc(pair.host_if))
        t.check_eq(len(htb_classes(pair.host_if)), 1, "one HTB class")
        t.check_eq(bandwidth_file(d, jid), str(MB * 8), "bandwidth file (bits/s)")

        check_rate(t, rx, MB, "egress 1 MB/s")

        set_network(path, str(4 * MB))
        t.check_eq(t.prop(jid, "NetworkLimit"), 4 * MB, "NetworkLimit after SetThrottling")
        t.check_eq(bandwidth_file(d, jid), str(4 * MB * 8), "bandwidth file follows")
        check_rate(t, rx, 4 * MB, "egress 4 MB/s")

        set_network(path, "unlimited")
        got = measure(rx, 3, settle=1.0)
        log("  MEASURED egress unlimited: %.1f MB/s" % (got / MB))
        t.check(got > 4 * 4 * MB, "unlimited: more than 4x the old 4 MB/s limit (%.1f MB/s)" % (got / MB))
        t.check(not nft_table_exists(name), "no nft table while nothing is shaped")
        t.check(not root_qdisc(pair.host_if).startswith("qdisc htb"), "no HTB qdisc while nothing is shaped",
                root_qdisc(pair.host_if))
        t.check_eq(bandwidth_file(d, jid), "0", "bandwidth file 0 = unlimited")

        # The throttling file: merged (cpu untouched), applied at once, deleted.
        tf = os.path.join(d.job_dir(jid), "throttling.json")
        with open(tf + ".tmp", "w") as f:
            json.dump({"network": str(2 * MB)}, f)
        os.rename(tf + ".tmp", tf)
        wait_for(lambda: not os.path.exists(tf) and t.prop(jid, "NetworkLimit") == 2 * MB, 5,
                 "throttling.json applied and deleted")
        t.note("throttling.json applied and deleted")
        wait_for(lambda: d.state(jid)["throttling"]["network"] == str(2 * MB), 3, "state.json throttling.network")
        t.note("state.json throttling.network == \"%d\"" % (2 * MB))
        check_rate(t, rx, 2 * MB, "egress 2 MB/s (throttling.json)")

        call(path, JOB_IFACE, "Cancel")
        t.check_eq(t.wait_finished(jid, 60), "cancelled", "job cancelled")
        wait_for(lambda: not nft_table_exists(name), 5, "the nft table removed")
        t.note("nft table gone after the job ended")
        t.check(not root_qdisc(pair.host_if).startswith("qdisc htb") and not htb_classes(pair.host_if),
                "HTB qdisc and classes gone after the job ended", root_qdisc(pair.host_if))
        t.assert_no_leftovers()


run_test(test)
