# SPDX-License-Identifier: LGPL-2.1-or-later
"""Talking to v2vd on the target through v2vctl --json (v2vctl(1)): the
daemon's own client, so the modules follow its contract and its access
rules (polkit) without a D-Bus binding on the target."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

ACTIVE_STATES = ("queued", "running")
FINISHED_STATES = ("succeeded", "failed", "cancelled")
# The spec keys that name where a VM comes from (v2vd.job(5), INPUT KEYS).
SOURCE_KEYS = ("vmware_uri", "libvirt_uri", "ova", "disk", "libvirtxml", "transport_method")

# The spec's secrets (v2vd.job(5)): these keys, and the members of these
# objects whose name has PASSWORD, SECRET, TOKEN or KEY — as v2vd redacts.
SECRET_KEYS = ("vmware_password", "rhv_password", "libvirt_password", "ssh_key")
SECRET_ENV_KEYS = ("osp_environment", "osp_source_environment")

# Documented once for every module: doc_fragments/v2vctl.py.
V2VCTL_ARGS = dict(
    v2vctl=dict(type="str", default="v2vctl"),
    scope=dict(type="str", default="system", choices=["system", "user"]),
)


class V2vctlError(Exception):
    pass


class V2vctl:
    def __init__(self, module):
        self.module = module
        self.argv0 = [module.params["v2vctl"], "--%s" % module.params["scope"], "--no-pager"]

    def run(self, *args, data=None, check=True):
        rc, out, err = self.module.run_command(self.argv0 + [str(a) for a in args], data=data,
                                               binary_data=False, check_rc=False)
        if check and rc != 0:
            raise V2vctlError("v2vctl %s: exit status %d: %s" % (" ".join(map(str, args)), rc,
                                                                 (err or out).strip()))
        return rc, out, err

    def json(self, *args):
        _, out, _ = self.run("--json=short", *args)
        try:
            return json.loads(out)
        except ValueError as e:
            raise V2vctlError("v2vctl %s: not JSON (%s): %r" % (" ".join(args), e, out[:300]))

    def jobs(self):
        return self.json("list")

    def status(self, job_id):
        return self.json("status", job_id)

    def daemon(self):
        return self.json("status")

    def submit(self, spec_text):
        _, out, _ = self.run("submit", "-", data=spec_text)
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        if not lines:
            raise V2vctlError("v2vctl submit printed no job id")
        return lines[-1]


def source_of(spec):
    """The spec's input, comparable between a new spec and a job's (redacted) one."""
    return {k: spec.get(k) for k in SOURCE_KEYS if spec.get(k) not in (None, "", [])}


def job_spec(props):
    """The job's spec (secrets replaced): v2vctl prints it as an object."""
    spec = props.get("spec") or {}
    if isinstance(spec, dict):
        return spec
    try:
        return json.loads(spec)
    except ValueError:
        return {}


def jobs_of(ctl, vm_name, source):
    """Every job of VM vm_name from the same source, oldest first, as their
    full properties."""
    out = []
    for j in ctl.jobs():
        if j.get("vm_name") != vm_name:
            continue
        props = ctl.status(j["id"])
        if source_of(job_spec(props)) == source:
            out.append(props)
    out.sort(key=lambda p: (len(str(p.get("id"))), str(p.get("id"))))
    return out


def spec_secrets(spec):
    """The secret strings of a spec, for AnsibleModule.no_log_values: the
    rest of the spec (names, paths) stays readable in the task's output."""
    out = set()
    for k in SECRET_KEYS:
        if isinstance(spec.get(k), str) and spec[k]:
            out.add(spec[k])
    for k in SECRET_ENV_KEYS:
        env = spec.get(k)
        if isinstance(env, dict):
            for name, v in env.items():
                if isinstance(v, str) and v and any(w in name.upper() for w in ("PASSWORD", "SECRET", "TOKEN", "KEY")):
                    out.add(v)
    return out
