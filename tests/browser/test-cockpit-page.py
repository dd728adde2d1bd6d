#!/usr/bin/env python3
"""The Cockpit page in a real browser: a real cockpit-ws and
cockpit-bridge, headless Debian Chromium driven by playwright-core, v2vd
--system on the private system bus of tests/lib/with-system-bus (the page's
default bus: "system"), and the fake virt-v2v (convert-libvirt: the real one).

    test-cockpit-page.py main     list, live progress, expand, throttle (CPULimit
                                  checked over D-Bus), log, v2vctl command,
                                  cancel, remove, the dialog (a job that
                                  succeeds, a bad value shown next to its
                                  field, the VM picker), filter, daemon
                                  stopped and back; screenshots
    test-cockpit-page.py users    a user whom polkit denies (v2vdta) sees the
                                  not-authorized state and no one else's spec;
                                  one it allows (v2vdtb) starts a conversion
                                  and cancels root's job
    test-cockpit-page.py load     300 jobs: all listed, the page stays quick
    test-cockpit-page.py preflight a failed job's Failure and diagnostics, the
                                  dialog's Check
    test-cockpit-page.py convert-libvirt
                                  the REAL virt-v2v: a shut-off guest of a
                                  private libvirtd (qemu:///system) picked in
                                  the dialog's VM picker, checked, converted
                                  into a local directory while the row shows
                                  its progress and phases (e2e suite: root,
                                  the guest image, 2-4 minutes under TCG)

Every scenario ends with no console error and no CSP violation.
"""
import json
import os
import subprocess
import sys
import time

import minibus
from v2vdtest import (run_test, busctl, call, call_error, Monitor, get_property, make_image, job_path, log, wait_for,
                      MANAGER_PATH, MANAGER_IFACE, JOB_IFACE, BUS_NAME, ERROR_PREFIX, TestFailure)
from cockpittest import SystemDaemon, CockpitWs, Browser, row, screenshot_dir, log_console, test_users

FILTER = ".v2v-filter select"
SCENARIO = sys.argv[1] if len(sys.argv) > 1 else "main"


def progress_of(b, job_id):
    return b.eval("""s => { const e = document.querySelector(s + ' .v2v-progress-cell [role=progressbar]');
                            return e ? Number(e.getAttribute('aria-valuenow')) : null; }""", row(job_id))


def row_state(b, job_id):
    return b.eval("s => { const e = document.querySelector(s); return e ? e.dataset.state : null; }", row(job_id))


def wait_row_state(b, job_id, state, timeout=60):
    b.wait_js("([s, st]) => { const e = document.querySelector(s); return !!e && e.dataset.state === st; }",
              [row(job_id), state], timeout)


def expand(b, job_id):
    b.click(row(job_id) + " td.pf-v5-c-table__toggle button")
    b.wait_visible(row(job_id) + " .v2v-details")
    # the toggle's icon turns (a CSS transition): let it end for screenshots
    b.wait_js("s => document.querySelector(s + ' td.pf-v5-c-table__toggle button').getAnimations({subtree: true})"
              ".every(a => a.playState !== 'running')", row(job_id))


def open_dialog(b):
    b.click("button.v2v-start")
    b.wait_visible(".v2v-new-dialog")


def call_bus(method, signature="", *args):
    """A method of the bus itself (org.freedesktop.DBus)."""
    r = busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method,
               *([signature] + list(args) if signature else []))
    return r["data"] if r else []


def allow_sudo(t, user):
    """sudo without a password for USER, keeping the test's system bus
    address, in this test's private mount namespace (with-systemd-user):
    a sudoers.d of its own, and a shadow entry so that PAM's account check
    passes for the test user (with-system-bus adds it to passwd only)."""
    d = os.path.join(t.base, "sudoers.d")
    os.makedirs(d)
    f = os.path.join(d, "v2vd-browser-test")
    with open(f, "w") as fh:
        fh.write('Defaults:%s env_keep += "DBUS_SYSTEM_BUS_ADDRESS"\n%s ALL=(ALL) NOPASSWD: ALL\n' % (user, user))
    os.chmod(f, 0o440)
    shadow = os.path.join(t.base, "shadow")
    with open("/etc/shadow") as src, open(shadow, "w") as dst:
        dst.write(src.read() + "%s:*:19000:0:99999:7:::\n" % user)
    os.chmod(shadow, 0o640)
    for src, dst in ((d, "/etc/sudoers.d"), (shadow, "/etc/shadow")):
        subprocess.run(["mount", "--bind", src, dst], check=True)


def install_profile(t, name, keys):
    """NAME.json in the system daemon's profile directory
    ($V2VD_SYSCONFDIR/v2vd/profiles.d), seen only in this test's mount
    namespace: a tmpfs over $V2VD_SYSCONFDIR (never over /etc itself).
    False, logged, when that cannot be done here."""
    sysconf = os.environ.get("V2VD_SYSCONFDIR", "")
    if not sysconf or os.path.realpath(sysconf) == "/etc" or not os.path.isdir(sysconf):
        log("  (profile part left out: sysconfdir %r cannot be covered by a tmpfs)" % sysconf)
        return False
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "v2vd-test-sysconf", sysconf], check=True)
    d = os.path.join(sysconf, "v2vd", "profiles.d")
    os.makedirs(d)
    with open(os.path.join(d, name + ".json"), "w") as f:
        json.dump(keys, f)
    t.check_eq(call(MANAGER_PATH, MANAGER_IFACE, "ListProfiles")[0], [name], "ListProfiles")
    return True


def submit_disk_job(b, img, vm_name, output_dir):
    """The dialog, filled for a local disk image to a local directory, submitted."""
    open_dialog(b)
    b.select("#v2v-field-input", "disk")
    b.fill("#v2v-field-disk", img)
    b.fill("#v2v-field-vm_name", vm_name)
    b.fill("#v2v-field-output_dir", output_dir)
    b.click(".v2v-new-dialog .v2v-submit")


def no_page_errors(t, b):
    errs = b.errors()
    if errs:
        log_console(b)
    t.check_eq(errs, [], "no console error, page error or CSP violation")


