#!/usr/bin/python3
"""The v2vd.conversion Ansible collection against a fleet on this machine.

Three hosts, each a network namespace (fleet-…, a veth to this namespace
with addresses of its own /30) with its own sshd, mount namespace, systemd
--user and session bus (tests/lib/with-systemd-user, via fleet-host.py).
The collection is built with ansible-galaxy and installed in the test's
directory; ansible-playbook (Debian's ansible-core) then reaches the hosts
over ssh only:

  1. the role conversion_host (v2vd_install: build, this build tree;
     v2vd_scope: user; the fake virt-v2v) configures each host and starts
     its v2vd; run again, it changes nothing;
  2. the playbook convert_batch spreads 7 VMs over the 3 hosts and waits
     for all (every job succeeded, each on its host); run again it changes
     nothing and creates no job;
  3. v2vd_info reports each host's jobs, counts and limits;
  4. v2vd_job state=absent removes one VM's job, state=present converts it
     again (changed), and a check-mode run reports a change without acting.

Usage: test-fleet.py SOURCE_ROOT BUILD_ROOT. Needs root. Traffic only on
the veths of the test's own namespaces.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

top, build = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(top, "tests", "lib"))
from v2vdtest import make_image  # noqa: E402
import v2vdnet  # noqa: E402
from v2vdnet import NetPair  # noqa: E402

HOSTS = ("fleet-a", "fleet-b", "fleet-c")
VMS = ["vm%d" % i for i in range(1, 8)]
collection_src = os.path.join(top, "client", "ansible", "v2vd", "conversion")
failures = []
n = 0


def log(msg):
    print(msg, flush=True)


# this is TAP: what the shared helpers say is a comment
v2vdnet.log = lambda msg: log("# " + msg.strip())


def check(ok, what, detail=None):
    global n
    n += 1
    log("%s %d - %s" % ("ok" if ok else "not ok", n, what))
    if not ok:
        failures.append(what)
        if detail is not None:
            log("# " + str(detail).replace("\n", "\n# ")[-4000:])
    return ok


def run(argv, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    return p


def recap(out):
    """PLAY RECAP → {host: {ok:…, changed:…, failed:…, unreachable:…}} (the last recap)."""
    part = out.rsplit("PLAY RECAP", 1)[-1]
    res = {}
    for m in re.finditer(r"^(\S+)\s+:\s+(.*)$", part, re.M):
        res[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return res


class Fleet:
    def __init__(self, base):
        self.base = base
        self.pairs, self.procs = {}, {}
        self.env = dict(os.environ)
        self.env.update({
            "ANSIBLE_HOME": os.path.join(base, "ansible-home"),
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(base, "collections"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(base, "ansible-local"),
            "ANSIBLE_REMOTE_TMP": os.path.join(base, "ansible-remote"),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": os.path.join(base, "cp"),
            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "True", "ANSIBLE_STDOUT_CALLBACK": "default",
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3", "ANSIBLE_FORKS": "3",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            # ssh masters end soon after the last task: the hosts' sshd stop at the end
            "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=10s",
        })
        self.env.pop("ANSIBLE_CONFIG", None)

    def start(self):
        keys = os.path.join(self.base, "keys")
        os.makedirs(keys)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fleet-test", "-f",
                        os.path.join(keys, "client_key")], check=True)
        known = []
        for h in HOSTS:
            pair = NetPair(prefix="fleet-", if_prefix="fl")
            self.pairs[h] = pair
            d = os.path.join(self.base, h)
            os.makedirs(d)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", h, "-f",
                            os.path.join(d, "host_key")], check=True)
            shutil.copy(os.path.join(keys, "client_key.pub"), os.path.join(d, "authorized_keys"))
            with open(os.path.join(d, "host_key.pub")) as f:
                known.append("%s %s" % (pair.peer_ip, " ".join(f.read().split()[:2])))
            self.procs[h] = subprocess.Popen(
                pair.nsexec() + [os.path.join(top, "tests/lib/with-systemd-user"), "/usr/bin/python3",
                                 os.path.join(top, "tests/ansible/fleet-host.py"), d, pair.peer_ip, str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=open(os.path.join(d, "host.log"), "w"), stderr=subprocess.STDOUT)
        with open(os.path.join(keys, "known_hosts"), "w") as f:
            f.write("\n".join(known) + "\n")
        for h in HOSTS:
            d = os.path.join(self.base, h)
            deadline = time.monotonic() + 60
            while not os.path.exists(os.path.join(d, "ready")):
                if self.procs[h].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("host %s did not start: %s" % (h, open(os.path.join(d, "host.log")).read()))
                time.sleep(0.1)
            while True:
                try:
                    socket.create_connection((self.pairs[h].peer_ip, 22), 1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("sshd of %s does not answer" % h)
                    time.sleep(0.1)
            log("# %s: netns %s, sshd on %s:22" % (h, self.pairs[h].ns, self.pairs[h].peer_ip))
        self.ssh_args = ("-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes "
                         "-o BatchMode=yes" % os.path.join(keys, "known_hosts"))
        self.key = os.path.join(keys, "client_key")

    def ssh(self, h, command):
        return run(["ssh", "-i", self.key] + self.ssh_args.split() + ["root@" + self.pairs[h].peer_ip, command],
                   timeout=60)

    def stop(self):
        for h in self.procs:
            open(os.path.join(self.base, h, "stop"), "w").close()
        for h, p in self.procs.items():
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for pair in self.pairs.values():
            pair.close()

    def inventory(self, extra_host_vars=None):
        path = os.path.join(self.base, "inventory.yml")
        hosts = {}
        for h in HOSTS:
            hv = {"ansible_host": self.pairs[h].peer_ip, "ansible_user": "root",
                  "ansible_ssh_private_key_file": self.key, "ansible_ssh_common_args": self.ssh_args}
            hv.update((extra_host_vars or {}).get(h, {}))
            hosts[h] = hv
        with open(path, "w") as f:
            json.dump({"conversion_hosts": {"hosts": hosts}}, f)   # YAML is a superset of JSON
        return path

    def playbook(self, *args, what=""):
        t0 = time.monotonic()
        p = run(["ansible-playbook"] + list(args), env=self.env, cwd=self.base, timeout=900)
        log("# ansible-playbook %s (%s): exit %d in %.1f s" % (" ".join(os.path.basename(a) for a in args[2:3]),
                                                             what, p.returncode, time.monotonic() - t0))
        for line in p.stdout.rsplit("PLAY RECAP", 1)[-1].splitlines()[1:]:
            if line.strip():
                log("#   " + line.strip())
        return p


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (network namespaces, sshd, systemd --user)")
        sys.exit(77)
    base = tempfile.mkdtemp(prefix="fleet-ansible.", dir="/var/tmp")
    os.chmod(base, 0o755)
    fleet = Fleet(base)
    try:
        steps(fleet, base)
    except Exception as e:  # noqa: BLE001 — one crash must not hide the others' diagnostics
        import traceback
        traceback.print_exc()
        check(False, "the test ran to its end (%s)" % e)
    finally:
        fleet.stop()
        if failures:
            for h in HOSTS:
                p = os.path.join(base, h, "host.log")
                if os.path.exists(p):
                    log("# ---- %s host.log:\n# %s" % (h, open(p).read()[-2000:].replace("\n", "\n# ")))
        left = [pair.ns for pair in fleet.pairs.values() if pair.leftovers()]
        check(not left, "no namespace or link left (%s)" % left)
        if os.environ.get("V2VD_TEST_KEEP") == "1":
            log("# kept %s" % base)
        else:
            shutil.rmtree(base, ignore_errors=True)
    print("1..%d" % n)
    sys.exit(1 if failures else 0)


def steps(fleet, base):
    # The collection, as a user gets it: built, then installed.
    r = run(["ansible-galaxy", "collection", "build", collection_src, "--output-path", base], env=fleet.env)
    tarball = os.path.join(base, "v2vd-conversion-0.1.0.tar.gz")
    check(r.returncode == 0 and os.path.exists(tarball), "ansible-galaxy collection build", r.stdout)
    r = run(["ansible-galaxy", "collection", "install", tarball, "-p", fleet.env["ANSIBLE_COLLECTIONS_PATH"]],
            env=fleet.env)
    check(r.returncode == 0, "ansible-galaxy collection install", r.stdout)
    r = run(["ansible-doc", "-t", "module", "v2vd.conversion.v2vd_job"], env=fleet.env)
    check(r.returncode == 0 and "idempotent" in r.stdout.lower(), "ansible-doc reads v2vd_job's documentation",
          r.stdout[-1500:])
    for m in ("v2vd_job", "v2vd_info"):
        r = run(["ansible-doc", "-t", "module", "v2vd.conversion." + m], env=fleet.env)
        check(r.returncode == 0 and "- scope" in r.stdout and "The v2vctl program on the target" in r.stdout,
              "ansible-doc shows %s's scope and v2vctl options (the collection's doc fragment)" % m,
              r.stdout[-1500:])

    fleet.start()
    imgs = os.path.join(base, "imgs")
    for vm in VMS:
        make_image(imgs, vm, {"step_delay": 0.05, "copy_seconds": 1.5})
    for h in HOSTS:
        os.makedirs(os.path.join(base, h, "out"))
        os.makedirs(os.path.join(base, h, "polkit"))
    common = {
        "v2vd_scope": "user", "v2vd_v2vctl": os.path.join(build, "client", "v2vctl"),
    }
    host_vars = {h: dict(common, v2vd_polkit_rules_dir=os.path.join(base, h, "polkit"),
                         v2vd_spec_overrides={"output_dir": os.path.join(base, h, "out")}) for h in HOSTS}
    host_vars["fleet-c"]["v2vd_tcg"] = True      # as on a host without /dev/kvm
    inv = fleet.inventory(host_vars)

    site = os.path.join(base, "site.yml")
    with open(site, "w") as f:
        json.dump([{
            "name": "Conversion hosts", "hosts": "conversion_hosts", "gather_facts": True,
            "gather_subset": ["!all", "!min", "env"],
            "roles": [{"role": "v2vd.conversion.conversion_host", "vars": {
                "v2vd_install": "build", "v2vd_build_dir": build,
                "v2vd_operators_group": "v2v",
                "v2vd_config": {"virt_v2v": os.path.join(top, "tests/fake/virt-v2v"), "max_running_jobs": 2,
                                "egress_interfaces": "none"},
                "v2vd_environment": {"FAKE_V2V_SPEED": "1"},
            }}],
        }], f)
    p = fleet.playbook("-i", inv, site, what="the role, first run")
    rc1 = recap(p.stdout)
    check(p.returncode == 0 and all(rc1.get(h, {}).get("changed", 0) > 0 and rc1[h]["failed"] == 0 for h in HOSTS),
          "the role configures the 3 hosts (changed > 0 each)", p.stdout[-5000:])
    for h in HOSTS:
        r = fleet.ssh(h, "%s --user --json=short status" % common["v2vd_v2vctl"])
        ok = r.returncode == 0 and json.loads(r.stdout or "{}").get("mode") == "user"
        check(ok, "%s: its own v2vd answers over ssh (user mode)" % h, r.stdout)
        r = fleet.ssh(h, "systemctl --user is-enabled v2vd.service; systemctl --user is-active v2vd.service; "
                         "cat $XDG_CONFIG_HOME/v2vd/v2vd.conf")
        check(r.stdout.startswith("enabled\nactive\n") and "max_running_jobs=2" in r.stdout,
              "%s: v2vd.service enabled and active; v2vd.conf has the role's keys" % h, r.stdout)
        check(("LIBGUESTFS_BACKEND_SETTINGS=force_tcg" in r.stdout) == (h == "fleet-c" or not os.path.exists("/dev/kvm")),
              "%s: TCG settings only where there is no KVM (or v2vd_tcg: true)" % h, r.stdout)
        rule = open(os.path.join(base, h, "polkit", "50-v2vd-operators.rules")).read()
        check('subject.isInGroup("v2v")' in rule and "org.v2vd.V2V1.create-job" in rule,
              "%s: the polkit rule for the operators' group" % h, rule)
    r = run(["node", "-e", "var polkit={Result:{YES:'yes'},addRule:function(f){"
             "console.log(f({id:'org.v2vd.V2V1.create-job'},{isInGroup:function(g){return g=='v2v'}}),"
             "f({id:'org.v2vd.V2V1.manage-any-job'},{isInGroup:function(g){return g=='v2v'}}))}};"
             + open(os.path.join(base, "fleet-a", "polkit", "50-v2vd-operators.rules")).read()]) \
        if shutil.which("node") else None
    if r is not None:
        check(r.stdout.strip() == "yes undefined", "the rule allows create-job to the group, nothing more", r.stdout)
    p = fleet.playbook("-i", inv, site, what="the role, again")
    rc2 = recap(p.stdout)
    check(p.returncode == 0 and all(rc2.get(h, {}).get("changed") == 0 for h in HOSTS),
          "the role run again: changed=0 on every host", p.stdout[-5000:])

    # The batch: 7 VMs over 3 hosts.
    batch = os.path.join(base, "batch.json")
    with open(batch, "w") as f:
        json.dump({"v2vd_batch": [{"vm_name": vm, "disk": [os.path.join(imgs, vm + ".img")],
                                   } for vm in VMS]}, f)
    conv = "v2vd.conversion.convert_batch"
    r = run(["ansible-playbook", "-i", inv, "--syntax-check", conv], env=fleet.env, cwd=base)
    check(r.returncode == 0, "the collection's convert_batch playbook passes --syntax-check", r.stdout)

    p = fleet.playbook("-i", inv, conv, "-e", "@" + batch, what="the batch, first run")
    b1 = recap(p.stdout)
    check(p.returncode == 0 and all(b1.get(h, {}).get("changed", 0) > 0 and b1[h]["failed"] == 0 for h in HOSTS),
          "convert_batch: every host converts its share", p.stdout[-6000:])
    placed = {}
    for i, h in enumerate(HOSTS):
        r = fleet.ssh(h, "%s --user --json=short list" % common["v2vd_v2vctl"])
        jobs = json.loads(r.stdout or "[]")
        placed[h] = sorted((j["vm_name"], j["state"]) for j in jobs)
        want = sorted((vm, "succeeded") for vm in VMS[i::len(HOSTS)])
        check(placed[h] == want, "%s: its VMs %s, each converted once" % (h, [w[0] for w in want]), placed[h])
        outs = sorted(os.listdir(os.path.join(base, h, "out")))
        check(all("%s-sda" % vm in outs for vm, _ in want), "%s: the converted disks in its output" % h, outs)

    p = fleet.playbook("-i", inv, conv, "-e", "@" + batch, what="the batch, again")
    b2 = recap(p.stdout)
    check(p.returncode == 0 and all(b2.get(h, {}).get("changed") == 0 and b2[h]["failed"] == 0 for h in HOSTS),
          "convert_batch run again: changed=0 on every host", p.stdout[-6000:])
    for h in HOSTS:
        r = fleet.ssh(h, "%s --user --json=short list" % common["v2vd_v2vctl"])
        check(sorted((j["vm_name"], j["state"]) for j in json.loads(r.stdout or "[]")) == placed[h],
              "%s: no new job after the rerun" % h)

    # v2vd_info, and v2vd_job absent / present / check mode on one host.
    info_out = os.path.join(base, "info-%s.json")
    play = os.path.join(base, "info.yml")
    with open(play, "w") as f:
        json.dump([{"hosts": "conversion_hosts", "gather_facts": False, "tasks": [
            {"v2vd.conversion.v2vd_info": {"scope": "user", "v2vctl": "{{ v2vd_v2vctl }}"}, "register": "info"},
            {"ansible.builtin.copy": {"content": "{{ info | to_json }}",
                                      "dest": info_out.replace("%s", "{{ inventory_hostname }}")},
             "delegate_to": "localhost"},
        ]}], f)
    p = fleet.playbook("-i", inv, play, what="v2vd_info")
    check(p.returncode == 0, "v2vd_info runs on every host", p.stdout[-3000:])
    for i, h in enumerate(HOSTS):
        try:
            info = json.load(open(info_out % h))
        except (OSError, ValueError) as e:
            check(False, "%s: v2vd_info's result (%s)" % (h, e))
            continue
        share = len(VMS[i::len(HOSTS)])
        check(info["counts"]["succeeded"] == share and info["limits"].get("max_running_jobs") == 2
              and info["daemon"].get("mode") == "user" and info["changed"] is False,
              "%s: v2vd_info: %d succeeded, max_running_jobs 2, user mode, changed false" % (h, share),
              {k: info.get(k) for k in ("counts", "limits", "daemon")})

    one = os.path.join(base, "one.yml")
    spec = {"vm_name": "vm1", "disk": [os.path.join(imgs, "vm1.img")], "output_dir": os.path.join(base, "fleet-a", "out")}
    with open(one, "w") as f:
        json.dump([{"hosts": "fleet-a", "gather_facts": False, "tasks": [
            {"name": "absent", "v2vd.conversion.v2vd_job": {"spec": spec, "state": "absent", "scope": "user",
                                                             "v2vctl": "{{ v2vd_v2vctl }}"}, "register": "gone"},
            {"name": "present in check mode", "check_mode": True,
             "v2vd.conversion.v2vd_job": {"spec": spec, "scope": "user", "v2vctl": "{{ v2vd_v2vctl }}"},
             "register": "would"},
            {"name": "present", "v2vd.conversion.v2vd_job": {"spec": spec, "wait": True, "timeout": 120,
                                                              "scope": "user", "v2vctl": "{{ v2vd_v2vctl }}"},
             "register": "again"},
            {"ansible.builtin.assert": {"that": [
                "gone.changed and gone.jobs | length == 1",
                "would.changed and would.created",
                "again.changed and again.created and again.job.state == 'succeeded'",
                "again.job.id != gone.jobs[0]"]}},
        ]}], f)
    p = fleet.playbook("-i", inv, one, what="absent, check mode, present")
    check(p.returncode == 0, "v2vd_job: absent removes vm1's job, check mode acts not, present converts it again",
          p.stdout[-4000:])
    r = fleet.ssh("fleet-a", "%s --user --json=short list" % common["v2vd_v2vctl"])
    vm1 = [j for j in json.loads(r.stdout or "[]") if j["vm_name"] == "vm1"]
    check(len(vm1) == 1 and vm1[0]["state"] == "succeeded", "fleet-a: one vm1 job again (check mode made none)", vm1)


if __name__ == "__main__":
    main()
