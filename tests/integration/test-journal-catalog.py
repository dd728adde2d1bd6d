#!/usr/bin/env python3
"""A job's life in the journal: created, started, succeeded, failed and
cancelled are entries with their MESSAGE_ID (daemon/common/message-ids.h)
and V2VD_JOB, V2VD_VM, V2VD_OWNER_UID, V2VD_RESULT, found by
`journalctl MESSAGE_ID=… V2VD_JOB=…`; `journalctl -x` explains each from
systemd/v2vd.catalog after `journalctl --update-catalog`. The journal is a
private systemd-journald in the test's mount namespace (v2vdjournal.py)."""
import os
import re

from v2vdtest import run_test, make_image, wait_for
from v2vdjournal import PrivateJournal

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IDS = dict(re.findall(r'#define\s+V2VD_MESSAGE_JOB_(\w+)\s+"([0-9a-f]{32})"',
                      open(os.path.join(top, "daemon", "common", "message-ids.h")).read()))


def test(t):
    journal = PrivateJournal([os.path.join(top, "systemd", "v2vd.catalog")]).start()
    try:
        run(t, journal)
    finally:
        journal.stop()


def run(t, journal):
    t.check_eq(sorted(IDS), ["CANCELLED", "CREATED", "FAILED", "STARTED", "SUCCEEDED"], "message ids")
    d = t.start_daemon(env={"V2VD_LOG_TARGET": "journal"})
    imgs = os.path.join(t.base, "imgs")
    ok = make_image(imgs, "okvm", {"step_delay": 0.02, "copy_seconds": 0.3})
    bad = make_image(imgs, "badvm", {"step_delay": 0.02, "fail_at": "Copying disk 1/1",
                                     "error": "disk exploded: journal test"})
    hang = make_image(imgs, "hangvm", {"step_delay": 0.02, "hang_at": "Copying disk 1/1"})
    j_ok, _ = t.create_job(t.spec_disk(ok, vm_name="okvm"))
    j_bad, _ = t.create_job(t.spec_disk(bad, vm_name="badvm"))
    j_hang, path = t.create_job(t.spec_disk(hang, vm_name="hangvm"))
    t.wait_finished(j_ok)
    t.wait_finished(j_bad)
    t.wait_state(j_hang, "running")
    wait_for(lambda: t.prop(j_hang, "Phase").startswith("Copying disk 1/1"), 15, "hangvm copying")
    from v2vdtest import call, JOB_IFACE
    call(path, JOB_IFACE, "Cancel")
    t.wait_finished(j_hang)
    uid = str(os.getuid())

    def one(kind, job):
        e = wait_for(lambda: journal.entries("MESSAGE_ID=" + IDS[kind], "V2VD_JOB=%s" % job), 10,
                     "the %s entry of job %s" % (kind, job))
        t.check_eq(len(e), 1, "one %s entry for job %s" % (kind, job))
        return e[0]

    for job, vm, end, rc in ((j_ok, "okvm", "SUCCEEDED", "0"), (j_bad, "badvm", "FAILED", "1"),
                             (j_hang, "hangvm", "CANCELLED", None)):
        c = one("CREATED", job)
        t.check_eq((c.get("V2VD_VM"), c.get("V2VD_OWNER_UID"), c.get("V2VD_RESULT"), c.get("SYSLOG_IDENTIFIER")),
                   (vm, uid, "queued", "v2vd"), "job %s created: V2VD_VM, V2VD_OWNER_UID, V2VD_RESULT" % job)
        s = one("STARTED", job)
        t.check_eq((s.get("V2VD_VM"), s.get("V2VD_RESULT"), s.get("V2VD_UNIT")),
                   (vm, "running", "v2vd-job-%s.scope" % job), "job %s started: V2VD_RESULT, V2VD_UNIT" % job)
        f = one(end, job)
        t.check_eq((f.get("V2VD_VM"), f.get("V2VD_OWNER_UID"), f.get("V2VD_RESULT")),
                   (vm, uid, end.lower()), "job %s %s: V2VD_VM, V2VD_OWNER_UID, V2VD_RESULT" % (job, end.lower()))
        if rc is not None:
            t.check_eq(f.get("V2VD_RETURN_CODE"), rc, "job %s V2VD_RETURN_CODE" % job)
        t.check(int(c["__REALTIME_TIMESTAMP"]) <= int(s["__REALTIME_TIMESTAMP"]) <= int(f["__REALTIME_TIMESTAMP"]),
                "job %s: created, started, %s in that order" % (job, end.lower()))
        others = [k for k in IDS if k not in ("CREATED", "STARTED", end)]
        for k in others:
            t.check_eq(journal.entries("MESSAGE_ID=" + IDS[k], "V2VD_JOB=%s" % job), [],
                       "no %s entry for job %s" % (k.lower(), job))
    bad_end = one("FAILED", j_bad)
    t.check("disk exploded: journal test" in bad_end["MESSAGE"] and bad_end["PRIORITY"] == "3",
            "the failed entry says virt-v2v's error, at priority err", bad_end)

    r = journal.update_catalog()
    t.check(r.returncode == 0, "journalctl --update-catalog", r.stdout)
    x = journal.explained("V2VD_JOB=%s" % j_bad)
    t.check("job %s failed: VM badvm not converted: disk exploded: journal test" % j_bad in x
            and "Subject: A v2vd conversion job failed" in x,
            "journalctl -x: the failed entry, then its catalog subject", x[-3000:])
    t.check("What to do: read the end of the job's log" in x, "journalctl -x: what to do", x[-3000:])
    x = journal.explained("MESSAGE_ID=" + IDS["CANCELLED"])
    t.check("job %s cancelled: VM hangvm" % j_hang in x and "Subject: A v2vd conversion job was cancelled" in x,
            "journalctl -x explains the cancel", x[-2000:])
    d.stop()


run_test(test)
