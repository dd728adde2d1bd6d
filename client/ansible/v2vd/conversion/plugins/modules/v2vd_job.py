#!/usr/bin/python
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: v2vd_job
short_description: A virt-v2v conversion job on a v2vd conversion host
description:
  - Makes sure a VM is converted (or being converted) by v2vd on the target,
    or that it is not.
  - Idempotent by VM and source (the spec's C(vm_name) and its input keys
    C(vmware_uri), C(libvirt_uri), C(ova), C(disk), C(libvirtxml),
    C(transport_method)). With I(state=present) a new job is created only
    when no job of that VM from that source is queued, running or has
    succeeded; a failed or cancelled one is tried again. Rerunning a playbook
    never starts a second conversion of a VM that is converting or converted
    (as long as the succeeded job is on record, see keep_finished_jobs_days=
    in v2vd.conf(5)).
  - Talks to v2vd with C(v2vctl --json) on the target (v2vctl(1)); the
    job acts with the rights of the remote user (polkit decides).
version_added: "0.1.0"
author: v2vd developers
options:
  spec:
    description:
      - The job spec (v2vd.job(5)) as a dict, or its JSON text.
      - One of I(spec) and I(spec_file) is required.
      - Its secrets (the password keys, C(ssh_key), the PASSWORD, SECRET,
        TOKEN and KEY members of C(osp_environment)) are hidden in the
        task's output; keep them in Ansible Vault.
    type: raw
  spec_file:
    description: Path of a job spec file on the target.
    type: path
  state:
    description:
      - C(present) creates the job unless one of the same VM and source is
        queued, running or succeeded.
      - C(absent) cancels that VM's queued and running jobs from that source
        and removes every finished one.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the job ends (for C(absent), until cancelled jobs have ended).
    type: bool
    default: false
  timeout:
    description: Seconds to wait at most; the job goes on after a timeout.
    type: int
    default: 3600
  fail_on_error:
    description: With I(wait), fail the task when the job ends failed or cancelled.
    type: bool
    default: true
extends_documentation_fragment:
  - v2vd.conversion.v2vctl
'''

EXAMPLES = r'''
- name: Convert web01 from vCenter to local disks, and wait
  v2vd.conversion.v2vd_job:
    spec:
      vm_name: web01
      libvirt_uri: "vpx://admin@vcenter.example.com/DC/Cluster/esx1?no_verify=1"
      libvirt_password: "{{ vcenter_password }}"
      output_dir: /var/lib/v2v/out
    wait: true
    timeout: 7200
  register: conversion

- name: No conversion of web01 any more
  v2vd.conversion.v2vd_job:
    spec_file: /etc/v2v/web01.json
    state: absent
'''

RETURN = r'''
job:
  description:
    - The job's properties as C(v2vctl status ID --json) prints them (id,
      vm_name, state, phase, progress, return_code, last_message, spec with
      secrets replaced, ...); final ones with I(wait).
    - Absent when I(state=absent) or in check mode before a job exists.
  returned: when a job exists
  type: dict
jobs:
  description: With I(state=absent), the ids of the jobs cancelled or removed.
  returned: when state is absent
  type: list
  elements: str
created:
  description: Whether this run created the job.
  returned: always
  type: bool
'''

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.v2vd.conversion.plugins.module_utils.v2vctl import (
    ACTIVE_STATES, FINISHED_STATES, V2VCTL_ARGS, V2vctl, V2vctlError, jobs_of, source_of, spec_secrets)


def load_spec(module):
    if module.params["spec_file"]:
        try:
            with open(module.params["spec_file"]) as f:
                text = f.read()
        except OSError as e:
            module.fail_json(msg="cannot read spec_file %s: %s" % (module.params["spec_file"], e))
    else:
        text = module.params["spec"]
    if isinstance(text, dict):
        return text, json.dumps(text)
    try:
        spec = json.loads(text)
    except (TypeError, ValueError) as e:
        module.fail_json(msg="spec is neither a dict nor JSON: %s" % e)
    if not isinstance(spec, dict):
        module.fail_json(msg="the spec is a JSON object")
    return spec, text


def wait_for(module, ctl, job_id, states):
    deadline = time.monotonic() + module.params["timeout"]
    while True:
        props = ctl.status(job_id)
        if props.get("state") in states:
            return props
        if time.monotonic() >= deadline:
            module.fail_json(msg="job %s of %s still %s after %d s (it goes on)"
                             % (job_id, props.get("vm_name"), props.get("state"), module.params["timeout"]),
                             job=props, changed=module._v2vd_changed)
        time.sleep(2)


def present(module, ctl, spec, text):
    vm = spec.get("vm_name")
    existing = [p for p in jobs_of(ctl, vm, source_of(spec))
                if p.get("state") in ACTIVE_STATES or p.get("state") == "succeeded"]
    created = False
    if existing:
        props = existing[-1]
    elif module.check_mode:
        module.exit_json(changed=True, created=True)
    else:
        job_id = ctl.submit(text)
        created = module._v2vd_changed = True
        props = ctl.status(job_id)
    if module.params["wait"] and props.get("state") not in FINISHED_STATES:
        props = wait_for(module, ctl, props["id"], FINISHED_STATES)
    result = dict(changed=created, created=created, job=props)
    if module.params["wait"] and module.params["fail_on_error"] and props.get("state") != "succeeded":
        module.fail_json(msg="job %s of %s ended %s: %s" % (props.get("id"), vm, props.get("state"),
                                                            (props.get("last_message") or ["", ""])[-1]),
                         **result)
    module.exit_json(**result)


def absent(module, ctl, spec):
    jobs = jobs_of(ctl, spec.get("vm_name"), source_of(spec))
    if module.check_mode:
        module.exit_json(changed=bool(jobs), created=False, jobs=[p["id"] for p in jobs])
    for p in jobs:
        if p.get("state") in ACTIVE_STATES:
            ctl.run("cancel", p["id"])
    for p in jobs:
        if p.get("state") in ACTIVE_STATES:
            wait_for(module, ctl, p["id"], FINISHED_STATES)
        ctl.run("remove", p["id"])
    module.exit_json(changed=bool(jobs), created=False, jobs=[p["id"] for p in jobs])


def main():
    args = dict(
        # Not no_log: that would hide every name and path of the spec in the
        # results; its secrets alone are hidden (spec_secrets).
        spec=dict(type="raw", no_log=False),
        spec_file=dict(type="path"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=False),
        timeout=dict(type="int", default=3600),
        fail_on_error=dict(type="bool", default=True),
    )
    args.update(V2VCTL_ARGS)
    module = AnsibleModule(argument_spec=args, required_one_of=[("spec", "spec_file")],
                           mutually_exclusive=[("spec", "spec_file")], supports_check_mode=True)
    module._v2vd_changed = False
    ctl = V2vctl(module)
    spec, text = load_spec(module)
    module.no_log_values.update(spec_secrets(spec))
    if not spec.get("vm_name"):
        module.fail_json(msg="the spec has no vm_name")
    try:
        if module.params["state"] == "present":
            present(module, ctl, spec, text)
        else:
            absent(module, ctl, spec)
    except V2vctlError as e:
        module.fail_json(msg=str(e), changed=module._v2vd_changed)


if __name__ == "__main__":
    main()
