#!/usr/bin/env python3
"""CreateJob refuses a libvirt source VM that libvirt reports running or
paused, before anything is queued, with the real libvirt test driver:

  * test:///default's "test" (running) and a paused domain of a
    test-driver file are refused with InvalidSpec naming the VM and its
    state; no job, no job directory. The shut-off domain of that file is
    accepted.
  * a URI that cannot be reached (an SSH host that never answers, a unix
    socket that does not exist) is accepted, and so is one whose libvirtd
    is stuck (a socket that takes the connection and never answers),
    before the helper's timeout: the libvirt lookup has a deadline of its
    own (SPEC_CHECKS_LIBVIRT_TIMEOUT_MS, 4 s).

As the daemon's own uid on a --user daemon (default), and with
V2VD_TEST_SYSTEM=1 on v2vd --system (tests/lib/with-system-bus) as the
non-root caller v2vdta and as root.
"""
import json
import os
import socket
import time

from v2vdtest import run_test, call, call_error, MANAGER_PATH, MANAGER_IFACE

INVALID_SPEC = "org.v2vd.V2V1.Error.InvalidSpec"
CHECK_TIMEOUT = 10      # OWNER_CHECK_TIMEOUT_USEC
SYSTEM = os.environ.get("V2VD_TEST_SYSTEM") == "1"


def domain(name, uuid, runstate):
    return ('<domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">'
            '<name>%s</name><uuid>%s</uuid><memory unit="MiB">512</memory><vcpu>1</vcpu>'
            '<os><type arch="x86_64">hvm</type></os><devices><disk type="file" device="disk">'
            '<driver name="qemu" type="raw"/><source file="/images/%s.img"/><target dev="vda" bus="virtio"/>'
            '</disk></devices><test:runstate>%d</test:runstate></domain>' % (name, uuid, name, runstate))


def test(t):
    if SYSTEM:
        from v2vdsystem import SystemDaemon, give, user_create_job
        d = SystemDaemon(os.path.join(t.base, "daemon"))
        t.daemon = d
        d.start()
        os.chmod(t.base, 0o755)
    else:
        d = t.start_daemon()

    # 5: shut off, 3: paused (virDomainState)
    xml = os.path.join(t.base, "domains.xml")
    with open(xml, "w") as f:
        f.write("<node>%s%s</node>\n" % (domain("offvm", "33333333-0000-0000-0000-000000000001", 5),
                                         domain("pausedvm", "33333333-0000-0000-0000-000000000002", 3)))
    os.chmod(xml, 0o644)

    # A libvirtd that takes connections and never answers.
    stuck_path = os.path.join(t.base, "stuck.sock")
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.bind(stuck_path)
    stuck.listen(64)
    os.chmod(stuck_path, 0o777)

    callers = [("root", None)]
    if SYSTEM:
        callers.append(("v2vdta", "v2vdta"))
    for who, user in callers:
        out = os.path.join(t.base, "out-" + who)
        os.makedirs(out)
        if user:
            give(user, out)

        def create(spec):
            text = json.dumps(dict(spec, output_dir=out))
            t0 = time.monotonic()
            if user:
                r = user_create_job(user, text)
            else:
                try:
                    r = ("ok", " ".join(call(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", text, timeout=60)))
                except Exception:
                    r = ("error",) + call_error(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", text, timeout=60)
            return r, time.monotonic() - t0

        def refused(spec, vm, state):
            r, took = create(spec)
            t.check(r[0] == "error" and r[1] == INVALID_SPEC and ("the VM %s " % vm) in r[2] and
                    ("is %s" % state) in r[2] and "shut it down" in r[2],
                    "as %s: CreateJob of the %s VM %s is refused (InvalidSpec naming it and its state)"
                    % (who, state, vm), r)
            t.note("... %s (%.2f s)" % (r[2] if len(r) > 2 else r, took))

        def accepted(spec, what, quick=False):
            r, took = create(spec)
            t.check(r[0] == "ok", "as %s: CreateJob of %s is accepted" % (who, what), r)
            if quick:
                t.check(took < CHECK_TIMEOUT - 2, "... well before the helper's timeout (%d s)" % CHECK_TIMEOUT,
                        took)
            t.note("... in %.2f s" % took)
            if r[0] == "ok":
                job = r[1].split()[0]
                t.jobs.append(job)
                t.wait_finished(job, timeout=60)

        jobs_dir = os.path.join(d.state_dir, "jobs")

        def job_dirs():
            return sorted(os.listdir(jobs_dir)) if os.path.isdir(jobs_dir) else []
        jobs_before, dirs_before = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0], job_dirs()
        refused({"vm_name": "test", "libvirt_uri": "test:///default"}, "test", "running")
        refused({"vm_name": "pausedvm", "libvirt_uri": "test://" + xml}, "pausedvm", "paused")
        jobs = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0]
        t.check_eq(jobs, jobs_before, "as %s: no job was created (ListJobs as before)" % who)
        t.check_eq(job_dirs(), dirs_before, "... and no job directory")

        accepted({"vm_name": "offvm", "libvirt_uri": "test://" + xml}, "the shut-off VM offvm")
        accepted({"vm_name": "kvmguest", "libvirt_uri": "qemu+ssh://nobody@192.0.2.1/system"},
                 "a VM behind an SSH host that never answers", quick=True)
        accepted({"vm_name": "kvmguest",
                  "libvirt_uri": "qemu+unix:///system?socket=" + os.path.join(t.base, "nosuch.sock")},
                 "a VM behind a unix socket that does not exist", quick=True)
        accepted({"vm_name": "kvmguest", "libvirt_uri": "qemu+unix:///system?socket=" + stuck_path},
                 "a VM behind a libvirtd that never answers", quick=True)
        accepted({"vm_name": "nosuchvm", "libvirt_uri": "test:///default"}, "a VM libvirt does not know")


run_test(test)
