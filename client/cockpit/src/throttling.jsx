// A running or queued job's limits: CPU, network and disk, applied with the
// job's SetThrottling; an empty field leaves that limit as it is.
import React, { useState } from "react";
import { Alert, Button, TextInput } from "@patternfly/react-core";

import { formatRate, parseCpu, parseRate } from "./model.js";
import { errorText } from "./bus.js";

const _ = window.cockpit.gettext;

export function ThrottlingControls({ job, act }) {
    const [cpu, setCpu] = useState("");
    const [net, setNet] = useState("");
    const [disk, setDisk] = useState("");
    const [err, setErr] = useState(null);

    const apply = limits => {
        setErr(null);
        act(job, "SetThrottling", [limits], true)
                .then(() => { setCpu(""); setNet(""); setDisk("") })
                .catch(ex => setErr(errorText(ex)));
    };

    const submit = () => {
        const limits = {};
        if (cpu.trim()) {
            const c = parseCpu(cpu);
            if (!c) {
                setErr(_("CPU limit: expected a percentage such as 50% or \"unlimited\""));
                return;
            }
            limits.cpu = { t: "s", v: c };
        }
        if (net.trim()) {
            const n = parseRate(net);
            if (n === null) {
                setErr(_("Network limit: expected a rate such as 10M, 512K or \"unlimited\""));
                return;
            }
            limits.network = { t: "s", v: n === 0 ? "unlimited" : String(n) };
        }
        if (disk.trim()) {
            const d = parseRate(disk);
            if (d === null) {
                setErr(_("Disk limit: expected a rate such as 50M, 512K or \"unlimited\""));
                return;
            }
            limits.disk = { t: "s", v: d === 0 ? "unlimited" : String(d) };
        }
        if (Object.keys(limits).length)
            apply(limits);
    };

    return (
        <div>
            <div className="v2v-throttle">
                <div>
                    <label htmlFor={"cpu-" + job.id}>{_("CPU limit")}</label>
                    <TextInput id={"cpu-" + job.id} value={cpu} onChange={(_ev, v) => setCpu(v)}
                               placeholder={job.cpuLimit} aria-label={_("CPU limit")} />
                </div>
                <div>
                    <label htmlFor={"net-" + job.id}>{_("Network limit")}</label>
                    <TextInput id={"net-" + job.id} value={net} onChange={(_ev, v) => setNet(v)}
                               placeholder={formatRate(job.networkLimit)} aria-label={_("Network limit")} />
                </div>
                <div>
                    <label htmlFor={"disk-" + job.id}>{_("Disk limit")}</label>
                    <TextInput id={"disk-" + job.id} value={disk} onChange={(_ev, v) => setDisk(v)}
                               placeholder={formatRate(job.diskLimit)} aria-label={_("Disk limit")} />
                </div>
                <Button variant="secondary" className="v2v-throttle-apply" onClick={submit}>{_("Apply limits")}</Button>
                <Button variant="link" className="v2v-throttle-unlimited"
                        onClick={() => apply({
                            cpu: { t: "s", v: "unlimited" },
                            network: { t: "s", v: "unlimited" },
                            disk: { t: "s", v: "unlimited" },
                        })}>
                    {_("Unlimited")}
                </Button>
            </div>
            {err && <Alert isInline isPlain variant="danger" title={err} className="v2v-throttle-error" />}
        </div>
    );
}
