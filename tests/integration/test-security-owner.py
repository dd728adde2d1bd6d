#!/usr/bin/env python3
"""A job acts with its owner's rights: the
attacks a user whom polkit allows only create-job could make on v2vd
--system, each reproduced against the real daemon and a real polkitd
(tests/lib/with-system-bus, rules tests/integration/security-owner.rules:
v2vdta may create jobs, v2vdtb nothing), and shown to do no harm; and the
owner using its own job (state file, log, throttling.json).

  * --qemu-boot: virt-v2v writes DIR/NAME.sh, chmods it and runs it; the
    user swaps in its own script in that window. It runs — as the user.
  * symlinks planted at the output names, pointing at root's files: the
    conversion fails, root's files are untouched.
  * cancel of a queued job named like root's files in a shared directory;
    cancel of a running one after root made a file of the job's name
    pattern and the user planted a symlink to root's file: only what the
    job itself created goes.
  * a root-only input: refused with the same words whether it exists or not.
  * -o rhv (an export domain's vdsm ownership): refused without root_outputs=.
  * authorization checks held by a never-answering authentication agent,
    a 900 KiB ignored key, a spec over 1 MiB: bounded before polkit is asked.
"""
import json
import os
import subprocess
import time

from v2vdtest import (run_test, make_image, fake_records, rss_kb, memory_checker, job_path, log, wait_for,
                      MANAGER_PATH, MANAGER_IFACE, JOB_IFACE, BUS_NAME)
from v2vdsystem import (SystemDaemon, ACCESS_DENIED, users, as_user, run_as, user_call, user_create_job, user_props,
                        user_create_job_held, give)

INVALID_SPEC = "org.v2vd.V2V1.Error.InvalidSpec"
LIMITS_EXCEEDED = "org.v2vd.V2V1.Error.LimitsExceeded"


def create(t, user, spec):
    r = user_create_job(user, json.dumps(spec))
    if r[0] == "ok":
        t.jobs.append(r[1].split()[0])
    return r


