#!/usr/bin/env python3
"""/usr/bin/virt-v2v-wrapper driven the way ManageIQ drives a conversion host.

The client below is ManageIQ's ("jansa") logic rewritten in Python:
  - ConversionHost (app/models/conversion_host.rb): run_conversion runs
    exactly "/usr/bin/virt-v2v-wrapper" over ssh with the options as JSON on
    stdin and parses stdout; get_conversion_state / get_conversion_log fetch
    files over SFTP; apply_task_limits writes the throttling file over SFTP;
    kill_virtv2v runs "/bin/kill -s SIGNAL PID". With a key login MiqSshUtil
    prefixes every command with "sudo " (passwordless_sudo) while SFTP runs
    as the ssh user itself.
  - Task (service_template_transformation_plan_task.rb): conversion_options
    for vddk→rhv, ssh→rhv and vddk→openstack; get_conversion_state (status
    active/failed/succeeded, percent per disk matched by path, vm_id,
    last_message); kill_virtv2v.
  - the job (infra_conversion_job.rb): progress from disk percent × weight;
    abort_virtv2v: TERM, then KILL when a minute has passed.
  - InfraConversionThrottler (lib/infra_conversion_throttler.rb): limits
    {"cpu": "<n>", "network": "<n>"}, numbers as strings, cpu a bare percent.

The conversion host is this machine, for real: a non-root user "v2vmiq"
(added to /etc/passwd through an overlay of /etc in the test's private mount
namespace), a sudoers entry for it, an sshd on a loopback port with SFTP,
and /usr/bin/virt-v2v-wrapper (an overlay of /usr/bin holding the link
meson installs: virt-v2v-wrapper → v2vctl, here the build's v2vctl). The
v2vd is the test's own; sudo keeps DBUS_SYSTEM_BUS_ADDRESS (set by sshd)
so the wrapper's "system bus" is the test's bus, and V2VD_WRAPPER_DIR so
its files are under the test's directory.
"""
import json
import os
import pwd
import subprocess
import tempfile
import time

from v2vdtest import run_test, TestFailure, wait_for, log
from v2vdssh import free_port, make_keys, write_client_config, start_sshd
from test_v2vctl_common import V2VCTL
USER = "v2vmiq"
UID = 64242
SECRETS = {
    "vmware_password": "vmw-Secret-5a1c",
    "rhv_password": "rhv-Secret-77b2",
    "os_password": "osp-Secret-e9d0",
}


class MiqError(Exception):
    pass


# ------------------------------------------------------------ the host setup

def overlay(target, base, name):
    """An overlay of TARGET in this test's mount namespace; returns the upper dir."""
    up, work = os.path.join(base, name + "-up"), os.path.join(base, name + "-work")
    os.makedirs(up)
    os.makedirs(work)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=%s,upperdir=%s,workdir=%s" % (target, up, work), target], check=True)
    return up


def setup_host(t, wrapper_dir):
    d = os.path.join(t.base, "host")
    os.makedirs(d)
    overlay("/etc", d, "etc")
    overlay("/usr/bin", d, "bin")
    # what `meson install` puts there (client/meson.build: install_symlink)
    os.symlink(os.path.abspath(V2VCTL), "/usr/bin/virt-v2v-wrapper")
    home = os.path.join(d, "home")
    os.makedirs(home)
    os.chown(home, UID, UID)
    with open("/etc/passwd", "a") as f:
        f.write("%s:x:%d:%d:ManageIQ conversion host user:%s:/bin/sh\n" % (USER, UID, UID, home))
    with open("/etc/group", "a") as f:
        f.write("%s:x:%d:\n" % (USER, UID))
    with open("/etc/shadow", "a") as f:
        f.write("%s:*:19000:0:99999:7:::\n" % USER)
    os.makedirs("/etc/sudoers.d", exist_ok=True)
    sudoers = "/etc/sudoers.d/v2vd-manageiq-test"
    with open(sudoers, "w") as f:
        f.write('Defaults:%s env_keep += "DBUS_SYSTEM_BUS_ADDRESS V2VD_WRAPPER_DIR"\n'
                "%s ALL=(root) NOPASSWD: /usr/bin/virt-v2v-wrapper, /bin/kill, /usr/bin/kill\n" % (USER, USER))
    os.chmod(sudoers, 0o440)

    # sshd as on a conversion host: key login, SFTP
    sd = os.path.join(d, "ssh")
    os.makedirs(sd, mode=0o755)
    port = free_port()
    make_keys(sd, port)
    os.chmod(os.path.join(sd, "authorized_keys"), 0o644)   # read by sshd as the user
    cfg = write_client_config(sd)
    proc = start_sshd(sd, port, "AllowUsers %s\nSubsystem sftp internal-sftp\n"
                      "SetEnv DBUS_SYSTEM_BUS_ADDRESS=%s V2VD_WRAPPER_DIR=%s\n"
                      % (USER, os.environ["DBUS_SESSION_BUS_ADDRESS"], wrapper_dir))
    return proc, MiqSshUtil(port, cfg, d)


