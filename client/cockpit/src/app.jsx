// The "Conversions" page: one row per job the user may see, newest first,
// with a state filter; a row expands to per-disk bars, output, last
// message, the masked spec, throttle controls and the job's actions.
import React, { useEffect, useMemo, useRef, useState } from "react";
import {
    Alert, AlertActionCloseButton, AlertGroup, Button, ClipboardCopy, ClipboardCopyVariant,
    DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm,
    EmptyState, EmptyStateActions, EmptyStateBody, EmptyStateFooter, EmptyStateHeader, EmptyStateIcon,
    FormSelect, FormSelectOption, Modal, ModalVariant, Page, PageSection, PageSectionVariants, Progress,
    ProgressMeasureLocation, ProgressSize, ProgressVariant, Spinner, TextInput, Title,
    Toolbar, ToolbarContent, ToolbarItem,
} from "@patternfly/react-core";
import { ActionsColumn, ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import {
    BanIcon, CheckCircleIcon, CubesIcon, ExclamationCircleIcon, InProgressIcon, LockIcon, PendingIcon,
} from "@patternfly/react-icons";

import {
    compareJobs, filterJobs, formatRate, hasMaskedSecrets, isFinished, outputOf, parseCpu, parseRate,
    parseSpec, terminalText, v2vctlCommand,
} from "./model.js";
import { Connection, decodeBytes, isAccessDenied } from "./bus.js";
import { NewConversionDialog } from "./dialog.jsx";

const cockpit = window.cockpit;
const _ = cockpit.gettext;

const STATE_LABELS = {
    queued: _("Queued"),
    running: _("Running"),
    succeeded: _("Succeeded"),
    failed: _("Failed"),
    cancelled: _("Cancelled"),
};

const STATE_ICONS = {
    queued: PendingIcon,
    running: InProgressIcon,
    succeeded: CheckCircleIcon,
    failed: ExclamationCircleIcon,
    cancelled: BanIcon,
};

function formatTime(us) {
    if (!us)
        return "";
    const d = new Date(us / 1000);
    const today = new Date().toDateString() === d.toDateString();
    return d.toLocaleString(cockpit.language || undefined,
                            today
                                ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
                                : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function errorText(ex) {
    return (ex && (ex.message || ex.problem)) || String(ex);
}

// the job's spec text ("" until known), read from the daemon when the job
// object came without it; the daemon answers "" to whom may not see it
// (another user's job, without org.v2vd.V2V1.manage-any-job)
const SPEC_HIDDEN = _("Only the job's owner or an administrator may see its spec.");

function useSpec(conn, job) {
    const [spec, setSpec] = useState(job.spec);
    const [error, setError] = useState(null);
    useEffect(() => {
        let live = true;
        conn.spec(job).then(s => {
            if (live) {
                setSpec(s);
                setError(s ? null : SPEC_HIDDEN);
            }
        }, ex => live && setError(errorText(ex)));
        return () => { live = false };
    }, [conn, job.path, job.spec]); // eslint-disable-line react-hooks/exhaustive-deps
    return [spec, error];
}

function StateCell({ state }) {
    const Icon = STATE_ICONS[state] || PendingIcon;
    return (
        <span className={"v2v-state v2v-state-" + state}>
            <Icon className="v2v-state-icon" />
            {STATE_LABELS[state] || state}
        </span>
    );
}

function JobProgress({ value, state, label, size }) {
    const variant = state === "failed"
        ? ProgressVariant.danger
        : state === "succeeded" ? ProgressVariant.success : undefined;
    return (
        <Progress className="v2v-progress" value={value} variant={variant}
                  size={size || ProgressSize.sm} aria-label={label}
                  measureLocation={ProgressMeasureLocation.outside}
                  title={null} />
    );
}

function ThrottleControls({ job, act }) {
    const [cpu, setCpu] = useState("");
    const [net, setNet] = useState("");
    const [err, setErr] = useState(null);

    const apply = limits => {
        setErr(null);
        act(job, "SetThrottling", [limits], true)
                .then(() => { setCpu(""); setNet("") })
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
                <Button variant="secondary" className="v2v-throttle-apply" onClick={submit}>{_("Apply limits")}</Button>
                <Button variant="link" className="v2v-throttle-unlimited"
                        onClick={() => apply({ cpu: { t: "s", v: "unlimited" }, network: { t: "s", v: "unlimited" } })}>
                    {_("Unlimited")}
                </Button>
            </div>
            {err && <Alert isInline isPlain variant="danger" title={err} className="v2v-throttle-error" />}
        </div>
    );
}

function JobDetails({ job, conn, act, onLog, onCommand, onCancel }) {
    const [rawSpec, specError] = useSpec(conn, job);
    const spec = useMemo(() => parseSpec(rawSpec), [rawSpec]);
    const out = outputOf(spec);
    const specText = specError || (spec ? JSON.stringify(spec, null, 2) : rawSpec);
    const finished = isFinished(job.state);

    return (
        <div className="v2v-details">
            <DescriptionList isHorizontal isCompact columnModifier={{ lg: "2Col" }}>
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Disks")}</DescriptionListTerm>
                    <DescriptionListDescription>
                        <div className="v2v-disks">
                            {job.disks.length === 0 && <span>{job.diskCount ? cockpit.format(_("$0 disks"), job.diskCount) : _("Not known yet")}</span>}
                            {job.disks.map((d, i) =>
                                <div key={i} className="v2v-disk">
                                    <span className="v2v-disk-path">{d.path}</span>
                                    <JobProgress value={d.progress} state={job.state}
                                                 label={cockpit.format(_("Disk $0"), d.path)} />
                                </div>)}
                        </div>
                    </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Output")}</DescriptionListTerm>
                    <DescriptionListDescription className="v2v-output">
                        {out.type ? out.type + (out.destination ? ": " + out.destination : "") : (spec ? _("From the profile") : "")}
                    </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Last message")}</DescriptionListTerm>
                    <DescriptionListDescription className="v2v-last-message">
                        {job.lastMessage.text
                            ? <>{job.lastMessage.type && <strong>{job.lastMessage.type}: </strong>}{job.lastMessage.text}</>
                            : "—"}
                    </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Job")}</DescriptionListTerm>
                    <DescriptionListDescription>
                        {job.id}{job.unit && " · " + job.unit}
                        {finished && job.returnCode >= 0 && " · " + cockpit.format(_("exit status $0"), job.returnCode)}
                    </DescriptionListDescription>
                </DescriptionListGroup>
                {!finished &&
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Throttling")}</DescriptionListTerm>
                    <DescriptionListDescription>
                        <ThrottleControls job={job} act={act} />
                    </DescriptionListDescription>
                </DescriptionListGroup>}
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Spec")}</DescriptionListTerm>
                    <DescriptionListDescription>
                        <pre className="v2v-spec">{specText}</pre>
                    </DescriptionListDescription>
                </DescriptionListGroup>
            </DescriptionList>
            <div className="v2v-actions">
                <Button variant="secondary" className="v2v-log-button" onClick={() => onLog(job)}>{_("Log")}</Button>
                <Button variant="secondary" className="v2v-command-button" onClick={() => onCommand(job)}>
                    {_("Copy as v2vctl command")}
                </Button>
                {!finished &&
                    <Button variant="danger" className="v2v-cancel-button" onClick={() => onCancel(job)}>{_("Cancel conversion")}</Button>}
                {finished &&
                    <Button variant="secondary" isDanger className="v2v-remove-button"
                            onClick={() => act(job, "Remove")}>{_("Remove")}</Button>}
            </div>
        </div>
    );
}

const COLUMNS = [_("VM"), _("State"), _("Phase"), _("Progress"), _("Started"), _("Finished"), _("ETA"), _("CPU"), _("Network")];

const JobRow = React.memo(function JobRow({ job, conn, index, expanded, onToggle, act, onLog, onCommand, onCancel }) {
    const finished = isFinished(job.state);
    const actions = [
        { title: _("Log"), onClick: () => onLog(job) },
        { title: _("Copy as v2vctl command"), onClick: () => onCommand(job) },
        finished
            ? { title: _("Remove"), onClick: () => act(job, "Remove") }
            : { title: _("Cancel conversion"), onClick: () => onCancel(job) },
    ];
    return (
        <Tbody isExpanded={expanded} className="v2v-job" data-job-id={job.id} data-state={job.state}>
            <Tr>
                <Td expand={{ rowIndex: index, isExpanded: expanded, onToggle: () => onToggle(job.id) }} />
                <Td dataLabel={COLUMNS[0]} className="v2v-vm">{job.vmName}</Td>
                <Td dataLabel={COLUMNS[1]} className="v2v-state-cell"><StateCell state={job.state} /></Td>
                <Td dataLabel={COLUMNS[2]} className="v2v-phase">{job.phase}</Td>
                <Td dataLabel={COLUMNS[3]} className="v2v-progress-cell">
                    <JobProgress value={job.progress} state={job.state}
                                 label={cockpit.format(_("Progress of $0"), job.vmName)} />
                </Td>
                <Td dataLabel={COLUMNS[4]}>{formatTime(job.startedAt)}</Td>
                <Td dataLabel={COLUMNS[5]}>{formatTime(job.finishedAt)}</Td>
                <Td dataLabel={COLUMNS[6]}>{finished ? "" : formatTime(job.expectedEnd)}</Td>
                <Td dataLabel={COLUMNS[7]} className="v2v-cpu">{job.cpuLimit}</Td>
                <Td dataLabel={COLUMNS[8]} className="v2v-network">{formatRate(job.networkLimit)}</Td>
                <Td isActionCell><ActionsColumn items={actions} /></Td>
            </Tr>
            {expanded &&
            <Tr isExpanded>
                <Td colSpan={COLUMNS.length + 2}>
                    <ExpandableRowContent>
                        <JobDetails job={job} conn={conn} act={act} onLog={onLog} onCommand={onCommand} onCancel={onCancel} />
                    </ExpandableRowContent>
                </Td>
            </Tr>}
        </Tbody>
    );
});

function LogModal({ job, conn, onClose }) {
    const [text, setText] = useState("");
    const [error, setError] = useState(null);
    const state = useRef({ offset: 0, reading: false, again: false, decoder: new TextDecoder() });
    const pre = useRef(null);

    // Read what was added since the last read. Called when the dialog opens
    // and whenever the job's properties change (progress, phase, state):
    // the log grows with them, so following needs no timer.
    const readMore = () => {
        const s = state.current;
        if (s.reading) {
            s.again = true;
            return;
        }
        s.reading = true;
        const step = () => conn.manage(job.path, "ReadLog", [s.offset, 65536])
                .then(([data]) => {
                    const bytes = decodeBytes(data);
                    if (bytes.length === 0)
                        return;
                    s.offset += bytes.length;
                    setText(t => t + s.decoder.decode(bytes, { stream: true }));
                    return step();
                });
        step()
                .catch(ex => setError(errorText(ex)))
                .finally(() => {
                    s.reading = false;
                    if (s.again) {
                        s.again = false;
                        readMore();
                    }
                });
    };

    const shown = useMemo(() => terminalText(text), [text]);
    useEffect(readMore, [job]); // eslint-disable-line react-hooks/exhaustive-deps
    useEffect(() => {
        if (pre.current)
            pre.current.scrollTop = pre.current.scrollHeight;
    }, [text]);

    return (
        <Modal variant={ModalVariant.large} isOpen onClose={onClose} className="v2v-log-dialog"
               title={cockpit.format(_("Log of $0"), job.vmName)}
               description={isFinished(job.state) ? STATE_LABELS[job.state] : _("Following the log while the conversion runs")}
               actions={[<Button key="close" variant="secondary" onClick={onClose}>{_("Close")}</Button>]}>
            {error && <Alert isInline variant="danger" title={error} />}
            <pre className="v2v-log" ref={pre}>{shown}</pre>
        </Modal>
    );
}

function CommandModal({ job, conn, userBus, onClose }) {
    const [spec, specError] = useSpec(conn, job);
    const cmd = v2vctlCommand(spec, userBus);
    const url = useMemo(() => URL.createObjectURL(new Blob([JSON.stringify(parseSpec(spec) || {}, null, 2) + "\n"],
                                                           { type: "application/json" })), [spec]);
    useEffect(() => () => URL.revokeObjectURL(url), [url]);
    return (
        <Modal variant={ModalVariant.medium} isOpen onClose={onClose} className="v2v-command-dialog"
               title={_("Run this conversion from a terminal")}
               actions={[
                   <Button key="download" component="a" variant="secondary" href={url}
                           download={job.vmName + ".json"}>{_("Download spec")}</Button>,
                   <Button key="close" variant="primary" onClick={onClose}>{_("Close")}</Button>,
               ]}>
            {hasMaskedSecrets(spec) &&
                <Alert isInline variant="info" title={_("Passwords are not shown: replace each \"*****\" before running the command.")} />}
            {specError
                ? <Alert isInline variant="warning" title={specError} />
                : <ClipboardCopy isReadOnly isCode isExpanded variant={ClipboardCopyVariant.expansion}
                                 hoverTip={_("Copy")} clickTip={_("Copied")} className="v2v-command">
                    {cmd}
                </ClipboardCopy>}
        </Modal>
    );
}

function CancelModal({ job, onConfirm, onClose }) {
    return (
        <Modal variant={ModalVariant.small} isOpen onClose={onClose} className="v2v-cancel-dialog"
               titleIconVariant="warning"
               title={cockpit.format(_("Cancel the conversion of $0?"), job.vmName)}
               actions={[
                   <Button key="confirm" variant="danger" className="v2v-cancel-confirm" onClick={onConfirm}>
                       {_("Cancel conversion")}
                   </Button>,
                   <Button key="keep" variant="link" onClick={onClose}>{_("Keep running")}</Button>,
               ]}>
            {_("virt-v2v is stopped and the output the job has written so far is removed.")}
        </Modal>
    );
}

function NotAuthorized({ what }) {
    return (
        <EmptyState className="v2v-not-authorized">
            <EmptyStateHeader titleText={_("Not authorized")} headingLevel="h2"
                              icon={<EmptyStateIcon icon={LockIcon} />} />
            <EmptyStateBody>
                {what}
                <br />
                {_("Turn on administrative access (the \"Limited access\" button at the top of Cockpit), or ask an administrator to allow you the polkit action org.v2vd.V2V1.create-job.")}
            </EmptyStateBody>
        </EmptyState>
    );
}

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
    if (data.status === "connecting") {
        body = <EmptyState><EmptyStateHeader titleText={_("Connecting to v2vd")} headingLevel="h2"
                                             icon={<EmptyStateIcon icon={Spinner} />} /></EmptyState>;
    } else if (data.status === "not-running") {
        body = (
            <EmptyState className="v2v-not-running">
                <EmptyStateHeader titleText={_("v2vd is not running")} headingLevel="h2"
                                  icon={<EmptyStateIcon icon={ExclamationCircleIcon} />} />
                <EmptyStateBody>
                    {bus === "session"
                        ? _("Start the conversion service of your session (systemctl --user start v2vd.service). This page updates by itself when it runs.")
                        : _("Start the conversion service (systemctl start v2vd.service, or in Services). This page updates by itself when it runs.")}
                </EmptyStateBody>
            </EmptyState>
        );
    } else if (data.status === "not-authorized") {
        body = <NotAuthorized what={_("You may not see the conversion jobs of this host.")} />;
    } else if (data.status === "error") {
        body = (
            <EmptyState className="v2v-error">
                <EmptyStateHeader titleText={_("Cannot talk to v2vd")} headingLevel="h2"
                                  icon={<EmptyStateIcon icon={ExclamationCircleIcon} />} />
                <EmptyStateBody>{data.error}</EmptyStateBody>
            </EmptyState>
        );
    } else if (jobs.length === 0 && denied) {
        body = <NotAuthorized what={_("You may not start conversions on this host.")} />;
    } else if (jobs.length === 0) {
        body = (
            <EmptyState className="v2v-empty">
                <EmptyStateHeader titleText={_("No conversions yet")} headingLevel="h2"
                                  icon={<EmptyStateIcon icon={CubesIcon} />} />
                <EmptyStateBody>{_("Convert a virtual machine from VMware, Xen, KVM, an OVA or disk images to run on KVM.")}</EmptyStateBody>
                <EmptyStateFooter><EmptyStateActions>{startButton}</EmptyStateActions></EmptyStateFooter>
            </EmptyState>
        );
    } else {
        body = (
            <>
                {denied &&
                    <Alert variant="danger" isInline title={_("Not authorized")} className="v2v-not-authorized">
                        {_("Turn on administrative access, or ask an administrator to allow you the polkit actions of org.v2vd.V2V1.")}
                    </Alert>}
                <Table aria-label={_("Conversions")} variant="compact" className="v2v-jobs">
                    <Thead>
                        <Tr>
                            <Th screenReaderText={_("Details")} />
                            {COLUMNS.map(c => <Th key={c}>{c}</Th>)}
                            <Th screenReaderText={_("Actions")} />
                        </Tr>
                    </Thead>
                    {shown.map((j, i) =>
                        <JobRow key={j.path} job={j} conn={connRef.current} index={i} expanded={expanded.has(j.id)} onToggle={onToggle}
                                act={act} onLog={setLogJob} onCommand={setCommandJob} onCancel={setCancelJob} />)}
                </Table>
                {shown.length === 0 &&
                    <EmptyState className="v2v-filter-empty"><EmptyStateHeader titleText={_("No conversion in this state")} headingLevel="h3" /></EmptyState>}
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
                        <ToolbarItem>
                            <FormSelect value={filter} onChange={(_ev, v) => setFilter(v)} aria-label={_("Filter by state")}
                                        className="v2v-filter">
                                <FormSelectOption value="all" label={_("All states")} />
                                <FormSelectOption value="active" label={_("Queued or running")} />
                                <FormSelectOption value="finished" label={_("Finished")} />
                                {Object.keys(STATE_LABELS).map(s => <FormSelectOption key={s} value={s} label={STATE_LABELS[s]} />)}
                            </FormSelect>
                        </ToolbarItem>
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
