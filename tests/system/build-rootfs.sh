#!/bin/bash
# build-rootfs.sh — build (or reuse) the Debian 12 root file system the system
# suite boots under systemd-nspawn, and print the path of its tar on stdout.
#
#   bash tests/system/build-rootfs.sh
#   V2VD_ROOTFS_CACHE=DIR     cache root (default /var/cache/v2vd-tests)
#   V2VD_DEBIAN_MIRROR=URL    debootstrap mirror (default: the first Debian URI
#                             apt uses, else http://deb.debian.org/debian)
#
# `debootstrap --variant=minbase --include=<rootfs-packages' first part>
# bookworm`, then `apt-get install` of the rest inside the new root, packed
# as $CACHE/rootfs-<hash>.tar where <hash> is the first 16 hex digits of the
# sha256 of this script (without its comments) and rootfs-packages: changing
# either builds a new tar
# (older rootfs-*.tar are removed then). The build happens beside the cache
# and is renamed in only when complete, so an interrupted build leaves
# nothing behind; concurrent callers wait on a lock. Nothing of v2vd is in
# the tar: each run installs what `meson install` produced into a fresh copy.
# Measured here (2 cores, shared): 199-209 s and 1.1 GB for the first build.
set -euo pipefail

log() { printf 'build-rootfs: %s\n' "$*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkgfile=$here/rootfs-packages
# comments of this script do not count: editing them builds nothing new
hash=$( (grep -v '^\s*#' "$here/build-rootfs.sh"; cat "$pkgfile") | sha256sum | cut -c1-16)
cache_root=${V2VD_ROOTFS_CACHE:-/var/cache/v2vd-tests}
tar=$cache_root/rootfs-$hash.tar

if [[ -s $tar ]]; then
    log "cached: $tar"
    printf '%s\n' "$tar"
    exit 0
fi
if [[ $(id -u) != 0 ]]; then
    log "must run as root (debootstrap)"
    exit 1
fi
command -v debootstrap >/dev/null || { log "debootstrap not found: run tests/tools/install-deps.sh"; exit 1; }

mirror=$(bash "$here/../lib/debian-mirror")

mkdir -p "$cache_root"
exec 9>"$cache_root/.build-rootfs.lock"
flock 9
if [[ -s $tar ]]; then
    log "cached (built by another run meanwhile): $tar"
    printf '%s\n' "$tar"
    exit 0
fi

work=$(mktemp -d "$cache_root/.rootfs-build.XXXXXX")
cleanup() {
    # debootstrap leaves /proc and /sys mounted in the root when it fails
    for m in proc sys dev; do
        mountpoint -q "$work/root/$m" 2>/dev/null && umount -R -l "$work/root/$m" || true
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# packages: the lines before "# ---" go to debootstrap, the rest to apt-get
packages() { sed -n "$1" "$pkgfile" | grep -v '^\s*#' | grep -v '^\s*$' || true; }
include=$(packages '1,/^# ---/p' | paste -sd, -)
rest=$(packages '/^# ---/,$p' | paste -sd' ' -)
log "debootstrap bookworm from $mirror with: $include"
start=$SECONDS
debootstrap --variant=minbase --include="$include" bookworm "$work/root" "$mirror" >&2
log "apt-get install in the root: $rest"
printf '#!/bin/sh\nexit 101\n' >"$work/root/usr/sbin/policy-rc.d"   # start no services
chmod 755 "$work/root/usr/sbin/policy-rc.d"
mount -t proc proc "$work/root/proc"
mount --rbind /sys "$work/root/sys"
mount --rbind /dev "$work/root/dev"
# shellcheck disable=SC2086
chroot "$work/root" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
    install -y --no-install-recommends $rest >&2
chroot "$work/root" apt-get clean
umount -R "$work/root/dev" "$work/root/sys" "$work/root/proc"
rm -f "$work/root/usr/sbin/policy-rc.d" "$work/root/var/lib/apt/lists/"*_Packages
# what a fresh installation has and the container needs: a hostname, no apt
# cache, an empty machine-id (systemd makes one at first boot)
echo v2vd-system-test >"$work/root/etc/hostname"
rm -f "$work/root/var/cache/apt/archives/"*.deb
: >"$work/root/etc/machine-id"
tar -C "$work/root" --numeric-owner --xattrs -cf "$work/rootfs.tar" .
mv "$work/rootfs.tar" "$tar"
log "built $tar in $((SECONDS - start)) s ($(du -h "$tar" | cut -f1))"
for old in "$cache_root"/rootfs-*.tar; do
    [[ $old == "$tar" ]] || rm -f "$old"
done
printf '%s\n' "$tar"
