#!/usr/bin/env python3
"""A two-disk job: DiskCount 2, per-disk progress in Disks, Phase through
"Copying disk 1/2" and "2/2", overall Progress monotonic to 100, both
output disks written. With disks of 1 and 9 MiB the overall Progress is
weighted by their sizes (taken by CreateJob's helper, handed to the
daemon): about 10 when the first is copied."""
import os

from v2vdtest import run_test, make_image, wait_for, call, job_path, JOB_IFACE


def test(t):
    d = t.start_daemon()
    img1 = make_image(os.path.join(t.base, "img"), "guest", control={"step_delay": 0.02, "copy_seconds": 1.5})
    img2 = make_image(os.path.join(t.base, "img"), "guest-disk2")
    out = os.path.join(t.base, "out")
    job_id, path = t.create_job(t.spec_disk([img1, img2], out_dir=out))
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk 2/2"), 20, "Copying disk 2/2")
    p = t.props(job_id)
    t.check_eq(p["DiskCount"], 2, "DiskCount")
    t.check(len(p["Disks"]) == 2 and p["Disks"][0][1] == 100.0 and p["Disks"][1][1] < 100.0,
            "Disks while copying disk 2: first at 100, second below", p["Disks"])
    t.check(45 <= p["Progress"] <= 100, "overall Progress ≥ ~50 during disk 2 (%.1f)" % p["Progress"])
    t.wait_finished(job_id)
    p = t.props(job_id)
    t.check_eq(p["State"], "succeeded", "State")
    t.check_eq([x[1] for x in p["Disks"]], [100.0, 100.0], "both disks at 100")
    phases = [v for _, v in t.monitor.prop_changes(path, "Phase")]
    t.check("Copying disk 1/2" in phases and "Copying disk 2/2" in phases, "Phase went through both copies", phases)
    vals = [v for _, v in t.monitor.prop_changes(path, "Progress")]
    t.check(vals == sorted(vals) and vals[-1] == 100.0, "overall Progress monotonic to 100", vals)
    for n in ("guest-sda", "guest-sdb", "guest.xml"):
        t.check(os.path.exists(os.path.join(out, n)), "output %s" % n)
    st = d.state(job_id)
    t.check(st.get("disk_count") == 2 and len(st.get("disks", [])) == 2, "state.json disk_count and disks", st)

    small = make_image(os.path.join(t.base, "img2"), "small", size=1024 * 1024,
                       control={"step_delay": 0.02, "hang_at": "Copying disk 2/2"})
    big = make_image(os.path.join(t.base, "img2"), "big", size=9 * 1024 * 1024)
    job_id, path = t.create_job(t.spec_disk([small, big], out_dir=os.path.join(t.base, "out2"), vm_name="small"))
    wait_for(lambda: t.prop(job_id, "Phase").startswith("Copying disk 2/2"), 20, "Copying disk 2/2")
    progress = t.prop(job_id, "Progress")
    t.check(5 <= progress <= 30, "1 MiB + 9 MiB, the first copied: overall Progress weighted by size, not about 50 (%.1f)"
            % progress)
    call(job_path(job_id), JOB_IFACE, "Cancel")
    t.wait_finished(job_id)


run_test(test)
