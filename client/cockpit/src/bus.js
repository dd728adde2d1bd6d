// The page's connection to v2vd: cockpit.dbus on the system bus (or the
// session bus for `v2vd --user`), the job objects through the
// ObjectManager at /org/v2vd/V2V1 and their PropertiesChanged signals
// (cockpit's proxies()), never polling. When the daemon's bus name loses
// its owner the page shows "not running"; when a new owner appears the
// connection is built again from GetManagedObjects.
import { BUS_NAME, MANAGER_PATH, MANAGER_IFACE, JOB_IFACE, ACCESS_DENIED, jobSnapshot } from "./model.js";

const cockpit = window.cockpit;

const PROPS_IFACE = "org.freedesktop.DBus.Properties";

function unvariant(dict) {
    const out = {};
    for (const k in dict || {})
        out[k] = dict[k] && dict[k].v !== undefined ? dict[k].v : dict[k];
    return out;
}

export function isAccessDenied(ex) {
    return !!ex && (ex.name === ACCESS_DENIED || ex.problem === "access-denied" || ex.problem === "not-authorized");
}

// the text to show for a failed call: a D-Bus error's message, or
// cockpit's problem code when the channel itself failed
export function errorText(ex) {
    return (ex && (ex.message || ex.problem)) || String(ex);
}

export class Connection {
    // onUpdate({ status, jobs, manager, error }) is called at most once per
    // animation frame: status is "connecting", "ready", "not-running",
    // "not-authorized" or "error"; jobs a Map path → snapshot.
    constructor(bus, onUpdate) {
        this.bus = bus;
        this.onUpdate = onUpdate;
        this.jobs = new Map();
        this.status = "connecting";
        this.error = null;
        this.manager = {};
        this.client = null;
        this.pending = false;
        this.closed = false;
        this.generation = 0;
        this.watchName();
        this.watchSuperuser();
        this.connect();
    }

    // With superuser: "try" the page talks as root while the user has
    // administrative access turned on in Cockpit, else as the user. When
    // that changes, what the page may see and do changes: read it again.
    watchSuperuser() {
        this.internal = cockpit.dbus(null, { bus: "internal" });
        const su = this.internal.proxy("cockpit.Superuser", "/superuser");
        let current = null;
        su.addEventListener("changed", () => {
            const now = su.Current;
            if (!now || now === "init")
                return;
            if (current !== null && now !== current && !this.closed)
                this.reconnect();
            current = now;
        });
        su.wait().then(() => {
            if (su.valid && su.Current && su.Current !== "init")
                current = su.Current;
        }).catch(() => {});
    }

    reconnect() {
        const client = this.client;
        this.client = null;
        this.jobs = new Map();
        this.specs = null;
        this.setStatus("connecting");
        this.connect();
        if (client)
            client.close();
    }

    // The bus itself tells when the daemon's name gets an owner: a channel
    // opened while v2vd is not running is closed by the bridge ("not-found")
    // and would hear nothing more.
    watchName() {
        const bus = cockpit.dbus("org.freedesktop.DBus", { bus: this.bus });
        this.nameWatcher = bus;
        const appeared = () => {
            if (!this.closed && this.status === "not-running" && !this.client)
                this.connect();
        };
        bus.subscribe({ path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "NameOwnerChanged", arg0: BUS_NAME },
                      (path, iface, signal, args) => {
                          if (args[2])
                              appeared();
                      });
        this.checkName = () =>
            bus.call("/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", [BUS_NAME])
                    .then(([has]) => { if (has) appeared() })
                    .catch(() => {});
    }

    options() {
        return { bus: this.bus, superuser: "try" };
    }

    connect() {
        const gen = ++this.generation;
        const client = cockpit.dbus(BUS_NAME, this.options());
        this.client = client;
        let hadOwner = null;
        client.addEventListener("owner", (ev, owner) => {
            if (gen !== this.generation)
                return;
            if (owner) {
                if (hadOwner === false) {
                    // The daemon came back: read everything anew.
                    this.reconnect();
                    return;
                }
                hadOwner = true;
                this.watch(client, gen);
            } else {
                hadOwner = false;
                this.jobs = new Map();
                this.manager = {};
                this.setStatus("not-running");
            }
        });
        client.addEventListener("close", (ev, options) => {
            if (gen !== this.generation || this.closed)
                return;
            const problem = options && options.problem;
            this.client = null;
            if (problem === "not-found") {
                // opened while the daemon's name had no owner (the bridge
                // asked the bus to activate it when it opened the channel,
                // as any client's first call would: there was nothing to
                // activate)
                this.jobs = new Map();
                this.setStatus("not-running");
                this.checkName(); // it may have come between
            } else if (problem === "access-denied" || problem === "not-authorized")
                this.setStatus("not-authorized");
            else if (problem)
                this.setStatus("error", problem);
        });
    }

