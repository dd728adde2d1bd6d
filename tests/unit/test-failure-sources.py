#!/usr/bin/env python3
"""Every "daemon" pattern of daemon/core/failures.json is a message the
daemon still writes: a literal in daemon/job/*.c (a signal name "(SIGX)"
is written by "(SIG%s)"), so rewording a message cannot silently turn a
known failure into "unknown". And every code is in org.v2vd.V2V1(5), as is
every CheckJob finding code (PREFLIGHT)."""
import json
import re
import sys
from pathlib import Path

top = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
table = json.loads((top / "daemon/core/failures.json").read_text())
sources = "".join(p.read_text() for p in sorted((top / "daemon/job").glob("*.c")))
page = (top / "dbus/org.v2vd.V2V1.5").read_text()

failed = 0
n = 0
for entry in table["failures"]:
    for pattern in entry.get("daemon", []):
        n += 1
        found = pattern in sources or (re.fullmatch(r"\(SIG[A-Z]+\)", pattern) and "(SIG%s)" in sources)
        print("%s %d - %s: daemon message %r" % ("ok" if found else "not ok", n, entry["code"], pattern))
        failed += not found
for code in [e["code"] for e in table["failures"]] + ["unknown"]:
    n += 1
    found = re.search(r"^\.B %s$" % re.escape(code).replace("\\-", "\\\\-"), page, re.M) is not None
    print("%s %d - %s is in org.v2vd.V2V1(5)" % ("ok" if found else "not ok", n, code))
    failed += not found
# Every CheckJob finding code the daemon and the helper write is in PREFLIGHT.
preflight = page[page.index(".SH PREFLIGHT"):page.index(".SH FAILURES")]
finding_sources = "".join((top / f).read_text() for f in ("daemon/sources/preflight.c", "daemon/bus/bus-check.c",
                                                          "daemon/bus/source-call.c"))
found_codes = set(re.findall(r'add\((?:c|&c|f), "(?:error|warning|info)", "([a-z-]+)"', finding_sources))
found_codes |= set(re.findall(r'"(inspect-failed|check-failed|check-timeout)"', finding_sources))
for code in sorted(found_codes):
    n += 1
    ok = re.search(r"^\.B %s$" % code.replace("-", r"\\-"), preflight, re.M) is not None
    print("%s %d - finding %s is in PREFLIGHT" % ("ok" if ok else "not ok", n, code))
    failed += not ok
n += 1
print("%s %d - the finding codes were found in the sources (%d)" % ("ok" if len(found_codes) > 20 else "not ok", n,
                                                                     len(found_codes)))
failed += len(found_codes) <= 20
print("1..%d" % n)
sys.exit(1 if failed else 0)
