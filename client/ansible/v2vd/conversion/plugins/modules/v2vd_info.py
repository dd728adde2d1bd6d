#!/usr/bin/python
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: v2vd_info
short_description: What a v2vd conversion host is doing
description:
  - Reports v2vd's jobs with their states, the daemon (version, mode,
    virt-v2v version, counts), the limits in force, the output profiles and,
    when asked, the VMs on given sources.
  - Reads through C(v2vctl --json) and C(v2vctl metrics) on the target; changes nothing.
version_added: "0.1.0"
author: v2vd developers
options:
  sources:
    description:
      - "Sources to list the VMs of, each a source object of org.v2vd.V2V1(5)
        (e.g. C({uri: test:///default})); none by default (each call opens a
        connection to the hypervisor)."
    type: list
    elements: dict
    default: []
  details:
    description: Each job's full properties (one v2vctl status per job) instead of the list's summary.
    type: bool
    default: false
extends_documentation_fragment:
  - v2vd.conversion.v2vctl
'''

EXAMPLES = r'''
- v2vd.conversion.v2vd_info:
  register: host

- ansible.builtin.debug:
    msg: "{{ host.counts }} of at most {{ host.limits.max_running_jobs }} running"
'''

RETURN = r'''
daemon:
  description: C(v2vctl status --json) without a job id.
  returned: always
  type: dict
jobs:
  description: The jobs (summary, or full properties with I(details)).
  returned: always
  type: list
  elements: dict
counts:
  description: Jobs per state.
  returned: always
  type: dict
limits:
  description: The limits in force, from the metrics (max_running_jobs, max_queued_jobs, ...).
  returned: always
  type: dict
profiles:
  description: The output profiles a spec can name.
  returned: always
  type: list
  elements: str
sources:
  description: For each of I(sources), its VM list (C(v2vctl sources --json)) or the error.
  returned: always
  type: list
  elements: dict
'''

import json
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.v2vd.conversion.plugins.module_utils.v2vctl import (
    V2VCTL_ARGS, V2vctl, V2vctlError)

LIMITS = ("max_running_jobs", "max_queued_jobs", "max_queued_jobs_per_user",
          "default_cpu_limit_ratio", "default_network_limit_bytes_per_second")


def limits_of(metrics):
    out = {}
    for name in LIMITS:
        m = re.search(r"^v2vd_%s (\S+)$" % name, metrics, re.M)
        if m:
            v = float(m.group(1))
            out[name] = int(v) if v.is_integer() else v
    return out


def main():
    args = dict(
        sources=dict(type="list", elements="dict", default=[]),
        details=dict(type="bool", default=False),
    )
    args.update(V2VCTL_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    ctl = V2vctl(module)
    try:
        daemon = ctl.daemon()
        jobs = ctl.jobs()
        if module.params["details"]:
            jobs = [ctl.status(j["id"]) for j in jobs]
        _, metrics, _ = ctl.run("metrics")
        profiles = ctl.json("profiles")
    except V2vctlError as e:
        module.fail_json(msg=str(e))
    counts = {s: 0 for s in ("queued", "running", "succeeded", "failed", "cancelled")}
    for j in jobs:
        counts[j.get("state")] = counts.get(j.get("state"), 0) + 1
    sources = []
    for src in module.params["sources"]:
        shown = {k: v for k, v in src.items() if k != "password"}
        rc, out, err = ctl.run("--json=short", "sources", json.dumps(src), check=False)
        if rc == 0:
            sources.append(dict(source=shown, vms=json.loads(out)))
        else:
            sources.append(dict(source=shown, error=(err or out).strip()))
    module.exit_json(changed=False, daemon=daemon, jobs=jobs, counts=counts, limits=limits_of(metrics),
                     profiles=profiles, sources=sources)


if __name__ == "__main__":
    main()
