#!/bin/sh
# update-screenshots.sh [BUILDDIR]: regenerate the README's screenshots of
# the Cockpit page. Runs the browser test that writes them (as root, like
# the whole browser suite) and copies them into client/cockpit/docs/.
set -eu
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-build}
cd "$top"
meson test -C "$build" cockpit-page-main cockpit-page-preflight
for f in list job-expanded dialog list-dark check; do
    cp "$build/tests/browser/screenshots/$f.png" client/cockpit/docs/
done
echo "updated: client/cockpit/docs/{list,job-expanded,dialog,list-dark,check}.png"
