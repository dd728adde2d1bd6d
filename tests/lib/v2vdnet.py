"""Network helpers for the throttling tests (tests/integration/test_throttle_*).

`NetPair` makes a network namespace of the test's own and a veth pair whose
host end stays in the host namespace (where the daemon and its job scopes
live) and whose other end is in that namespace; both ends get addresses of
a random /30 from 10.200.0.0/13 that no link of the host uses. Names carry
the test's pid and a random part, so parallel tests never meet. Everything
is removed by `close()` — called from a `finally`, on SIGTERM/SIGINT/SIGHUP
(meson's timeout) and at interpreter exit — and the veth pair also dies
with the namespace. Traffic only ever flows on these links.

`Receiver` accepts TCP connections in the namespace and records the bytes
received over time; `RateLog` reads the same "<time> <bytes>" records from
a file (the fake virt-v2v's nbd_input log). `rate(t0, t1)` gives bytes/s.

`egress_rig(t, tag)` is the set-up the egress tests share (a pair, its nft
table name, a receiver; everything checked gone at the end) and
`check_rate()` their measurement against a limit.
"""

import atexit
import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time

from v2vdtest import TestFailure, log


def sh(*argv, check=True):
    p = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    if check and p.returncode != 0:
        raise TestFailure("%s failed (%d): %s" % (" ".join(map(str, argv)), p.returncode, p.stderr.strip()))
    return p.stdout


_open_pairs = []


def _close_all(*_):
    for p in list(_open_pairs):
        p.close()


def _on_signal(signum, frame):
    _close_all()
    sys.exit(128 + signum)


atexit.register(_close_all)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


class NetPair:
    def __init__(self, prefix="v2vdt-", if_prefix="v2"):
        tag = "%x%04x" % (os.getpid() & 0xfffff, random.randrange(0x10000))
        self.ns = prefix + tag
        self.host_if = (if_prefix + "h" + tag)[:15]
        self.peer_if = (if_prefix + "p" + tag)[:15]
        self.nft_tables = []          # tables a daemon of this test may have left
        used = sh("ip", "-4", "-o", "addr", "show") + sh("ip", "-4", "route", "show", "table", "all")
        for _ in range(100):
            a, b, c = 200 + random.randrange(8), random.randrange(256), random.randrange(64) * 4
            net = "10.%d.%d." % (a, b)
            if net + str(c) not in used and "10.%d.%d.0/24" % (a, b) not in used:
                break
        self.host_ip = "%s%d" % (net, c + 1)
        self.peer_ip = "%s%d" % (net, c + 2)
        _open_pairs.append(self)
        try:
            sh("ip", "netns", "add", self.ns)
            sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if,
               "netns", self.ns)
            sh("ip", "addr", "add", self.host_ip + "/30", "dev", self.host_if)
            sh("ip", "link", "set", self.host_if, "up")
            sh("ip", "-n", self.ns, "addr", "add", self.peer_ip + "/30", "dev", self.peer_if)
            sh("ip", "-n", self.ns, "link", "set", self.peer_if, "up")
            sh("ip", "-n", self.ns, "link", "set", "lo", "up")
        except Exception:
            self.close()
            raise
        log("  netns %s: %s %s <-> %s %s" % (self.ns, self.host_if, self.host_ip, self.peer_if, self.peer_ip))

    def nsexec(self):
        """argv prefix to run a command in the namespace. nsenter, not `ip
        netns exec`: the latter mounts a new /sys (no cgroup tree)."""
        return ["nsenter", "--net=/run/netns/" + self.ns]

    def close(self):
        if self not in _open_pairs:
            return
        _open_pairs.remove(self)
        for t in self.nft_tables:
            sh("nft", "delete", "table", "inet", t, check=False)
        sh("ip", "link", "del", self.host_if, check=False)
        sh("ip", "netns", "del", self.ns, check=False)

    def leftovers(self):
        """What of this pair (or of the daemon's shaping on it) still exists."""
        out = []
        if os.path.exists("/run/netns/" + self.ns):
            out.append("netns " + self.ns)
        if subprocess.run(["ip", "link", "show", self.host_if], capture_output=True).returncode == 0:
            out.append("link " + self.host_if)
        return out


def nft_table_exists(name):
    return subprocess.run(["nft", "list", "table", "inet", name], capture_output=True).returncode == 0