def start(t, user=None, path=None):
    """cockpit-ws (as USER) and a browser on the page (or PATH); they become
    t.ws and t.browser, and are stopped at the end."""
    t.ws = CockpitWs(os.path.join(t.base, "ws-%s" % (user or "root")), user=user).start()
    t.servers.append(t.ws)
    t.browser = Browser()
    t.browsers.append(t.browser)
    t.browser.goto(t.ws.url() if path is None else "http://127.0.0.1:%d%s" % (t.ws.port, path))
    return t.browser


def scenario_main(t):
    d = t.daemon
    imgs = os.path.join(t.base, "imgs")
    shots = screenshot_dir()

    t.monitor = Monitor()
    t.monitor.start()
    b = start(t, path="/")
    # the shell lists the page as "Conversions" under Tools, finds it by its
    # keywords, and shows it in its frame
    b.wait_visible("#host-apps a:has-text('Conversions')")
    section = b.eval("""() => { const a = [...document.querySelectorAll('#host-apps a')].find(e => e.innerText === 'Conversions');
                               const sec = a && a.closest('section');
                               return sec ? sec.innerText.split('\\n')[0] : null; }""")
    t.check_eq(section, "Tools", "shell menu: Conversions under Tools")
    b.fill("input[aria-label='Search input']", "nothing-matches-this")
    b.wait_gone("#host-apps a:has-text('Conversions')")
    for word in ("virt-v2v", "migrate", "import", "convert", "v2v"):
        b.fill("input[aria-label='Search input']", word)
        b.wait_visible("#host-apps a:has-text('Conversions')")
    t.check(True, "shell search finds Conversions by its keywords")
    b.fill("input[aria-label='Search input']", "")
    b.click("#host-apps a:has-text('Conversions')")
    b.wait_js("""() => { const f = document.querySelector('iframe[name="cockpit1:localhost/v2v"]');
                         return !!f && !!f.contentDocument && !!f.contentDocument.body && f.contentDocument.body.innerText.includes('No conversions yet'); }""")
    t.check(True, "the shell shows the page in its frame")

    b.goto(t.ws.url())
    # nothing yet: the empty state offers to start a conversion
    b.wait_text(".v2v-empty", "No conversions yet")
    t.check(b.text(".v2v-empty button.v2v-start") is not None, "empty state has a start button",
            b.eval("() => document.querySelector('.v2v-empty').outerHTML"))

    # a finished job, a failed job, and one that copies slowly
    ok_img = make_image(imgs, "webserver", {"step_delay": 0.02, "copy_seconds": 0.2})
    ok_id, _ = t.create_job(t.spec_disk(ok_img, vm_name="webserver"))
    bad_img = make_image(imgs, "database", {"step_delay": 0.02, "fail_at": "Inspecting the source"})
    bad_id, _ = t.create_job(t.spec_disk(bad_img, vm_name="database"))
    t.wait_state(ok_id, "succeeded", 60)
    t.wait_state(bad_id, "failed", 60)
    # slow enough to stay running through the steps below on a loaded machine
    slow_img = make_image(imgs, "fileserver", {"step_delay": 0.05, "copy_seconds": 150, "disks": 2})
    slow_id, _ = t.create_job(t.spec_disk(slow_img, vm_name="fileserver", throttling={"cpu": "80%"}))
    t.wait_state(slow_id, "running", 30)

    wait_row_state(b, ok_id, "succeeded")
    wait_row_state(b, bad_id, "failed")
    wait_row_state(b, slow_id, "running")
    order = b.eval("() => [...document.querySelectorAll('tbody.v2v-job')].map(e => e.dataset.jobId)")
    t.check_eq(order, [slow_id, bad_id, ok_id], "newest first")

    # the running job's bar moves by itself (PropertiesChanged, no reload)
    p1 = b.wait_js("s => { const e = document.querySelector(s + ' .v2v-progress-cell [role=progressbar]');"
                   " const v = e && Number(e.getAttribute('aria-valuenow')); return v > 0 ? v : false; }",
                   row(slow_id), timeout=60)
    p2 = b.wait_js("([s, p]) => { const e = document.querySelector(s + ' .v2v-progress-cell [role=progressbar]');"
                   " const v = e && Number(e.getAttribute('aria-valuenow')); return v > p ? v : false; }",
                   [row(slow_id), p1], timeout=60)
    t.check(p2 > p1, "progress bar of the running job moves (%s → %s)" % (p1, p2))
    bus_progress = get_property(job_path(slow_id), JOB_IFACE, "Progress")
    t.check(abs(bus_progress - progress_of(b, slow_id)) < 25, "bar follows the Progress property",
            (bus_progress, progress_of(b, slow_id)))
    t.check_eq(b.text(row(slow_id) + " .v2v-cpu"), "80%", "CPU column from CPULimit")
    b.screenshot(os.path.join(shots, "list.png"))

    # expand: per-disk bars, output, last message, the masked spec
    expand(b, slow_id)
    b.wait_js("s => document.querySelectorAll(s + ' .v2v-disk [role=progressbar]').length === 2", row(slow_id))
    spec_text = b.text(row(slow_id) + " .v2v-spec")
    t.check_eq(json.loads(spec_text), json.loads(get_property(job_path(slow_id), JOB_IFACE, "Spec")),
               "spec shown is the daemon's Spec property")
    t.check("local: " + os.path.join(t.base, "out-fileserver") in b.text(row(slow_id) + " .v2v-output"),
            "output type and destination shown", b.text(row(slow_id) + " .v2v-output"))
    b.wait_js("s => { const e = document.querySelector(s + ' .v2v-last-message'); return e && e.innerText !== '—'; }",
              row(slow_id))
    b.screenshot(os.path.join(shots, "job-expanded.png"))
    expand(b, bad_id)
    want = get_property(job_path(bad_id), JOB_IFACE, "LastMessage")[1]
    b.wait_text(row(bad_id) + " .v2v-last-message", want)
    t.check(True, "failed job's last message shown: %s" % want)

    # throttle: SetThrottling from the page, checked over D-Bus, reflected back
    b.fill(row(slow_id) + " #cpu-" + slow_id, "30%")
    b.fill(row(slow_id) + " #net-" + slow_id, "10M")
    b.fill(row(slow_id) + " #disk-" + slow_id, "50M")
    b.click(row(slow_id) + " .v2v-throttle-apply")
    wait_for(lambda: get_property(job_path(slow_id), JOB_IFACE, "CPULimit") == "30%", 15, "CPULimit 30%")
    t.check_eq(get_property(job_path(slow_id), JOB_IFACE, "CPULimit"), "30%", "CPULimit over D-Bus")
    wait_for(lambda: get_property(job_path(slow_id), JOB_IFACE, "NetworkLimit") == 10 * 1024 * 1024, 15,
             "NetworkLimit 10 MiB/s")
    t.check(True, "NetworkLimit over D-Bus == 10485760")
    wait_for(lambda: get_property(job_path(slow_id), JOB_IFACE, "DiskLimit") == 50 * 1024 * 1024, 15,
             "DiskLimit 50 MiB/s")
    t.check(True, "DiskLimit over D-Bus == 52428800")
    b.wait_text(row(slow_id) + " .v2v-cpu", "30%")
    b.wait_text(row(slow_id) + " .v2v-network", "10 MiB/s")
    # a change from another client is reflected too
    call(job_path(slow_id), JOB_IFACE, "SetThrottling", "a{sv}", 1, "cpu", "s", "45%")
    b.wait_text(row(slow_id) + " .v2v-cpu", "45%")
    t.check(True, "CPULimit set over D-Bus by another client shows in the page")
    b.click(row(slow_id) + " .v2v-throttle-unlimited")
    wait_for(lambda: get_property(job_path(slow_id), JOB_IFACE, "CPULimit") == "unlimited", 15, "CPULimit unlimited")
    b.wait_text(row(slow_id) + " .v2v-network", "unlimited")
    wait_for(lambda: get_property(job_path(slow_id), JOB_IFACE, "DiskLimit") == 0, 15, "DiskLimit unlimited")
    t.check(True, "Unlimited clears the three limits")

    # the log, following while the job runs
    b.click(row(slow_id) + " .v2v-log-button")
    b.wait_text(".v2v-log-dialog .v2v-log", "Copying disk 1/2")
    # nbdcopy's bar is redrawn with "\r": the page shows its last state
    log1 = b.text(".v2v-log-dialog .v2v-log")
    t.check("\r" not in log1 and log1.count("% [") == 1, "the log shows the copy's progress bar once", log1[-300:])
    log2 = b.wait_js("t => { const s = document.querySelector('.v2v-log-dialog .v2v-log').innerText;"
                     " return s !== t && s; }", log1, timeout=60)
    t.check(True, "the log follows the running job (%r → %r)" % (log1.splitlines()[-1], log2.splitlines()[-1]))
    b.screenshot(os.path.join(shots, "log.png"))
    b.click(".v2v-log-dialog button:has-text('Close')")
    b.wait_gone(".v2v-log-dialog")

    # "Copy as v2vctl command"
    b.click(row(slow_id) + " .v2v-command-button")
    b.wait_visible(".v2v-command-dialog")
    cmd = b.eval("() => document.querySelector('.v2v-command-dialog .v2v-command textarea, "
                 ".v2v-command-dialog .v2v-command pre, .v2v-command-dialog .v2v-command').innerText || "
                 "document.querySelector('.v2v-command-dialog .v2v-command textarea').value")
    t.check("v2vctl submit - <<'EOF'" in cmd and '"vm_name": "fileserver"' in cmd, "v2vctl command shown", cmd)
    b.screenshot(os.path.join(shots, "command.png"))
    b.click(".v2v-command-dialog button:has-text('Close')")
    b.wait_gone(".v2v-command-dialog")
    # the row's menu offers the same actions as the detail buttons
    b.click(row(slow_id) + " td.pf-v5-c-table__action button")
    b.click(".pf-v5-c-menu__item:has-text('Copy as v2vctl command')")
    b.wait_visible(".v2v-command-dialog")
    t.check(True, "the row's menu opens the v2vctl command")
    b.click(".v2v-command-dialog button:has-text('Close')")
    b.wait_gone(".v2v-command-dialog")

    # cancel with confirmation
    b.click(row(slow_id) + " .v2v-cancel-button")
    b.wait_visible(".v2v-cancel-dialog")
    b.click(".v2v-cancel-dialog .v2v-cancel-confirm")
    wait_row_state(b, slow_id, "cancelled", 60)
    t.check_eq(get_property(job_path(slow_id), JOB_IFACE, "State"), "cancelled", "cancelled over D-Bus")

    # remove makes it disappear
    b.click(row(slow_id) + " .v2v-remove-button")
    b.wait_gone(row(slow_id))
    name, _msg = call_error(MANAGER_PATH, MANAGER_IFACE, "GetJob", "s", slow_id)
    t.check_eq(name, ERROR_PREFIX + "NoSuchJob", "removed job is gone from the daemon")

    # the dialog: a bad value shows the daemon's own message next to its field
    new_img = make_image(imgs, "mailserver", {"step_delay": 0.02, "copy_seconds": 0.5})
    bad_spec = {"vm_name": "mailserver", "disk": [new_img], "output_dir": "relative/dir"}
    err_name, err_msg = call_error(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", json.dumps(bad_spec))
    t.check_eq(err_name, ERROR_PREFIX + "InvalidSpec", "the bad spec is refused over D-Bus")
    submit_disk_job(b, new_img, "mailserver", "relative/dir")
    b.wait_visible('.v2v-field-error[data-key="output_dir"]')
    t.check_eq(b.text('.v2v-field-error[data-key="output_dir"]'), err_msg,
               "the daemon's InvalidSpec message next to the output_dir field")
    b.screenshot(os.path.join(shots, "dialog-error.png"))

    # ... corrected, the job appears and succeeds
    out_dir = os.path.join(t.base, "out-mailserver")
    os.makedirs(out_dir)
    b.fill("#v2v-field-output_dir", out_dir)
    # a bad limit: the daemon's message under the limits
    cpu_spec = {"vm_name": "mailserver", "disk": [new_img], "output_dir": out_dir, "throttling": {"cpu": "lots"}}
    cpu_err = call_error(MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s", json.dumps(cpu_spec))
    t.check_eq(cpu_err[0], ERROR_PREFIX + "InvalidSpec", "a bad CPU limit is refused over D-Bus")
    b.fill("#v2v-field-cpu", "lots")
    b.click(".v2v-new-dialog .v2v-submit")
    b.wait_visible('.v2v-field-error[data-key="throttling"]')
    t.check_eq(b.text('.v2v-field-error[data-key="throttling"]'), cpu_err[1],
               "the daemon's message about the CPU limit under the limits")
    b.fill("#v2v-field-cpu", "50%")
    b.wait_gone('.v2v-field-error[data-key="throttling"]')
    b.click("#v2v-mapping-add")
    b.fill(".v2v-mapping input[aria-label='Source network']", "VM Network")
    b.fill(".v2v-mapping input[aria-label='Destination bridge or network']", "br0")
    b.wait_gone('.v2v-field-error[data-key="output_dir"]')
    t.check(True, "correcting the field clears the daemon's message")
    b.eval("() => { document.querySelector('.v2v-new-dialog .pf-v5-c-modal-box__body').scrollTop = 0; }")
    b.screenshot(os.path.join(shots, "dialog.png"))
    b.click(".v2v-new-dialog .v2v-submit")
    b.wait_gone(".v2v-new-dialog")
    jobs = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0]
    new = [j for j in jobs if j[3] == "mailserver"]
    t.check_eq(len(new), 1, "one job created from the dialog")
    new_id = new[0][0]
    wait_row_state(b, new_id, "succeeded", 90)
    spec = json.loads(get_property(job_path(new_id), JOB_IFACE, "Spec"))
    t.check_eq((spec.get("disk"), spec.get("output_dir"), spec.get("throttling"), spec.get("network_mappings")),
               ([new_img], out_dir, {"cpu": "50%"}, [{"source": "VM Network", "destination": "br0"}]),
               "the dialog's spec")
    t.check(any(f.startswith("mailserver") for f in os.listdir(out_dir)), "the conversion wrote its output")

    # a profile from ListProfiles gives the output
    prof_out = os.path.join(t.base, "out-profile")
    os.makedirs(prof_out)
    if install_profile(t, "lab-local", {"output_dir": prof_out, "output_format": "qcow2"}):
        open_dialog(b)
        b.wait_js("() => !!document.querySelector(\"#v2v-field-profile option[value='lab-local']\")")
        b.select("#v2v-field-input", "disk")
        b.fill("#v2v-field-disk", new_img)
        b.fill("#v2v-field-vm_name", "profiled")
        b.select("#v2v-field-profile", "lab-local")
        b.select("#v2v-field-output", "profile")
        b.click(".v2v-new-dialog .v2v-submit")
        b.wait_gone(".v2v-new-dialog")
        prof_id = [j for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0] if j[3] == "profiled"][0][0]
        wait_row_state(b, prof_id, "succeeded", 90)
        t.check_eq(json.loads(get_property(job_path(prof_id), JOB_IFACE, "Spec")).get("profile"), "lab-local",
                   "the dialog's spec names the profile")
        t.check(any(f.startswith("profiled") for f in os.listdir(prof_out)), "the profile's output_dir was used",
                os.listdir(prof_out))
        call(job_path(prof_id), JOB_IFACE, "Remove")
        b.wait_gone(row(prof_id))

    # the VM picker: offered when ListSourceVMs answers, a name field when NotSupported
    open_dialog(b)
    b.fill("#v2v-field-libvirt_uri", "test:///default")
    b.click(".v2v-list-vms")
    source = json.dumps({"uri": "test:///default"})
    err = None
    try:
        vms = json.loads(call(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", source)[0])
    except Exception:  # noqa: BLE001 — the error name is what matters
        err = call_error(MANAGER_PATH, MANAGER_IFACE, "ListSourceVMs", "s", source)[0]
    if err and err.endswith(".NotSupported"):  # org.v2vd.V2V1.Error. or org.freedesktop.DBus.Error.
        b.wait_text(".v2v-new-dialog", "cannot list the VMs")
        t.check(b.eval("() => document.querySelector('input#v2v-field-vm_name') !== null"),
                "ListSourceVMs answers NotSupported: a VM name field")
    elif err:
        b.wait_visible(".v2v-list-error")
        t.check(True, "ListSourceVMs answers %s: shown as an error" % err)
    else:
        b.wait_visible("select#v2v-field-vm_name")
        options = b.eval("() => [...document.querySelectorAll('select#v2v-field-vm_name option')]"
                         ".map(o => o.value).filter(v => v)")
        t.check_eq(sorted(options), sorted(v["name"] for v in vms), "the source's VMs offered")
        b.select("select#v2v-field-vm_name", vms[0]["name"])
        b.wait_visible(".v2v-vm-details")
    b.click(".v2v-new-dialog button:has-text('Cancel')")
    b.wait_gone(".v2v-new-dialog")

    # a password typed in the dialog is sent once: the job's spec shows it
    # masked, the page never shows it again, the v2vctl command says so
    secret = "hunter2-not-shown"
    open_dialog(b)
    b.fill("#v2v-field-libvirt_uri", "esx://root@esxi.example.com/?no_verify=1")
    b.fill("#v2v-field-libvirt_password", secret)
    t.check_eq(b.eval("() => document.querySelector('#v2v-field-libvirt_password').type"), "password",
               "password field is masked")
    b.fill("#v2v-field-vm_name", "secretvm")
    b.fill("#v2v-field-output_dir", out_dir)
    b.click(".v2v-new-dialog .v2v-submit")
    b.wait_gone(".v2v-new-dialog")
    sec_id = [j for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0] if j[3] == "secretvm"][0][0]
    b.wait_visible(row(sec_id))
    expand(b, sec_id)
    b.wait_text(row(sec_id) + " .v2v-spec", '"libvirt_password": "*****"')
    b.click(row(sec_id) + " .v2v-command-button")
    b.wait_visible(".v2v-command-dialog .pf-v5-c-alert")
    t.check_eq(b.eval("() => document.querySelector('.v2v-command-dialog a[download]').getAttribute('download')"),
               "secretvm.json", "Download spec link")
    t.check(not b.eval("s => document.documentElement.outerHTML.includes(s) || "
                       "[...document.querySelectorAll('input, textarea')].some(e => e.value.includes(s))", secret),
            "the password is nowhere in the page after it was sent")
    b.click(".v2v-command-dialog button:has-text('Close')")
    open_dialog(b)
    t.check_eq(b.eval("() => document.querySelector('#v2v-field-libvirt_password').value"), "",
               "a new dialog starts without the password")
    b.click(".v2v-new-dialog button:has-text('Cancel')")
    t.wait_finished(sec_id, 60)

    # filter by state: the rows are the daemon's jobs in that state
    jobs = call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0]
    for state in ("failed", "succeeded"):
        want = sorted(j[0] for j in jobs if j[2] == state)
        b.select(FILTER, state)
        b.wait_js("ids => JSON.stringify([...document.querySelectorAll('tbody.v2v-job')].map(e => e.dataset.jobId)"
                  ".sort()) === JSON.stringify(ids)", want)
        t.check(True, "filter %s: jobs %s" % (state, want))
    b.select(FILTER, "all")
    b.wait_js("n => document.querySelectorAll('tbody.v2v-job').length === n", len(jobs))

    # live updates, never polling: with no job running, the open page sends
    # the daemon no method call at all
    wait_for(lambda: call(MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss", MANAGER_IFACE,
                          "RunningJobs")[0]["data"] == 0, 60, "no job running")
    owner = call_bus("GetNameOwner", "s", BUS_NAME)[0]
    since = time.monotonic()
    time.sleep(3)
    calls = [m for m in t.monitor.snapshot() if m.get("_received", 0) >= since and m.get("type") == "method_call"
             and m.get("destination") in (BUS_NAME, owner)]
    t.check_eq([(m.get("interface"), m.get("member")) for m in calls], [], "no call to the daemon in 3 idle seconds")

    # Cockpit's dark style (localStorage "shell:style", the shell's
    # "cockpit-style" event) switches PatternFly's dark theme
    b.eval("() => localStorage.setItem('shell:style', 'dark')")
    b.goto(t.ws.url())
    b.wait_js("() => document.documentElement.classList.contains('pf-v5-theme-dark')")
    b.wait_visible(row(new_id))
    b.screenshot(os.path.join(shots, "list-dark.png"))
    b.eval("() => window.dispatchEvent(new CustomEvent('cockpit-style', {detail: {style: 'light'}}))")
    b.wait_js("() => !document.documentElement.classList.contains('pf-v5-theme-dark')")
    t.check(True, "follows Cockpit's dark and light style")
    b.eval("() => localStorage.removeItem('shell:style')")

    # the daemon stops: not-running state; it comes back: the list again
    d.stop()
    b.wait_text(".v2v-not-running", "v2vd is not running")
    t.check(True, "stopped daemon: not-running state")
    b.screenshot(os.path.join(shots, "not-running.png"))
    since = time.monotonic()
    b.goto(t.ws.url())
    b.wait_text(".v2v-not-running", "v2vd is not running")
    t.check(True, "a page opened while the daemon is down: not-running state")
    # opening it asked the bus to activate v2vd (Cockpit's bridge does so for
    # a named channel; there is no activation file on the test's bus)
    t.monitor.wait(lambda m: m.get("_received", 0) >= since and m.get("member") == "StartServiceByName"
                   and m.get("payload", {}).get("data", [None])[0] == BUS_NAME, 30, what="StartServiceByName")
    t.check(True, "opening the page asks for v2vd's activation")
    d.start()
    b.wait_visible(row(new_id), timeout=30)
    wait_row_state(b, new_id, "succeeded")
    t.check(True, "daemon back: the list again")
    no_page_errors(t, b)


