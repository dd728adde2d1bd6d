// A job's expanded row: per-disk progress, the output, the last message,
// why it failed (Failure: summary, code, remedy),
// its limits while it is not finished, the spec (secrets masked by the
// daemon) and the job's actions.
import React, { useMemo } from "react";
import {
    DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm,
} from "@patternfly/react-core";

import { isFinished, outputOf, parseSpec } from "./model.js";
import { useSpec } from "./job-spec.js";
import { JobProgress } from "./job-state.jsx";
import { ThrottlingControls } from "./throttling.jsx";
import { JobActionButtons } from "./job-actions.jsx";

const cockpit = window.cockpit;
const _ = cockpit.gettext;

function Disks({ job }) {
    return (
        <div className="v2v-disks">
            {job.disks.length === 0 && <span>{job.diskCount ? cockpit.format(_("$0 disks"), job.diskCount) : _("Not known yet")}</span>}
            {job.disks.map((d, i) =>
                <div key={i} className="v2v-disk">
                    <span className="v2v-disk-path">{d.path}</span>
                    <JobProgress value={d.progress} state={job.state}
                                 label={cockpit.format(_("Disk $0"), d.path)} />
                </div>)}
        </div>
    );
}

export function JobDetails({ job, conn, handlers }) {
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
                        <Disks job={job} />
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
                {job.state === "queued" &&
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Waiting")}</DescriptionListTerm>
                    <DescriptionListDescription className="v2v-wait-reason">
                        {job.waitReason || "—"}
                        {" · " + cockpit.format(_("priority $0"), job.priority)}
                    </DescriptionListDescription>
                </DescriptionListGroup>}
                {job.failure.code &&
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Failure")}</DescriptionListTerm>
                    <DescriptionListDescription className="v2v-failure" data-code={job.failure.code}>
                        <strong>{job.failure.summary}</strong> <span className="v2v-failure-code">({job.failure.code})</span>
                        <div className="v2v-failure-remedy">{job.failure.remedy}</div>
                    </DescriptionListDescription>
                </DescriptionListGroup>}
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
                        <ThrottlingControls job={job} act={handlers.act} />
                    </DescriptionListDescription>
                </DescriptionListGroup>}
                <DescriptionListGroup>
                    <DescriptionListTerm>{_("Spec")}</DescriptionListTerm>
                    <DescriptionListDescription>
                        <pre className="v2v-spec">{specText}</pre>
                    </DescriptionListDescription>
                </DescriptionListGroup>
            </DescriptionList>
            <JobActionButtons job={job} handlers={handlers} />
        </div>
    );
}
