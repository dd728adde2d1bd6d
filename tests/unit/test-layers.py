#!/usr/bin/env python3
"""The daemon's folders are layers; a folder never includes a header of a
folder above it (daemon/README.md has the picture).

Reads every `#include "…"` of daemon/ and client/ and checks it against
ALLOWED. Daemon headers are always included by their folder
("job/job.h"), so a bare name that is not the file's own folder's header is
an error too. client/ sees only daemon/common/.
"""
import re
import sys
from pathlib import Path

top = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])

# Who may include whom. "." is daemon/ itself (main.c: wires everything).
ALLOWED = {
    "common": {"common"},
    "core": {"common", "core"},
    "sources": {"common", "core", "sources"},
    "host": {"common", "core", "host"},
    "job": {"common", "core", "host", "sources", "job"},
    "bus": {"common", "core", "host", "sources", "job", "bus"},
    "runner": {"common", "host"},
    ".": {"common", "core", "host", "sources", "job", "bus"},
    "client": {"common"},
}

include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
failures = []
count = 0


def folder_of(path):
    rel = path.relative_to(top)
    if rel.parts[0] == "client":
        return "client"
    return rel.parts[1] if len(rel.parts) > 2 else "."


files = sorted(list((top / "daemon").rglob("*.[ch]")) + list((top / "client").glob("*.[ch]")))
for path in files:
    rel = str(path.relative_to(top))
    layer = folder_of(path)
    if layer not in ALLOWED:
        failures.append(f"{rel}: folder {layer!r} is not a known layer (add it to ALLOWED)")
        continue
    for inc in include_re.findall(path.read_text()):
        count += 1
        if inc == "config.h":
            continue
        if "/" not in inc:
            # A bare name: the client's own headers, or a test helper.
            if layer == "client" and (path.parent / inc).exists():
                continue
            failures.append(f"{rel}: #include \"{inc}\": include a daemon header by its folder")
            continue
        target = inc.split("/", 1)[0]
        if not (top / "daemon" / inc).exists():
            failures.append(f"{rel}: #include \"{inc}\": no such header under daemon/")
            continue
        if target in ALLOWED[layer]:
            continue
        failures.append(f"{rel} ({layer}) includes {inc} ({target}): {layer} may include only "
                        + ", ".join(sorted(ALLOWED[layer])))

print(f"1..1")
if count < 50:
    failures.append(f"only {count} #include lines read: wrong tree?")
if failures:
    for f in failures:
        print("# " + f)
    print(f"not ok 1 - include layering ({len(failures)} problems, {count} includes read)")
    sys.exit(1)
print(f"ok 1 - include layering ({count} includes in {len(files)} files)")
