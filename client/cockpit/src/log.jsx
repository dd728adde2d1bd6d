// A job's log in a dialog, followed while the job runs: ReadLog from the
// last offset whenever the job's properties change (the log grows with
// progress, phase and state), so following needs no timer.
import React, { useEffect, useMemo, useRef, useState } from "react";
import { Alert, Button, Modal, ModalVariant } from "@patternfly/react-core";

import { isFinished, terminalText } from "./model.js";
import { decodeBytes, errorText } from "./bus.js";
import { STATE_LABELS } from "./job-state.jsx";

const cockpit = window.cockpit;
const _ = cockpit.gettext;

export function LogModal({ job, conn, onClose }) {
    const [text, setText] = useState("");
    const [error, setError] = useState(null);
    const state = useRef({ offset: 0, reading: false, again: false, decoder: new TextDecoder() });
    const pre = useRef(null);

    // one reader at a time; a change while it reads asks it for another round
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
