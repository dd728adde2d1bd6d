// The list of jobs: one row per job the user may see (newest first, as
// the caller sorts them), a row expanding to the job's details, and the
// state filter of the toolbar.
import React from "react";
import { EmptyState, EmptyStateHeader, FormSelect, FormSelectOption } from "@patternfly/react-core";
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";

import { formatRate, isFinished } from "./model.js";
import { JobProgress, STATE_LABELS, StateCell } from "./job-state.jsx";
import { JobActionsMenu } from "./job-actions.jsx";
import { JobDetails } from "./job-details.jsx";

const cockpit = window.cockpit;
const _ = cockpit.gettext;

const COLUMNS = [_("VM"), _("State"), _("Phase"), _("Progress"), _("Started"), _("Finished"), _("ETA"), _("CPU"), _("Network")];

// the time of day today, the date and time before
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

export function StateFilter({ value, onChange }) {
    return (
        <FormSelect value={value} onChange={(_ev, v) => onChange(v)} aria-label={_("Filter by state")}
                    className="v2v-filter">
            <FormSelectOption value="all" label={_("All states")} />
            <FormSelectOption value="active" label={_("Queued or running")} />
            <FormSelectOption value="finished" label={_("Finished")} />
            {Object.keys(STATE_LABELS).map(s => <FormSelectOption key={s} value={s} label={STATE_LABELS[s]} />)}
        </FormSelect>
    );
}

// memo: a job's PropertiesChanged renders its own row only
const JobRow = React.memo(function JobRow({ job, conn, index, expanded, onToggle, handlers }) {
    const finished = isFinished(job.state);
    return (
        <Tbody isExpanded={expanded} className="v2v-job" data-job-id={job.id} data-state={job.state}>
            <Tr>
                <Td expand={{ rowIndex: index, isExpanded: expanded, onToggle: () => onToggle(job.id) }} />
                <Td dataLabel={COLUMNS[0]} className="v2v-vm">{job.vmName}</Td>
                <Td dataLabel={COLUMNS[1]} className="v2v-state-cell"><StateCell state={job.state} /></Td>
                {/* A queued job has no phase yet: why it waits instead. */}
                <Td dataLabel={COLUMNS[2]} className="v2v-phase">
                    {job.state === "queued" && job.waitReason ? job.waitReason : job.phase}
                </Td>
                <Td dataLabel={COLUMNS[3]} className="v2v-progress-cell">
                    <JobProgress value={job.progress} state={job.state}
                                 label={cockpit.format(_("Progress of $0"), job.vmName)} />
                </Td>
                <Td dataLabel={COLUMNS[4]}>{formatTime(job.startedAt)}</Td>
                <Td dataLabel={COLUMNS[5]}>{formatTime(job.finishedAt)}</Td>
                <Td dataLabel={COLUMNS[6]}>{finished ? "" : formatTime(job.expectedEnd)}</Td>
                <Td dataLabel={COLUMNS[7]} className="v2v-cpu">{job.cpuLimit}</Td>
                <Td dataLabel={COLUMNS[8]} className="v2v-network">{formatRate(job.networkLimit)}</Td>
                <Td isActionCell><JobActionsMenu job={job} handlers={handlers} /></Td>
            </Tr>
            {expanded &&
            <Tr isExpanded>
                <Td colSpan={COLUMNS.length + 2}>
                    <ExpandableRowContent>
                        <JobDetails job={job} conn={conn} handlers={handlers} />
                    </ExpandableRowContent>
                </Td>
            </Tr>}
        </Tbody>
    );
});

// `jobs` are the filtered ones; `expanded` the set of expanded job ids
export function JobList({ jobs, conn, expanded, onToggle, handlers }) {
    return (
        <>
            <Table aria-label={_("Conversions")} variant="compact" className="v2v-jobs">
                <Thead>
                    <Tr>
                        <Th screenReaderText={_("Details")} />
                        {COLUMNS.map(c => <Th key={c}>{c}</Th>)}
                        <Th screenReaderText={_("Actions")} />
                    </Tr>
                </Thead>
                {jobs.map((j, i) =>
                    <JobRow key={j.path} job={j} conn={conn} index={i} expanded={expanded.has(j.id)}
                            onToggle={onToggle} handlers={handlers} />)}
            </Table>
            {jobs.length === 0 &&
                <EmptyState className="v2v-filter-empty"><EmptyStateHeader titleText={_("No conversion in this state")} headingLevel="h3" /></EmptyState>}
        </>
    );
}
