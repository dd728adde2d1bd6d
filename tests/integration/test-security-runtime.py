#!/usr/bin/env python3
"""The owner cannot grow anything in root's runtime directory, on v2vd
--system with a real polkitd (tests/lib/with-system-bus,
rules security-owner.rules: v2vdta may create jobs).

v2vdta's job has an ssh_key (libvirt over ssh), so the runner starts an
ssh-agent as v2vdta. While it runs:
  * v2vdta cannot create a file, a directory or a FIFO in the job's secret
    directory, nor write into its secret files (it reads them: ACLs);
  * the agent works (ssh-add -l as v2vdta, in the job's mount namespace),
    its socket in a directory that is a tmpfs of v2vdta's there, of 64 KiB
    and 16 inodes: 32 MB written into it are refused (ENOSPC), and the
    runtime directory's file system does not grow.
"""
import json
import os
import subprocess

from v2vdtest import run_test, job_path, get_property, wait_for, JOB_IFACE
from v2vdsystem import SystemDaemon, users, run_as, user_create_job, give


def test(t):
    ctl = os.path.join(t.base, "fake-control")
    os.makedirs(ctl)
    with open(os.path.join(ctl, "xenguest.json"), "w") as f:
        json.dump({"step_delay": 0.02, "hang_at": "Copying disk 1/1"}, f)
    d = SystemDaemon(os.path.join(t.base, "daemon"), environment={"FAKE_V2V_CONTROL_DIR": ctl})
    t.daemon = d
    d.start()
    os.chmod(t.base, 0o755)
    for p in (ctl, os.path.join(ctl, "xenguest.json")):
        os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)
    uid, gid = users()["v2vdta"]
    home = os.path.join(t.base, "home-a")
    os.makedirs(home)
    give("v2vdta", home)
    out = os.path.join(home, "out")
    os.makedirs(out)
    give("v2vdta", out)
    key = os.path.join(home, "id")
    p = run_as("v2vdta", ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "v2vd-test", "-f", key])
    t.check(p.returncode == 0, "v2vdta makes an ssh key", p.stderr)
    with open(key) as f:
        key_text = f.read()

    r = user_create_job("v2vdta", json.dumps({"vm_name": "xenguest", "libvirt_uri": "xen+ssh://root@xen.example.com",
                                              "ssh_key": key_text, "output_dir": out}))
    t.check(r[0] == "ok", "v2vdta creates a job with an ssh_key", r)
    job = r[1].split()[0]
    t.jobs.append(job)
    t.wait_state(job, "running", timeout=30)
    wait_for(lambda: get_property(job_path(job), JOB_IFACE, "Phase").startswith("Copying disk 1/1"), 30,
             "the job to copy")
    secret_dir = os.path.join(d.runtime_dir, "jobs", job)
    agent_dir = os.path.join(secret_dir, "agent")

    for what, argv in (("a file", ["sh", "-c", 'head -c 1048576 /dev/zero > "$1/x"', "sh", secret_dir]),
                       ("a directory", ["mkdir", os.path.join(secret_dir, "d")]),
                       ("a FIFO", ["mkfifo", os.path.join(secret_dir, "f")]),
                       ("into its ssh_key secret", ["sh", "-c", 'head -c 1048576 /dev/zero >> "$1/ssh_key"', "sh",
                                                    secret_dir])):
        p = run_as("v2vdta", argv)
        t.check(p.returncode != 0 and "ermission denied" in p.stderr,
                "v2vdta cannot write %s in its job's secret directory" % what, p.stderr)
    p = run_as("v2vdta", ["head", "-c", "10", os.path.join(secret_dir, "ssh_key")])
    t.check(p.returncode == 0 and p.stdout.startswith("-----"), "... but reads its secrets", p.stderr)
    t.check_eq(sorted(os.listdir(secret_dir)), sorted(set(os.listdir(secret_dir)) - {"x", "d", "f"}),
               "nothing of v2vdta's appeared there")

    pid = get_property(job_path(job), JOB_IFACE, "PID")
    t.check(pid > 0, "virt-v2v's pid", pid)
    in_job = ["nsenter", "-t", str(pid), "-m", "--", "setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
              "--clear-groups", "env", "SSH_AUTH_SOCK=" + os.path.join(agent_dir, "agent.sock")]
    p = subprocess.run(in_job + ["ssh-add", "-l"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=30)
    t.check(p.returncode == 0 and "v2vd-test" in p.stdout, "the job's agent holds the key (ssh-add -l as v2vdta, "
            "in the job's mount namespace)", p.stdout + p.stderr)
    before = os.statvfs(d.runtime_dir)
    p = subprocess.run(in_job + ["sh", "-c", 'head -c 33554432 /dev/zero > "$1/fill"; echo $?; '
                                 'stat -c %s "$1/fill"; i=0; while [ $i -lt 40 ]; do mkdir "$1/d$i" 2>/dev/null '
                                 '|| break; i=$((i+1)); done; echo $i', "sh", agent_dir],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    rc, size, dirs = p.stdout.split()
    t.check(rc != "0" and "No space left" in p.stderr, "32 MB into the agent's directory: refused (ENOSPC)", p.stderr)
    t.check(int(size) <= 64 * 1024, "... at most 64 KiB taken", size)
    t.check(int(dirs) < 16, "... and at most 16 inodes (%s directories made)" % dirs)
    after = os.statvfs(d.runtime_dir)
    grown = (before.f_bfree - after.f_bfree) * before.f_frsize
    t.check(grown < 1024 * 1024, "the runtime directory's file system did not grow", grown)
    t.check(not os.path.exists(os.path.join(agent_dir, "fill")), "outside the job's namespace there is nothing")
    r = subprocess.run(["busctl", "--user", "call", "org.v2vd.V2V1", job_path(job), JOB_IFACE, "Cancel"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t.check_eq(t.wait_finished(job, timeout=60), "cancelled", "the job")


run_test(test)
