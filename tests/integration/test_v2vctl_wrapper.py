#!/usr/bin/env python3
"""v2vctl wrapper as a drop-in for virt-v2v-wrapper: the wrapper's JSON on
stdin, {"wrapper_log", "v2v_log", "state_file", "throttling_file"} on stdout
and exit 0; then the caller's side, as ManageIQ did it: poll the state file
until "finished", write the throttling file while it runs (applied, then
deleted), and tell failure by the presence of "failed"."""
import json
import os
import time

from v2vdtest import run_test, wait_for, make_image, TestFailure
from test_v2vctl_common import ctl, ok, fails


def read_state(path):
    with open(path) as f:
        return json.load(f)


def poll_state(path, pred, timeout, what):
    """What a wrapper caller does: read the state file every so often."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = read_state(path)
            if pred(last):
                return last
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise TestFailure("timed out waiting for %s in %s; last: %s" % (what, path, last))


def test(t):
    t.start_daemon()
    img = make_image(os.path.join(t.base, "img"), "guest", control={"step_delay": 0.02, "copy_seconds": 6})
    out_dir = os.path.join(t.base, "out")
    os.makedirs(out_dir)
    wrapper_input = {
        "vm_name": "guest",
        "disk": [img],
        "output_dir": out_dir,
        "output_format": "raw",
        "daemonize": True,          # the wrapper's own key: accepted, not used
        "throttling": {"cpu": "80%"},
    }
    r = ok(t, ctl("wrapper", stdin=json.dumps(wrapper_input)), "wrapper < input.json")
    paths = r.json()
    t.check_eq(sorted(paths), ["state_file", "throttling_file", "v2v_log", "wrapper_log"], "the wrapper's keys")
    t.check(len(r.out.strip().splitlines()) == 1, "one line of JSON, as the wrapper printed", r.out)
    for k, v in paths.items():
        t.check(os.path.isabs(v), "%s is an absolute path" % k, v)
    job_dir = os.path.dirname(paths["state_file"])
    job_id = os.path.basename(job_dir)
    t.jobs.append(job_id)
    t.check_eq(os.path.dirname(paths["throttling_file"]), job_dir, "throttling file next to the state file")

    st = poll_state(paths["state_file"], lambda s: s.get("started") and s.get("disks")
                    and s["disks"][0].get("progress", 0) > 0, 30, "started and copying")
    t.check(st.get("pid", 0) > 0, "state file has virt-v2v's pid", st)
    t.check_eq(st.get("throttling", {}).get("cpu"), "80%", "throttling from the input")
    t.check("finished" not in st or st["finished"] is False, "not finished yet", st)

    # the caller throttles by writing the file
    with open(paths["throttling_file"] + ".tmp", "w") as f:
        json.dump({"cpu": "50%", "network": "1048576"}, f)
    os.rename(paths["throttling_file"] + ".tmp", paths["throttling_file"])
    wait_for(lambda: not os.path.exists(paths["throttling_file"]), 10, "throttling file consumed")
    t.note("the daemon consumed the throttling file")
    st = poll_state(paths["state_file"], lambda s: s.get("throttling", {}).get("cpu") == "50%", 10,
                    "throttling in the state file")
    t.check_eq(str(st["throttling"].get("network")), "1048576", "network limit in the state file")
    t.check_eq(t.prop(job_id, "CPULimit"), "50%", "CPULimit on the bus")

    st = poll_state(paths["state_file"], lambda s: s.get("finished"), 60, "finished")
    t.check("failed" not in st, "no \"failed\" key: it succeeded", st)
    t.check_eq(st.get("return_code"), 0, "return_code")
    t.check_eq(st["disks"][0]["progress"], 100.0, "disk at 100%")
    with open(paths["v2v_log"]) as f:
        t.check("Finishing off" in f.read(), "v2v_log has virt-v2v's output")
    t.check(os.path.getsize(paths["wrapper_log"]) > 0, "wrapper_log (machine-readable log) is not empty")
    t.check(os.path.exists(os.path.join(out_dir, "guest-sda")), "the converted disk is there")

    # a failing conversion: "failed": true
    img2 = make_image(os.path.join(t.base, "img2"), "bad", control={"step_delay": 0.02, "fail_at": "Opening the source"})
    r = ok(t, ctl("wrapper", stdin=json.dumps({"vm_name": "bad", "disk": [img2], "output_dir": out_dir})),
           "wrapper with a conversion that fails")
    paths = r.json()
    t.jobs.append(os.path.basename(os.path.dirname(paths["state_file"])))
    st = poll_state(paths["state_file"], lambda s: s.get("finished"), 30, "finished")
    t.check(st.get("failed") is True, "\"failed\": true", st)
    t.check_eq(st.get("last_message", {}).get("type"), "error", "last_message is the error")

    # bad input: no output, the daemon's message, non-zero
    r = fails(t, ctl("wrapper", stdin=json.dumps({"vm_name": "x"})), 6, "wrapper with bad input", "standard input")
    t.check_eq(r.out, "", "nothing on stdout")
    t.assert_no_leftovers()


run_test(test)
