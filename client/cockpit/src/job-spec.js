// A job's spec text for the details and the v2vctl command: read from the
// daemon when the job object came without it. The daemon answers "" to
// whom may not see it (another user's job, without
// org.v2vd.V2V1.manage-any-job).
import { useEffect, useState } from "react";

import { errorText } from "./bus.js";

const _ = window.cockpit.gettext;

const SPEC_HIDDEN = _("Only the job's owner or an administrator may see its spec.");

// [spec text ("" until known), error text or null]
export function useSpec(conn, job) {
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
