// Unit tests of the page's pure helpers (src/model.js), with node's own
// test runner: meson test -C build cockpit-model (suite unit).
import test from "node:test";
import assert from "node:assert/strict";

import {
    buildSpec, compareJobs, errorKey, filterJobs, formatRate, jobSnapshot, outputOf, parseCpu, parseRate,
    v2vctlCommand, hasMaskedSecrets, terminalText, findingsOf, printable,
} from "../src/model.js";

test("errorKey: the key an InvalidSpec message names", () => {
    assert.equal(errorKey('output_dir: expected an absolute path, got "x"'), "output_dir");
    assert.equal(errorKey("osp_environment.OS_AUTH_URL: expected a string"), "osp_environment");
    assert.equal(errorKey("network_mappings[1].destination: missing"), "network_mappings");
    assert.equal(errorKey('conflicting inputs "disk" and "ova": expected exactly one input'), null);
    assert.equal(errorKey("no input: expected one of …"), null);
    assert.equal(errorKey(""), null);
});

test("parseRate / formatRate", () => {
    assert.equal(parseRate("10M"), 10 * 1024 * 1024);
    assert.equal(parseRate("512k"), 512 * 1024);
    assert.equal(parseRate("1.5 MiB/s"), 1572864);
    assert.equal(parseRate("1048576"), 1048576);
    assert.equal(parseRate("unlimited"), 0);
    assert.equal(parseRate(""), 0);
    assert.equal(parseRate("fast"), null);
    assert.equal(parseRate("-5"), null);
    assert.equal(formatRate(0), "unlimited");
    assert.equal(formatRate(10 * 1024 * 1024), "10 MiB/s");
    assert.equal(formatRate(1536), "1.5 KiB/s");
    assert.equal(formatRate(100), "100 B/s");
});

test("parseCpu", () => {
    assert.equal(parseCpu("50"), "50%");
    assert.equal(parseCpu(" 150 % "), "150%");
    assert.equal(parseCpu("unlimited"), "unlimited");
    assert.equal(parseCpu(""), "unlimited");
    assert.equal(parseCpu("0"), null);
    assert.equal(parseCpu("half"), null);
});

const FORM = {
    input: "disk", output: "local", vm_name: " guest ", disk: "/a.img\n\n /b.img ", output_dir: "/out",
    network_mappings: [{ source: "VM Network", destination: "br0" }, { source: " ", destination: "" }],
    cpu: "50", network: "10M", profile: "", name: "", output_format: "qcow2", allocation: "",
};

test("buildSpec: disk to local with mapping and limits", () => {
    assert.deepEqual(buildSpec(FORM), {
        vm_name: "guest",
        disk: ["/a.img", "/b.img"],
        output_dir: "/out",
        output_format: "qcow2",
        network_mappings: [{ source: "VM Network", destination: "br0" }],
        throttling: { cpu: "50%", network: "10485760" },
    });
});

test("buildSpec: VDDK to oVirt keeps the password only in the spec it sends", () => {
    const s = buildSpec({
        input: "vddk", output: "rhv", vm_name: "vm", vmware_uri: "vpx://u@vc/DC/h", vmware_fingerprint: "AA:BB",
        vmware_password: "pw", vddk_libdir: "", rhv_url: "https://e/ovirt-engine/api", rhv_password: "secret",
        rhv_cluster: "", rhv_storage: "data", rhv_cafile: "", insecure_connection: true, network_mappings: [],
    });
    assert.deepEqual(s, {
        vm_name: "vm", transport_method: "vddk", vmware_uri: "vpx://u@vc/DC/h", vmware_fingerprint: "AA:BB",
        vmware_password: "pw", rhv_url: "https://e/ovirt-engine/api", rhv_password: "secret", rhv_storage: "data",
        insecure_connection: true,
    });
});

test("buildSpec: OpenStack environment and security groups", () => {
    const s = buildSpec({
        input: "ova", output: "openstack", vm_name: "vm", ova: "/x.ova",
        osp_environment: "OS_AUTH_URL=https://k/v3\nOS_PASSWORD=p=q\n", osp_security_groups_ids: "a, b c",
        osp_server_id: "srv", network_mappings: [],
    });
    assert.deepEqual(s.osp_environment, { OS_AUTH_URL: "https://k/v3", OS_PASSWORD: "p=q" });
    assert.deepEqual(s.osp_security_groups_ids, ["a", "b", "c"]);
    assert.equal(s.ova, "/x.ova");
    assert.equal(s.osp_server_id, "srv");
});

test("buildSpec: a bad limit goes to the daemon as typed, for its message", () => {
    assert.deepEqual(buildSpec({ ...FORM, cpu: "lots", network: "fast" }).throttling, { cpu: "lots", network: "fast" });
    assert.deepEqual(buildSpec({ ...FORM, cpu: "", network: "unlimited" }).throttling, { network: "unlimited" });
});

