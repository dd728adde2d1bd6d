// "Copy as v2vctl command": the job's spec as a v2vctl command to paste
// into a terminal, and as a file to download. Secrets stay masked.
import React, { useEffect, useMemo } from "react";
import { Alert, Button, ClipboardCopy, ClipboardCopyVariant, Modal, ModalVariant } from "@patternfly/react-core";

import { hasMaskedSecrets, parseSpec, v2vctlCommand } from "./model.js";
import { useSpec } from "./job-spec.js";

const _ = window.cockpit.gettext;

export function CommandModal({ job, conn, userBus, onClose }) {
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
