"""Helpers for tests of v2vd in --system mode on the system-like bus of
tests/lib/with-system-bus (real polkitd, the test users v2vdta and v2vdtb):
the daemon's command line, the users, calls made as one of them."""
import json
import os
import re
import subprocess

from v2vdtest import Daemon, TestFailure, job_path, make_image, unwrap, BUS_NAME, PROPS_IFACE, JOB_IFACE

ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"


class SystemDaemon(Daemon):
    """v2vd --system on the test's private system bus."""
    def argv(self):
        return [self.binary, "--system", "--config", self.config_path,
                "--state-dir", self.state_dir, "--runtime-dir", self.runtime_dir]


def users():
    out = {}
    for u in os.environ.get("V2VD_TEST_USERS", "").split():
        name, uid, gid = u.split(":")
        out[name] = (int(uid), int(gid))
    return out


def as_user(user, argv):
    uid, gid = users()[user]
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups"] + argv


def run_as(user, argv, **kw):
    """subprocess.run of argv as user (stdout and stderr as text)."""
    return subprocess.run(as_user(user, argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=kw.pop("timeout", 40), **kw)


def user_call(user, path, iface, method, signature="", *args):
    """→ ("ok", values) or ("error", name, message). Without interactive
    authorization (dbus-send), as a script would call."""
    argv = ["dbus-send", "--session", "--print-reply=literal", "--reply-timeout=30000", "--dest=" + BUS_NAME,
            path, "%s.%s" % (iface, method)]
    for sig, v in zip(signature, args):
        argv.append({"s": "string", "t": "uint64", "u": "uint32", "i": "int32"}[sig] + ":" + str(v))
    p = run_as(user, argv)
    if p.returncode == 0:
        return ("ok", p.stdout.strip())
    m = re.match(r"Error (\S+): (.*)", p.stderr.strip(), re.S)
    if not m:
        raise TestFailure("cannot parse dbus-send error: %r" % p.stderr)
    return ("error", m.group(1), m.group(2))


def user_props(user, job_id):
    argv = ["busctl", "--user", "--json=short", "call", BUS_NAME, job_path(job_id), PROPS_IFACE, "GetAll", "s",
            JOB_IFACE]
    p = run_as(user, argv)
    if p.returncode != 0:
        raise TestFailure("GetAll as %s failed: %s" % (user, p.stderr))
    return {k: unwrap(v) for k, v in json.loads(p.stdout)["data"][0].items()}


def set_home(user, home):
    """USER's home directory (passwd's pw_dir, where ssh and libssh look for
    ~/.ssh/known_hosts) becomes HOME, in this mount namespace only: a copy
    of /etc/passwd bind-mounted over it (with-system-bus's is one too)."""
    with open("/etc/passwd") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        f = line.split(":")
        if f[0] == user and len(f) == 7:
            f[5] = home
            lines[i] = ":".join(f)
            break
    else:
        raise TestFailure("no passwd entry for %s" % user)
    copy = os.path.join(os.path.dirname(home), "passwd-%s" % user)
    with open(copy, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(copy, 0o644)
    subprocess.run(["mount", "--bind", copy, "/etc/passwd"], check=True)


def give(user, *paths):
    """chown paths to user (its own files and directories)."""
    uid, gid = users()[user]
    for p in paths:
        os.chown(p, uid, gid)


def user_dir(user, *parts):
    """The directory os.path.join(*parts), made (with its parents) and
    given to user."""
    path = os.path.join(*parts)
    os.makedirs(path, exist_ok=True)
    give(user, path)
    return path


def user_image(user, directory, name, control):
    """A fake input disk NAME.img in directory (make_image) and its control
    file, both user's."""
    img = make_image(directory, name, control)
    give(user, img, img + ".fake.json")
    return img


_SPEC_CALL = """
import json, sys
import minibus
method, options = sys.argv[1], json.loads(sys.argv[2])
conn = minibus.Connection(timeout=60)
try:
    if options is None:
        r = conn.call("org.v2vd.V2V1", "/org/v2vd/V2V1", "org.v2vd.V2V1.Manager", method, "s", sys.stdin.read())
    else:
        r = conn.call("org.v2vd.V2V1", "/org/v2vd/V2V1", "org.v2vd.V2V1.Manager", method, "sa{sv}", sys.stdin.read(),
                      {k: tuple(v) for k, v in options.items()})
    print(json.dumps(["ok", " ".join(str(v) for v in r)]))
except minibus.CallError as e:
    print(json.dumps(["error", e.name, e.message]))
"""


def user_spec_call(user, method, text, options=None):
    """METHOD (CreateJob, CheckJob: "s"; with options, the ...WithOptions
    methods: "sa{sv}", options {key: (signature, value)}) as user with the
    spec on stdin (a spec of megabytes does not fit in an argument):
    ("ok", "OUT VALUES") or ("error", name, message)."""
    p = run_as(user, ["python3", "-c", _SPEC_CALL, method, json.dumps(options)], input=text, timeout=90)
    if p.returncode != 0:
        raise TestFailure("%s as %s: %s" % (method, user, p.stderr))
    return tuple(json.loads(p.stdout))


def user_create_job(user, text):
    """CreateJob as user: ("ok", "ID PATH") or ("error", name, message)."""
    return user_spec_call(user, "CreateJob", text)


_BURST = """
import json, sys
import minibus
n, spec = int(sys.argv[1]), sys.stdin.read()
conn = minibus.Connection(timeout=60)
serials = [conn.send_call("org.v2vd.V2V1", "/org/v2vd/V2V1", "org.v2vd.V2V1.Manager", "CreateJob", "s", (spec,))
           for _ in range(n)]
got = {}
while len(got) < n:
    mtype, fields, body = conn._read_message()
    if fields.get(5) in serials:
        got[fields[5]] = fields.get(4, "ok") if mtype == minibus.ERROR else "ok"
print(json.dumps([got[s] for s in serials]))
"""


def user_create_job_burst(user, text, n):
    """n CreateJob calls as user on ONE bus connection, sent before any
    answer is read: the answers' error names (or "ok"), in call order."""
    p = run_as(user, ["python3", "-c", _BURST, str(n)], input=text, timeout=90)
    if p.returncode != 0:
        raise TestFailure("CreateJob burst as %s: %s" % (user, p.stderr))
    return json.loads(p.stdout)


_HELD = """
import json, os, subprocess, sys, time
import minibus
spec, hold = sys.stdin.read(), float(sys.argv[1])
# A polkit authentication agent for this very process that never answers:
# pkttyagent on a terminal of its own (script) whose password prompt nobody
# fills in.
agent = subprocess.Popen(["script", "-qfc", "pkttyagent --process %d" % os.getpid(), "/dev/null"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
conn = minibus.Connection(timeout=hold + 30)
t0 = time.monotonic()
serial = conn.send_call("org.v2vd.V2V1", "/org/v2vd/V2V1", "org.v2vd.V2V1.Manager", "CreateJob", "s", (spec,),
                        flags=4)   # ALLOW_INTERACTIVE_AUTHORIZATION
conn.sock.settimeout(hold)
try:
    conn.wait_reply(serial)
    answer = "ok"
except minibus.CallError as e:
    answer = e.name
except OSError:
    answer = "held"
print(json.dumps([answer, time.monotonic() - t0]), flush=True)
agent.kill()
"""


def user_create_job_held(user, text, hold):
    """Popen of a process of user that registers a never-answering polkit
    agent for itself, then calls CreateJob allowing interactive
    authorization; it prints [answer, seconds]: the error name, "ok", or
    "held" when no answer came within hold seconds."""
    return subprocess.Popen(as_user(user, ["python3", "-c", _HELD, str(hold)]), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
