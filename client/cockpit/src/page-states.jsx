// What the page shows instead of the list: connecting, the daemon not
// running, not authorized, a failed connection, and no jobs yet.
import React from "react";
import {
    Alert, EmptyState, EmptyStateActions, EmptyStateBody, EmptyStateFooter, EmptyStateHeader, EmptyStateIcon,
    Spinner,
} from "@patternfly/react-core";
import { CubesIcon, ExclamationCircleIcon, LockIcon } from "@patternfly/react-icons";

const _ = window.cockpit.gettext;

export function Connecting() {
    return (
        <EmptyState>
            <EmptyStateHeader titleText={_("Connecting to v2vd")} headingLevel="h2"
                              icon={<EmptyStateIcon icon={Spinner} />} />
        </EmptyState>
    );
}

// the page updates by itself when the daemon's bus name gets an owner
export function NotRunning({ bus }) {
    return (
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
}

// `what` says what was refused
export function NotAuthorized({ what }) {
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

// above the list, when an action on a job was refused
export function NotAuthorizedAlert() {
    return (
        <Alert variant="danger" isInline title={_("Not authorized")} className="v2v-not-authorized">
            {_("Turn on administrative access, or ask an administrator to allow you the polkit actions of org.v2vd.V2V1.")}
        </Alert>
    );
}

export function CannotConnect({ error }) {
    return (
        <EmptyState className="v2v-error">
            <EmptyStateHeader titleText={_("Cannot talk to v2vd")} headingLevel="h2"
                              icon={<EmptyStateIcon icon={ExclamationCircleIcon} />} />
            <EmptyStateBody>{error}</EmptyStateBody>
        </EmptyState>
    );
}

// `startButton` is the toolbar's "Start conversion", repeated here
export function NoConversions({ startButton }) {
    return (
        <EmptyState className="v2v-empty">
            <EmptyStateHeader titleText={_("No conversions yet")} headingLevel="h2"
                              icon={<EmptyStateIcon icon={CubesIcon} />} />
            <EmptyStateBody>{_("Convert a virtual machine from VMware, Xen, KVM, an OVA or disk images to run on KVM.")}</EmptyStateBody>
            <EmptyStateFooter><EmptyStateActions>{startButton}</EmptyStateActions></EmptyStateFooter>
        </EmptyState>
    );
}
