"""Helpers of the browser tests: a real cockpit-ws serving the built page,
headless Chromium driven through tests/browser/driver.cjs (playwright-core),
and v2vd in --system mode on the private system bus of
tests/lib/with-system-bus (so the page's cockpit.dbus(..., {bus: "system"})
is what is tested).

Environment (set by meson): V2VD_COCKPIT_PAGE (the built page directory),
V2VD_NODE_MODULES, V2VD_NODE, V2VD_BROWSER_DRIVER, V2VD_SCREENSHOTS (where
screenshots go), plus what tests/lib/v2vdtest.py reads.
"""
import json
import os
import socket
import subprocess
import time

from v2vdtest import TestFailure, log, env_path, stop_process
from v2vdsystem import SystemDaemon, users   # noqa: F401 (SystemDaemon: the tests' daemon)

COCKPIT_WS = "/usr/lib/cockpit/cockpit-ws"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_users():
    return users()


class CockpitWs:
    """cockpit-ws --no-tls --local-session=cockpit-bridge on a loopback port;
    the page is linked into a private XDG_DATA_HOME/cockpit/v2v, where the
    bridge looks for packages. With user=NAME (a with-system-bus test user)
    both run as that user, so the page talks to the bus as them."""

    def __init__(self, base, user=None):
        self.base = base
        self.user = user
        self.port = free_port()
        self.proc = None
        self.home = os.path.join(base, "home")
        data = os.path.join(self.home, ".local", "share")
        os.makedirs(os.path.join(data, "cockpit"), exist_ok=True)
        os.symlink(env_path("V2VD_COCKPIT_PAGE"), os.path.join(data, "cockpit", "v2v"))
        self.env = dict(os.environ)
        self.env.update({"HOME": self.home, "XDG_DATA_HOME": data,
                         "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
                         "XDG_CACHE_HOME": os.path.join(self.home, ".cache")})
        argv = [COCKPIT_WS, "--no-tls", "--local-session=cockpit-bridge", "-p", str(self.port), "-a", "127.0.0.1"]
        if user:
            uid, gid = test_users()[user]
            run = os.path.join(base, "run")
            os.makedirs(run, exist_ok=True)
            self.env["XDG_RUNTIME_DIR"] = run
            self.env["USER"] = self.env["LOGNAME"] = user
            # The bridge starts an ssh-agent when SSH_AUTH_SOCK is unset, and
            # cockpit-bridge 287 crashes (a NULL GError in its "couldn't read
            # address from ssh-agent" warning) when that agent cannot start
            # for this user with no real home: the page needs no agent.
            # TMPDIR of with-systemd-user is root's (0711).
            self.env["SSH_AUTH_SOCK"] = os.path.join(run, "no-ssh-agent")
            self.env["TMPDIR"] = run
            for d in (base, self.home, run, os.path.join(self.home, ".local"), data, os.path.join(data, "cockpit")):
                os.chown(d, uid, gid)
            os.chmod(base, 0o755)
            argv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups"] + argv
        self.argv = argv
        self.log_path = os.path.join(base, "cockpit-ws.log")

    def start(self, timeout=20):
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=self.env)
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("cockpit-ws exited with %s: %s" % (self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise TestFailure("cockpit-ws did not listen on port %d within %d s" % (self.port, timeout))

    def url(self, query=""):
        return "http://127.0.0.1:%d/cockpit/@localhost/v2v/index.html%s" % (self.port, query)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        stop_process(self.proc, 10)


class Browser:
    """Headless Chromium through driver.cjs; every call waits for its
    answer and raises TestFailure on an error."""

    def __init__(self, timeout=30):
        self.timeout = timeout
        env = dict(os.environ)
        self.proc = subprocess.Popen([env_path("V2VD_NODE"), env_path("V2VD_BROWSER_DRIVER")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.serial = 0
        self._cmd("start", timeout=timeout * 1000)

    def _cmd(self, cmd, **kw):
        self.serial += 1
        req = dict(kw, id=self.serial, cmd=cmd)
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise TestFailure("the browser driver exited (%s)" % self.proc.poll())
        rep = json.loads(line)
        if not rep.get("ok"):
            raise TestFailure("browser %s %s: %s" % (cmd, kw.get("selector") or kw.get("expr", "")[:200],
                                                    rep.get("error")))
        return rep.get("value")

    def _ms(self, timeout):
        return int((timeout or self.timeout) * 1000)

    def goto(self, url):
        return self._cmd("goto", url=url)

    def click(self, selector, timeout=None):
        return self._cmd("click", selector=selector, timeout=self._ms(timeout))

    def fill(self, selector, value, timeout=None):
        return self._cmd("fill", selector=selector, value=value, timeout=self._ms(timeout))

    def select(self, selector, value, timeout=None):
        return self._cmd("select", selector=selector, value=value, timeout=self._ms(timeout))

    def wait_visible(self, selector, timeout=None):
        return self._cmd("wait", selector=selector, state="visible", timeout=self._ms(timeout))

    def wait_gone(self, selector, timeout=None):
        return self._cmd("wait", selector=selector, state="detached", timeout=self._ms(timeout))

    def wait_js(self, expr, arg=None, timeout=None):
        """EXPR is a JavaScript function text, e.g. "a => ..." taking ARG."""
        return self._cmd("wait_js", expr=expr, arg=arg, timeout=self._ms(timeout))

    def eval(self, expr, arg=None):
        return self._cmd("eval", expr=expr, arg=arg)

    def text(self, selector):
        return self.eval("s => { const e = document.querySelector(s); return e ? e.innerText : null; }", selector)

    def wait_text(self, selector, text, timeout=None):
        """Wait until the first element matching SELECTOR contains TEXT."""
        return self.wait_js("([s, t]) => { const e = document.querySelector(s); return !!e && e.innerText.includes(t); }",
                            [selector, text], timeout)

    def screenshot(self, path, selector=None):
        return self._cmd("screenshot", path=path, selector=selector)

    def errors(self):
        return self._cmd("errors")

    def console(self):
        return self._cmd("console")

    def close(self):
        if self.proc.poll() is None:
            try:
                self._cmd("close")
            except TestFailure:
                pass
            self.proc.stdin.close()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def row(job_id):
    """The CSS selector of a job's rows (its <tbody>)."""
    return 'tbody.v2v-job[data-job-id="%s"]' % job_id


def screenshot_dir():
    d = os.environ.get("V2VD_SCREENSHOTS") or os.path.join(os.getcwd(), "screenshots")
    os.makedirs(d, exist_ok=True)
    return d


def log_console(b):
    try:
        for line in b.console()[-60:]:
            log("  browser " + line)
    except Exception as e:  # noqa: BLE001 — diagnostics only
        log("  (no browser console: %s)" % e)
