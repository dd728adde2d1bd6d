#!/bin/bash
# demo.sh — install what is needed, build, and run one real conversion
# through the daemon: the real virt-v2v converts a small real Debian 12 guest
# (tests/fixtures/build-guest.sh) to a local qcow2 disk and libvirt XML,
# while this script shows the job's progress as read from the bus.
# Run as root on Debian 12 from the top of a clone:
#
#   bash tests/tools/demo.sh
#
# The daemon runs in --user mode under a private `systemd --user` and session
# bus (tests/lib/with-systemd-user), so nothing is installed in the system
# and no system service is touched. The output, the daemon's log and the job
# directory (state.json, v2v.log) are kept in /tmp/v2vd-demo.XXXXXX.
#
# Environment: V2VD_BUILD_DIR (default build), V2VD_GUEST_IMAGE (skip the
# guest build), V2VD_DEMO_DIR (where to put the output).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
self=$here/$(basename "${BASH_SOURCE[0]}")
bus_name=org.v2vd.V2V1
mgr_path=/org/v2vd/V2V1

# -------------------------------------------------------------- inner part
# Runs under with-systemd-user: DBUS_SESSION_BUS_ADDRESS is the private bus.
if [[ ${1:-} == --inner ]]; then
    build=$2 img=$3 demo=$4
    conf=$demo/v2vd.conf
    cat >"$conf" <<EOF
[daemon]
max_running_jobs=1

[environment]
LIBGUESTFS_BACKEND=direct
LIBGUESTFS_BACKEND_SETTINGS=force_tcg
EOF
    echo "--- starting $build/daemon/v2vd --user --state-dir $demo/state --config $conf"
    "$build/daemon/v2vd" --user --state-dir "$demo/state" --config "$conf" \
        >"$demo/v2vd.log" 2>&1 &
    daemon=$!
    stop_daemon() {
        if kill -0 "$daemon" 2>/dev/null; then
            kill -TERM "$daemon" 2>/dev/null || true
            wait "$daemon" 2>/dev/null || true
        fi
    }
    trap stop_daemon EXIT

    for _ in $(seq 100); do
        if ! kill -0 "$daemon" 2>/dev/null; then
            echo "demo: v2vd exited at start; its log:" >&2
            cat "$demo/v2vd.log" >&2
            exit 1
        fi
        busctl --user call "$bus_name" "$mgr_path" org.freedesktop.DBus.Peer Ping \
            >/dev/null 2>&1 && break
        sleep 0.1
    done
    busctl --user introspect "$bus_name" "$mgr_path" org.v2vd.V2V1.Manager \
        | grep -E '^\.(Version|Mode|V2VVersion) ' || true

    spec=$(python3 -c 'import json,sys; print(json.dumps({"vm_name": "guest",
        "disk": [sys.argv[1]], "output_dir": sys.argv[2], "output_format": "qcow2"}))' \
        "$img" "$demo/out")
    echo "--- CreateJob $spec"
    reply=$(busctl --user call "$bus_name" "$mgr_path" org.v2vd.V2V1.Manager CreateJob s "$spec")
    echo "$reply"
    # reply: so "ID" "/org/v2vd/V2V1/job/ID"
    read -r _ id path <<<"$reply"
    id=${id//\"/} path=${path//\"/}

    # Progress Phase State, polled once a second until the job has ended.
    get() {
        busctl --user get-property "$bus_name" "$path" org.v2vd.V2V1.Job "$@"
    }
    t0=$SECONDS state= last_line= last_print=0
    while :; do
        if ! props=$(get Progress Phase State 2>&1); then
            echo "demo: reading the job's properties failed: $props" >&2
            exit 1
        fi
        { read -r _ progress; read -r _ phase; read -r _ state; } <<<"$props"
        phase=${phase#\"} phase=${phase%\"} state=${state//\"/}
        # One line when something changed, and every 10 s while nothing does.
        line=$(printf '%-10s %6.1f%%  %s' "$state" "$progress" "$phase")
        if [[ $line != "${last_line:-}" ]] || (( SECONDS - last_print >= 10 )); then
            printf '[%4d s] %s\n' $((SECONDS - t0)) "$line"
            last_line=$line last_print=$SECONDS
        fi
        case $state in succeeded|failed|cancelled) break ;; esac
        if ! kill -0 "$daemon" 2>/dev/null; then
            echo "demo: v2vd died; its log:" >&2
            cat "$demo/v2vd.log" >&2
            exit 1
        fi
        sleep 1
    done

    echo "--- result (State ReturnCode LastMessage StateFile LogFile)"
    get State ReturnCode LastMessage StateFile LogFile
    if [[ -x $build/client/v2vctl ]]; then
        echo "--- v2vctl --user status $id"
        "$build/client/v2vctl" --user status "$id" || true
    fi
    statefile=$(get StateFile | sed 's/^s "\(.*\)"$/\1/')
    echo "--- $statefile"
    cat "$statefile" 2>/dev/null && echo
    echo "--- output files in $demo/out"
    ls -la "$demo/out" 2>/dev/null || true
    for f in "$demo"/out/*-sd?; do
        [[ -e $f ]] && qemu-img info "$f" | sed -n '1,6p'
    done
    for f in "$demo"/out/*.xml; do
        [[ -e $f ]] && { echo "--- $f (first lines)"; sed -n '1,12p' "$f"; }
    done
    [[ $state == succeeded ]]
    exit $?
fi

# -------------------------------------------------------------- outer part
cd "$top"
build=${V2VD_BUILD_DIR:-build}
echo "=== install-deps"
bash tests/tools/install-deps.sh

echo "=== build $build"
if [[ -f $build/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$build" >/dev/null || meson setup --wipe "$build"
else
    meson setup "$build"
fi
ninja -C "$build"
build=$(cd "$build" && pwd)

echo "=== guest image"
img=${V2VD_GUEST_IMAGE:-$(bash tests/fixtures/build-guest.sh)}
echo "$img"

demo=${V2VD_DEMO_DIR:-$(mktemp -d /tmp/v2vd-demo.XXXXXX)}
mkdir -p "$demo/state" "$demo/out"
echo "=== conversion through v2vd (output kept in $demo)"
rc=0
tests/lib/with-systemd-user bash "$self" --inner "$build" "$img" "$demo" || rc=$?
echo
if [[ $rc == 0 ]]; then
    echo "=== demo done: the converted guest is in $demo/out; the daemon's log is $demo/v2vd.log"
else
    echo "=== demo FAILED (exit $rc); the daemon's log is $demo/v2vd.log, the job is in $demo/state/jobs" >&2
fi
echo "(remove $demo when done: it holds a copy of the guest's disk)"
exit $rc
