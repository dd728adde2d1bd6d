# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The options every module of the collection takes to reach v2vd through
    # v2vctl on the target (module_utils/v2vctl.py: V2VCTL_ARGS).
    DOCUMENTATION = r'''
options:
  scope:
    description: C(system) talks to the system's v2vd, C(user) to the remote user's own.
    type: str
    choices: [system, user]
    default: system
  v2vctl:
    description: The v2vctl program on the target.
    type: str
    default: v2vctl
'''
