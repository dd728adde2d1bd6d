#!/bin/sh
# npm-ci.sh SRCDIR DESTDIR STAMP: install the page's npm packages exactly as
# package-lock.json pins them into DESTDIR/node_modules (in the build
# directory, never in the source tree). `npm ci --prefer-offline` takes what
# the npm cache (~/.npm) already holds and fetches only what it lacks, so
# once a build has filled the cache this works without a network
# (npm ci --offline).
set -eu
src=$1 dest=$2
stamp=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
npm ci --prefer-offline --no-audit --no-fund --loglevel=error ${V2VD_NPM_FLAGS:-}
touch "$stamp"
