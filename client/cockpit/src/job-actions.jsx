// What one can do with a job: the same actions in the row's menu and as
// buttons in its details, and the confirmation before cancelling.
//
// `handlers` is { act(job, method, args, quiet), log(job), command(job),
// cancel(job), bundle(job) }: act calls a method of the job, bundle
// downloads its support bundle, the others open a dialog.
import React from "react";
import { Button, Modal, ModalVariant } from "@patternfly/react-core";
import { ActionsColumn } from "@patternfly/react-table";

import { isFinished } from "./model.js";

const cockpit = window.cockpit;
const _ = cockpit.gettext;

function jobActions(job, handlers) {
    return [
        { title: _("Log"), className: "v2v-log-button", variant: "secondary", onClick: () => handlers.log(job) },
        {
            title: _("Copy as v2vctl command"), className: "v2v-command-button", variant: "secondary",
            onClick: () => handlers.command(job)
        },
        {
            title: _("Download diagnostics"), className: "v2v-bundle-button", variant: "secondary",
            onClick: () => handlers.bundle(job)
        },
        isFinished(job.state)
            ? {
                title: _("Remove"), className: "v2v-remove-button", variant: "secondary", isDanger: true,
                onClick: () => handlers.act(job, "Remove")
            }
            : {
                title: _("Cancel conversion"), className: "v2v-cancel-button", variant: "danger",
                onClick: () => handlers.cancel(job)
            },
    ];
}

// the kebab menu at the end of a job's row
export function JobActionsMenu({ job, handlers }) {
    const items = jobActions(job, handlers).map(a => ({ title: a.title, onClick: a.onClick }));
    return <ActionsColumn items={items} />;
}

// the buttons under a job's details
export function JobActionButtons({ job, handlers }) {
    return (
        <div className="v2v-actions">
            {jobActions(job, handlers).map(a =>
                <Button key={a.className} variant={a.variant} isDanger={a.isDanger} className={a.className}
                        onClick={a.onClick}>
                    {a.title}
                </Button>)}
        </div>
    );
}

export function CancelModal({ job, onConfirm, onClose }) {
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
