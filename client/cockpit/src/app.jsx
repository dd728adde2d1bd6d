// The "Conversions" page: the connection to v2vd, the toolbar (counts,
// state filter, "Start conversion"), the list or the state that replaces
// it, the dialogs and the alerts of failed actions. The parts live in
// files by concern: job-list, job-details, throttling, log, job-actions,
// command-dialog, page-states, dialog (a new conversion).
import React, { useEffect, useMemo, useRef, useState } from "react";
import {
    Alert, AlertActionCloseButton, AlertGroup, Button, Page, PageSection, PageSectionVariants, Title,
    Toolbar, ToolbarContent, ToolbarItem,
} from "@patternfly/react-core";

import { compareJobs, filterJobs } from "./model.js";
import { Connection, errorText, isAccessDenied } from "./bus.js";
import { NewConversionDialog } from "./dialog.jsx";
import { JobList, StateFilter } from "./job-list.jsx";
import { CancelModal } from "./job-actions.jsx";
import { CommandModal } from "./command-dialog.jsx";
import { LogModal } from "./log.jsx";
import {
    CannotConnect, Connecting, NoConversions, NotAuthorized, NotAuthorizedAlert, NotRunning,
} from "./page-states.jsx";

const cockpit = window.cockpit;
const _ = cockpit.gettext;

export function App({ bus }) {
    const [data, setData] = useState({ status: "connecting", jobs: new Map(), manager: {}, error: null });
    const [filter, setFilter] = useState("all");
    const [expanded, setExpanded] = useState(() => new Set());
    const [dialog, setDialog] = useState(false);
    const [logJob, setLogJob] = useState(null);
    const [commandJob, setCommandJob] = useState(null);
    const [cancelJob, setCancelJob] = useState(null);
    const [alerts, setAlerts] = useState([]);
    const [denied, setDenied] = useState(false);
    const connRef = useRef(null);

    useEffect(() => {
        const conn = new Connection(bus, d => setData({ ...d, jobs: new Map(d.jobs) }));
        connRef.current = conn;
        return () => conn.close();
    }, [bus]);

    const addAlert = (title, detail) =>
        setAlerts(a => [...a, { key: Date.now() + Math.random(), title, detail }]);

    // A job action; `quiet` leaves reporting the error to the caller.
    const act = useMemo(() => (job, method, args, quiet) => {
        const p = connRef.current.manage(job.path, method, args);
        if (quiet)
            return p;
        return p.catch(ex => {
            if (isAccessDenied(ex))
                setDenied(true);
            addAlert(cockpit.format(_("$0 of $1 failed"), method, job.vmName), errorText(ex));
        });
    }, []);

    // The support bundle, as `v2vctl bundle` writes it with this user's
    // rights (the bridge's), offered as a download.
    const bundle = useMemo(() => job => {
        cockpit.spawn(["v2vctl", "--system", "bundle", job.id, "-o", "-"], { binary: true, err: "message" })
                .then(data => {
                    const url = URL.createObjectURL(new Blob([data], { type: "application/x-tar" }));
                    const a = document.createElement("a");
                    a.href = url;
                    a.download = "v2vd-job-" + job.id + ".tar";
                    a.className = "v2v-bundle-link";
                    a.dataset.size = String(data.length);
                    a.dataset.magic = String.fromCharCode(...data.slice(257, 262)); // "ustar"
                    document.body.appendChild(a);
                    a.click();
                    setTimeout(() => { URL.revokeObjectURL(url); a.remove() }, 60000);
                })
                .catch(ex => addAlert(cockpit.format(_("Diagnostics of $0 failed"), job.vmName), errorText(ex)));
    }, []);

    // stable, so that a row renders again only when its job changes
    const handlers = useMemo(() => ({ act, log: setLogJob, command: setCommandJob, cancel: setCancelJob, bundle }),
                             [act, bundle]);

    const onToggle = useMemo(() => id => setExpanded(s => {
        const n = new Set(s);
        if (n.has(id))
            n.delete(id);
        else
            n.add(id);
        return n;
    }), []);

    // a new connection (daemon back, administrative access changed) may be
    // allowed what the last one was not
    useEffect(() => setDenied(false), [data.generation]);

    const jobs = useMemo(() => [...data.jobs.values()].sort(compareJobs), [data.jobs]);
    const shown = useMemo(() => filterJobs(jobs, filter), [jobs, filter]);
    // the dialogs follow the live job
    const live = j => (j && data.jobs.get(j.path)) || j;

    const startButton = (
        <Button variant="primary" className="v2v-start" onClick={() => setDialog(true)}
                isDisabled={data.status !== "ready"}>
            {_("Start conversion")}
        </Button>
    );

    let body;
    if (data.status === "connecting")
        body = <Connecting />;
    else if (data.status === "not-running")
        body = <NotRunning bus={bus} />;
    else if (data.status === "not-authorized")
        body = <NotAuthorized what={_("You may not see the conversion jobs of this host.")} />;
    else if (data.status === "error")
        body = <CannotConnect error={data.error} />;
    else if (jobs.length === 0 && denied)
        body = <NotAuthorized what={_("You may not start conversions on this host.")} />;
    else if (jobs.length === 0)
        body = <NoConversions startButton={startButton} />;
    else {
        body = (
            <>
                {denied && <NotAuthorizedAlert />}
                <JobList jobs={shown} conn={connRef.current} expanded={expanded} onToggle={onToggle}
                         handlers={handlers} />
            </>
        );
    }

    const m = data.manager || {};
    return (
        <Page>
            <PageSection variant={PageSectionVariants.light}>
                <Toolbar>
                    <ToolbarContent>
                        <ToolbarItem><Title headingLevel="h1">{_("Conversions")}</Title></ToolbarItem>
                        {data.status === "ready" &&
                        <ToolbarItem className="v2v-counts">
                            {cockpit.format(_("$0 running, $1 queued"), m.RunningJobs || 0, m.QueuedJobs || 0)}
                        </ToolbarItem>}
                        <ToolbarItem><StateFilter value={filter} onChange={setFilter} /></ToolbarItem>
                        <ToolbarItem align={{ default: "alignRight" }}>{startButton}</ToolbarItem>
                    </ToolbarContent>
                </Toolbar>
            </PageSection>
            <PageSection>{body}</PageSection>
            <AlertGroup isToast isLiveRegion>
                {alerts.map(a =>
                    <Alert key={a.key} variant="danger" title={a.title} className="v2v-alert"
                           actionClose={<AlertActionCloseButton onClose={() => setAlerts(l => l.filter(x => x.key !== a.key))} />}>
                        {a.detail}
                    </Alert>)}
            </AlertGroup>
            {dialog &&
                <NewConversionDialog conn={connRef.current} onClose={() => setDialog(false)}
                                     onDenied={() => { setDenied(true); setDialog(false) }} />}
            {logJob && <LogModal job={live(logJob)} conn={connRef.current} onClose={() => setLogJob(null)} />}
            {commandJob && <CommandModal job={live(commandJob)} conn={connRef.current} userBus={bus === "session"} onClose={() => setCommandJob(null)} />}
            {cancelJob &&
                <CancelModal job={live(cancelJob)} onClose={() => setCancelJob(null)}
                             onConfirm={() => { act(cancelJob, "Cancel"); setCancelJob(null) }} />}
        </Page>
    );
}
