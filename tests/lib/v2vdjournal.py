"""A private systemd-journald for an integration test.

The host has no journald; a test run by tests/lib/with-systemd-user is in
a private mount namespace with its own /run/systemd, so it can have one:
PrivateJournal mounts tmpfs on /run/log, /var/log/journal and
/var/lib/systemd/catalog (in that namespace only), puts the given catalog
files alone in /usr/lib/systemd/catalog, starts
/lib/systemd/systemd-journald (listening on /run/systemd/journal/socket,
where sd_journal_send() writes) and stops it at the end. journalctl in the
same namespace then reads what the daemon logged, and `journalctl -x`
explains it from the catalog after update_catalog().
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

from v2vdtest import stop_process

JOURNALD = "/lib/systemd/systemd-journald"


class PrivateJournal:
    def __init__(self, catalogs=()):
        self.catalogs = list(catalogs)
        self.proc = None
        self.mounted = []
        self.catalog_src = None

    def _mount(self, argv, target):
        os.makedirs(target, exist_ok=True)
        subprocess.run(["mount"] + argv + [target], check=True)
        self.mounted.append(target)

    def start(self):
        # with-systemd-user's namespace: its tmpfs on /run/systemd, its variables.
        if not os.environ.get("V2VD_TEST_CGROUP") or not os.path.ismount("/run/systemd"):
            raise RuntimeError("PrivateJournal needs a private mount namespace (tests/lib/with-systemd-user)")
        if not os.path.isdir("/run/systemd/system") or os.path.exists("/run/systemd/journal/socket"):
            raise RuntimeError("PrivateJournal: /run/systemd is not with-systemd-user's, or has a journal")
        for d in ("/run/log", "/var/log/journal", "/var/lib/systemd/catalog"):
            self._mount(["-t", "tmpfs", "-o", "mode=0755,size=64m", "tmpfs"], d)
        self.catalog_src = tempfile.mkdtemp(prefix="v2vd-catalog.")
        for c in self.catalogs:
            shutil.copy(c, self.catalog_src)
        self._mount(["--bind", self.catalog_src], "/usr/lib/systemd/catalog")
        os.makedirs("/run/log/journal", exist_ok=True)
        self.proc = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists("/run/systemd/journal/socket"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("systemd-journald did not start (status %s)" % self.proc.poll())
            time.sleep(0.05)
        return self

    def stop(self):
        stop_process(self.proc, 10)
        for d in reversed(self.mounted):
            subprocess.run(["umount", "-l", d], check=False)
        self.mounted = []
        if self.catalog_src:
            shutil.rmtree(self.catalog_src, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def sync(self):
        subprocess.run(["journalctl", "--sync"], check=False, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def entries(self, *matches):
        """journalctl -o json MATCHES… → list of dicts (field → str)."""
        self.sync()
        p = subprocess.run(["journalctl", "--no-pager", "-o", "json"] + list(matches),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]

    def update_catalog(self):
        return subprocess.run(["journalctl", "--update-catalog"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=30)

    def explained(self, *matches):
        """journalctl -x output for MATCHES (the catalog's text under each entry)."""
        self.sync()
        return subprocess.run(["journalctl", "--no-pager", "-x"] + list(matches),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=30).stdout
