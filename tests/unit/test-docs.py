#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The documents stay what they are meant to be.

- README.md is for users: at most 250 lines, it starts with the two
  commands (demo and check) and their one-line descriptions, names every
  man page, and every file or folder of the tree it names exists (so does
  every one another Markdown document names).
- The developer documents it points to exist.
- README.md, every other Markdown document and every man page say what
  holds, not what changed when: no "issue N", no commit hash (a run of 7
  to 40 hex digits with both a digit and a letter). The measurement record
  tests/bench/README.md may name the commit a figure was measured on.
- Build and test files (meson.build, the scripts under tests/) carry no
  "issue N" in their comments either.

Usage: test-docs.py SOURCE_ROOT
"""
import pathlib
import re
import subprocess
import sys

top = pathlib.Path(sys.argv[1])
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


readme = (top / "README.md").read_text()
lines = readme.splitlines()

# ---------------------------------------------------------------- README.md
check(len(lines) <= 250, f"README.md has at most 250 lines ({len(lines)})")

COMMANDS = [
    "bash tests/tools/demo.sh    # installs what is needed, builds, and runs a real conversion as a demo",
    "bash tests/tools/check.sh   # installs, builds and runs the whole test suite",
]
first_block = re.search(r"^```[a-z]*\n(.*?)^```", readme, re.S | re.M)
check(first_block is not None and first_block.start() < 400,
      "README.md starts with a code block (within its first lines)")
if first_block:
    got = [l for l in first_block.group(1).splitlines() if l.strip()]
    check(got == COMMANDS, f"the first code block is exactly the demo and check commands ({got!r})")
before = readme[:first_block.start()] if first_block else readme
check(not re.search(r"^## ", before, re.M), "no section comes before the two commands")

for page in ("v2vd(8)", "v2vd.conf(5)", "v2vd.job(5)", "org.v2vd.V2V1(5)", "v2vctl(1)"):
    check(page in readme, f"README.md names the man page {page}")

# The system suite (tests/system/test-system.py) holds the installed unit
# to the exposure level the README states, in this form.
check(re.search(r"`systemd-analyze security v2vd\.service`[^.]*?: ([0-9.]+)", readme) is not None,
      "README.md states the exposure level of v2vd.service as the system suite reads it")

for doc in ("daemon/README.md", "tests/README.md", "tests/bench/README.md", "client/cockpit/README.md"):
    check(doc in readme, f"README.md points to {doc}")
    check((top / doc).is_file(), f"{doc} exists")

# Paths of the tree: words starting with one of its top folders, or a file
# at its top. Installed paths (/usr/…, ~/.config/…) start differently, and
# a word with a placeholder (ID, NAME, <…>, …) is a pattern, not a file.
TOP_DIRS = ("daemon", "client", "dbus", "systemd", "tests")
path_re = re.compile(r"(?<![\w./~$-])((?:%s)/[\w.@+/-]*[\w/])" % "|".join(TOP_DIRS))
named = set(path_re.findall(readme))
named |= {m for m in re.findall(r"\]\(([^)\s]+)\)", readme) if not re.match(r"[a-z]+:", m)}
check(len(named) >= 10, f"README.md names files of the tree ({len(named)} found)")
for p in sorted(named):
    if re.search(r"\b(ID|NAME|N)\b|<|…|\*", p):
        continue
    check((top / p).exists(), f"README.md names {p}, which exists")

# ------------------------------------------------------- the other documents
tracked = subprocess.run(["git", "-C", str(top), "ls-files"], capture_output=True, text=True)
if tracked.returncode == 0 and tracked.stdout.strip():
    files = [top / f for f in tracked.stdout.splitlines()]
else:  # not a git checkout (a release tarball)
    files = [p for p in top.rglob("*") if p.is_file() and ".git" not in p.parts
             and not p.relative_to(top).parts[0].startswith("build")]
files = [p for p in files
         if p.is_file() and "node_modules" not in p.parts and not p.name.startswith("package-lock")]

# Every other Markdown document names files of the tree that exist too.
for doc in sorted(p for p in files if p.suffix == ".md"):
    rel = doc.relative_to(top).as_posix()
    if rel == "README.md":
        continue
    for p in sorted(set(path_re.findall(doc.read_text()))):
        if re.search(r"\b(ID|NAME|N)\b|<|…|\*", p):
            continue
        check((top / p).exists(), f"{rel} names {p}, which exists")

# ------------------------------------------------------------ no history
ISSUE = re.compile(r"\bissues? #?\d+\b", re.I)
HASH = re.compile(r"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")

documents = [p for p in files if p.suffix == ".md" or re.fullmatch(r".+\.[1-8]", p.name)]
check(len(documents) >= 8, f"documents found ({len(documents)})")
for p in documents:
    rel = p.relative_to(top).as_posix()
    text = p.read_text()
    for n, line in enumerate(text.splitlines(), 1):
        m = ISSUE.search(line)
        if m:
            check(False, f"{rel}:{n} does not narrate history ({m.group(0)})")
        if rel != "tests/bench/README.md":
            h = HASH.search(line)
            if h:
                check(False, f"{rel}:{n} names no commit ({h.group(0)})")

build_and_tests = [p for p in files
                   if p.name == "meson.build" or (p.relative_to(top).parts[0] == "tests" and p.is_file())]
own = pathlib.Path(__file__).resolve()
for p in build_and_tests:
    if p.resolve() == own:
        continue
    try:
        text = p.read_text()
    except (UnicodeDecodeError, OSError):
        continue
    for n, line in enumerate(text.splitlines(), 1):
        m = ISSUE.search(line)
        if m:
            check(False, f"{p.relative_to(top)}:{n} does not narrate history ({m.group(0)})")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
