// driver.cjs — a headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core, for the Python browser tests (tests/browser/cockpittest.py).
//
// It reads one JSON request a line on stdin, {"id", "cmd", ...}, and answers
// one JSON line on stdout, {"id", "ok": true, "value"} or {"id", "ok": false,
// "error"}. It records every console error, uncaught page error and CSP
// violation of the page ("errors" returns them).
//
// Environment: V2VD_NODE_MODULES (the node_modules npm ci filled in the
// build directory), V2VD_CHROMIUM (default /usr/bin/chromium).
"use strict";

const path = require("node:path");
const readline = require("node:readline");
const fs = require("node:fs");
const os = require("node:os");

const { chromium } = require(path.join(process.env.V2VD_NODE_MODULES, "playwright-core"));

let browser = null;
let context = null;
let page = null;
const errors = [];
const consoleLog = [];

async function start(req) {
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "v2vd-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: process.env.V2VD_CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        viewport: { width: req.width || 1280, height: req.height || 800 },
        colorScheme: req.colorScheme || "light",
    });
    browser = context;
    page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(req.timeout || 30000);
    page.on("console", msg => {
        const text = msg.text();
        consoleLog.push(msg.type() + ": " + text);
        if (msg.type() === "error")
            errors.push("console: " + text);
    });
    page.on("pageerror", err => errors.push("pageerror: " + err.message));
    // CSP violations also reach the console as errors; listening for the
    // DOM event as well names the blocked directive.
    await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", ev => {
            console.error("CSP violation: " + ev.violatedDirective + " " + ev.blockedURI);
        });
    });
    return true;
}

const commands = {
    start,
    async goto(req) {
        await page.goto(req.url);
        return page.url();
    },
    async click(req) {
        await page.locator(req.selector).first().click({ timeout: req.timeout });
        return true;
    },
    async fill(req) {
        await page.locator(req.selector).first().fill(req.value, { timeout: req.timeout });
        return true;
    },
    async select(req) {
        await page.locator(req.selector).first().selectOption(req.value, { timeout: req.timeout });
        return true;
    },
    async wait(req) {
        await page.locator(req.selector).first().waitFor({ state: req.state || "visible", timeout: req.timeout });
        return true;
    },
    // wait until the JavaScript expression (a function body returning a
    // value) is truthy in the page; returns its value
    // Polled here with page.evaluate (CDP Runtime.evaluate, which the
    // page's CSP does not govern) rather than page.waitForFunction, whose
    // string predicates run through eval() inside the page and would be a
    // CSP violation of the test's own making.
    async wait_js(req) {
        const expr = "(" + req.expr + ")(" + JSON.stringify(req.arg === undefined ? null : req.arg) + ")";
        const deadline = Date.now() + (req.timeout || 30000);
        let last;
        for (;;) {
            try {
                last = await page.evaluate(expr);
                if (last)
                    return last;
            } catch (e) {
                // a navigation in progress destroys the context: try again
                if (!/context was destroyed|navigat/i.test(String(e.message)))
                    throw e;
            }
            if (Date.now() > deadline)
                throw new Error("timed out after " + (req.timeout || 30000) + " ms (last value " + JSON.stringify(last) + ")");
            await new Promise(resolve => setTimeout(resolve, 100));
        }
    },
    async eval(req) {
        // a string is evaluated as an expression (over CDP, so the page's
        // CSP, which forbids eval, does not apply): call the function text
        return await page.evaluate("(" + req.expr + ")(" + JSON.stringify(req.arg === undefined ? null : req.arg) + ")");
    },
    async screenshot(req) {
        fs.mkdirSync(path.dirname(req.path), { recursive: true });
        if (req.selector)
            await page.locator(req.selector).first().screenshot({ path: req.path });
        else
            await page.screenshot({ path: req.path, fullPage: !!req.fullPage });
        return req.path;
    },
    async errors() {
        return errors.slice();
    },
    async console() {
        return consoleLog.slice(-200);
    },
    async close() {
        if (browser)
            await browser.close();
        browser = null;
        return true;
    },
};

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on("line", line => {
    queue = queue.then(async () => {
        let req;
        try {
            req = JSON.parse(line);
        } catch (e) {
            process.stdout.write(JSON.stringify({ id: null, ok: false, error: "bad request: " + e.message }) + "\n");
            return;
        }
        try {
            const fn = commands[req.cmd];
            if (!fn)
                throw new Error("unknown command " + req.cmd);
            const value = await fn(req);
            process.stdout.write(JSON.stringify({ id: req.id, ok: true, value: value === undefined ? null : value }) + "\n");
        } catch (e) {
            process.stdout.write(JSON.stringify({ id: req.id, ok: false, error: String(e && e.message || e) }) + "\n");
        }
    });
});
rl.on("close", () => {
    queue.then(async () => {
        if (browser)
            await browser.close().catch(() => {});
        process.exit(0);
    });
});
