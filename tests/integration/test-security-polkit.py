#!/usr/bin/env python3
"""Who may do what: v2vd in --system mode on a
system-like bus with the project's bus policy and a real polkitd with the
project's actions and tests/integration/security-polkit.rules
(tests/lib/with-system-bus, inside with-systemd-user).

Two unprivileged users created for the test: v2vdta (nothing granted beyond
the .policy defaults) and v2vdtb (the rules grant create-job and
manage-any-job). Root's jobs need no polkit.

SetPriority of another user's job and SetHostLimits need more than v2vdta has.
Also: Phase, LastMessage and Disks change by invalidation on the
system bus; one connection has at most 8 authorization checks in flight.
"""
import json
import os
import subprocess

from v2vdtest import (run_test, call, make_image, job_path, log, wait_for,
                      MANAGER_PATH, MANAGER_IFACE, JOB_IFACE, BUS_NAME, unwrap)
from v2vdsystem import (SystemDaemon, ACCESS_DENIED, users, as_user, user_call, user_props, give,
                        user_create_job_burst, run_as)


def test(t):
    d = SystemDaemon(os.path.join(t.base, "daemon"))
    t.daemon = d
    from v2vdtest import Monitor
    t.monitor = Monitor()
    t.monitor.start()
    d.start()
    log("  daemon --system started (pid %d); users %s" % (d.proc.pid, os.environ["V2VD_TEST_USERS"]))
    t.check_eq(call(MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss", MANAGER_IFACE, "Mode")[0]["data"],
               "system", "Mode")
    imgs = os.path.join(t.base, "imgs")
    hang = {"step_delay": 0.05, "hang_at": "Copying disk 1/1"}
    root_img = make_image(imgs, "rootguest", hang)
    imgs_b = os.path.join(t.base, "imgs-b")   # v2vdtb's own: the fake records next to the image
    b_img = make_image(imgs_b, "bguest", hang)
    give("v2vdtb", imgs_b, b_img, b_img + ".fake.json")
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    # A job runs with its owner's rights: v2vdtb's output directory is its own.
    out_b = os.path.join(t.base, "out-b")
    os.makedirs(out_b)
    give("v2vdtb", out_b)
    os.chmod(t.base, 0o755)

    # Root: no polkit involved.
    root_job, _ = t.create_job(t.spec_disk(root_img, out, vm_name="rootguest"))
    t.wait_state(root_job, "running", timeout=30)
    spec_b = json.dumps({"vm_name": "bguest", "disk": [b_img], "output_dir": out_b})

    # v2vdta: refused what needs authorization.
    r = user_call("v2vdta", MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", spec_b)
    t.check(r[0] == "error" and r[1] == ACCESS_DENIED, "v2vdta: CreateJob refused (AccessDenied)", r)
    log("       (%s)" % r[2])
    for method in ("Cancel", "Remove"):
        r = user_call("v2vdta", job_path(root_job), JOB_IFACE, method)
        t.check(r[0] == "error" and r[1] == ACCESS_DENIED, "v2vdta: %s of root's job refused" % method, r)
    # Refused by the daemon (polkit), not by the bus policy, which lets
    # every method through.
    r = user_call("v2vdta", job_path(root_job), JOB_IFACE, "SetPriority", "i", 5)
    t.check(r[0] == "error" and r[1] == ACCESS_DENIED and "Rejected send message" not in r[2],
            "v2vdta: SetPriority of root's job refused by the daemon", r)
    p = run_as("v2vdta", ["busctl", "--user", "call", BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "SetHostLimits",
                          "a{sv}", "1", "cpu", "s", "10%"])
    t.check(p.returncode != 0 and ("Access denied" in p.stderr + p.stdout or ACCESS_DENIED in p.stderr)
            and "Rejected send message" not in p.stderr,
            "v2vdta: SetHostLimits refused by the daemon (manage-any-job)", p.stderr)
    for method, args in (("CheckJob", ["s", spec_b]), ("CheckJobWithOptions", ["sa{sv}", spec_b, "0"]),
                         ("CreateJobWithOptions", ["sa{sv}", spec_b, "0"])):
        p = run_as("v2vdta", ["busctl", "--user", "call", BUS_NAME, MANAGER_PATH, MANAGER_IFACE, method] + args)
        t.check(p.returncode != 0 and "Access denied" in p.stderr and "Rejected send message" not in p.stderr,
                "v2vdta: %s refused by the daemon (create-job)" % method, p.stderr)
    t.check_eq(call(MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss", MANAGER_IFACE,
                    "HostCPULimit")[0]["data"], "unlimited", "the host budget unchanged")
    r = user_call("v2vdta", MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", '{"uri": "test:///default"}')
    t.check(r[0] == "error" and r[1] == ACCESS_DENIED, "v2vdta: ListSourceVMs refused (browse-sources)", r)
    t.check_eq(t.prop(root_job, "State"), "running", "root's job still runs")
    r = user_call("v2vdta", MANAGER_PATH, MANAGER_IFACE, "ListJobs")
    t.check(r[0] == "ok" and "rootguest" in r[1], "v2vdta: ListJobs shows root's job", r)
    pa = user_props("v2vdta", root_job)
    t.check_eq(pa["State"], "running", "v2vdta sees the State of root's job")
    for k in ("Spec", "StateFile", "LogFile", "MachineLogFile", "ThrottlingFile"):
        t.check_eq(pa[k], "", "v2vdta: %s of root's job hidden" % k)
    proot = t.props(root_job)
    t.check("rootguest" in proot["Spec"] and proot["StateFile"].endswith("state.json"),
            "root sees its own Spec and paths")

    # v2vdtb: the rules grant create-job and manage-any-job.
    r = user_call("v2vdtb", MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", spec_b)
    t.check(r[0] == "ok", "v2vdtb: CreateJob allowed by the rules", r)
    b_job = r[1].split()[0]
    t.jobs.append(b_job)
    # The other methods of create-job pass the bus for it too (v2vctl check,
    # submit --check and --at call them).
    for method, args in (("CheckJob", ["s", spec_b]), ("CheckJobWithOptions", ["sa{sv}", spec_b, "0"])):
        p = run_as("v2vdtb", ["busctl", "--user", "--timeout=60", "call", BUS_NAME, MANAGER_PATH, MANAGER_IFACE,
                              method] + args, timeout=90)
        t.check(p.returncode == 0 and p.stdout.startswith("a(ssss) "), "v2vdtb: %s answered" % method,
                (p.stdout, p.stderr))
    p = run_as("v2vdtb", ["busctl", "--user", "call", BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "CreateJobWithOptions",
                          "sa{sv}", "{}", "0"])
    t.check(p.returncode != 0 and "Rejected send message" not in p.stderr and "vm_name" in p.stderr,
            "v2vdtb: CreateJobWithOptions answered by the daemon (an empty spec refused)", p.stderr)
    r = user_call("v2vdtb", job_path(b_job), JOB_IFACE, "SetPriority", "i", 5)
    t.check(r[0] == "error" and r[1].endswith(".JobNotQueued"), "v2vdtb: SetPriority of its running job: "
            "JobNotQueued from the daemon", r)
    t.check_eq(t.prop(b_job, "OwnerUID"), users()["v2vdtb"][0], "OwnerUID of v2vdtb's job")
    t.wait_state(b_job, "running", timeout=30)
    pb = user_props("v2vdtb", root_job)
    t.check("rootguest" in pb["Spec"] and pb["LogFile"].endswith("v2v.log"),
            "v2vdtb (manage-any-job) sees the Spec and paths of root's job")
    pa = user_props("v2vdta", b_job)
    t.check(pa["Spec"] == "" and pa["StateFile"] == "", "v2vdta: Spec and paths of v2vdtb's job hidden")
    r = user_call("v2vdta", job_path(b_job), JOB_IFACE, "Cancel")
    t.check(r[0] == "error" and r[1] == ACCESS_DENIED, "v2vdta: Cancel of v2vdtb's job refused", r)

    # Signals reach everyone: no Spec or path in InterfacesAdded on the system bus.
    added = [m for m in t.monitor.signals("InterfacesAdded") if m.get("sender") and
             str(m["payload"]["data"][0]).startswith("/org/v2vd/V2V1/job/")]
    t.check(added, "InterfacesAdded seen for the jobs")
    for m in added:
        props = m["payload"]["data"][1].get(JOB_IFACE, {})
        t.check(unwrap(props.get("Spec")) == "" and unwrap(props.get("StateFile")) == "",
                "InterfacesAdded of %s carries no Spec or path" % m["payload"]["data"][0])

    # PropertiesChanged goes to every listener too: Phase, LastMessage and
    # Disks change there by invalidation only.
    def job_changed(m):
        return m.get("member") == "PropertiesChanged" and str(m.get("path", "")).startswith("/org/v2vd/V2V1/job/")
    t.monitor.wait(lambda m: job_changed(m) and "Phase" in m["payload"]["data"][2], 15,
                   what="a Phase change sent as an invalidation")
    t.note("Phase changes are sent as invalidations")
    changed = [m for m in t.monitor.signals("PropertiesChanged") if job_changed(m)]
    t.check(all(not set(m["payload"]["data"][1]) & {"Phase", "LastMessage", "Disks"} for m in changed),
            "none of %d PropertiesChanged carries a Phase, LastMessage or Disks value" % len(changed))

    # Several callers at once while polkit answers: none waits for another.
    procs = [subprocess.Popen(as_user(u, ["dbus-send", "--session", "--print-reply", "--dest=" + BUS_NAME,
                                          MANAGER_PATH, MANAGER_IFACE + ".CreateJob", "string:" + spec_b]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for u in ["v2vdta"] * 20]
    errs = [p.communicate(timeout=60)[1] for p in procs]
    t.check(all(ACCESS_DENIED in e for e in errs), "20 concurrent refused CreateJob calls all answered")

    # One connection, 12 calls before reading an answer: at most 8 of its
    # authorization checks are held at once, the rest refused at once.
    got = user_create_job_burst("v2vdta", spec_b, 12)
    t.check_eq(got, [ACCESS_DENIED] * 8 + ["org.v2vd.V2V1.Error.LimitsExceeded"] * 4,
               "12 CreateJob calls on one connection: 8 asked of polkit, 4 LimitsExceeded")

    r = user_call("v2vdtb", job_path(root_job), JOB_IFACE, "Cancel")
    t.check(r[0] == "ok", "v2vdtb: Cancel of root's job allowed (manage-any-job)", r)
    t.check_eq(t.wait_finished(root_job, timeout=60), "cancelled", "root's job")
    r = user_call("v2vdtb", job_path(b_job), JOB_IFACE, "Cancel")
    t.check(r[0] == "ok", "v2vdtb: Cancel of its own job allowed (manage-job)", r)
    t.check_eq(t.wait_finished(b_job, timeout=60), "cancelled", "v2vdtb's job")
    r = user_call("v2vdtb", job_path(b_job), JOB_IFACE, "Remove")
    t.check(r[0] == "ok", "v2vdtb: Remove of its own finished job", r)
    r = user_call("v2vdta", job_path(root_job), JOB_IFACE, "Remove")
    t.check(r[0] == "error" and r[1] == ACCESS_DENIED, "v2vdta: Remove of root's finished job refused", r)

    # Sources: v2vdtb may browse-sources; the helper runs as the
    # caller, so a root-only OVA stays unreadable to it while root reads it.
    r = user_call("v2vdtb", MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", '{"uri": "test:///default"}')
    t.check(r[0] == "ok" and '"name":"test"' in r[1], "v2vdtb: ListSourceVMs allowed by the rules", r)
    secret_ova = os.path.join(t.base, "root-only.ova")
    with open(secret_ova, "wb") as f:
        f.write(b"\0" * 1024)
    os.chmod(secret_ova, 0o600)
    r = user_call("v2vdtb", MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", json.dumps({"ova": secret_ova}))
    t.check(r[0] == "error" and r[1].endswith("SourceError") and "Permission denied" in r[2],
            "v2vdtb: a root-only OVA is read with v2vdtb's rights (refused)", r)
    # At most 4 helpers per caller at once (host/helper.h): the fifth source call is refused.
    import sourcesdata
    srv = sourcesdata.SilentServer()
    hang = json.dumps({"uri": "qemu+tcp://127.0.0.1:%d/system" % srv.port, "timeout": 20})
    hanging = [subprocess.Popen(as_user("v2vdtb", ["dbus-send", "--session", "--print-reply", "--dest=" + BUS_NAME,
                                                    MANAGER_PATH, MANAGER_IFACE + ".ListSourceVMs", "string:" + hang]),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    wait_for(lambda: len(srv.conns) >= 4, 15, "four helpers connected to the silent source")
    r = user_call("v2vdtb", MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", hang)
    t.check(r[0] == "error" and r[1] == "org.v2vd.V2V1.Error.LimitsExceeded" and "uid %d" % users()["v2vdtb"][0] in r[2],
            "v2vdtb: a fifth concurrent source call refused (LimitsExceeded naming its uid)", r)
    for p in hanging:
        p.kill()
        p.wait()
    srv.close()
    name_msg = call(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", '{"uri": "test:///default"}')
    t.check('"name":"test"' in name_msg[0], "root: ListSourceVMs", name_msg)

    wait_for(lambda: d.running(), 1, "the daemon to be running")
    log("  FIGURES: polkit checks by a real polkitd: 2 users, 4 actions, 20 concurrent refusals")


run_test(test)
