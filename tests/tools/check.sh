#!/bin/bash
# check.sh — install, build and run the whole v2vd test suite (what CI runs:
# .ci/run execs this). Run as root on Debian 12 from the top of a clone.
#
#  1. tests/tools/install-deps.sh (quick when everything is installed)
#  2. the guest image for the e2e suite, tests/fixtures/build-guest.sh, in the
#     background while both builds compile (3–5 minutes the first time on a
#     machine, then cached in /var/cache/v2vd-tests); its path reaches the
#     e2e test as V2VD_GUEST_IMAGE
#  3. build/ : meson setup -Dwerror=true, ninja
#  4. build-asan/ : the same with -Db_sanitize=address,undefined -Db_lundef=false
#  5. once the guest image is there: the unit and integration suites in both
#     builds, then the e2e suite in build/ (real virt-v2v converts the guest
#     through the daemon, 3–5 minutes), then the system suite in build/
#     (tests/system: a booted Debian 12 container, v2vd installed from
#     `meson install`, its rootfs tar built in the background with step 2)
#     (the browser suite, tests/browser, runs with unit and integration in
#     build/: the Cockpit page is built there with -Dcockpit=enabled, its
#     npm packages fetched by `npm ci` into the build directory; but its
#     cockpit-page-convert-libvirt, the real virt-v2v, is of the e2e suite
#     too and runs in the e2e pass)
#  6. a summary of every meson-logs/testlog-*.json of both builds, ending
#     with the line `N passed, N failed, N skipped`
#
# Exit status 0 only when every test passed, at least one ran, and every
# build step succeeded (a failed step counts as one failure in the summary).
#
# Environment:
#   V2VD_BUILD_DIR (build), V2VD_ASAN_BUILD_DIR (build-asan): build directories
#   V2VD_GUEST_IMAGE: use this image instead of building one
#   V2VD_CHECK_SKIP_E2E=1: leave out the e2e suite (and the guest build)
#   V2VD_CHECK_SKIP_ASAN=1: leave out the sanitizer build
#   V2VD_CHECK_SKIP_SYSTEM=1: leave out the system suite (and its rootfs build)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 1

build=${V2VD_BUILD_DIR:-build}
asan=${V2VD_ASAN_BUILD_DIR:-build-asan}
skip_e2e=${V2VD_CHECK_SKIP_E2E:-0}
skip_asan=${V2VD_CHECK_SKIP_ASAN:-0}
t0=$SECONDS
steps_failed=()      # "name" of every step that failed outside meson test

say() { printf '\n=== [%4d s] %s\n' $((SECONDS - t0)) "$*"; }
step_failed() { steps_failed+=("$1"); echo "check: STEP FAILED: $1" >&2; }

# ------------------------------------------------------------------ deps
say "install-deps"
if ! bash tests/tools/install-deps.sh; then
    step_failed install-deps
fi

# ------------------------------------------------------------ guest image
guest_pid=
guest_log=$top/$build.guest-build.log
guest_out=$top/$build.guest-path
if [[ $skip_e2e != 1 && -z ${V2VD_GUEST_IMAGE:-} ]]; then
    say "guest image: tests/fixtures/build-guest.sh in the background (log: $guest_log)"
    bash tests/fixtures/build-guest.sh >"$guest_out" 2>"$guest_log" &
    guest_pid=$!
fi

# ----------------------------------------------- system suite rootfs (deploy)
# tests/system/build-rootfs.sh: the cached Debian 12 rootfs tar the system
# suite boots (debootstrap, ~5 minutes when not cached), built while the code
# compiles; V2VD_CHECK_SKIP_SYSTEM=1 leaves the system suite out.
skip_system=${V2VD_CHECK_SKIP_SYSTEM:-0}
rootfs_pid=
rootfs_log=$top/$build.rootfs-build.log
if [[ $skip_system != 1 ]]; then
    say "system rootfs: tests/system/build-rootfs.sh in the background (log: $rootfs_log)"
    bash tests/system/build-rootfs.sh >/dev/null 2>"$rootfs_log" &
    rootfs_pid=$!
fi

# ---------------------------------------------------------------- builds
# setup_build DIR ARGS...: configure DIR fresh, or reconfigure it in place.
setup_build() {
    local dir=$1; shift
    if [[ -f $dir/meson-private/coredata.dat ]]; then
        meson setup --reconfigure "$dir" "$@" ||
            { rm -rf "$dir"; meson setup "$dir" "$@"; }
    else
        rm -rf "$dir"
        meson setup "$dir" "$@"
    fi
}

# run_tests DIR LOGBASE ARGS...: meson test, its log in DIR/meson-logs/LOGBASE.json
run_tests() {
    local dir=$1 logbase=$2; shift 2
    rm -f "$dir/meson-logs/$logbase.json" "$dir/meson-logs/$logbase.txt"
    meson test -C "$dir" --print-errorlogs --logbase "$logbase" "$@"
    local rc=$?
    # meson test failing without a log (it could not even start) is a failure
    # the summary would not see otherwise.
    if [[ $rc != 0 && ! -s $dir/meson-logs/$logbase.json ]]; then
        step_failed "meson test ($dir $logbase)"
    fi
}

