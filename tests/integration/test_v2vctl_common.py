"""Shared helpers of the v2vctl integration tests (test_v2vctl_*.py).

Not a test itself. The v2vctl binary comes from argv[1] (meson passes it) or
$V2VCTL; everything else from tests/lib/v2vdtest.py.
"""

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time

from v2vdtest import TestFailure

V2VCTL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("V2VCTL", "")
if not V2VCTL:
    raise TestFailure("pass the v2vctl binary as argv[1] or $V2VCTL (run through meson test)")


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise TestFailure("v2vctl %s: output is not one JSON document (%s):\n%s"
                              % (" ".join(self.argv), e, self.out))

    def __repr__(self):
        return "v2vctl %s → %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(self.argv), self.rc, self.out, self.err)


def ctl(*args, user=True, stdin=None, timeout=60, env=None):
    """Run v2vctl (with --user unless user=False) without a terminal."""
    argv = (["--user"] if user else []) + [str(a) for a in args]
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([V2VCTL] + argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, env=e)
    return Result(argv, p.returncode, p.stdout, p.stderr)


def ok(t, r, what):
    t.check(r.rc == 0, "%s (exit 0)" % what, r)
    return r


def fails(t, r, rc, what, message=None):
    t.check(r.rc == rc, "%s: exit status %d" % (what, rc), r)
    if message:
        t.check(message in r.err, "%s: says %r" % (what, message), r.err)
    return r


class PtyRun:
    """v2vctl on a pseudo-terminal (stdout and stderr), output collected."""

    def __init__(self, *args, user=True, columns=80, rows=24, env=None, wrap=()):
        """wrap: a command that runs v2vctl (setpriv … as another user)."""
        argv = (["--user"] if user else []) + [str(a) for a in args]
        self.argv = argv
        master, slave = pty.openpty()
        import fcntl, struct, termios
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        extra_env = env
        env = dict(os.environ)
        env.pop("COLUMNS", None)
        env["LANG"] = env["LC_ALL"] = "C.UTF-8"
        env["TERM"] = "xterm"
        env.update(extra_env or {})
        self.proc = subprocess.Popen(list(wrap) + [V2VCTL] + argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.master = master
        self.data = b""

    def pump(self, timeout=0.1):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                chunk = b""
            self.data += chunk
            return bool(chunk)
        return False

    def text(self):
        return self.data.decode("utf-8", errors="replace")

    def wait_text(self, needle, timeout=30):
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise TestFailure("v2vctl %s on a pty: no %r within %d s; output:\n%r"
                                  % (" ".join(self.argv), needle, timeout, self.text()[-3000:]))
            self.pump(0.1)

    def wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                raise TestFailure("v2vctl %s on a pty did not exit within %d s; output:\n%r"
                                  % (" ".join(self.argv), timeout, self.text()[-3000:]))
            self.pump(0.1)
        while self.pump(0.05):
            pass
        os.close(self.master)
        return self.proc.returncode

    def interrupt(self):
        self.proc.send_signal(signal.SIGINT)


def disk_spec(t, name, control, **extra):
    from v2vdtest import make_image
    img = make_image(os.path.join(t.base, "img-" + name), name, control=control)
    return img, t.spec_disk(img, vm_name=name, **extra)


def write_spec(t, spec, name):
    p = os.path.join(t.base, name)
    with open(p, "w") as f:
        json.dump(spec, f)
    return p


COMPLETION = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "client", "bash-completion", "v2vctl")


def complete(line, env=None):
    """What bash completion offers for LINE (the cursor at its end)."""
    words = line.split(" ")
    script = """
source /usr/share/bash-completion/bash_completion
source %s
v2vctl() { %s "$@"; }
COMP_LINE=%s
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_v2vctl v2vctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%%s\n' "${COMPREPLY[@]}"
""" % (COMPLETION, V2VCTL, json.dumps(line))
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=30, env=e)
    return sorted(x for x in p.stdout.splitlines() if x)
