#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man pages say what the code does.

- org.v2vd.V2V1(5): its interface listings hold exactly the methods (with
  their arguments), signals and properties (with type and "const") of
  dbus/org.v2vd.V2V1.xml, and each member has its own paragraph; every
  error name the daemon sends and every polkit action of the policy file is
  described there; the bus policy lets each method through.
- The [daemon] keys the daemon parses (the key file reads in the C sources)
  are exactly those v2vd.conf(5) describes, those v2vd(8) lists and those
  `v2vd --help` names.
- Every page renders with groff without a warning and points at no file
  outside the project.

Usage: test-man-pages.py SOURCE_ROOT V2VD_BINARY
"""
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

top = pathlib.Path(sys.argv[1])
v2vd = sys.argv[2]
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def roff_text(s):
    """Plain text of roff source: escapes resolved the simple way."""
    s = s.replace("\\-", "-").replace("\\e", "\\").replace("\\(aq", "'")
    s = s.replace("\\(dq", '"').replace("\\&", "")
    return s


def man_pages():
    pages = {}
    for p in sorted(list(top.glob("*/*.[1-8]")) + list(top.glob("*/*/*.[1-8]"))):
        if re.fullmatch(r".+\.[1-8]", p.name):
            pages[p.name] = p
    return pages


pages = man_pages()
for need in ("org.v2vd.V2V1.5", "v2vd.conf.5", "v2vd.job.5", "v2vd.8", "v2vctl.1"):
    check(need in pages, f"man page {need} exists")
if failures:
    sys.exit(1)

# ---------------------------------------------------------------- the bus API
api = roff_text(pages["org.v2vd.V2V1.5"].read_text())
xml = ET.parse(top / "dbus" / "org.v2vd.V2V1.xml").getroot()

# The listings: ".nf" … ".fi" blocks holding "interface NAME {".
listed = {}
for block in re.findall(r"^\.nf\n(.*?)^\.fi$", api, re.S | re.M):
    m = re.search(r"interface (\S+) \{", block)
    if not m:
        continue
    iface = m.group(1)
    body = " ".join(block.split())
    got = set()
    sections = re.split(r"\b(methods|signals|properties):", body)
    for kind, text in zip(sections[1::2], sections[2::2]):
        text = text.split("};")[0]
        if kind in ("methods", "signals"):
            for name, args in re.findall(r"(\w+)\((.*?)\);", text):
                args = ",".join(" ".join(a.split()) for a in args.split(",")) if args.strip() else ""
                got.add((kind[:-1], name, args))
        else:
            for const, typ, name in re.findall(
                    r'(@org\.freedesktop\.DBus\.Property\.EmitsChangedSignal\("const"\) )?readonly (\S+) (\w+) =',
                    text):
                got.add(("property", name, typ + (" const" if const else "")))
    listed[iface] = got

for iface in xml.findall("interface"):
    name = iface.get("name")
    want = set()
    for m in iface.findall("method"):
        args = ",".join(f"{a.get('direction')} {a.get('type')} {a.get('name')}" for a in m.findall("arg"))
        want.add(("method", m.get("name"), args))
    for s in iface.findall("signal"):
        args = ",".join(f"{a.get('type')} {a.get('name')}" for a in s.findall("arg"))
        want.add(("signal", s.get("name"), args))
    for p in iface.findall("property"):
        const = any(a.get("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal" and a.get("value") == "const"
                    for a in p.findall("annotation"))
        want.add(("property", p.get("name"), p.get("type") + (" const" if const else "")))
    got = listed.get(name, set())
    check(name in listed, f"org.v2vd.V2V1(5) lists interface {name}")
    for w in sorted(want - got):
        check(False, f"org.v2vd.V2V1(5): {name} listing lacks {w[0]} {w[1]} ({w[2]}) as the XML has it")
    for g in sorted(got - want):
        check(False, f"org.v2vd.V2V1(5): {name} listing has {g[0]} {g[1]} ({g[2]}), the XML does not")
    check(want == got, f"org.v2vd.V2V1(5): {name} listing equals the XML ({len(want)} members)")
    # Each member is described: a .TP paragraph whose tag names it.
    tags = " ".join(re.findall(r"^\.TP\n(.*)$", api, re.M))
    for kind, member, _ in sorted(want):
        check(re.search(r"(^|[\s\"])" + member + r"(\(|\s|\"|,|$)", tags) is not None,
              f"org.v2vd.V2V1(5) describes {kind} {member}")

src = "\n".join(p.read_text() for d in ("daemon", "client") if (top / d).is_dir() for p in sorted((top / d).rglob("*.[ch]")))
errors = set(re.findall(r"org\.v2vd\.V2V1\.Error\.([A-Za-z]+)", src))
# ... also spelled as a prefix macro and a name: PREFIX "InvalidSpec"
for prefix in re.findall(r'#define\s+(\w+)\s+"org\.v2vd\.V2V1\.Error\."', src):
    errors |= set(re.findall(r"\b" + prefix + r'\s+"([A-Za-z]+)"', src))
check(len(errors) >= 5, f"error names found in the sources ({sorted(errors)})")
documented = set(re.findall(r"^\.B org\.v2vd\.V2V1\.Error\.([A-Za-z]+)$", api, re.M))
check(errors == documented,
      f"org.v2vd.V2V1(5) ERRORS equal the daemon's error names (code {sorted(errors)}, page {sorted(documented)})")
policy = (top / "dbus" / "org.v2vd.V2V1.policy").read_text()
for action in re.findall(r'<action id="([^"]+)"', policy):
    check(re.search(r"^\.B " + re.escape(action) + "$", api, re.M) is not None,
          f"org.v2vd.V2V1(5) describes polkit action {action}")
# The page says the bus policy lets every method through (the daemon asks
# polkit): the default context of dbus/org.v2vd.V2V1.conf allows each method
# of the XML by interface and member.
conf = ET.parse(top / "dbus" / "org.v2vd.V2V1.conf").getroot()
allowed = set()
for pol in conf.iter("policy"):
    if pol.get("context") == "default":
        for a in pol.iter("allow"):
            if a.get("send_destination") == "org.v2vd.V2V1" and a.get("send_interface"):
                allowed.add((a.get("send_interface"), a.get("send_member")))
for iface in xml.iter("interface"):
    for m in iface.iter("method"):
        name = iface.get("name")
        check((name, m.get("name")) in allowed or (name, None) in allowed,
              f"the bus policy (org.v2vd.V2V1.conf) lets {name}.{m.get('name')} through to the daemon")

# ------------------------------------------------------------- the job spec
# Every key daemon/core/spec.c accepts (its key tables) is described in
# v2vd.job(5), as a bold word.
spec_c = (top / "daemon" / "core" / "spec.c").read_text()
spec_keys = set()
for table in ("general_keys", "input_keys", "ignored_keys", "profile_keys"):
    m = re.search(r"static const char \*const " + table + r"\[\] = \{(.*?)\};", spec_c, re.S)
    check(m is not None, f"daemon/core/spec.c has {table}")
    if m:
        spec_keys |= set(re.findall(r'"([a-z_0-9]+)"', m.group(1)))
m = re.search(r"output_families\[\] = \{(.*?)\n\};", spec_c, re.S)
check(m is not None, "daemon/core/spec.c has output_families")
if m:
    spec_keys |= set(re.findall(r'"([a-z_0-9]+)"', m.group(1)))
job5 = roff_text(pages["v2vd.job.5"].read_text())
bold = set(re.findall(r"^\.B[IR]? \"?([a-z_0-9]+)", job5, re.M)) | set(re.findall(r"^\.BR ([a-z_0-9]+) ", job5, re.M))
bold |= set(w for line in re.findall(r"^\.[BR][RB] (.*)$", job5, re.M) for w in re.findall(r"\b([a-z_0-9]+)\b", line))
check(len(spec_keys) >= 40, f"spec keys found in daemon/core/spec.c ({len(spec_keys)})")
missing = sorted(k for k in spec_keys if k not in bold)
check(not missing, f"v2vd.job(5) describes every spec key daemon/core/spec.c accepts (missing: {missing})")

# --------------------------------------------------------- configuration keys
parsed = set(re.findall(r'"daemon",\s*"([a-z_0-9]+)"', src)) | set(re.findall(r'\bGET_[A-Z0-9_]+\(\s*"([a-z_0-9]+)"', src))
check(len(parsed) >= 5, f"[daemon] keys the daemon parses found in daemon/*.c ({sorted(parsed)})")

conf = roff_text(pages["v2vd.conf.5"].read_text())
daemon_sect = conf.split(".SH [daemon] SECTION", 1)[-1].split(".SH ", 1)[0]
in_conf = set(re.findall(r"^\.BI ([a-z_0-9]+)= ", daemon_sect, re.M))
check(parsed == in_conf, f"v2vd.conf(5) [daemon] keys equal the parsed ones (page {sorted(in_conf)})")
check(".SH [environment] SECTION" in conf, "v2vd.conf(5) describes [environment]")

v2vd8 = roff_text(pages["v2vd.8"].read_text())
conf8 = v2vd8.split(".SH CONFIGURATION", 1)[-1].split(".SH ", 1)[0]
in_8 = set(re.findall(r"\b([a-z_0-9]+)=", conf8.split("[environment]")[0]))
check(parsed == in_8, f"v2vd(8) CONFIGURATION keys equal the parsed ones (page {sorted(in_8)})")

helptext = subprocess.run([v2vd, "--help"], capture_output=True, text=True, check=True).stdout
help_keys = helptext.split("Configuration keys:", 1)[-1].split("[environment]")[0]
in_help = set(re.findall(r"\b([a-z_0-9]+)=", help_keys))
check(parsed == in_help, f"v2vd --help names the parsed keys (help {sorted(in_help)})")
for p in ("v2vd(8)", "org.v2vd.V2V1(5)", "v2vd.job(5)", "v2vd.conf(5)"):
    check(p in helptext, f"v2vd --help points to {p}")

# The annotated example (installed under the doc folder): every key, each
# after a comment saying why, with the daemon's default as its value.
example = (top / "daemon" / "examples" / "v2vd.conf").read_text()
ex_daemon = example.split("[daemon]", 1)[-1].split("[environment]")[0]
ex_keys = {}
prev = ""
for line in ex_daemon.splitlines():
    m = re.fullmatch(r"#([a-z_0-9]+)=(.*)", line)
    if m:
        ex_keys[m.group(1)] = (m.group(2), prev.startswith("# "))
    prev = line
check(set(ex_keys) == parsed, f"examples/v2vd.conf has every parsed key (example {sorted(ex_keys)})")
for k, (value, commented) in sorted(ex_keys.items()):
    check(commented, f"examples/v2vd.conf: {k}= follows a line saying why")
    # v2vd(8) gives each key's default in parentheses after it.
    m = re.search(r"\b" + k + r"= \" \((.*?)[),]", conf8)
    if m and not m.group(1).startswith("the ") and not " in " in m.group(1):
        check(m.group(1) == value, f"{k}: example value {value!r} is the default v2vd(8) gives ({m.group(1)!r})")

# --------------------------------------------------------------- all pages
for name, path in pages.items():
    text = path.read_text()
    r = subprocess.run(["groff", "-man", "-ww", "-z", "-t", str(path)], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr.strip() == "", f"{name} renders without warnings {r.stderr.strip()!r}")
    for bad in ("API.md", "ENVIRONMENT.md", "ARCHITECTURE.md", "../shared"):
        check(bad not in text, f"{name} does not point at {bad}")

# ------------------------------------------- the repository stands alone
own = pathlib.Path(__file__).resolve()
for d in ("daemon", "client", "dbus", "systemd", "tests"):
    for p in (top / d).rglob("*"):
        if not p.is_file() or p.resolve() == own or "corpus" in p.parts:
            continue
        try:
            text = p.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        for bad in ("API.md", "ENVIRONMENT.md", "ARCHITECTURE.md", "shared/design"):
            if bad in text:
                check(False, f"{p.relative_to(top)} points at {bad}, which is not in the repository")
for p in ("README.md", "meson.build"):
    text = (top / p).read_text()
    for bad in ("API.md", "ENVIRONMENT.md", "ARCHITECTURE.md", "shared/design"):
        check(bad not in text, f"{p} does not point at {bad}")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
