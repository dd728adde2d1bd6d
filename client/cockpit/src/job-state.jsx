// A job's state and progress as the list and the details show them.
import React from "react";
import { Progress, ProgressMeasureLocation, ProgressSize, ProgressVariant } from "@patternfly/react-core";
import {
    BanIcon, CheckCircleIcon, ExclamationCircleIcon, InProgressIcon, PendingIcon,
} from "@patternfly/react-icons";

const cockpit = window.cockpit;
const _ = cockpit.gettext;

export const STATE_LABELS = {
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

export function StateCell({ state }) {
    const Icon = STATE_ICONS[state] || PendingIcon;
    return (
        <span className={"v2v-state v2v-state-" + state}>
            <Icon className="v2v-state-icon" />
            {STATE_LABELS[state] || state}
        </span>
    );
}

export function JobProgress({ value, state, label, size }) {
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