def nft_table(name):
    return subprocess.run(["nft", "list", "table", "inet", name], capture_output=True, text=True).stdout


def root_qdisc(dev):
    return sh("tc", "qdisc", "show", "dev", dev, "root").strip()


def htb_classes(dev):
    return [l for l in sh("tc", "class", "show", "dev", dev).splitlines() if l.startswith("class htb")]


class _Samples:
    def __init__(self):
        self.samples = []             # (time, total bytes)
        self.lock = threading.Lock()

    def add(self, t, n):
        with self.lock:
            self.samples.append((t, n))

    def total_at(self, t):
        with self.lock:
            s = list(self.samples)
        best = (0.0, 0)
        for x in s:
            if x[0] <= t:
                best = x
        return best

    def rate(self, t0, t1):
        a = self.total_at(t0)
        b = self.total_at(t1)
        if b[0] <= a[0]:
            return 0.0
        return (b[1] - a[1]) / (b[0] - a[0])


RECEIVER = r"""
import socket, sys, threading, time
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(8)
print("listening", flush=True)
total = 0
lock = threading.Lock()
def serve(c):
    global total
    while True:
        d = c.recv(1 << 20)
        if not d:
            break
        with lock:
            total += len(d)
    c.close()
def acceptor():
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=acceptor, daemon=True).start()
while True:
    time.sleep(0.1)
    with lock:
        n = total
    print("%.3f %d" % (time.time(), n), flush=True)
"""


class Receiver(_Samples):
    """A TCP sink in the pair's namespace, sampling bytes received every 0.1 s."""

    def __init__(self, pair, port=None):
        super().__init__()
        self.port = port or random.randrange(20000, 30000)
        self.addr = "%s:%d" % (pair.peer_ip, self.port)
        self.proc = subprocess.Popen(pair.nsexec() + [sys.executable, "-u", "-c", RECEIVER, pair.peer_ip,
                                                      str(self.port)],
                                     stdout=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline().strip()
        if first != "listening":
            raise TestFailure("the receiver did not start: %r" % first)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                t, n = line.split()
                self.add(float(t), int(n))
            except ValueError:
                pass

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class RateLog(_Samples):
    """The fake virt-v2v's IMG.fake.rate, re-read on each question."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def _load(self):
        try:
            with open(self.path) as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        with self.lock:
            self.samples = []
            for l in lines:
                try:
                    t, n = l.split()
                    self.samples.append((float(t), int(n)))
                except ValueError:
                    pass

    def total_at(self, t):
        self._load()
        return super().total_at(t)

    def last(self):
        self._load()
        with self.lock:
            return self.samples[-1] if self.samples else (0.0, 0)


def measure(samples, seconds, settle=1.0):
    """Wait SETTLE s (the new limit takes hold), then measure over SECONDS."""
    time.sleep(settle)
    t0 = time.time()
    time.sleep(seconds)
    t1 = time.time()
    return samples.rate(t0, t1)


MB = 1048576


@contextlib.contextmanager
def egress_rig(t, tag):
    """A NetPair, the name of the test's nft table (the daemon's
    throttle_name=, "v2vdt_TAG_PID") and a Receiver in the pair's namespace:
    yields (pair, name, receiver). At the end the receiver stops, the pair
    goes, and no netns, veth or nft table may be left."""
    pair = NetPair()
    name = "v2vdt_%s_%d" % (tag, os.getpid())
    pair.nft_tables.append(name)
    rx = None
    try:
        rx = Receiver(pair)
        yield pair, name, rx
    finally:
        if rx:
            rx.stop()
        pair.close()
    t.check(not pair.leftovers(), "no netns or veth left", pair.leftovers())
    t.check(not nft_table_exists(name), "no nft table left")


def check_rate(t, rx, limit, what, seconds=4):
    """The rate at RX over SECONDS (after 1.5 s to settle) is within 25 % of
    LIMIT (bytes/s): logged as MEASURED, checked; returns it."""
    got = measure(rx, seconds, settle=1.5)
    log("  MEASURED %s: %.3f MB/s (limit %.3f MB/s, %+.1f%%)"
        % (what, got / MB, limit / MB, (got / limit - 1) * 100))
    t.check(0.75 * limit <= got <= 1.25 * limit, "%s within 25%% of %d B/s (%.0f B/s)" % (what, limit, got))
    return got
