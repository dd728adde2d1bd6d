// Pure helpers of the page: they take data and return data (no bus, no DOM).
// Job snapshots from D-Bus properties, the spec the dialog builds, the
// field an InvalidSpec message names, the v2vctl command of a job.

export const BUS_NAME = "org.v2vd.V2V1";
export const MANAGER_PATH = "/org/v2vd/V2V1";
export const MANAGER_IFACE = "org.v2vd.V2V1.Manager";
export const JOB_IFACE = "org.v2vd.V2V1.Job";
export const ERROR_PREFIX = "org.v2vd.V2V1.Error.";
export const ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied";

export const STATES = ["queued", "running", "succeeded", "failed", "cancelled"];
export const FINISHED_STATES = ["succeeded", "failed", "cancelled"];

export function isFinished(state) {
    return FINISHED_STATES.includes(state);
}

// D-Bus `t` values arrive as numbers from cockpit.dbus; 0 means "not yet".
function usec(v) {
    const n = Number(v || 0);
    return n > 0 ? n : 0;
}

// Text a job's owner can write (virt-v2v's messages, phases, logs, paths)
// with every control character made visible, as v2vctl shows it
// (daemon/common/text-escape.c): C0 but tab (and newline when kept), DEL,
// C1, the bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const HIDDEN_BUT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text, keepNewline = false) {
    return String(text ?? "").replace(keepNewline ? HIDDEN_BUT_NEWLINE : HIDDEN, c => {
        const n = c.charCodeAt(0);
        return n < 0x80 ? "\\x" + n.toString(16).padStart(2, "0") : "\\u" + n.toString(16).padStart(4, "0");
    });
}

// A plain, immutable snapshot of a job object's properties (the proxy's
// data), so rows re-render only when their own job changed.
export function jobSnapshot(path, d) {
    const lm = (d.LastMessage || ["", ""]).map(s => printable(s, true));
    const fl = (d.Failure || ["", "", ""]).map(s => printable(s, true));
    return Object.freeze({
        path,
        id: d.Id || path.split("/").pop(),
        vmName: printable(d.VmName),
        ownerUid: d.OwnerUID,
        spec: d.Spec || "",
        state: d.State || "queued",
        phase: printable(d.Phase),
        progress: Number(d.Progress || 0),
        disks: (d.Disks || []).map(([p, v]) => ({ path: printable(p), progress: Number(v) })),
        diskCount: d.DiskCount || 0,
        createdAt: usec(d.CreatedAt),
        startedAt: usec(d.StartedAt),
        finishedAt: usec(d.FinishedAt),
        expectedEnd: usec(d.ExpectedEndTime),
        returnCode: d.ReturnCode === undefined ? -1 : d.ReturnCode,
        lastMessage: { type: lm[0] || "", text: lm[1] || "" },
        failure: { code: fl[0] || "", summary: fl[1] || "", remedy: fl[2] || "" },
        cpuLimit: d.CPULimit || "unlimited",
        networkLimit: Number(d.NetworkLimit || 0),
        diskLimit: Number(d.DiskLimit || 0),
        priority: Number(d.Priority || 0),
        waitReason: d.WaitReason || "",
        unit: d.Unit || "",
    });
}

// Newest first: by CreatedAt, then by id for jobs created in the same µs.
export function compareJobs(a, b) {
    if (a.createdAt !== b.createdAt)
        return b.createdAt - a.createdAt;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function filterJobs(jobs, stateFilter) {
    if (!stateFilter || stateFilter === "all")
        return jobs;
    if (stateFilter === "active")
        return jobs.filter(j => !isFinished(j.state));
    if (stateFilter === "finished")
        return jobs.filter(j => isFinished(j.state));
    return jobs.filter(j => j.state === stateFilter);
}

export function parseSpec(text) {
    try {
        const o = JSON.parse(text);
        return o && typeof o === "object" && !Array.isArray(o) ? o : null;
    } catch (e) {
        return null;
    }
}

// What the job writes to, from its (masked) spec, in the order the daemon
// picks the output (API: "chosen by which keys are present, in this order").
export function outputOf(spec) {
    if (!spec)
        return { type: "", destination: "" };
    if (spec.in_place)
        return { type: "in-place", destination: "" };
    if (spec.rhv_url)
        return { type: "oVirt / RHV", destination: spec.rhv_url + (spec.rhv_storage ? " (" + spec.rhv_storage + ")" : "") };
    if (spec.export_domain)
        return { type: "oVirt export domain", destination: spec.export_domain };
    if (spec.osp_environment || spec.osp_server_id)
        return { type: "OpenStack", destination: spec.osp_destination_project_id || spec.osp_server_id || "" };
    if (spec.output_dir)
        return { type: "local", destination: spec.output_dir };
    if (spec.libvirt_output_uri)
        return { type: "libvirt", destination: spec.libvirt_output_uri + (spec.libvirt_pool ? " pool " + spec.libvirt_pool : "") };
    if (spec.qemu_dir)
        return { type: "qemu", destination: spec.qemu_dir };
    if (spec.kubevirt_dir)
        return { type: "kubevirt", destination: spec.kubevirt_dir };
    return { type: "", destination: "" };
}

// Network rate as typed by a user: "10M", "512k", "1.5 MB/s", "1048576"
// (bytes per second) → integer bytes per second, 0 for "" or "unlimited",
// null when it cannot be read.
export function parseRate(text) {
    const t = String(text).trim().toLowerCase();
    if (t === "" || t === "unlimited" || t === "0")
        return 0;
    const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b(?:\/s)?)?$/.exec(t);
    if (!m)
        return null;
    const mult = { "": 1, k: 1024, m: 1024 * 1024, g: 1024 * 1024 * 1024 }[m[2]];
    return Math.round(parseFloat(m[1]) * mult);
}