test("jobSnapshot, ordering and filters", () => {
    const a = jobSnapshot("/org/v2vd/V2V1/job/1", { Id: "1", State: "succeeded", CreatedAt: 10, Disks: [["/a", 100]] });
    const b = jobSnapshot("/org/v2vd/V2V1/job/2", { Id: "2", State: "running", CreatedAt: 20, LastMessage: ["warning", "w"] });
    const c = jobSnapshot("/org/v2vd/V2V1/job/3", {
        Id: "3", State: "queued", CreatedAt: 20, WaitReason: "waiting for a slot on esx1 (1 of 1 running)",
        Priority: 5, DiskLimit: 1048576,
    });
    assert.deepEqual(a.disks, [{ path: "/a", progress: 100 }]);
    assert.deepEqual(b.lastMessage, { type: "warning", text: "w" });
    assert.equal(a.cpuLimit, "unlimited");
    assert.equal(a.waitReason, "");
    assert.equal(a.diskLimit, 0);
    assert.equal(c.waitReason, "waiting for a slot on esx1 (1 of 1 running)");
    assert.equal(c.priority, 5);
    assert.equal(c.diskLimit, 1048576);
    assert.deepEqual([a, b, c].sort(compareJobs).map(j => j.id), ["3", "2", "1"]);
    assert.deepEqual(filterJobs([a, b, c], "active").map(j => j.id), ["2", "3"]);
    assert.deepEqual(filterJobs([a, b, c], "finished").map(j => j.id), ["1"]);
    assert.deepEqual(filterJobs([a, b, c], "running").map(j => j.id), ["2"]);
    assert.equal(filterJobs([a, b, c], "all").length, 3);
});

test("outputOf follows the daemon's order of outputs", () => {
    assert.deepEqual(outputOf({ output_dir: "/o" }), { type: "local", destination: "/o" });
    assert.equal(outputOf({ rhv_url: "https://e", output_dir: "/o" }).type, "oVirt / RHV");
    assert.equal(outputOf({ libvirt_output_uri: "qemu:///system", libvirt_pool: "p" }).destination,
                 "qemu:///system pool p");
    assert.equal(outputOf({}).type, "");
    assert.equal(outputOf(null).type, "");
});

test("v2vctl command and masked secrets", () => {
    const spec = JSON.stringify({ vm_name: "x", libvirt_uri: "esx://h", libvirt_password: "*****" });
    const cmd = v2vctlCommand(spec, false);
    assert.match(cmd, /^v2vctl submit - <<'EOF'\n\{/);
    assert.ok(cmd.endsWith("\nEOF\n"));
    assert.deepEqual(JSON.parse(cmd.split("\n").slice(1, -2).join("\n")), JSON.parse(spec));
    assert.match(v2vctlCommand(spec, true), /^v2vctl --user submit/);
    assert.ok(hasMaskedSecrets(spec));
    assert.ok(!hasMaskedSecrets('{"vm_name": "x"}'));
});

test("terminalText keeps what a terminal would show", () => {
    assert.equal(terminalText("a\n  0% [--]\r 50% [*-]\r100% [**]\nb"), "a\n100% [**]\nb");
    assert.equal(terminalText(" 10% [-]\r 20% [*]\r"), " 20% [*]");
    assert.equal(terminalText("plain\n\nlines\n"), "plain\n\nlines\n");
    assert.equal(terminalText(""), "");
});

test("Failure and CheckJob findings", () => {
    const j = jobSnapshot("/org/v2vd/V2V1/job/3", { Failure: ["dest-full", "the destination ran out of space", "Free space"] });
    assert.deepEqual(j.failure, { code: "dest-full", summary: "the destination ran out of space", remedy: "Free space" });
    assert.deepEqual(jobSnapshot("/org/v2vd/V2V1/job/4", {}).failure, { code: "", summary: "", remedy: "" });
    const f = findingsOf([["info", "limits", "throttling", "i"], ["warning", "virtio-win-missing", "virtio_win", "w"],
        ["error", "source-running", "vm_name", "e"]]);
    assert.deepEqual(f.map(x => x.severity), ["error", "warning", "info"]);
    assert.deepEqual(f[0], { severity: "error", code: "source-running", key: "vm_name", message: "e" });
    assert.deepEqual(findingsOf(null), []);
});

test("printable: no control character of a job's owner reaches the page", () => {
    const hostile = "\u001b]0;title\u0007\u001b[2J\u009b31m\u202eexe\u007f";
    assert.equal(printable(hostile), "\\x1b]0;title\\x07\\x1b[2J\\u009b31m\\u202eexe\\x7f");
    assert.equal(printable("a\nb\tc"), "a\\x0ab\tc");
    assert.equal(printable("a\nb", true), "a\nb");
    assert.equal(printable("été 变换"), "été 变换");
    assert.equal(terminalText("log \u001b[2J\n 50%\r100%"), "log \\x1b[2J\n100%");
    const j = jobSnapshot("/org/v2vd/V2V1/job/1", { LastMessage: ["message", "x" + hostile], Phase: hostile,
                                                    VmName: "vm", Disks: [["/p\u001b", 1]] });
    for (const s of [j.lastMessage.text, j.phase, j.disks[0].path])
        assert.doesNotMatch(s, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
});
