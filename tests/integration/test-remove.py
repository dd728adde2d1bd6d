#!/usr/bin/env python3
"""Remove: refused while running (JobNotFinished); on a finished job it
deletes the directory, sends JobRemoved and InterfacesRemoved; the object
and GetJob are gone (NoSuchJob)."""
import os

from v2vdtest import (run_test, call, call_error, MANAGER_PATH, MANAGER_IFACE, JOB_IFACE, ERROR_PREFIX,
                      make_image, wait_for, introspect_xml)


def test(t):
    d = t.start_daemon()
    img = make_image(os.path.join(t.base, "img"), control={"step_delay": 0.02, "copy_seconds": 30})
    job_id, path = t.create_job(t.spec_disk(img))
    t.wait_state(job_id, "running")
    name, msg = call_error(path, JOB_IFACE, "Remove")
    t.check_eq(name, ERROR_PREFIX + "JobNotFinished", "Remove on a running job")
    call(path, JOB_IFACE, "Cancel")
    t.wait_finished(job_id, timeout=15)
    jd = d.job_dir(job_id)
    t.check(os.path.isdir(jd), "job directory exists before Remove")
    call(path, JOB_IFACE, "Remove")
    t.monitor.wait(lambda m: m.get("member") == "JobRemoved" and m["payload"]["data"] == [job_id, path], 5,
                   what="JobRemoved")
    t.note("JobRemoved(%s, %s)" % (job_id, path))
    rm = t.monitor.wait(lambda m: m.get("member") == "InterfacesRemoved" and m["payload"]["data"][0] == path, 5,
                        what="InterfacesRemoved")
    t.check(JOB_IFACE in rm["payload"]["data"][1], "InterfacesRemoved lists %s" % JOB_IFACE)
    wait_for(lambda: not os.path.exists(jd), 5, "job directory deleted")
    t.note("job directory %s deleted" % jd)
    name, msg = call_error(MANAGER_PATH, MANAGER_IFACE, "GetJob", "s", job_id)
    t.check_eq(name, ERROR_PREFIX + "NoSuchJob", "GetJob after Remove")
    t.check_eq(call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0], [], "ListJobs empty")
    t.check("org.v2vd.V2V1.Job" not in introspect_xml(path, check=False), "object no longer has the Job interface")
    name, msg = call_error(MANAGER_PATH, MANAGER_IFACE, "GetJob", "s", "nosuch")
    t.check_eq(name, ERROR_PREFIX + "NoSuchJob", "GetJob of an unknown id")
    t.assert_no_leftovers()


run_test(test)