def root_file(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def test(t):
    d = SystemDaemon(os.path.join(t.base, "daemon"), config={"max_running_jobs": 1,
                                                                   "max_pending_authorizations_per_user": 3,
                                                                   "max_queued_jobs_per_user": 4})
    t.daemon = d
    d.start()
    uid_a = users()["v2vdta"][0]
    os.chmod(t.base, 0o755)
    rootdir = os.path.join(t.base, "root-only-writable")     # 0755 root: nobody else writes here
    os.makedirs(rootdir)

    # ---- 1. --qemu-boot: the script swapped between chmod and exec runs as the owner.
    home_a = os.path.join(t.base, "home-a")
    os.makedirs(home_a)
    give("v2vdta", home_a)
    img_q = make_image(home_a, "guestq", {"step_delay": 0.02, "copy_seconds": 0.2, "qemu_boot_pause": 2,
                                          "record": True})
    give("v2vdta", img_q, img_q + ".fake.json")
    out_q = os.path.join(home_a, "out-q")
    os.makedirs(out_q)
    give("v2vdta", out_q)
    pwned = os.path.join(rootdir, "pwned")
    proof = os.path.join(out_q, "proof")
    evil = "#!/bin/sh\nid -u > %s\necho pwned > %s\n" % (proof, pwned)
    swapper = subprocess.Popen(as_user("v2vdta", ["python3", "-c", """
import os, sys, time
sh, evil = sys.argv[1], sys.argv[2]
deadline = time.time() + 60
while time.time() < deadline:
    try:
        if os.stat(sh).st_mode & 0o111:
            tmp = sh + ".evil"
            with open(tmp, "w") as f:
                f.write(evil)
            os.chmod(tmp, 0o755)
            os.rename(tmp, sh)
            print("swapped"); sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.005)
sys.exit(1)
""", os.path.join(out_q, "guestq.sh"), evil]), stdout=subprocess.PIPE, text=True)
    r = create(t, "v2vdta", {"vm_name": "guestq", "disk": [img_q], "qemu_dir": out_q, "qemu_boot": True})
    t.check(r[0] == "ok", "v2vdta (create-job only): CreateJob of a --qemu-boot job", r)
    job_q = r[1].split()[0]
    t.check_eq(t.wait_finished(job_q, timeout=90), "succeeded", "the --qemu-boot job")
    t.check_eq(swapper.communicate(timeout=30)[0].strip(), "swapped", "the attacker swapped DIR/NAME.sh")
    wait_for(lambda: os.path.exists(proof), 20, "the swapped script to run")
    t.check_eq(read(proof).strip(), str(uid_a), "the swapped script ran as the owner, not as root")
    t.check(not os.path.exists(pwned), "the swapped script could not write where only root writes")
    recs = fake_records(img_q)
    t.check(recs and all(r["uid"] == uid_a for r in recs), "virt-v2v itself ran as the owner", recs)

    # ---- 2. symlinks at the output names, to root's files.
    victim_disk = root_file(os.path.join(rootdir, "victim-disk"), "root's disk\n")
    victim_xml = root_file(os.path.join(rootdir, "victim.xml"), "root's xml\n")
    img_s = make_image(home_a, "guests", {"step_delay": 0.02, "copy_seconds": 0.2})
    give("v2vdta", img_s, img_s + ".fake.json")
    out_s = os.path.join(home_a, "out-s")
    os.makedirs(out_s)
    give("v2vdta", out_s)
    for name, target in (("guests-sda", victim_disk), ("guests.xml", victim_xml)):
        p = run_as("v2vdta", ["ln", "-s", target, os.path.join(out_s, name)])
        t.check(p.returncode == 0, "v2vdta planted %s -> %s" % (name, target), p.stderr)
    r = create(t, "v2vdta", {"vm_name": "guests", "disk": [img_s], "output_dir": out_s})
    t.check(r[0] == "ok", "CreateJob with symlinked output names", r)
    t.check_eq(t.wait_finished(r[1].split()[0], timeout=90), "failed", "the job writing through the symlinks")
    t.check_eq(read(victim_disk), "root's disk\n", "root's file behind guests-sda untouched")
    t.check_eq(read(victim_xml), "root's xml\n", "root's file behind guests.xml untouched")

    # ---- 3. cancel: only what the job created.
    shared = os.path.join(t.base, "shared")          # like /tmp: 1777
    os.makedirs(shared)
    os.chmod(shared, 0o1777)
    root_q = [root_file(os.path.join(shared, n), "root's %s\n" % n) for n in ("victim-sda", "victim.xml")]
    img_r = make_image(home_a, "runner", {"step_delay": 0.02, "hang_at": "Copying disk 1/1", "record": True})
    give("v2vdta", img_r, img_r + ".fake.json")
    r = create(t, "v2vdta", {"vm_name": "victim2", "disk": [img_r], "output_dir": shared})
    t.check(r[0] == "ok", "CreateJob victim2 (runs, hangs while copying)", r)
    job_r = r[1].split()[0]
    t.wait_state(job_r, "running", timeout=30)
    r = create(t, "v2vdta", {"vm_name": "victim", "disk": [img_s], "output_dir": shared})
    t.check(r[0] == "ok", "CreateJob victim (queued behind victim2)", r)
    job_v = r[1].split()[0]
    t.check_eq(t.prop(job_v, "State"), "queued", "job victim")
    r = user_call("v2vdta", job_path(job_v), JOB_IFACE, "Cancel")
    t.check(r[0] == "ok", "v2vdta cancels its queued job victim", r)
    t.check_eq(t.wait_finished(job_v, timeout=30), "cancelled", "job victim")
    for p in root_q:
        t.check(os.path.exists(p) and read(p).startswith("root's"), "root's %s survives the cancel" % p)

    own = os.path.join(shared, "victim2-sda")
    wait_for(lambda: os.path.exists(own), 30, "victim2's own output disk")
    later = root_file(os.path.join(shared, "victim2-sdz"), "root's, made while the job ran\n")
    link = os.path.join(shared, "victim2-sdy")
    p = run_as("v2vdta", ["ln", "-s", victim_disk, link])
    t.check(p.returncode == 0, "v2vdta planted victim2-sdy -> root's file", p.stderr)

    # ---- 4. the owner uses its own job (while it runs).
    jdir = d.job_dir(job_r)
    for name in ("state.json", "v2v.log"):
        p = run_as("v2vdta", ["cat", os.path.join(jdir, name)])
        t.check(p.returncode == 0 and p.stdout, "the owner reads its %s" % name, p.stderr)
        p = run_as("v2vdtb", ["cat", os.path.join(jdir, name)])
        t.check(p.returncode != 0, "another user cannot read its %s" % name)
    argv = ["busctl", "--user", "--json=short", "call", BUS_NAME, job_path(job_r), JOB_IFACE, "ReadLog", "tu",
            "0", "65536"]
    p = run_as("v2vdta", argv)
    t.check(p.returncode == 0 and b"Copying disk 1/1" in bytes(json.loads(p.stdout)["data"][0]),
            "the owner's ReadLog (the bus policy lets it through)", p.stderr)
    p = run_as("v2vdtb", argv)
    t.check(p.returncode != 0 and ("Access denied" in p.stderr or "AccessDenied" in p.stderr or
                                   "not allowed" in p.stderr.lower()),
            "another user's ReadLog refused by the daemon", p.stderr)
    mine, theirs = user_props("v2vdta", job_r), user_props("v2vdtb", job_r)
    t.check(mine["Phase"] and mine["Disks"] and mine["LastMessage"][1], "the owner sees Phase, Disks, LastMessage",
            mine)
    t.check(theirs["Phase"] == "" and theirs["Disks"] == [] and list(theirs["LastMessage"]) == ["", ""] and
            theirs["Spec"] == "", "another user sees no Phase, Disks, LastMessage or Spec of the job", theirs)
    t.check(theirs["State"] == "running" and theirs["Progress"] > 0, "... but its State and Progress")
    tf = os.path.join(jdir, "throttling.json")
    p = run_as("v2vdta", ["sh", "-c", "printf '%s' '{\"cpu\": \"50%\"}' > " + tf])
    t.check(p.returncode == 0, "the owner writes its throttling.json", p.stderr)
    wait_for(lambda: t.prop(job_r, "CPULimit") == "50%", 10, "CPULimit 50% from the owner's throttling.json")
    p = run_as("v2vdtb", ["sh", "-c", "echo '{}' > " + tf])
    t.check(p.returncode != 0, "another user cannot write its throttling.json")

    r = user_call("v2vdta", job_path(job_r), JOB_IFACE, "Cancel")
    t.check(r[0] == "ok", "v2vdta cancels its running job victim2", r)
    t.check_eq(t.wait_finished(job_r, timeout=60), "cancelled", "job victim2")
    wait_for(lambda: not os.path.exists(own), 10, "victim2's own partial output removed")
    with open(os.path.join(d.job_dir(job_r), "job.json")) as f:
        created = json.load(f)["created_outputs"]
    t.check(any(c.endswith(":victim2-sda") for c in created) and not any("sdz" in c or "sdy" in c for c in created),
            "the job recorded its own file by device and inode, not root's or the planted link", created)
    t.check(os.path.exists(later), "root's victim2-sdz (same name pattern, made while the job ran) survives")
    t.check(os.path.islink(link), "the planted symlink is not followed (and not the job's: kept)")
    t.check_eq(read(victim_disk), "root's disk\n", "root's file behind the symlink untouched")

    # ---- 5. root-only input: refused, and the words do not tell whether it exists.
    secret = os.path.join(t.base, "root-0700")
    os.makedirs(secret, mode=0o700)
    os.chmod(secret, 0o700)
    make_image(secret, "there")
    msgs = {}
    for name in ("there", "absent"):
        r = create(t, "v2vdta", {"vm_name": "g", "disk": [os.path.join(secret, name + ".img")],
                                 "output_dir": out_s})
        t.check(r[0] == "error" and r[1] == INVALID_SPEC, "a disk in root's 0700 directory (%s) refused" % name, r)
        msgs[name] = r[2].replace(name, "NAME")
    t.check_eq(msgs["there"], msgs["absent"], "the same refusal whether the root-only disk exists or not")
    ro = make_image(rootdir, "root-owned")
    os.chmod(ro, 0o600)
    r = create(t, "v2vdta", {"vm_name": "g", "disk": [ro], "output_dir": out_s})
    t.check(r[0] == "error" and r[1] == INVALID_SPEC and "Permission denied" in r[2],
            "a root-only (0600) disk refused to the owner", r)

    # ---- 6. an output only root can write.
    r = create(t, "v2vdta", {"vm_name": "g", "disk": [img_s], "export_domain": "nfs.example.com:/export"})
    t.check(r[0] == "error" and r[1] == ACCESS_DENIED and "root_outputs=rhv" in r[2],
            "-o rhv refused to a non-root owner without root_outputs=", r)
    # ---- 7. bounded resources per caller, checked before polkit is asked.
    blocker = create(t, "v2vdta", {"vm_name": "blocker", "disk": [img_r], "output_dir": out_s})
    t.check(blocker[0] == "ok", "a running job keeps the next ones queued", blocker)
    t.wait_state(blocker[1].split()[0], "running", timeout=30)
    pid = d.proc.pid
    rss0 = rss_kb(pid)
    big_ignored = "x" * (900 * 1024)
    queued = []
    for i in range(4):
        r = create(t, "v2vdta", {"vm_name": "q%d" % i, "disk": [img_s], "output_dir": out_s,
                                 "two_phase": big_ignored})
        t.check(r[0] == "ok", "queued job %d with a 900 KiB ignored key" % i, r[:2])
        queued.append(r[1].split()[0])
    spec_len = len(t.prop(queued[0], "Spec"))
    t.check(spec_len < 4096 and "two_phase" not in t.prop(queued[0], "Spec"),
            "the ignored key is not kept (Spec is %d bytes)" % spec_len)
    growth = rss_kb(pid) - rss0
    if memory_checker(pid):   # freed memory stays in its quarantine: RSS says nothing
        log("       (RSS grew %d KiB under %s: not checked)" % (growth, memory_checker(pid)))
    else:
        t.check(growth < 16 * 1024, "4 queued jobs with a 900 KiB ignored key grew the daemon by %d KiB (< 16 MiB)"
                % growth)
    r = create(t, "v2vdta", {"vm_name": "q5", "disk": [img_s], "output_dir": out_s})
    t.check(r[0] == "error" and r[1].endswith("TooManyJobs") and "max_queued_jobs_per_user=4" in r[2],
            "a 5th queued job of the same user refused (max_queued_jobs_per_user=4)", r)
    for j in queued + [blocker[1].split()[0]]:
        user_call("v2vdta", job_path(j), JOB_IFACE, "Cancel")

    r = create(t, "v2vdtb", {"vm_name": "g", "disk": [img_s], "output_dir": out_s, "two_phase": "x" * (1100 * 1024)})
    t.check(r[0] == "error" and r[1] == LIMITS_EXCEEDED and "1048576" in r[2],
            "a spec over 1 MiB refused before polkit is asked (LimitsExceeded, not AccessDenied)", r[:2])
    # Held authorization checks: v2vdtb's create-job needs an administrator,
    # and its authentication agent never answers, so each check stays with
    # polkit (up to the daemon's 5 minutes for interactive ones). The daemon
    # holds 3 (max_pending_authorizations_per_user=3) and refuses the rest at
    # once, before polkit is asked.
    spec_b = json.dumps({"vm_name": "g", "disk": [img_s], "output_dir": out_s})
    procs = [user_create_job_held("v2vdtb", spec_b, 12) for _ in range(6)]
    for p in procs:
        p.stdin.write(spec_b)
        p.stdin.close()
    answers = []
    for p in procs:
        out, err = p.stdout.read(), p.stderr.read()
        p.wait(timeout=60)
        answers.append(json.loads(out) if out.strip() else [err.strip()[-200:], -1])
    log("       answers (kind, s): %s" % ", ".join("%s %.1f" % (k.split(".")[-1], e) for k, e in answers))
    t.check_eq(sorted(k for k, _ in answers), ["held"] * 3 + [LIMITS_EXCEEDED] * 3,
               "6 CreateJob of v2vdtb with a never-answering agent: 3 held by polkit, 3 refused")
    t.check(all(e < 2 for k, e in answers if k == LIMITS_EXCEEDED),
            "the LimitsExceeded answers came at once, not after polkit", answers)
    r = create(t, "v2vdta", {"vm_name": "g2", "disk": [img_s], "output_dir": out_s})
    t.check(r[0] == "ok", "another user creates a job meanwhile", r[:2])
    user_call("v2vdta", job_path(r[1].split()[0]), JOB_IFACE, "Cancel")

    # ---- 8. v2vd --system without a bus leaves nothing behind.
    nobus = os.path.join(t.base, "nobus")
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + os.path.join(t.base, "no-such-bus"))
    p = subprocess.run([d.binary, "--system", "--config", d.config_path, "--state-dir", nobus + "/state",
                        "--runtime-dir", nobus + "/run"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    t.check(p.returncode != 0, "v2vd --system without a bus fails", p.stdout)
    t.check(not os.path.exists(nobus), "... and creates no directory", os.listdir(t.base))
    log("  FIGURES: 6 attacks by a create-job user reproduced, none did harm")


if __name__ == "__main__":
    run_test(test)