    watch(client, gen) {
        const jobs = client.proxies(JOB_IFACE, MANAGER_PATH);
        this.jobProxies = jobs;
        const update = (ev, proxy) => {
            if (gen !== this.generation)
                return;
            if (ev.type === "removed")
                this.jobs.delete(proxy.path);
            else if (proxy.valid && proxy.data && proxy.data.Id !== undefined)
                this.jobs.set(proxy.path, jobSnapshot(proxy.path, proxy.data));
            this.schedule();
        };
        jobs.addEventListener("added", update);
        jobs.addEventListener("changed", update);
        jobs.addEventListener("removed", update);

        // The manager object is the ObjectManager itself (GetManagedObjects
        // lists only the jobs below it), so its few properties are read with
        // GetAll and followed with its PropertiesChanged signal.
        client.subscribe({ path: MANAGER_PATH, interface: PROPS_IFACE, member: "PropertiesChanged" },
                         (path, iface, signal, args) => {
                             if (gen !== this.generation || args[0] !== MANAGER_IFACE)
                                 return;
                             this.manager = { ...this.manager, ...unvariant(args[1]) };
                             this.schedule();
                         });
        Promise.all([jobs.wait(), client.call(MANAGER_PATH, PROPS_IFACE, "GetAll", [MANAGER_IFACE])])
                .then(([, [props]]) => {
                    if (gen !== this.generation)
                        return;
                    for (const path in jobs) {
                        const p = jobs[path];
                        if (p && p.valid && p.data && p.data.Id !== undefined)
                            this.jobs.set(path, jobSnapshot(path, p.data));
                    }
                    this.manager = { ...unvariant(props), ...this.manager };
                    this.setStatus("ready");
                })
                .catch(ex => {
                    if (gen !== this.generation)
                        return;
                    if (isAccessDenied(ex))
                        this.setStatus("not-authorized");
                    else if (ex.name === "org.freedesktop.DBus.Error.ServiceUnknown" ||
                             ex.name === "org.freedesktop.DBus.Error.NameHasNoOwner")
                        this.setStatus("not-running");
                    else
                        this.setStatus("error", errorText(ex));
                });
    }

    setStatus(status, error) {
        this.status = status;
        this.error = error || null;
        this.schedule();
    }

    // Coalesce bursts (hundreds of jobs at start, ~10 progress signals a
    // second per running job) into one render per frame.
    schedule() {
        if (this.pending || this.closed)
            return;
        this.pending = true;
        window.requestAnimationFrame(() => {
            this.pending = false;
            if (!this.closed)
                this.onUpdate({ status: this.status, error: this.error, jobs: this.jobs, manager: this.manager,
                                generation: this.generation });
        });
    }

    call(path, iface, method, args) {
        if (!this.client || this.status === "not-running")
            return Promise.reject(new Error(cockpit.gettext("v2vd is not running")));
        return this.client.call(path, iface, method, args);
    }

    manage(path, method, args) {
        return this.call(path, JOB_IFACE, method, args || []);
    }

    // The spec of a job. GetManagedObjects carries it, but the daemon leaves
    // job details out of the InterfacesAdded signal (every client sees
    // it), so a job that appeared while the page was open is asked for it
    // with Properties.Get, once (it is const).
    spec(job) {
        if (job.spec)
            return Promise.resolve(job.spec);
        if (!this.specs)
            this.specs = new Map();
        let p = this.specs.get(job.path);
        if (!p) {
            p = this.call(job.path, PROPS_IFACE, "Get", [JOB_IFACE, "Spec"]).then(([v]) => v.v);
            p.catch(() => this.specs.delete(job.path));
            this.specs.set(job.path, p);
        }
        return p;
    }

    managerCall(method, args) {
        return this.call(MANAGER_PATH, MANAGER_IFACE, method, args || []);
    }

    close() {
        this.closed = true;
        this.generation++;
        if (this.client)
            this.client.close();
        this.nameWatcher.close();
        this.internal.close();
    }
}

// bytes of a D-Bus `ay` as cockpit.dbus hands them over (base64) → Uint8Array
export function decodeBytes(v) {
    if (v instanceof Uint8Array)
        return v;
    if (Array.isArray(v))
        return Uint8Array.from(v);
    const bin = window.atob(v || "");
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++)
        out[i] = bin.charCodeAt(i);
    return out;
}
