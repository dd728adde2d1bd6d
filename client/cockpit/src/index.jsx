import "@patternfly/react-core/dist/styles/base.css";
import "./app.css";

import React from "react";
import { createRoot } from "react-dom/client";

import { followCockpitTheme } from "./theme.js";
import { App } from "./app.jsx";

followCockpitTheme();

document.addEventListener("DOMContentLoaded", () => {
    const options = (window.cockpit.location && window.cockpit.location.options) || {};
    // ?bus=session talks to `v2vd --user` on the session bus; the default
    // is the system daemon.
    const bus = options.bus === "session" || options.bus === "user" ? "session" : "system";
    createRoot(document.getElementById("app")).render(<App bus={bus} />);
});
