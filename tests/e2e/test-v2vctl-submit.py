#!/usr/bin/env python3
"""e2e, the client's acceptance: `v2vctl submit job.json --wait` on a
terminal converts the real guest with the real virt-v2v 2.2 through v2vd,
draws a live progress display while it runs, and exits 0.

argv[1] is the v2vctl binary (meson passes it). The guest image as in
test-convert.py ($V2VD_GUEST_IMAGE or tests/fixtures/build-guest.sh)."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))

from test_v2vctl_common import PtyRun              # noqa: E402
from v2vdtest import run_test, log                  # noqa: E402
from v2vdfixtures import v2v_environment, guest_image  # noqa: E402

# meson test → (input, output) it converts: v2vd.job(5)'s PATHS table.
PATHS = {"v2vctl-submit-wait": ("disk", "local")}

HERE = os.path.dirname(os.path.abspath(__file__))


def test(t):
    img = guest_image()
    log("  guest image %s" % img)
    t.start_daemon(config={"virt_v2v": "virt-v2v"},
                   environment=v2v_environment(),
                   env={"V2VD_VIRT_V2V": None})
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    job = os.path.join(t.base, "job.json")
    with open(job, "w") as f:
        json.dump({"vm_name": "guest", "disk": [img], "output_dir": out, "output_format": "qcow2"}, f)

    p = PtyRun("submit", job, "--wait", columns=100)
    rc = p.wait(timeout=1100)
    text = p.text()
    log("  last screen:\n" + "\n".join("    " + l for l in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
                                                   .replace("\r", "\n").splitlines()[-6:]))
    t.check_eq(rc, 0, "v2vctl submit --wait exit status")
    t.check("\x1b[" in text, "the display is redrawn in place (terminal control sequences)")
    t.check("Copying disk 1/1" in text, "the copy phase was shown")
    percents = sorted({float(x) for x in re.findall(r"(\d+(?:\.\d)?)%", text)})
    t.check(len(percents) >= 3 and percents[-1] == 100.0, "progress shown at several values up to 100%%", percents)
    t.check(re.search(r"succeeded", text) is not None, "it says the job succeeded")
    t.check(os.path.exists(os.path.join(out, "guest-sda")) and os.path.exists(os.path.join(out, "guest.xml")),
            "guest-sda and guest.xml written", os.listdir(out))
    t.assert_no_leftovers()


run_test(test)
