#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""v2vd.job(5)'s table of paths (section PATHS) tells the truth.

Every e2e script declares PATHS = {meson test name: (input, output)}: the
path its real conversion goes through. Checked:
- each PATHS key is a test of tests/e2e/meson.build;
- a row "converted in tests: T1, T2" names only such tests, and each of
  them converts that input (or output);
- a row "checked as arguments" is converted by no test;
- every input and output some test converts has a row saying so.

Usage: test-path-table.py SOURCE_ROOT
"""
import ast
import pathlib
import re
import sys

top = pathlib.Path(sys.argv[1])
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def roff_text(s):
    return s.replace("\\-", "-").replace("\\(dq", '"').replace("\\&", "")


# ---------------------------------------------------------------- the e2e side
paths = {}
for f in sorted((top / "tests" / "e2e").glob("*.py")):
    tree = ast.parse(f.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PATHS"
                                                for t in node.targets):
            for k, v in ast.literal_eval(node.value).items():
                check(k not in paths, f"{f.name}: {k} declared once")
                paths[k] = tuple(v)
meson = (top / "tests" / "e2e" / "meson.build").read_text()
meson_tests = set(re.findall(r"test\('([\w-]+)'", meson))
# the names a foreach feeds to test() (its items may be lists too)
for m in re.finditer(r"^foreach \w+ : (.*?)^endforeach", meson, re.S | re.M):
    meson_tests |= set(re.findall(r"'([\w-]+)'", m.group(1)))
check(len(paths) >= 1, f"the e2e scripts declare PATHS ({len(paths)} tests)")
for k in sorted(paths):
    check(k in meson_tests, f"{k} is a test of tests/e2e/meson.build")

# ---------------------------------------------------------------- the page
page = roff_text((top / "daemon" / "man" / "v2vd.job.5").read_text())
m = re.search(r"^\.SH PATHS\n(.*?)(?=^\.SH )", page, re.S | re.M)
check(m is not None, "v2vd.job(5) has a PATHS section")
if m is None:
    sys.exit(1)
rows = {}
kind = None
for sub in re.split(r"^\.SS ", m.group(1), flags=re.M)[1:]:
    head, _, body = sub.partition("\n")
    kind = {"Inputs": 0, "Outputs": 1}.get(head.strip())
    check(kind is not None, f"PATHS subsection {head!r} is Inputs or Outputs")
    for name, text in re.findall(r"^\.TP\n\.B (.+)\n(.+)$", body, re.M):
        rows[(kind, name.strip().strip('"'))] = text.strip()

converted = {}
for test, io in paths.items():
    for k in (0, 1):
        converted.setdefault((k, io[k]), set()).add(test)

for (k, name), text in sorted(rows.items()):
    what = ("input", "output")[k] + " " + name
    if text.startswith("converted in tests:"):
        named = {t.strip() for t in text.split(":", 1)[1].split(",") if t.strip()}
        check(bool(named), f"{what}: names the tests that convert it")
        for t in sorted(named):
            check(t in paths, f"{what}: {t} is an e2e test that declares its PATHS")
            check(t in paths and paths[t][k] == name, f"{what}: {t} converts it",)
        check(named == converted.get((k, name), set()),
              f"{what}: the row names every test that converts it ({sorted(converted.get((k, name), []))})")
    elif text == "checked as arguments":
        check((k, name) not in converted, f"{what}: checked as arguments, and no e2e test converts it")
    else:
        check(False, f"{what}: says 'converted in tests: …' or 'checked as arguments' (got {text!r})")
for (k, name), tests in sorted(converted.items()):
    check((k, name) in rows, f"{('input', 'output')[k]} {name} (converted by {sorted(tests)}) has a row in PATHS")

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
