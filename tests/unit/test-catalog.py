#!/usr/bin/env python3
"""systemd/v2vd.catalog against the code: systemd's own parser reads it
(journalctl --root=TMP --update-catalog, then --list-catalog), every
MESSAGE_ID of daemon/common/message-ids.h has exactly one entry with a
Subject, Defined-By and Documentation, every id the catalog names is one
the code defines, every id defined is used by the daemon, and every
@FIELD@ a text names is a field the daemon sends with those entries.
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

top = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
catalog = top / "systemd" / "v2vd.catalog"
ids_h = top / "daemon" / "common" / "message-ids.h"
failures = []
n = 0


def check(ok, what):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, " | ".join(what.splitlines())), flush=True)
    if not ok:
        failures.append(what)


defined = dict(re.findall(r'#define\s+(V2VD_MESSAGE_\w+)\s+"([0-9a-f]{32})"', ids_h.read_text()))
check(len(defined) == 5, "message-ids.h defines 5 ids (%d)" % len(defined))
check(len(set(defined.values())) == len(defined), "the ids are distinct")

daemon_c = "".join(p.read_text() for p in (top / "daemon").rglob("*.c"))
for name in defined:
    check(re.search(r"\b%s\b" % name, daemon_c) is not None, "%s is used by the daemon" % name)

man8 = (top / "daemon" / "man" / "v2vd.8").read_text()
journal8 = man8.split(".SH JOURNAL", 1)[-1].split(".SH ", 1)[0]
for name in defined:
    entry = "job " + name.rsplit("_", 1)[-1].lower()
    check(re.search(r"^%s\t" % entry, journal8, re.M) is not None, "v2vd(8) JOURNAL lists \"%s\"" % entry)
for f in ("V2VD_VM=", "V2VD_OWNER_UID=", "V2VD_RESULT=", "V2VD_UNIT=", "V2VD_RETURN_CODE="):
    check(f in journal8, "v2vd(8) JOURNAL names %s" % f)

# The catalog's own structure: "-- ID" headers, then headers, a blank line, text.
entries = {}
cur = None
for line in catalog.read_text().splitlines():
    if line.startswith("#") and cur is None:
        continue
    m = re.match(r"^-- ([0-9a-f]{32})$", line)
    if m:
        cur = m.group(1)
        check(cur not in entries, "entry %s appears once" % cur)
        entries[cur] = []
        continue
    if cur is not None:
        entries[cur].append(line)

for name, mid in defined.items():
    check(mid in entries, "%s (%s) has a catalog entry" % (name, mid))
for mid in entries:
    check(mid in defined.values(), "catalog entry %s is an id of message-ids.h" % mid)

sent_fields = set(re.findall(r'"(V2VD_[A-Z_]+)=', (top / "daemon" / "job" / "job-journal.c").read_text()))
sent_fields.add("V2VD_JOB")  # log_struct() adds it
for mid, lines in entries.items():
    text = "\n".join(lines)
    head, _, body = text.partition("\n\n")
    keys = [l.split(":", 1)[0] for l in head.splitlines()]
    for k in ("Subject", "Defined-By", "Documentation"):
        check(k in keys, "entry %s has %s" % (mid, k))
    check(len(body.strip()) > 80, "entry %s explains itself (%d characters)" % (mid, len(body.strip())))
    # journalctl substitutes @FIELD@ only for names of A-Z and "_".
    for f in sorted(set(re.findall(r"@([A-Za-z0-9_]+)@", text))):
        check(re.fullmatch(r"[A-Z_]+", f) is not None and f in sent_fields,
              "entry %s: @%s@ is a field v2vd sends that journalctl can substitute" % (mid, f))
    for f in sorted(set(re.findall(r"\b(V2VD_[A-Z0-9_]+)=", text))):
        check(f in sent_fields, "entry %s: %s= is a field v2vd sends" % (mid, f))

# systemd's parser: the binary database lists every entry.
with tempfile.TemporaryDirectory() as root:
    d = Path(root) / "usr" / "lib" / "systemd" / "catalog"
    d.mkdir(parents=True)
    (d / "v2vd.catalog").write_text(catalog.read_text())
    p = subprocess.run(["journalctl", "--root", root, "--update-catalog"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check(p.returncode == 0 and "rror" not in p.stdout,
          "journalctl --update-catalog accepts the file (%d) %s" % (p.returncode, p.stdout.strip()))
    p = subprocess.run(["journalctl", "--root", root, "--list-catalog"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    listed = {l.split()[0] for l in p.stdout.splitlines() if l.strip()}
    check(listed == set(defined.values()),
          "journalctl --list-catalog lists exactly the 5 ids (%d lines)" % len(p.stdout.splitlines()))

print("1..%d" % n)
sys.exit(1 if failures else 0)