def scenario_users(t):
    users = os.environ["V2VD_TEST_USERS"].split()
    t.check(any(u.startswith("v2vdta:") for u in users), "test user v2vdta exists")
    imgs = os.path.join(t.base, "imgs")
    img = make_image(imgs, "guest")
    os.chmod(t.base, 0o755)
    os.chmod(imgs, 0o755)
    os.chmod(img, 0o644)
    b = start(t, user="v2vdta")
    b.wait_text(".v2v-empty", "No conversions yet")
    out_a = os.path.join(t.base, "out-a")
    os.makedirs(out_a)
    submit_disk_job(b, img, "guest", out_a)
    b.wait_text(".v2v-not-authorized", "Not authorized")
    t.check("org.v2vd.V2V1.create-job" in b.text(".v2v-not-authorized"), "says what to do",
            b.text(".v2v-not-authorized"))
    t.check_eq(call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0], [], "no job was created")
    b.screenshot(os.path.join(screenshot_dir(), "not-authorized.png"))

    # "Turn on administrative access": Cockpit's sudo bridge (sudo allowed
    # without a password for v2vdta, in this test's mount namespace only)
    # makes the page talk as root; it reads everything again and may start
    # conversions, until the access is turned off
    allow_sudo(t, "v2vdta")
    b.eval("() => cockpit.dbus(null, {bus: 'internal'}).call('/superuser', 'cockpit.Superuser', 'Start', ['sudo'])")
    b.wait_text(".v2v-empty", "No conversions yet", timeout=60)
    t.check(True, "with administrative access the not-authorized state is gone")
    submit_disk_job(b, img, "adminguest", out_a)
    b.wait_gone(".v2v-new-dialog")
    admin = [j for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0] if j[3] == "adminguest"]
    t.check_eq(len(admin), 1, "a job started with administrative access")
    t.check_eq(get_property(job_path(admin[0][0]), JOB_IFACE, "OwnerUID"), 0, "owned by root")
    wait_row_state(b, admin[0][0], "succeeded", 90)
    b.eval("() => cockpit.dbus(null, {bus: 'internal'}).call('/superuser', 'cockpit.Superuser', 'Stop', [])")
    expand(b, admin[0][0])
    b.wait_text(row(admin[0][0]) + " .v2v-spec", "Only the job's owner or an administrator may see its spec.",
                timeout=60)
    t.check(True, "administrative access off: root's spec is hidden again")

    # root's job: the user may list it but neither see its spec nor cancel it
    root_img = make_image(imgs, "rootguest", {"step_delay": 0.05, "hang_at": "Copying disk 1/1"})
    root_id, _ = t.create_job(t.spec_disk(root_img, vm_name="rootguest"))
    t.wait_state(root_id, "running", 30)
    wait_row_state(b, root_id, "running")
    expand(b, root_id)
    b.wait_text(row(root_id) + " .v2v-spec", "Only the job's owner or an administrator may see its spec.")
    t.check(True, "another user's spec is not shown, and the page says why")
    b.click(row(root_id) + " .v2v-cancel-button")
    b.click(".v2v-cancel-dialog .v2v-cancel-confirm")
    b.wait_text(".v2v-alert", "Cancel of rootguest failed")
    b.wait_text(".pf-v5-c-alert.v2v-not-authorized", "Not authorized")
    t.check_eq(get_property(job_path(root_id), JOB_IFACE, "State"), "running", "root's job still runs")
    no_page_errors(t, b)

    # v2vdtb, whom the test's polkit rules allow create-job and
    # manage-any-job, starts a conversion and may cancel root's job
    uid_b = test_users()["v2vdtb"][0]
    out_b = os.path.join(t.base, "out-b")
    os.makedirs(out_b)
    os.chown(out_b, uid_b, uid_b)
    b2 = start(t, user="v2vdtb")
    wait_row_state(b2, root_id, "running")
    submit_disk_job(b2, img, "guestb", out_b)
    b2.wait_gone(".v2v-new-dialog")
    mine = [j for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0] if j[3] == "guestb"]
    t.check_eq(len(mine), 1, "v2vdtb's job was created")
    b_id = mine[0][0]
    t.check_eq(get_property(job_path(b_id), JOB_IFACE, "OwnerUID"), uid_b, "owned by v2vdtb")
    wait_row_state(b2, b_id, "succeeded", 90)
    expand(b2, root_id)
    b2.wait_text(row(root_id) + " .v2v-spec", '"vm_name": "rootguest"')
    t.check(True, "manage-any-job: v2vdtb sees root's spec")
    b2.click(row(root_id) + " .v2v-cancel-button")
    b2.click(".v2v-cancel-dialog .v2v-cancel-confirm")
    wait_row_state(b2, root_id, "cancelled", 60)
    t.check_eq(get_property(job_path(root_id), JOB_IFACE, "State"), "cancelled", "v2vdtb cancelled root's job")
    no_page_errors(t, b2)


