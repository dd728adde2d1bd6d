#!/bin/bash
# install-deps.sh — install every Debian 12 package v2vd needs to build, test
# and demo. Run as root. Idempotent: when every package is already installed
# it does nothing (no apt-get update) and returns in well under a second.
#
#   bash tests/tools/install-deps.sh            install what is missing
#   bash tests/tools/install-deps.sh --check    only report what is missing (exit 1 if any)
#   V2VD_EXTRA_DEBS="pkg …"                     also install these
#
# The browser packages (cockpit-ws, cockpit-bridge, cockpit-system, chromium)
# are added only when tests/browser/ exists in this tree, since they are large
# and only that suite uses them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

pkgs=(
    # build
    meson ninja-build pkg-config gcc clang libclang-rt-14-dev
    libsystemd-dev libglib2.0-dev libjson-glib-dev libvirt-dev
    libxml2-dev zlib1g-dev  # sources: OVF and domain XML, zip members
    # conversion: virt-v2v 2.2 copies with nbdcopy (libnbd-bin) but does not
    # depend on it; libguestfs needs a kernel in /boot for its appliance and
    # qemu-system-x86 to boot it
    virt-v2v libguestfs-tools libnbd-bin linux-image-amd64 qemu-utils
    qemu-system-x86 nbdkit supermin
    # the guest image fixture
    debootstrap e2fsprogs
    # buses, service manager, policy, throttling
    dbus dbus-user-session systemd polkitd nftables iproute2
    libvirt-daemon libvirt-clients
    # test tooling
    python3 man-db valgrind util-linux procps psmisc kmod git ca-certificates
    libglib2.0-bin  # gdbus (throttle-errors test)
    openssh-server openssh-client bash-completion  # v2vctl: -H tests (loopback sshd), completion dir
    # the system suite boots a debootstrap'ed Debian 12 under
    # systemd-nspawn; groff-base lints the man pages
    systemd-container groff-base
    sudo  # v2vctl-manageiq: ManageIQ's ssh user runs virt-v2v-wrapper with sudo
    # the metrics tests parse with prometheus_client's
    # parsers; the Ansible collection is built and run with ansible-core
    python3-prometheus-client ansible-core
    acl  # setfacl: the export domain's 36:36 check with ACLs (unit test-access-as)
    fuse3 gdb  # security-helpers: a FUSE mount that never answers; a caller's gdb in its helper
)
if [[ -d $top/tests/browser ]]; then
    pkgs+=(cockpit-ws cockpit-bridge cockpit-system chromium sudo)  # sudo: Cockpit's superuser bridge
    # the Cockpit page's build (npm ci + esbuild) and playwright-core use
    # the machine's Node.js and npm; Debian's (18) when it has none
    command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
# shellcheck disable=SC2206
pkgs+=(${V2VD_EXTRA_DEBS:-})

missing=()
for p in "${pkgs[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ $st == installed ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#pkgs[@]} packages present" >&2
    exit 0
fi
if [[ ${1:-} == --check ]]; then
    echo "install-deps: missing: ${missing[*]}" >&2
    exit 1
fi
if [[ $(id -u) != 0 ]]; then
    echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
          -o Dpkg::Use-Pty=0)
# A previous run interrupted in the middle of dpkg would block apt otherwise.
dpkg --configure -a >&2 || true
start=$SECONDS
apt-get update -q >&2
apt-get install "${apt_opts[@]}" "${missing[@]}" >&2
echo "install-deps: done in $((SECONDS - start)) s" >&2

# Check again: apt-get exits 0 when a name resolves to another package.
still=()
for p in "${missing[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ $st == installed ]] || still+=("$p")
done
if [[ ${#still[@]} -gt 0 ]]; then
    echo "install-deps: still missing after install: ${still[*]}" >&2
    exit 1
fi
