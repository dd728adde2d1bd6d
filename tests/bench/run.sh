#!/bin/bash
# tests/bench/run.sh — the v2vd benchmarks, from a fresh clone:
#
#   sudo bash tests/bench/run.sh            # as root: cgroups, mount namespace
#
# Installs what is missing (tests/tools/install-deps.sh, a no-op when all is
# there), builds build-bench/ (-Dwerror=true), gets the real guest image
# (tests/fixtures/build-guest.sh: cached; about 3 minutes the first time),
# then runs tests/bench/v2vd-bench.py under tests/lib/with-systemd-user.
# The figures go to stdout and, as one JSON document, to
# $V2VD_BENCH_JSON (default build-bench/v2vd-bench.json).
# V2VD_BENCH_ONLY=latency,load,e2e picks parts; V2VD_BENCH_E2E_RUNS=N the
# number of conversions of each kind (default 3); V2VD_BENCH_TB_SIZE=MiB
# the TCG translation buffer both kinds of conversion run with (default
# 128, 0 for qemu's own: tests/bench/qemu-tcg-tb-size says why). About
# 12–15 minutes on 2 cores, most of it the 6 real conversions.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
build=${V2VD_BENCH_BUILD:-build-bench}

if [[ -x tests/tools/install-deps.sh || -f tests/tools/install-deps.sh ]]; then
    bash tests/tools/install-deps.sh >&2
fi
[[ -f $build/build.ninja ]] || meson setup "$build" -Dwerror=true >&2
ninja -C "$build" >&2

if [[ ",${V2VD_BENCH_ONLY:-e2e}," == *,e2e,* && -z ${V2VD_GUEST_IMAGE:-} ]]; then
    V2VD_GUEST_IMAGE=$(bash tests/fixtures/build-guest.sh | tail -n1)
    export V2VD_GUEST_IMAGE
fi

export V2VD_BINARY=$top/$build/daemon/v2vd
export V2VD_RUNNER=$top/$build/daemon/v2vd-runner
export V2VD_BENCH_FAKE=$top/$build/tests/bench/bench-fake-v2v
export V2VD_BENCH_CLIENT=$top/$build/tests/bench/bench-client
export V2VD_BENCH_JSON=${V2VD_BENCH_JSON:-$top/$build/v2vd-bench.json}
export PYTHONPATH=$top/tests/lib PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
exec tests/lib/with-systemd-user python3 tests/bench/v2vd-bench.py
