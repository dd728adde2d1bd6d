// Builds the page with esbuild: node build.mjs SRCDIR OUTDIR NODE_MODULES
// SRCDIR is client/cockpit (src/, index.html, manifest.json), OUTDIR the
// directory meson installs as $datadir/cockpit/v2v, NODE_MODULES the tree
// `npm ci` filled from package-lock.json (tools/npm-ci.sh, in the build dir).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [srcdir, outdir, nodeModules] = process.argv.slice(2);
if (!srcdir || !outdir || !nodeModules) {
    console.error("usage: node build.mjs SRCDIR OUTDIR NODE_MODULES");
    process.exit(2);
}
const require = createRequire(path.resolve(nodeModules) + "/");
const esbuild = require("esbuild");

fs.rmSync(outdir, { recursive: true, force: true });
fs.mkdirSync(outdir, { recursive: true });

const fileLoaders = {};
for (const ext of [".woff", ".woff2", ".ttf", ".otf", ".eot", ".svg", ".png", ".jpg", ".gif"])
    fileLoaders[ext] = "file";

await esbuild.build({
    entryPoints: { index: path.join(srcdir, "src", "index.jsx") },
    bundle: true,
    outdir,
    format: "iife",
    target: ["es2020"],
    minify: true,
    legalComments: "external",
    jsx: "automatic",
    loader: { ".js": "jsx", ...fileLoaders },
    assetNames: "assets/[name]-[hash]",
    nodePaths: [path.resolve(nodeModules)],
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
});

for (const f of ["index.html", "manifest.json"])
    fs.copyFileSync(path.join(srcdir, f), path.join(outdir, f));
