#!/usr/bin/env python3
"""The fake virt-v2v prints what the real 2.2.0 printed (tests/data): same
messages in the same order and formats, same machine-readable JSON line
format, \\r-terminated nbdcopy bars, the same output XML (paths changed), the
real capability list; errors and SIGTERM like the real one."""
import json
import os
import re
import signal
import subprocess
import time

from v2vdtest import run_test, env_path, make_image

MACHINE_RE = re.compile(r'^\{ "message": (".*"), "timestamp": "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+00:00)", "type": "(message|info|warning|error)" \}$')
STAMP_RE = re.compile(r"^\[ *\d+\.\d\] (.*)$")
BAR_RE = re.compile(r"^(.) +(\d+)% \[(\**)(-*)\]$")


def machine(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            m = MACHINE_RE.match(line)
            assert m, "bad machine line: %r" % line
            out.append((m.group(3), json.loads(m.group(1))))
    return out


def log_shape(data):
    """v2v.log bytes → list of ('stamp', msg) / ('bar', pct, end) / ('text', line)."""
    text = data.decode("utf-8")
    out = []
    for piece in re.split(r"(\r|\n)", text):
        pass
    # tokenise keeping terminators
    for m in re.finditer(r"([^\r\n]*)(\r|\n)", text):
        line, end = m.group(1), m.group(2)
        s = STAMP_RE.match(line)
        b = BAR_RE.match(line)
        if s and end == "\n":
            out.append(("stamp", s.group(1)))
        elif b:
            assert len(b.group(3)) + len(b.group(4)) == 40, line
            out.append(("bar", int(b.group(2)), end))
        else:
            out.append(("text", line))
    return out


def test(t):
    fake = env_path("V2VD_FAKE_V2V")
    data = env_path("V2VD_TEST_DATA")
    with open(fake) as f:
        t.check_eq(f.readline().strip(), "#!/usr/bin/python3", "fake's interpreter line")

    p = subprocess.run([fake, "--version"], capture_output=True, text=True)
    t.check_eq((p.returncode, p.stdout), (0, "virt-v2v 2.2.0\n"), "--version")
    p = subprocess.run([fake, "--machine-readable"], capture_output=True, text=True)
    caps = p.stdout.splitlines()
    t.check(p.returncode == 0 and caps[:2] == ["virt-v2v", "virt-v2v-2.0"] and "input:disk" in caps
            and "output:local" in caps and len(caps) == 31, "--machine-readable lists the 31 real capabilities", caps)

    # A run shaped like the transcript's: -i disk IMG -o local -os DIR -of qcow2
    work = os.path.join(t.base, "w")
    img = make_image(os.path.join(work, "images"), "guest", control={"step_delay": 0.02, "copy_seconds": 0.6})
    out = os.path.join(work, "out")
    os.makedirs(out)
    mlog = os.path.join(work, "m.log")
    vlog = os.path.join(work, "v2v.log")
    with open(vlog, "wb") as lf:
        t0 = time.monotonic()
        rc = subprocess.call([fake, "-i", "disk", img, "-o", "local", "-os", out, "-of", "qcow2",
                              "--machine-readable=file:" + mlog], stdout=lf, stderr=lf)
        took = time.monotonic() - t0
    t.check_eq(rc, 0, "exit status")
    t.check(took < 5, "run took %.1f s (< 5)" % took)

    real_m = machine(os.path.join(data, "disk-to-local.machine.log"))
    fake_m = machine(mlog)
    sub = lambda s: s.replace("/srv/images/guest.img", img).replace("/srv/out", out)
    t.check_eq(fake_m, [(ty, sub(msg)) for ty, msg in real_m], "machine-readable messages (types, texts, order)")

    with open(os.path.join(data, "disk-to-local.v2v.log"), "rb") as f:
        real_shape = log_shape(f.read())
    with open(vlog, "rb") as f:
        fake_raw = f.read()
    fake_shape = log_shape(fake_raw)
    strip_bars = lambda sh: [(x[0], sub(x[1]) if x[0] != "bar" else None) for x in sh if x[0] != "bar"]
    t.check_eq(strip_bars(fake_shape), strip_bars(real_shape), "v2v.log lines other than the bar (kinds, texts, order)")
    bars = [x for x in fake_shape if x[0] == "bar"]
    t.check(len(bars) >= 5 and all(e == "\r" for _, _, e in bars[:-1]) and bars[-1][1:] == (100, "\n"),
            "nbdcopy bars end with \\r, the last (100%%) with \\n (%d bars)" % len(bars))
    pcts = [p for _, p, _ in bars]
    t.check(pcts == sorted(pcts) and pcts[0] == 0, "bar percentages rise from 0", pcts)
    t.check(b"\xe2\x96\x9d   0% [" in fake_raw, "first bar uses the spinner glyph of the real one")

    with open(os.path.join(data, "disk-to-local.output.xml")) as f:
        real_xml = f.read()
    with open(os.path.join(out, "guest.xml")) as f:
        fake_xml = f.read()
    t.check_eq(fake_xml, real_xml.replace("/srv/out", out), "output XML (paths changed)")
    t.check(os.path.getsize(os.path.join(out, "guest-sda")) > 0, "output disk guest-sda written")

    # Failure like the real one
    img2 = make_image(os.path.join(work, "images"), "bad",
                      control={"step_delay": 0.01, "fail_at": "Inspecting the source"})
    p = subprocess.run([fake, "-i", "disk", img2, "-o", "local", "-os", out,
                        "--machine-readable=file:" + mlog + "2"], capture_output=True, text=True)
    t.check_eq(p.returncode, 1, "failing run's exit status")
    t.check(p.stderr.startswith("virt-v2v: error: inspection could not detect the source guest")
            and p.stderr.endswith("If reporting bugs, run virt-v2v with debugging enabled and include the complete output:\n\n  virt-v2v -v -x [...]\n"),
            "error text and bug-report hint on stderr", p.stderr)
    last = machine(mlog + "2")[-1]
    t.check(last[0] == "error" and "\n\nNo root device found" in last[1], "machine error line (with \\n)", last)

    # Missing input, like real: access error after "Setting up the source"
    p = subprocess.run([fake, "-i", "disk", "/nonexistent.img", "-o", "local", "-os", out], capture_output=True, text=True)
    t.check(p.returncode == 1 and p.stdout.endswith("Setting up the source: -i disk /nonexistent.img\n")
            and p.stderr.startswith("virt-v2v: error: access: No such file or directory: /nonexistent.img\n"),
            "missing input disk fails like the real one", (p.stdout, p.stderr))
    p = subprocess.run([fake, "--bogus"], capture_output=True, text=True)
    t.check(p.returncode == 1 and p.stderr.startswith("virt-v2v: unrecognized option '--bogus'"), "unknown option")

    # SIGTERM: "Exiting on signal SIGTERM", exit 1, partial output left
    img3 = make_image(os.path.join(work, "images"), "slow", control={"step_delay": 0.01, "copy_seconds": 30})
    out3 = os.path.join(work, "out3")
    os.makedirs(out3)
    proc = subprocess.Popen([fake, "-i", "disk", img3, "-o", "local", "-os", out3],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    part = os.path.join(out3, "slow-sda")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (os.path.exists(part) and os.path.getsize(part) > 0):
        time.sleep(0.05)
    s1 = os.path.getsize(part)
    time.sleep(0.5)
    s2 = os.path.getsize(part)
    t.check(0 < s1 < s2, "disk file grows while copying (%d → %d bytes)" % (s1, s2))
    proc.send_signal(signal.SIGTERM)
    so, se = proc.communicate(timeout=10)
    t.check_eq(proc.returncode, 1, "exit status after SIGTERM")
    t.check(se.decode().endswith("virt-v2v: Exiting on signal SIGTERM\n"), "SIGTERM message", se[-200:])

    # ignore_sigterm
    img4 = make_image(os.path.join(work, "images"), "stubborn",
                      control={"step_delay": 0.01, "hang_at": "Opening the source", "ignore_sigterm": True})
    proc = subprocess.Popen([fake, "-i", "disk", img4, "-o", "null"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    t.check(proc.poll() is None, "ignore_sigterm: still running after SIGTERM")
    proc.kill()
    proc.wait()


run_test(test)