export function formatRate(bytesPerSec) {
    const n = Number(bytesPerSec || 0);
    if (n <= 0)
        return "unlimited";
    const units = [["GiB/s", 1024 ** 3], ["MiB/s", 1024 ** 2], ["KiB/s", 1024]];
    for (const [u, f] of units) {
        if (n >= f)
            return (Math.round(n / f * 10) / 10) + " " + u;
    }
    return n + " B/s";
}

// CPU limit as typed: "50", "50%", "150 %", "unlimited", "" → "50%" /
// "unlimited", or null.
export function parseCpu(text) {
    const t = String(text).trim().toLowerCase();
    if (t === "" || t === "unlimited")
        return "unlimited";
    const m = /^(\d+)\s*%?$/.exec(t);
    if (!m || Number(m[1]) <= 0)
        return null;
    return Number(m[1]) + "%";
}

// The spec key an InvalidSpec message names: the daemon's messages start
// with "KEY: …" or "KEY.SUB: …" (osp_environment.OS_X, network_mappings[1]…).
export function errorKey(message) {
    const m = /^([a-z_]+)(?:[.[][^:]*)?:/.exec(message || "");
    return m ? m[1] : null;
}

// The dialog's form → the job spec (an object). Empty optional fields are
// left out, so the daemon's defaults and the profile's keys apply.
export function buildSpec(f) {
    const s = {};
    const put = (k, v) => {
        if (typeof v === "string")
            v = v.trim();
        if (v !== undefined && v !== null && v !== "")
            s[k] = v;
    };
    put("vm_name", f.vm_name);
    switch (f.input) {
    case "vddk":
        s.transport_method = "vddk";
        put("vmware_uri", f.vmware_uri);
        put("vmware_fingerprint", f.vmware_fingerprint);
        put("vmware_password", f.vmware_password);
        put("vddk_libdir", f.vddk_libdir);
        break;
    case "vmx":
        s.transport_method = "ssh";
        put("vmware_uri", f.vmware_uri);
        break;
    case "libvirt":
        put("libvirt_uri", f.libvirt_uri);
        put("libvirt_password", f.libvirt_password);
        break;
    case "ova":
        put("ova", f.ova);
        break;
    case "disk":
        s.disk = String(f.disk || "").split("\n").map(l => l.trim()).filter(l => l);
        break;
    }
    switch (f.output) {
    case "local":
        put("output_dir", f.output_dir);
        break;
    case "libvirt":
        put("libvirt_output_uri", f.libvirt_output_uri);
        put("libvirt_pool", f.libvirt_pool);
        break;
    case "rhv":
        put("rhv_url", f.rhv_url);
        put("rhv_password", f.rhv_password);
        put("rhv_cluster", f.rhv_cluster);
        put("rhv_storage", f.rhv_storage);
        put("rhv_cafile", f.rhv_cafile);
        if (f.insecure_connection)
            s.insecure_connection = true;
        break;
    case "openstack": {
        const env = {};
        for (const line of String(f.osp_environment || "").split("\n")) {
            const i = line.indexOf("=");
            if (i > 0)
                env[line.slice(0, i).trim()] = line.slice(i + 1).trim();
        }
        if (Object.keys(env).length)
            s.osp_environment = env;
        put("osp_server_id", f.osp_server_id);
        put("osp_destination_project_id", f.osp_destination_project_id);
        put("osp_flavor_id", f.osp_flavor_id);
        const groups = String(f.osp_security_groups_ids || "").split(/[\s,]+/).filter(g => g);
        if (groups.length)
            s.osp_security_groups_ids = groups;
        put("osp_volume_type_id", f.osp_volume_type_id);
        if (f.insecure_connection)
            s.insecure_connection = true;
        break;
    }
    case "profile":
        break;
    }
    put("profile", f.profile);
    put("name", f.name);
    put("output_format", f.output_format);
    put("allocation", f.allocation);
    const maps = (f.network_mappings || []).filter(m => m.source.trim() || m.destination.trim());
    if (maps.length)
        s.network_mappings = maps.map(m => ({ source: m.source.trim(), destination: m.destination.trim() }));
    const thr = {};
    if (String(f.cpu || "").trim())
        thr.cpu = parseCpu(f.cpu) || String(f.cpu).trim();
    if (String(f.network || "").trim()) {
        const r = parseRate(f.network);
        thr.network = r === null ? String(f.network).trim() : (r === 0 ? "unlimited" : String(r));
    }
    if (Object.keys(thr).length)
        s.throttling = thr;
    return s;
}

// A command a page user can run to submit the same job again from a
// terminal. The spec is the daemon's masked one: secrets read "*****" and
// must be filled in before running it.
export function v2vctlCommand(specText, userBus) {
    const spec = parseSpec(specText) || {};
    const body = JSON.stringify(spec, null, 2);
    const bus = userBus ? " --user" : "";
    return "v2vctl" + bus + " submit - <<'EOF'\n" + body + "\nEOF\n";
}

export function hasMaskedSecrets(specText) {
    return String(specText || "").includes('"*****"');
}

// A log as a terminal shows it: within a line, a carriage return starts
// over (nbdcopy redraws its progress bar with "\r"), so only the text after
// the last one stays; a line ending in "\r" keeps what came before it.
export function terminalText(text) {
    return printable(String(text).split("\n").map(line => {
        const parts = line.split("\r");
        for (let i = parts.length - 1; i >= 0; i--) {
            if (parts[i] !== "")
                return parts[i];
        }
        return "";
    }).join("\n"), true);
}

// CheckJob's findings (a(ssss)) as objects, errors first.
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };
export function findingsOf(list) {
    return (list || []).map(([severity, code, key, message]) => ({ severity, code, key, message }))
            .sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3));
}