N_LOAD = 300


def scenario_load(t):
    imgs = os.path.join(t.base, "imgs")
    # the first jobs hang while copying, so the rest stay queued: 300 live
    # jobs, 4 of them sending progress
    img = make_image(imgs, "load", {"step_delay": 0.05, "hang_at": "Copying disk 1/1"})
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    # pipelined in batches: the system bus allows 128 pending replies per
    # connection; the replies may come in any order
    conn = minibus.Connection(timeout=120)
    refused = []
    for start_at in range(0, N_LOAD, 100):
        pending = {conn.send_call(BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "CreateJob", "s",
                                  (json.dumps({"vm_name": "vm%03d" % i, "disk": [img], "output_dir": out,
                                               "name": "vm%03d" % i}),))
                   for i in range(start_at, min(N_LOAD, start_at + 100))}
        while pending:
            mtype, fields, body = conn._read_message()
            if fields.get(5) in pending:
                pending.discard(fields.get(5))
                if mtype == minibus.ERROR:
                    refused.append((fields.get(4), body[:1]))
    conn.close()
    t.check_eq(refused[:3], [], "%d jobs created, none refused" % N_LOAD)

    b = start(t)
    t0 = time.monotonic()
    b.wait_js("n => document.querySelectorAll('tbody.v2v-job').length === n", N_LOAD, timeout=60)
    t_list = time.monotonic() - t0
    log("  figures: %d rows shown %.2f s after the page was loaded" % (N_LOAD, t_list))
    t.check(t_list < 20, "300 rows within 20 s (%.2f s)" % t_list)
    first = b.eval("() => document.querySelector('tbody.v2v-job .v2v-vm').innerText")
    t.check_eq(first, "vm%03d" % (N_LOAD - 1), "newest first")

    # interactions stay quick while 4 jobs run and 296 wait
    times = []
    for sel in ("failed", "running", "all"):
        t1 = time.monotonic()
        b.select(FILTER, sel)
        b.wait_js("s => s === 'all' ? document.querySelectorAll('tbody.v2v-job').length === 300 :"
                  " [...document.querySelectorAll('tbody.v2v-job')].every(e => e.dataset.state === s)", sel)
        times.append(time.monotonic() - t1)
    t1 = time.monotonic()
    expand(b, "150")
    times.append(time.monotonic() - t1)
    log("  figures: filter/expand round trips %s s" % ", ".join("%.2f" % x for x in times))
    t.check(max(times) < 3, "filter and expand answer within 3 s each (%.2f s max)" % max(times))
    # a long task (>200 ms) on the main thread would show in the event loop lag
    lag = b.eval("""() => new Promise(res => { let worst = 0, last = performance.now(), n = 0;
        const tick = () => { const now = performance.now(); worst = Math.max(worst, now - last); last = now;
            if (++n < 40) setTimeout(tick, 25); else res(worst); }; setTimeout(tick, 25); })""")
    log("  figures: worst timer lag over 1 s with 300 jobs: %.0f ms" % lag)
    t.check(lag < 500, "main thread stays responsive (worst lag %.0f ms)" % lag)
    no_page_errors(t, b)


