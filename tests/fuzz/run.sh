#!/bin/bash
# tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# Builds the libFuzzer targets with clang, AddressSanitizer and UBSan: meson
# (-Dfuzz=true, tests/fuzz/meson.build) in $V2VD_FUZZ_BUILD_DIR/meson
# (default build-fuzz/ at the top of the tree), each target linked with the
# daemon's own libraries, so no file list here can drift; seeds each corpus
# from the tests (tests/fuzz/corpus/<target>/ plus the spec
# fixtures and transcripts in tests/data/), and runs each target for
# SECONDS (default 60) on one core. Exit 0 when every target built and ran
# its time without a crash, a leak or a sanitizer report; crashing inputs
# are left in $V2VD_FUZZ_BUILD_DIR/<target>-artifacts/. Prints
# "fuzz: <target>: N runs in S s, corpus M inputs, no crash" per target.
# Targets: spec, progress, ova (default: all). See README.md.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} == 0 ]] && targets=(spec progress ova)
out=${V2VD_FUZZ_BUILD_DIR:-$top/build-fuzz}
CC=${CC_FUZZ:-clang}
mkdir -p "$out"

if ! command -v "$CC" >/dev/null; then
    echo "fuzz: $CC not found (Debian: clang libclang-rt-14-dev)" >&2
    exit 1
fi
# The libraries get libFuzzer's coverage and the sanitizers; the targets
# link libFuzzer itself (tests/fuzz/meson.build).
build=$out/meson
if [[ ! -f $build/build.ninja ]]; then
    if ! CC=$CC meson setup "$build" "$top" -Dfuzz=true -De2e=false -Dcockpit=disabled \
            -Dbuildtype=plain -Db_sanitize=address,undefined -Db_lundef=false \
            -Dc_args="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" \
            >"$out/meson-setup.log" 2>&1; then
        echo "fuzz: meson setup failed; see $out/meson-setup.log" >&2
        tail -n 20 "$out/meson-setup.log" >&2
        exit 1
    fi
fi

rc=0
for t in "${targets[@]}"; do
    if [[ ! -f $here/fuzz-$t.c ]]; then echo "fuzz: unknown target $t" >&2; rc=1; continue; fi
    bin=$out/fuzz-$t
    if ! nice ninja -C "$build" "tests/fuzz/fuzz-$t" >"$out/fuzz-$t-build.log" 2>&1 ||
       ! cp -f "$build/tests/fuzz/fuzz-$t" "$bin"; then
        echo "fuzz: $t: build failed; last lines of $out/fuzz-$t-build.log:" >&2
        tail -n 30 "$out/fuzz-$t-build.log" >&2
        rc=1; continue
    fi
    corpus=$out/$t-corpus
    mkdir -p "$corpus" "$out/$t-artifacts"
    cp -f "$here/corpus/$t"/* "$corpus"/ 2>/dev/null
    case $t in
    spec)
        cp -f "$top"/tests/data/*.json "$corpus"/ 2>/dev/null ;;
    progress)
        # The control byte first (odd: two seeded disks), then a transcript.
        for f in "$top"/tests/data/*.log; do
            { printf '\x01'; head -c 65536 "$f"; } >"$corpus/$(basename "$f").seed"
        done ;;
    esac
    log=$out/fuzz-$t.log
    start=$SECONDS
    # -rss_limit_mb: the parser must not balloon on any input.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    G_SLICE=always-malloc \
        "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$out/$t-artifacts/" "$corpus" >"$log" 2>&1
    frc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    n=$(find "$corpus" -type f | wc -l)
    if [[ $frc == 0 ]]; then
        echo "fuzz: $t: ${runs:-?} runs in $((SECONDS - start)) s, corpus $n inputs, no crash"
    else
        echo "fuzz: $t: FAILED (exit $frc) after $((SECONDS - start)) s; last lines of $log:" >&2
        tail -n 40 "$log" >&2
        rc=1
    fi
done
exit $rc