rm -f "$build"/meson-logs/testlog-*.json "$asan"/meson-logs/testlog-*.json 2>/dev/null
main_ok=0 asan_ok=0
say "build $build (-Dwerror=true)"
if setup_build "$build" -Dwerror=true -De2e=true -Dcockpit=enabled && ninja -C "$build"; then
    main_ok=1
else
    step_failed "build $build"
fi
if [[ $skip_asan != 1 ]]; then
    say "build $asan (-Db_sanitize=address,undefined)"
    if setup_build "$asan" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
           -De2e=false -Dcockpit=disabled && ninja -C "$asan"; then
        asan_ok=1
    else
        step_failed "build $asan"
    fi
fi

# The guest build keeps a core busy (debootstrap, then qemu under TCG): wait
# for it before the timing-sensitive integration tests rather than run them
# on a loaded machine. Only the compilations overlap with it.
if [[ -n $guest_pid ]]; then
    say "waiting for the guest image"
    if wait "$guest_pid" && [[ -s $(head -n1 "$guest_out") ]]; then
        V2VD_GUEST_IMAGE=$(head -n1 "$guest_out")
        export V2VD_GUEST_IMAGE
        echo "guest image: $V2VD_GUEST_IMAGE"
    else
        echo "check: the guest image could not be built; its log:" >&2
        tail -n 60 "$guest_log" >&2
        step_failed "guest image (tests/fixtures/build-guest.sh)"
    fi
fi

if [[ -n $rootfs_pid ]]; then
    say "waiting for the system rootfs"
    if ! wait "$rootfs_pid"; then
        echo "check: the system rootfs could not be built; its log:" >&2
        tail -n 60 "$rootfs_log" >&2
        step_failed "system rootfs (tests/system/build-rootfs.sh)"
    fi
fi

# ------------------------------------------------------------------ tests
if [[ $main_ok == 1 ]]; then
    say "unit + integration suites in $build"
    run_tests "$build" testlog-main --no-suite e2e --no-suite valgrind --no-suite system
fi
if [[ $asan_ok == 1 ]]; then
    say "unit + integration suites in $asan"
    run_tests "$asan" testlog-asan --suite unit --suite integration
fi
if [[ $skip_e2e != 1 && $main_ok == 1 && -n ${V2VD_GUEST_IMAGE:-} ]]; then
    say "e2e suite in $build (guest $V2VD_GUEST_IMAGE)"
    run_tests "$build" testlog-e2e --suite e2e
fi

# The system suite (deploy): a booted Debian 12 container with v2vd installed
# from `meson install`, the fake and then the real virt-v2v (the guest image).
if [[ $skip_system != 1 && $main_ok == 1 ]]; then
    say "system suite in $build (booted container${V2VD_GUEST_IMAGE:+, guest $V2VD_GUEST_IMAGE})"
    run_tests "$build" testlog-system --suite system
fi

# ------------------------------------------------ fuzz, valgrind (security)
if [[ $main_ok == 1 ]]; then
    say "security: fuzz targets and the daemon under valgrind (tests/tools/check-security.sh)"
    bash tests/tools/check-security.sh "$build" || step_failed "security: fuzz / valgrind (check-security.sh)"
fi

# ---------------------------------------------------------------- summary
say "summary"
failed_steps_file=$(mktemp)
printf '%s\n' "${steps_failed[@]}" >"$failed_steps_file"
python3 - "$failed_steps_file" $((SECONDS - t0)) "$build" "$asan" <<'EOF'
import glob, json, os, sys

steps_file, elapsed, *dirs = sys.argv[1:]
steps = [l.strip() for l in open(steps_file) if l.strip()]
passed = failed = skipped = 0
rows = []
for d in dirs:
    for path in sorted(glob.glob(os.path.join(d, "meson-logs", "testlog-*.json"))):
        run = os.path.basename(path)[len("testlog-"):-len(".json")]
        for line in open(path, encoding="utf-8", errors="replace"):
            line = line.strip()
            if not line:
                continue
            try:
                t = json.loads(line)
            except ValueError:
                continue
            res = t.get("result", "?")
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
            else:
                failed += 1
            suite = ",".join(t.get("suite") or [])
            rows.append((d, run, suite, t.get("name", "?"), res, t.get("duration", 0.0)))

wd = max([len(r[0]) for r in rows] + [5])
wn = max([len(r[3]) for r in rows] + [10])
for d, run, suite, name, res, dur in rows:
    print(f"  {d:<{wd}} {run:<5} {name:<{wn}} {res:<8} {dur:7.1f} s")
for s in steps:
    print(f"  step failed: {s}")
    failed += 1
if passed == 0 and failed == 0:
    print("  no test ran")
    failed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(f"\ncheck: total {elapsed} s")
print(line, flush=True)
sys.exit(1 if failed else 0)
EOF
rc=$?
rm -f "$failed_steps_file"
exit $rc
