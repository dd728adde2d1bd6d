#!/usr/bin/python3
"""The Ansible collection's pure helpers (client/ansible/…/module_utils/
v2vctl.py): what makes two jobs "the same VM from the same source"
(v2vd_job's idempotence), reading a job's spec as v2vctl prints it, and
which strings of a spec are its secrets (hidden in task output, as v2vd
redacts them — daemon/core/spec.c's lists)."""
import importlib.util
import pathlib
import re
import sys

top = pathlib.Path(sys.argv[1])
path = top / "client/ansible/v2vd/conversion/plugins/module_utils/v2vctl.py"
spec = importlib.util.spec_from_file_location("v2vctl_utils", path)
u = importlib.util.module_from_spec(spec)
spec.loader.exec_module(u)
n = 0
failed = False


def check(ok, what):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
    failed |= not ok


a = {"vm_name": "web", "libvirt_uri": "vpx://vc/DC/h", "libvirt_password": "pw1", "output_dir": "/a"}
b = dict(a, output_dir="/b", libvirt_password="*****")
c = dict(a, libvirt_uri="vpx://other/DC/h")
check(u.source_of(a) == u.source_of(b), "another output and the redacted password: the same source")
check(u.source_of(a) != u.source_of(c), "another vCenter: another source")
check(u.source_of({"vm_name": "x", "disk": ["/1.img"]}) != u.source_of({"vm_name": "x", "disk": ["/2.img"]}),
      "other disk images: another source")
check(u.job_spec({"spec": {"vm_name": "x"}}) == {"vm_name": "x"}, "a job's spec as an object")
check(u.job_spec({"spec": '{"vm_name": "x"}'}) == {"vm_name": "x"}, "a job's spec as JSON text")
check(u.job_spec({"spec": ""}) == {}, "no spec (another user's job): {}")

s = u.spec_secrets({"vm_name": "web", "vmware_password": "v", "rhv_password": "r", "ssh_key": "k",
                    "libvirt_password": "l", "output_dir": "/out",
                    "osp_environment": {"OS_PASSWORD": "p", "OS_APP_SECRET": "s", "OS_TOKEN": "t",
                                        "OS_ACCESS_KEY": "a", "OS_USERNAME": "admin"}})
check(s == {"v", "r", "k", "l", "p", "s", "t", "a"}, "the secrets, and nothing else: %s" % sorted(s))

# The same lists as the daemon's redaction.
src = (top / "daemon/core/spec.c").read_text()
keys = re.search(r"secret_keys\[\] = \{(.*?)NULL", src, re.S).group(1)
env = re.search(r"secret_env_keys\[\] = \{(.*?)NULL", src, re.S).group(1)
check(set(re.findall(r'"(\w+)"', keys)) == set(u.SECRET_KEYS), "SECRET_KEYS == daemon/core/spec.c's secret_keys")
check(set(re.findall(r'"(\w+)"', env)) == set(u.SECRET_ENV_KEYS),
      "SECRET_ENV_KEYS == daemon/core/spec.c's secret_env_keys")
print("1..%d" % n)
sys.exit(1 if failed else 0)