# ------------------------------------------------- ManageIQ's side, in Python

class MiqSshUtil:
    """manageiq-gems-pending MiqSshUtil with :passwordless_sudo => true."""

    def __init__(self, port, cfg, tmp):
        self.port, self.cfg, self.tmp = port, cfg, tmp

    def _ssh(self):
        return ["ssh", "-F", self.cfg, "-p", str(self.port), "%s@127.0.0.1" % USER]

    def exec(self, cmd, stdin=None):
        cmd = "sudo " + cmd
        p = subprocess.run(self._ssh() + [cmd], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=120)
        self.last_stderr = p.stderr
        if p.returncode != 0:
            if not p.stderr:
                raise MiqError("MiqSshUtil::exec - Command %s, exited with status %d" % (cmd, p.returncode))
            raise MiqError("MiqSshUtil::exec - Command %s failed: %s, status: %d" % (cmd, p.stderr, p.returncode))
        return p.stdout

    def _sftp(self, batch):
        p = subprocess.run(["sftp", "-F", self.cfg, "-P", str(self.port), "-b", "-", "%s@127.0.0.1" % USER],
                           input=batch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        if p.returncode != 0:
            raise MiqError("sftp: %s" % p.stderr.strip())

    def get_file(self, path):
        fd, local = tempfile.mkstemp(dir=self.tmp)
        os.close(fd)
        try:
            self._sftp('get "%s" "%s"\n' % (path, local))
            with open(local) as f:
                return f.read()
        finally:
            os.unlink(local)

    def put_file(self, path, content):
        fd, local = tempfile.mkstemp(dir=self.tmp)
        with os.fdopen(fd, "w") as f:
            f.write(content)
        try:
            self._sftp('put "%s" "%s"\n' % (local, path))
        finally:
            os.unlink(local)


class ConversionHost:
    """app/models/conversion_host.rb"""

    def __init__(self, ssu):
        self.ssu = ssu

    def run_conversion(self, conversion_options):
        result = self.ssu.exec("/usr/bin/virt-v2v-wrapper", json.dumps(conversion_options))
        try:
            return json.loads(result)
        except ValueError:
            raise MiqError("Could not parse result data after running virt-v2v-wrapper. Result was: %s" % result)

    def get_conversion_state(self, path):
        return json.loads(self.ssu.get_file(path))

    def get_conversion_log(self, path):
        return self.ssu.get_file(path)

    def apply_task_limits(self, path, limits):
        self.ssu.put_file(path, json.dumps(limits))

    def kill_virtv2v(self, pid, signal="TERM"):
        try:
            self.ssu.exec("/bin/kill -s %s %s" % (signal, pid))
            return True
        except MiqError:
            return False


class Task:
    """service_template_transformation_plan_task.rb + the job's polling."""

    def __init__(self, host, conversion_options, disk_sizes):
        self.host = host
        self.conversion_options = conversion_options
        total = float(sum(disk_sizes))
        self.options = {"virtv2v_disks": [
            {"path": p, "size": s, "percent": 0, "weight": s / total * 100}
            for p, s in zip(conversion_options["source_disks"], disk_sizes)]}
        self.failures = 0
        self.canceling = False
        self.seen_percent = {}

    def run_conversion(self):
        self.options["virtv2v_wrapper"] = self.host.run_conversion(self.conversion_options)
        self.options["virtv2v_started_on"] = time.time()
        self.options["virtv2v_status"] = "active"

    def get_conversion_state(self):
        updates = {}
        try:
            state = self.host.get_conversion_state(self.options["virtv2v_wrapper"]["state_file"])
            disks = [dict(d) for d in self.options["virtv2v_disks"]]
            if state.get("pid"):
                updates["virtv2v_pid"] = state["pid"]
            if state.get("last_message"):
                updates["virtv2v_message"] = state["last_message"]["message"]
            if state.get("finished") is None:
                updates["virtv2v_status"] = "active"
                for disk in disks:
                    matching = [d for d in state["disks"] if d["path"] == disk["path"]]
                    if not matching:
                        raise MiqError("No disk matches '%s'. Aborting." % disk["path"])
                    if len(matching) > 1:
                        raise MiqError("More than one disk matches '%s'. Aborting." % disk["path"])
                    disk["percent"] = matching[0]["progress"]
                    self.seen_percent.setdefault(disk["path"], set()).add(disk["percent"])
            else:
                updates["virtv2v_finished_on"] = time.time()
                if state.get("failed"):
                    updates["virtv2v_status"] = "failed"
                elif not self.canceling:
                    updates["virtv2v_status"] = "succeeded"
                    updates["destination_vm_uuid"] = state.get("vm_id")
                    for d in disks:
                        d["percent"] = 100
            updates["virtv2v_disks"] = disks
            self.failures = 0
            self.last_state = state
        except (MiqError, ValueError, KeyError, TypeError) as e:
            self.failures += 1
            self.last_error = str(e)
            if self.failures > 5:
                raise MiqError("Failed to get conversion state 5 times in a row: %s" % e)
        self.options.update(updates)

    def running(self):
        return ("virtv2v_started_on" in self.options and "virtv2v_finished_on" not in self.options
                and "virtv2v_wrapper" in self.options)

    def kill_virtv2v(self, signal="TERM"):
        self.get_conversion_state()
        if not self.running() or not self.options.get("virtv2v_pid"):
            return False
        return self.host.kill_virtv2v(self.options["virtv2v_pid"], signal)

    def progress(self):
        """infra_conversion_job.rb poll_transform_vm_complete"""
        converted = [d for d in self.options["virtv2v_disks"] if d["percent"] != 0]
        if not converted:
            return "Disk transformation is initializing.", 1
        percent = sum(d["percent"] * d["weight"] / 100.0 for d in converted)
        return "Converting disk %d / %d [%.2f%%]." % (len(converted), len(self.options["virtv2v_disks"]),
                                                      percent), percent

    def poll_until_done(self, timeout, interval=0.3, on_active=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.get_conversion_state()
            if self.options["virtv2v_status"] != "active":
                return self.options["virtv2v_status"]
            if on_active:
                on_active(self)
            time.sleep(interval)
        raise TestFailure("conversion still active after %d s; last state: %s"
                          % (timeout, getattr(self, "last_state", None)))

    def abort(self, grace=60):
        """infra_conversion_job.rb abort_virtv2v: TERM, KILL when the minute is over."""
        self.canceling = True
        self.kill_virtv2v("TERM")
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            self.get_conversion_state()
            if not self.running():
                return "TERM"
            time.sleep(1)
        self.kill_virtv2v("KILL")
        return "KILL"


# ----------------------------------------- ManageIQ's documents (conversion_options)

VMWARE = {
    "vmware_fingerprint": "1A:3F:26:C6:DC:2C:44:88:AA:33:81:3C:18:6E:5D:9F:C0:EE:DF:5C",
    "vmware_uri": "esx://root@10.8.0.20/?no_verify=1",
    "vmware_password": SECRETS["vmware_password"],
}


def source_vddk(name):
    return dict(VMWARE, vm_name=name, vm_uuid="42290f6c-0c5d-4a3b-9e8e-%012d" % len(name),
                conversion_host_uuid="5f2a1a53-b2c1-4c66-8a53-7d35c4c2a8e1", transport_method="vddk",
                two_phase=True, warm=False)


def source_ssh(name):
    return {"vm_name": "ssh://root@10.8.0.20/vmfs/volumes/datastore1/%s/%s.vmx" % (name, name),
            "vm_uuid": "42290f6c-0c5d-4a3b-9e8e-000000000777",
            "conversion_host_uuid": "5f2a1a53-b2c1-4c66-8a53-7d35c4c2a8e1", "transport_method": "ssh"}


def destination_rhv():
    return {"rhv_url": "https://rhvm.example.com/ovirt-engine/api", "rhv_cluster": "Default",
            "rhv_storage": "data", "rhv_password": SECRETS["rhv_password"],
            "install_drivers": True, "insecure_connection": True}


def destination_openstack():
    return {"osp_environment": {"os_auth_url": "https://osp.example.com:13000/v3",
                                "os_identity_api_version": "3", "os_user_domain_name": "Default",
                                "os_username": "admin", "os_password": SECRETS["os_password"],
                                "os_project_name": "conversion"},
            "osp_server_id": "9d8da538-1bf6-429d-84de-5b0f9d0c5ed0",
            "osp_destination_project_id": "d159eb2e318f40d8a7b1ddd3edd5eb72",
            "osp_volume_type_id": "7f0a41a5-5e3c-4a5e-b6a4-52e1c1f2a7d0",
            "osp_flavor_id": "a96b2815-3525-4eea-9ab4-14ba58e17835",
            "osp_security_groups_ids": ["d5366f19-c34f-493c-a816-b305085c8fae"]}


def conversion_options(name, source, destination, ndisks=2):
    doc = {"source_disks": ["[datastore1] %s/%s%s.vmdk" % (name, name, "" if i == 0 else "_%d" % i)
                            for i in range(ndisks)],
           "network_mappings": [{"source": "VM Network", "destination": "ovirtmgmt",
                                 "mac_address": "00:50:56:a6:ee:58", "ip_address": "10.8.1.23"}]}
    doc.update(source)
    doc.update(destination)
    return doc


# ------------------------------------------------------------------ the test

def test(t):
    wrapper_dir = os.path.join(t.base, "wrapper")
    control = os.path.join(t.base, "control")
    os.makedirs(control)
    # The ssh user may pass through the test's directories to reach the
    # wrapper's (as through / and /var/lib on a host); they list nothing.
    top = t.base
    while os.path.dirname(top) not in ("/", "/tmp", "/var/tmp"):
        top = os.path.dirname(top)
    p = t.base
    while True:
        os.chmod(p, os.stat(p).st_mode | 0o001)
        if p == top:
            break
        p = os.path.dirname(p)

    def behave(name, **kw):
        with open(os.path.join(control, name + ".json"), "w") as f:
            json.dump(kw, f)

    t.start_daemon(config={"max_running_jobs": 2},
                   environment={"FAKE_V2V_CONTROL_DIR": control,
                                "FAKE_V2V_DEFAULTS": json.dumps({"step_delay": 0.05, "copy_seconds": 2})})
    sshd = None
    try:
        sshd, ssu = setup_host(t, wrapper_dir)
        host = ConversionHost(ssu)
        miq_uid = pwd.getpwnam(USER).pw_uid
        t.check_eq(miq_uid, UID, "the ssh user exists in the test's namespace")

        def converted_as(task, source, destination):
            """what virt-v2v said it read from and wrote to (v2v_log, over SFTP)"""
            text = host.get_conversion_log(task.options["virtv2v_wrapper"]["v2v_log"])
            for what in ("Setting up the source: " + source, "Setting up the destination: " + destination):
                t.check(what in text, "v2v_log: %s" % what, text[-2000:])

        def start(doc, ndisks=2):
            task = Task(host, doc, [10 * 2**30] * ndisks)
            task.run_conversion()
            t.check_eq(ssu.last_stderr, "", "nothing on stderr (ManageIQ treats stderr as failure)")
            paths = task.options["virtv2v_wrapper"]
            t.check_eq(sorted(paths), ["state_file", "throttling_file", "v2v_log", "wrapper_log"],
                       "run_conversion: the wrapper's keys")
            t.jobs.append(os.path.basename(os.path.dirname(paths["state_file"])))
            return task

        # ---- vddk → rhv
        behave("vddk-rhv", disks=2, copy_seconds=3)
        task = start(conversion_options("vddk-rhv", source_vddk("vddk-rhv"), destination_rhv()))
        job = t.jobs[-1]
        status = task.poll_until_done(90)
        t.check_eq(status, "succeeded", "vddk→rhv: virtv2v_status")
        for d in task.options["virtv2v_disks"]:
            seen = sorted(task.seen_percent.get(d["path"], ()))
            t.check(any(0 < p < 100 for p in seen), "progress of %s seen between 0 and 100" % d["path"], seen)
        t.check_eq(t.prop(job, "State"), "succeeded", "v2vd's job succeeded")
        wlog = host.get_conversion_log(task.options["virtv2v_wrapper"]["wrapper_log"])
        for key in ("vm_uuid", "conversion_host_uuid", "two_phase", "warm", "network_mappings[0].ip_address"):
            t.check("%s: ignored" % key in wlog, "wrapper log: %s ignored" % key, wlog)
        v2vlog = host.get_conversion_log(task.options["virtv2v_wrapper"]["v2v_log"])
        t.check("Finishing off" in v2vlog, "v2v log fetched over SFTP, whole")
        converted_as(task, "-i libvirt", "-o rhv-upload")

        # ---- ssh → rhv, one disk
        behave("ssh-rhv", disks=1)
        task = start(conversion_options("ssh-rhv", source_ssh("ssh-rhv"), destination_rhv(), ndisks=1), ndisks=1)
        t.check_eq(task.poll_until_done(90), "succeeded", "ssh→rhv: virtv2v_status")
        converted_as(task, "-i vmx", "-o rhv-upload")

        # ---- vddk → openstack
        behave("vddk-osp", disks=2)
        task = start(conversion_options("vddk-osp", source_vddk("vddk-osp"), destination_openstack()))
        t.check_eq(task.poll_until_done(90), "succeeded", "vddk→openstack: virtv2v_status")
        t.check_eq(task.last_state.get("return_code"), 0, "return_code 0")
        converted_as(task, "-i libvirt", "-o openstack")

        # ---- failure: the message ManageIQ shows is the failure's summary
        # (state.json's last_message), the error classified
        behave("fail-rhv", fail_at="Inspecting the source", error="inspection could not detect the source guest")
        task = start(conversion_options("fail-rhv", source_vddk("fail-rhv"), destination_rhv()))
        t.check_eq(task.poll_until_done(60), "failed", "failing conversion: virtv2v_status")
        t.check("found no operating system" in (task.options.get("virtv2v_message") or ""),
                "virtv2v_message (raised by the job) is the failure's summary", task.options.get("virtv2v_message"))

        # ---- refused documents: non-zero, stderr names the key
        for key, value in (("warm", True), ("osp_source_vm_id", "c28d5a15")):
            doc = conversion_options("refused", source_vddk("refused"), destination_rhv())
            doc[key] = value
            try:
                host.run_conversion(doc)
                t.check(False, "%s: %r refused" % (key, value))
            except MiqError as e:
                t.check("%s:" % key in str(e), "%s: %r refused, the error names the key" % (key, value), str(e))

        # ---- cancel: two running (max_running_jobs=2), one queued
        behave("run-a", hang_at="Copying disk 1/2", disks=2)
        behave("run-b", hang_at="Copying disk 1/2", disks=2, ignore_sigterm=True)
        behave("queued-c", disks=2)
        ta = start(conversion_options("run-a", source_vddk("run-a"), destination_rhv()))
        tb = start(conversion_options("run-b", source_vddk("run-b"), destination_rhv()))
        ja, jb = t.jobs[-2], t.jobs[-1]
        t.wait_state(ja, "running")
        t.wait_state(jb, "running")
        tc = start(conversion_options("queued-c", source_vddk("queued-c"), destination_rhv()))
        jc = t.jobs[-1]
        tc.get_conversion_state()
        t.check_eq(t.prop(jc, "State"), "queued", "the third job is queued in v2vd")
        t.check_eq(tc.options["virtv2v_status"], "active", "ManageIQ sees the queued job as active")
        t.check_eq(tc.progress(), ("Disk transformation is initializing.", 1), "and initializing")
        qpid = tc.options.get("virtv2v_pid")
        with open("/proc/%d/cmdline" % qpid) as f:
            t.check("virt-v2v-wrapper" in f.read(), "the queued job's pid is the wrapper's own", qpid)
        t.check_eq(tc.abort(), "TERM", "queued job: TERM to that pid ends it")
        t.check_eq(t.prop(jc, "State"), "cancelled", "v2vd cancelled the queued job")
        t.check(tc.options["virtv2v_status"] == "failed", "ManageIQ sees it ended", tc.options)
        wait_for(lambda: not os.path.exists("/proc/%d" % qpid), 10, "the wrapper process gone")

        ta.get_conversion_state()
        apid = ta.options["virtv2v_pid"]
        with open("/proc/%d/cmdline" % apid) as f:
            cmdline = f.read()
        t.check("virt-v2v" in cmdline and "wrapper" not in cmdline, "a running job's pid is virt-v2v's", cmdline)
        t.check_eq(ta.abort(), "TERM", "running job: TERM ends it")
        t.wait_state(ja, ("failed", "cancelled"))
        t.check(not os.path.exists("/proc/%d" % apid), "virt-v2v gone")

        t.check_eq(tb.abort(grace=60), "KILL", "virt-v2v ignoring TERM: KILL after a minute")
        t.wait_state(jb, ("failed", "cancelled"), timeout=30)
        tb.poll_until_done(30)
        t.check_eq(tb.options["virtv2v_status"], "failed", "the killed job ended failed")

        # ---- nothing the ssh user can read holds a secret
        # every file under the test's directory (listed as root), opened as the user
        every = [os.path.join(r, n) for r, _, names in os.walk(top) for n in names]
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.setgroups([])
                os.setgid(UID)
                os.setuid(UID)
                readable, leaks = 0, []
                for path in every:
                    try:
                        with open(path, "rb", opener=lambda p, fl: os.open(p, fl | os.O_NONBLOCK)) as f:
                            data = f.read(4 << 20)
                    except OSError:
                        continue
                    readable += 1
                    if not path.startswith(wrapper_dir + "/"):
                        print("  readable by %s, not the wrapper's: %s" % (USER, path))
                    leaks += ["%s: %s" % (path, k) for k, v in SECRETS.items() if v.encode() in data]
                print("  as %s: %d of %d files under %s readable; secrets found: %s"
                      % (USER, readable, len(every), top, leaks or "none"))
                code = 1 if leaks else (2 if readable == 0 else 0)
            finally:
                os._exit(code)
        _, st = os.waitpid(pid, 0)
        t.check_eq(os.waitstatus_to_exitcode(st), 0, "no secret in any file the ssh user can read")
        others = [e for e in os.listdir(wrapper_dir) if os.stat(os.path.join(wrapper_dir, e)).st_uid != UID]
        t.check_eq(others, [], "every job directory of the wrapper belongs to the ssh user")
        t.check_eq(os.stat(os.path.join(wrapper_dir, job)).st_mode & 0o777, 0o700, "and is 0700")
        # ---- last, throttling as InfraConversionThrottler writes it (apply_limits:
        # cpu_limit.to_i / number_of_jobs .to_s, so a bare percent)
        behave("throttled", hang_at="Copying disk 1/1", disks=1)
        td = start(conversion_options("throttled", source_vddk("throttled"), destination_rhv(), ndisks=1), ndisks=1)
        jd = t.jobs[-1]
        t.wait_state(jd, "running")
        tf = td.options["virtv2v_wrapper"]["throttling_file"]

        def limits_are(cpu, network, what):
            def applied():
                td.get_conversion_state()
                return td.last_state.get("throttling") == {"cpu": cpu, "network": network}
            wait_for(applied, 15, what)
            t.check_eq((t.prop(jd, "CPULimit") or "unlimited", str(t.prop(jd, "NetworkLimit") or "unlimited")),
                       (cpu, network), what)
        host.apply_task_limits(tf, {"cpu": "50", "network": "1048576"})
        limits_are("50%", "1048576", "cpu \"50\" is 50%, network 1048576 bytes/s")
        host.apply_task_limits(tf, {"cpu": "unlimited", "network": "fast"})
        limits_are("unlimited", "1048576", "a bad network value does not drop cpu \"unlimited\"")
        host.apply_task_limits(tf, {"cpu": "50", "network": "1048576"})
        limits_are("50%", "1048576", "the first content, written again, is applied again")
        wlog = host.get_conversion_log(td.options["virtv2v_wrapper"]["wrapper_log"])
        t.check(wlog.count("throttling: new limits handed to v2vd") == 3, "wrapper log: three new limits", wlog)
        t.check_eq(td.abort(), "TERM", "the throttled job cancelled")

    finally:
        if sshd:
            sshd.terminate()
            sshd.wait(10)


# Imported by tests/e2e/test-realpath.py for its ManageIQ client, the
# conversion host setup and the documents.
if __name__ == "__main__":
    run_test(test)