def scenario_preflight(t):
    """On the page: a failed job's Failure in its details, its
    "Download diagnostics" (v2vctl bundle through cockpit.spawn), and the
    dialog's "Check" (CheckJob) with findings next to their fields."""
    imgs = os.path.join(t.base, "imgs")
    # the page runs v2vctl (the one just built) through the bridge
    os.environ["PATH"] = os.path.dirname(os.environ["V2VD_V2VCTL"]) + ":" + os.environ["PATH"]
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    bad_img = make_image(imgs, "legacy", {"step_delay": 0.02, "fail_as": "domain-running"})
    bad_id, _ = t.create_job(t.spec_disk(bad_img, vm_name="legacy"))
    t.wait_state(bad_id, "failed", 60)
    b = start(t)
    wait_row_state(b, bad_id, "failed")
    expand(b, bad_id)
    b.wait_visible(row(bad_id) + " .v2v-failure[data-code='source-running']")
    text = b.text(row(bad_id) + " .v2v-failure")
    t.check("the source VM is running" in text and "Shut the VM down" in text,
            "the details show the Failure's summary and remedy", text)

    b.click(row(bad_id) + " .v2v-bundle-button")
    # the page's CSP keeps it from reading its own blob: URL back; it notes what it offered
    size = b.wait_js("""n => { const a = document.querySelector('a.v2v-bundle-link[download="v2vd-job-' + n + '.tar"]');
                               return !!a && a.dataset.magic === 'ustar' && a.href.startsWith('blob:') ? Number(a.dataset.size) : false; }""",
                     bad_id, timeout=60)
    t.check(size > 1024, "Download diagnostics gives a tar (%d bytes)" % size)

    open_dialog(b)
    b.select("#v2v-field-input", "disk")
    b.fill("#v2v-field-disk", bad_img)
    b.fill("#v2v-field-vm_name", "legacy2")
    b.fill("#v2v-field-output_dir", os.path.join(t.base, "nosuch"))
    b.click(".v2v-new-dialog .v2v-check")
    b.wait_visible(".v2v-field-finding[data-key='output_dir'][data-code='dest-missing']")
    b.wait_visible(".v2v-findings .v2v-finding[data-code='queue-wait']")
    t.check(b.text(".v2v-findings") and "1 error" in b.text(".v2v-findings"), "the findings' summary",
            b.text(".v2v-findings"))
    b.screenshot(os.path.join(screenshot_dir(), "check.png"), ".v2v-new-dialog")
    # fixing the field clears its finding; Check again: no error
    b.fill("#v2v-field-output_dir", out)
    b.wait_gone(".v2v-field-finding[data-key='output_dir']")
    b.click(".v2v-new-dialog .v2v-check")
    b.wait_js("() => { const e = document.querySelector('.v2v-findings'); return !!e && e.innerText.includes('no error'); }")
    t.check(True, "Check again after the fix: no error")
    no_page_errors(t, b)


