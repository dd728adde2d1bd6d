#!/usr/bin/env python3
"""The host-wide network budget, measured. In a network namespace and veth
pair of the test's own, two jobs without a limit of their own stream data
over TCP from their scopes: with [daemon] host_network=1 MB/s their total
at the receiver is 1 MB/s (+-25%); a third job limited to 4 MB/s adds
nothing beyond the budget; SetHostLimits network=2 MB/s raises the total to
2 MB/s; "unlimited" lifts it (more than 8 MB/s) and the budget's class and
rule are gone. Not parallel: measurements."""
import os
import subprocess
import time

from v2vdtest import run_test, call, log, make_image, wait_for, MANAGER_PATH, MANAGER_IFACE, JOB_IFACE, \
    get_property, job_path
from v2vdnet import egress_rig, check_rate, measure, nft_table, nft_table_exists, htb_classes, MB


def test(t):
    with egress_rig(t, "host") as (pair, name, rx):
        t.start_daemon(config={"egress_interfaces": pair.host_if, "throttle_name": name,
                               "host_network": str(MB), "max_running_jobs": 4})
        t.check_eq(get_property(MANAGER_PATH, MANAGER_IFACE, "HostNetworkLimit"), MB, "HostNetworkLimit")
        jobs = []
        for n in ("a", "b"):
            img = make_image(os.path.join(t.base, n), n, control={"step_delay": 0.02, "copy_seconds": 300,
                                                                  "send_tcp": rx.addr, "warnings": False})
            jobs.append(t.create_job(t.spec_disk(img, vm_name=n))[0])
        for j in jobs:
            t.wait_state(j, "running")
        wait_for(lambda: rx.total_at(time.time())[1] > 0, 30, "data at the receiver")
        table = nft_table(name)
        t.check("v2vd host budget" in table and "v2vd.slice" in table, "one nft rule for the slice", table)
        check_rate(t, rx, MB, "total egress of two unlimited jobs")

        img = make_image(os.path.join(t.base, "c"), "c", control={"step_delay": 0.02, "copy_seconds": 300,
                                                                  "send_tcp": rx.addr, "warnings": False})
        c = t.create_job(t.spec_disk(img, vm_name="c", throttling={"network": str(4 * MB)}))[0]
        jobs.append(c)
        t.wait_state(c, "running")
        wait_for(lambda: "v2vd job %s" % c in nft_table(name), 10, "the limited job's rule")
        check_rate(t, rx, MB, "total egress with a third job limited to 4 MB/s")

        call(MANAGER_PATH, MANAGER_IFACE, "SetHostLimits", "a{sv}", 1, "network", "s", str(2 * MB))
        t.check_eq(get_property(MANAGER_PATH, MANAGER_IFACE, "HostNetworkLimit"), 2 * MB, "HostNetworkLimit")
        check_rate(t, rx, 2 * MB, "total egress after SetHostLimits network=2 MB/s")

        call(MANAGER_PATH, MANAGER_IFACE, "SetHostLimits", "a{sv}", 1, "network", "s", "unlimited")
        got = measure(rx, 3, settle=1.5)
        log("  MEASURED total egress without a budget: %.1f MB/s" % (got / MB))
        t.check(got > 8 * MB, "no budget: more than 8 MB/s (%.1f MB/s)" % (got / MB))
        table = nft_table(name)
        t.check("v2vd host budget" not in table, "the slice's rule is gone", table)
        wait_for(lambda: len(htb_classes(pair.host_if)) == 1, 5, "only the limited job's class left: %s" % htb_classes(pair.host_if))
        t.note("only the limited job's class is left")
        for j in jobs:
            call(job_path(j), JOB_IFACE, "Cancel")
        for j in jobs:
            t.wait_finished(j, 60)
        wait_for(lambda: not nft_table_exists(name), 10, "the nft table removed")
        t.note("nft table gone after the jobs ended")


run_test(test)
