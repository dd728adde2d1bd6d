#!/bin/bash
# check-security.sh BUILD_DIR — the security part of CI, called by check.sh
# after the unit and integration suites (owner: security):
#   1. tests/fuzz/run.sh: each libFuzzer target for $V2VD_FUZZ_SECONDS
#      (default 60) seconds, built in build-fuzz/ (V2VD_CHECK_SKIP_FUZZ=1 skips);
#   2. the daemon under valgrind through the functional integration tests
#      (meson suite 'valgrind' in BUILD_DIR, log testlog-valgrind.json, so
#      check.sh's summary counts them), then the definite leaks of every
#      daemon run added up from BUILD_DIR/valgrind-logs/
#      (V2VD_CHECK_SKIP_VALGRIND=1 skips).
# Prints "fuzz: ..." and "valgrind: N daemon runs, definite leaks: B blocks,
# N bytes". Exit status 0 when both passed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-build}
rc=0

if [[ ${V2VD_CHECK_SKIP_FUZZ:-0} != 1 ]]; then
    echo "=== fuzz: tests/fuzz/run.sh ${V2VD_FUZZ_SECONDS:-60} s per target"
    V2VD_FUZZ_BUILD_DIR=$top/build-fuzz bash "$top/tests/fuzz/run.sh" "${V2VD_FUZZ_SECONDS:-60}" || rc=1
fi

if [[ ${V2VD_CHECK_SKIP_VALGRIND:-0} != 1 ]]; then
    echo "=== valgrind: the daemon through the integration tests (suite valgrind in $build)"
    rm -rf "$build/valgrind-logs" "$build/meson-logs/testlog-valgrind.json"
    meson test -C "$build" --print-errorlogs --logbase testlog-valgrind --suite valgrind || rc=1
    python3 - "$build/valgrind-logs" <<'EOF' || rc=1
import glob, re, sys
logs = sorted(glob.glob(sys.argv[1] + "/v2vd.*.log"))
nbytes = nblocks = 0
for p in logs:
    text = open(p, errors="replace").read()
    for m in re.finditer(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", text):
        b, n = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
        nbytes += b
        nblocks += n
        if n:
            print("  definite leak(s) in %s" % p)
print("valgrind: %d daemon runs, definite leaks: %d blocks, %d bytes" % (len(logs), nblocks, nbytes))
sys.exit(1 if nblocks or not logs else 0)
EOF
fi
exit $rc