# What the page showed of one job while it ran: a MutationObserver keeps
# every change of the row's state, phase, bar and last message, so a value
# the page showed between two of the test's looks is not missed.
RECORD_ROW = """s => {
    window.v2vSeen = [];
    const t0 = performance.now();
    const rec = () => {
        const r = document.querySelector(s);
        if (!r)
            return;
        const bar = r.querySelector('.v2v-progress-cell [role=progressbar]');
        const msg = r.querySelector('.v2v-last-message');
        const now = { t: Math.round(performance.now() - t0) / 1000, state: r.dataset.state, phase: r.querySelector('.v2v-phase').innerText,
                      progress: bar ? Number(bar.getAttribute('aria-valuenow')) : null,
                      message: msg ? msg.innerText : null };
        const last = window.v2vSeen[window.v2vSeen.length - 1];
        if (!last || Object.keys(now).some(k => k !== 't' && now[k] !== last[k]))
            window.v2vSeen.push(now);
    };
    new MutationObserver(rec).observe(document.body, { subtree: true, childList: true, attributes: true,
                                                       characterData: true });
    rec();
}"""


def scenario_convert_libvirt(t):
    """As a user converts a KVM guest of this host: the dialog lists the VMs
    of qemu:///system, the guest is picked and its details shown, Check, then
    Start; the row follows the real virt-v2v to "succeeded"."""
    import v2vdfixtures as fx
    from v2vdlibvirt import Libvirtd, domain_xml
    img = fx.guest_image()
    t.check(os.path.isfile(img), "guest image %s exists" % img)
    # the domain's disk: a qcow2 overlay, so the cached image stays pristine
    disk = os.path.join(t.base, "kvmguest.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", img, disk], check=True)
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    shots = screenshot_dir()
    lv = Libvirtd(os.path.join(t.base, "libvirt")).start()
    t.libvirtd = lv
    lv.define_domain(domain_xml("kvmguest", disk, "52:54:00:4b:22:33", fmt="qcow2"))
    t.daemon.start()
    log("  daemon --system started (pid %d), the real virt-v2v" % t.daemon.proc.pid)

    b = start(t)
    b.wait_text(".v2v-empty", "No conversions yet")
    open_dialog(b)
    b.select("#v2v-field-input", "libvirt")
    b.fill("#v2v-field-libvirt_uri", "qemu:///system")
    b.click(".v2v-list-vms")
    b.wait_visible("select#v2v-field-vm_name", timeout=120)
    options = b.eval("() => [...document.querySelectorAll('select#v2v-field-vm_name option')]"
                     ".filter(o => o.value).map(o => [o.value, o.innerText])")
    t.check_eq(options, [["kvmguest", "kvmguest (shutoff)"]], "the VM picker offers the libvirtd's guest, shut off")
    b.select("select#v2v-field-vm_name", "kvmguest")
    b.wait_visible(".v2v-new-dialog .v2v-vm-details", timeout=120)
    b.wait_text(".v2v-new-dialog .v2v-vm-details", disk, timeout=60)
    details = b.text(".v2v-new-dialog .v2v-vm-details")
    log("  the picked VM's details: %s" % details.replace("\n", " | "))
    t.check("52:54:00:4b:22:33" in details, "the picked VM's details: its disk and NIC", details)
    b.fill("#v2v-field-output_dir", out)
    b.select("#v2v-field-output_format", "qcow2")
    b.click(".v2v-new-dialog .v2v-check")
    b.wait_visible(".v2v-new-dialog .v2v-findings", timeout=300)
    findings = b.text(".v2v-new-dialog .v2v-findings")
    log("  Check: %s" % findings.replace("\n", " | "))
    t.check("no error" in findings, "Check finds no error", findings)
    b.eval("() => { document.querySelector('.v2v-new-dialog .pf-v5-c-modal-box__body').scrollTop = 0; }")
    b.screenshot(os.path.join(shots, "convert-libvirt-dialog.png"), ".v2v-new-dialog")
    b.click(".v2v-new-dialog .v2v-submit")
    b.wait_gone(".v2v-new-dialog", timeout=60)
    t0 = time.monotonic()
    with open(t.daemon.config_path) as f:
        conf = f.read()
    t.check("virt_v2v=" not in conf and "V2VD_VIRT_V2V" not in t.daemon.env,
            "the daemon runs the real virt-v2v (no virt_v2v key, no V2VD_VIRT_V2V)", conf)
    jobs = [j for j in call(MANAGER_PATH, MANAGER_IFACE, "ListJobs")[0] if j[3] == "kvmguest"]
    t.check_eq(len(jobs), 1, "one job created from the dialog")
    job_id = jobs[0][0]
    t.jobs.append(job_id)
    spec = json.loads(get_property(job_path(job_id), JOB_IFACE, "Spec"))
    t.check_eq(spec, {"vm_name": "kvmguest", "libvirt_uri": "qemu:///system", "output_dir": out,
                      "output_format": "qcow2"}, "the dialog's spec")

    b.wait_visible(row(job_id))
    expand(b, job_id)
    b.eval(RECORD_ROW, row(job_id))
    # the running row while virt-v2v converts the guest (the longest phase
    # under TCG, tens of seconds): its screenshot
    b.wait_js("s => { const r = document.querySelector(s); if (!r) return false;"
              " const ph = r.querySelector('.v2v-phase').innerText;"
              " return r.dataset.state !== 'running' || ph.startsWith('Converting') || ph.startsWith('Copying'); }",
              row(job_id), timeout=1200)
    t.check_eq(row_state(b, job_id), "running", "the row shows the job running while virt-v2v converts")
    b.screenshot(os.path.join(shots, "convert-libvirt-running.png"), row(job_id))
    wait_for(lambda: row_state(b, job_id) in ("succeeded", "failed", "cancelled"), 1400,
             "the row of the job ends", interval=2)
    elapsed = time.monotonic() - t0
    log("TIME cockpit-page-convert-libvirt conversion %.0f s" % elapsed)
    b.screenshot(os.path.join(shots, "convert-libvirt-done.png"), row(job_id))
    state = row_state(b, job_id)
    if state != "succeeded":
        log_file = get_property(job_path(job_id), JOB_IFACE, "LogFile")
        try:
            with open(log_file, errors="replace") as f:
                tail = "".join(f.readlines()[-60:])
        except OSError as e:
            tail = str(e)
        t.check_eq(state, "succeeded", "the row ends succeeded",
                   "LastMessage %s\n---- v2v.log:\n%s" % (get_property(job_path(job_id), JOB_IFACE, "LastMessage"),
                                                         tail))
    t.check(True, "the row ends succeeded (%.0f s)" % elapsed)

    seen = b.eval("() => window.v2vSeen")
    log("  the row as the page showed it (s after the job's row appeared: state, progress, phase):")
    for i, x in enumerate(seen):
        if i == 0 or (x["state"], x["progress"], x["phase"]) != (seen[i - 1]["state"], seen[i - 1]["progress"],
                                                                  seen[i - 1]["phase"]):
            log("    %6.1f %-9s %6s %s" % (x["t"], x["state"], x["progress"], x["phase"][:70]))
    between = sorted({x["progress"] for x in seen if x["progress"] is not None and 0 < x["progress"] < 100})
    log("  progress values shown between 0 and 100: %s" % between)
    t.check(len(between) >= 1, "the bar showed a value strictly between 0 and 100", seen[-20:])
    progresses = [x["progress"] for x in seen if x["progress"] is not None]
    t.check(progresses == sorted(progresses), "the bar never went back", progresses)
    t.check_eq(progresses[-1], 100, "the bar ends at 100")
    phases = [x["phase"] for x in seen if x["state"] == "running" and x["phase"]]
    t.check(len(set(phases)) >= 3 and any(p.startswith("Copying disk 1/1") for p in phases),
            "the phase changed while it ran, through \"Copying disk 1/1\"", sorted(set(phases)))
    messages = {x["message"] for x in seen if x["message"] and x["message"] != "—"}
    t.check(len(messages) >= 2, "the last message changed while it ran (%d messages)" % len(messages),
            sorted(messages))
    t.check_eq(get_property(job_path(job_id), JOB_IFACE, "ReturnCode"), 0, "ReturnCode over D-Bus")

    st = t.daemon.state(job_id)
    t.check(st.get("finished") is True and st.get("return_code") == 0 and "failed" not in st,
            "state.json: finished, return_code 0", st)
    out_disk = os.path.join(out, "kvmguest-sda")
    t.check(os.path.isfile(out_disk), "the output disk kvmguest-sda is written", os.listdir(out))
    p = subprocess.run(["qemu-img", "info", "--output=json", out_disk], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    t.check(p.returncode == 0, "qemu-img info reads it", p.stderr)
    info = json.loads(p.stdout)
    t.check_eq((info.get("format"), info.get("virtual-size")), ("qcow2", fx.virtual_size(img)),
               "the output disk: qcow2, the guest's size")
    xml_path = os.path.join(out, "kvmguest.xml")
    t.check(os.path.isfile(xml_path), "kvmguest.xml is written", os.listdir(out))
    import xml.etree.ElementTree as ET
    root = ET.parse(xml_path).getroot()
    t.check_eq(root.findtext("name"), "kvmguest", "kvmguest.xml names the domain")
    sources = [d.find("source").get("file") for d in root.iter("disk")
               if d.get("device") == "disk" and d.find("source") is not None]
    t.check_eq(sources, [out_disk], "its disk is the output disk")
    no_page_errors(t, b)
    t.assert_no_leftovers()


def test(t):
    t.ws = None
    t.browser = None
    t.servers, t.browsers = [], []
    t.libvirtd = None
    if SCENARIO == "convert-libvirt":
        # the real virt-v2v under TCG, with the suite's shared appliance
        # cache; the scenario starts the daemon once its libvirtd is up
        import v2vdfixtures as fx
        os.environ.pop("V2VD_FAKE_V2V", None)
        os.environ.pop("V2VD_VIRT_V2V", None)
        t.daemon = SystemDaemon(os.path.join(t.base, "daemon"), config={"max_running_jobs": 1},
                                environment=fx.v2v_environment())
    else:
        t.daemon = SystemDaemon(os.path.join(t.base, "daemon"))
        t.daemon.start()
        log("  daemon --system started (pid %d)" % t.daemon.proc.pid)
    try:
        {"main": scenario_main, "users": scenario_users, "load": scenario_load,
         "preflight": scenario_preflight, "convert-libvirt": scenario_convert_libvirt}[SCENARIO](t)
    except Exception:
        for b in t.browsers:
            log_console(b)
        for ws in t.servers:
            log("  cockpit-ws log (%s):\n%s" % (ws.user or "root", ws.log()))
        raise
    finally:
        for b in t.browsers:
            b.close()
        for ws in t.servers:
            ws.stop()
        if t.libvirtd:
            t.libvirtd.stop()


run_test(test, "cockpit-page-" + SCENARIO)
