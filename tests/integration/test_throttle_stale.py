#!/usr/bin/env python3
"""Egress shaping leaves nothing behind: the nft table, HTB qdisc and class
of a job are gone when it ends by itself; a daemon restarted while a shaped
job runs keeps exactly that job's rule; a daemon restarted after the job's
scope ended while it was down removes the stale rule and class at start.
Where egress cannot be shaped (here: an egress interface that does not
exist) the job still runs, limited on the input side, and LastMessage says
what could not be applied."""
import os
import subprocess
import time

from v2vdtest import run_test, call, make_image, wait_for, JOB_IFACE, scope_name
from v2vdnet import NetPair, nft_table, nft_table_exists, root_qdisc, htb_classes

MB = 1048576


def shaped(pair, name, jid):
    return ("v2vd job %s\"" % jid) in nft_table(name) and root_qdisc(pair.host_if).startswith("qdisc htb") \
        and len(htb_classes(pair.host_if)) == 1


def clean(pair, name):
    return not nft_table_exists(name) and not root_qdisc(pair.host_if).startswith("qdisc htb") \
        and not htb_classes(pair.host_if)


def test(t):
    pair = NetPair()
    name = "v2vdt_stale_%d" % os.getpid()
    pair.nft_tables.append(name)
    try:
        d = t.start_daemon(config={"egress_interfaces": pair.host_if, "throttle_name": name})
        # 1. A job that ends by itself.
        img = make_image(os.path.join(t.base, "a"), "a", control={"step_delay": 0.02, "copy_seconds": 3})
        jid, path = t.create_job(t.spec_disk(img, vm_name="a", throttling={"network": str(MB)}))
        wait_for(lambda: shaped(pair, name, jid), 20, "job %s shaped" % jid)
        t.note("job %s: rule, qdisc and class in place while it runs" % jid)
        t.check_eq(t.wait_finished(jid, 60), "succeeded", "job %s succeeded" % jid)
        wait_for(lambda: clean(pair, name), 5, "shaping removed")
        t.note("job ended: nft table, HTB qdisc and class gone")

        # 2. Restart while a shaped job runs: its rule survives, alone.
        img = make_image(os.path.join(t.base, "b"), "b", control={"step_delay": 0.02, "copy_seconds": 300})
        jid, path = t.create_job(t.spec_disk(img, vm_name="b", throttling={"network": str(MB)}))
        wait_for(lambda: shaped(pair, name, jid), 20, "job %s shaped" % jid)
        before = nft_table(name)
        d.kill9()
        d.start()
        t.wait_state(jid, "running")
        time.sleep(0.5)
        t.check(shaped(pair, name, jid), "after a restart the running job is still shaped", nft_table(name))
        t.check_eq(nft_table(name).count("meta priority set"), 1, "exactly one rule")
        t.check_eq(nft_table(name), before, "the same rule as before the restart")

        # 3. The scope ends while the daemon is down: stale rule removed at start.
        d.kill9()
        subprocess.run(["systemctl", "--user", "kill", "--signal=SIGKILL", scope_name(jid)], check=False)
        subprocess.run(["systemctl", "--user", "stop", scope_name(jid)], check=False)
        time.sleep(0.5)
        t.check(shaped(pair, name, jid), "while the daemon is down the stale rule is still there")
        d.start()
        t.check(t.wait_finished(jid, 30) in ("failed", "cancelled"), "the job is concluded at start")
        wait_for(lambda: clean(pair, name), 5, "stale shaping removed at start")
        t.note("restart after the job ended: nft table, HTB qdisc and class gone")
        d.stop()

        # 4. Egress that cannot be shaped: the job runs, LastMessage says so.
        t.daemon = None
        d2 = t.start_daemon(config={"egress_interfaces": "v2vnone%d" % (os.getpid() % 10000),
                                    "throttle_name": name})
        img = make_image(os.path.join(t.base, "c"), "c", control={"step_delay": 0.02, "copy_seconds": 300,
                                                                  "warnings": False})
        jid, path = t.create_job(t.spec_disk(img, vm_name="c", throttling={"network": str(MB)}))
        t.wait_state(jid, "running")
        wait_for(lambda: t.prop(jid, "Phase") == "Copying disk 1/1", 30, "the copy")
        call(path, JOB_IFACE, "SetThrottling", "a{sv}", 1, "network", "s", str(2 * MB))
        kind, text = t.prop(jid, "LastMessage")
        t.check(kind == "warning" and "input side only" in text and "v2vnone" in text,
                "LastMessage says egress was not shaped and why", (kind, text))
        t.check_eq(t.prop(jid, "State"), "running", "the job still runs")
        with open(os.path.join(d2.job_dir(jid), "bandwidth")) as f:
            t.check_eq(f.read().strip(), str(2 * MB * 8), "the input side is limited (bandwidth file)")
        call(path, JOB_IFACE, "Cancel")
        t.wait_finished(jid, 60)
        t.check(not nft_table_exists(name), "no nft table left")
        t.assert_no_leftovers()
    finally:
        pair.close()
    t.check(not pair.leftovers(), "no netns or veth left", pair.leftovers())
    t.check(not nft_table_exists(name), "no nft table left")


run_test(test)
