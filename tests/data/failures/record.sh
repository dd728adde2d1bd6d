#!/bin/bash
# Re-record the real virt-v2v 2.2.0 transcripts of tests/data/failures/
# (README.md there says what each run is). Root, the guest image built by
# tests/fixtures/build-guest.sh, TCG (this machine's KVM does not boot the
# appliance). Slow: a few minutes each. Usage: record.sh [CASE...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
guest=${V2VD_GUEST_IMAGE:-$(ls /var/cache/v2vd-tests/guest-*/guest.img | head -1)}
work=$(mktemp -d /var/tmp/v2vd-failures.XXXXXX)
trap 'rm -rf "$work"' EXIT
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
export LIBGUESTFS_CACHEDIR=$work/cache
mkdir -p "$work/cache"
cd "$work"

# run NAME ARGS...: virt-v2v ARGS as v2vd runs it (machine-readable log to a
# file, stdout+stderr together), paths in the transcript renamed to stable ones.
run() {
        local name=$1; shift
        rm -f "$work/m.log"
        nice virt-v2v --machine-readable=file:"$work/m.log" "$@" >"$work/out.log" 2>&1
        echo "$name: exit $?"
        sed -e "s|$work|/work|g" -e "s|$guest|/srv/images/guest.img|g" "$work/out.log" >"$here/$name.v2v.log"
        sed -e "s|$work|/work|g" -e "s|$guest|/srv/images/guest.img|g" "$work/m.log" >"$here/$name.machine.log" 2>/dev/null || :
}

case_no_os() {
        qemu-img create -q -f qcow2 "$work/blank.qcow2" 1G
        mkdir -p "$work/out"
        run no-os -i disk "$work/blank.qcow2" -o local -os "$work/out"
}

# as nobody, against that user's own qemu:///session (libvirtd is autostarted
# and exits when idle): a root libvirtd would need the host's /run/libvirt.
# test:///default's running "test" domain does not do: virt-v2v skips the
# state check for test: URIs.
session() {
        local home=$work/home
        mkdir -p "$home/run" && chmod 700 "$home/run" && chown -R nobody:nogroup "$home"
        (cd "$home" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
                env -i PATH=/usr/bin:/bin HOME="$home" XDG_RUNTIME_DIR="$home/run" LIBGUESTFS_BACKEND=direct \
                LIBGUESTFS_BACKEND_SETTINGS=force_tcg bash -c "$1")
}

case_domain_running() {
        cat >"$work/dom.xml" <<XML
<domain type="qemu">
  <name>guest</name>
  <memory unit="MiB">64</memory>
  <os><type arch="x86_64" machine="pc">hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
XML
        chmod 644 "$work/dom.xml"; chmod 755 "$work"
        session "virsh -q -c qemu:///session create $work/dom.xml >/dev/null && mkdir -p out &&
                 virt-v2v --machine-readable=file:m.log -i libvirt -ic qemu:///session guest -o local -os out >out.log 2>&1;
                 echo domain-running: exit \$?; virsh -q -c qemu:///session destroy guest >/dev/null
                 mkdir -p out2 && virt-v2v --machine-readable=file:m2.log -i libvirt -ic qemu:///session nosuchguest -o local -os out2 >out2.log 2>&1;
                 echo domain-missing: exit \$?"
        sed -e "s|$work/home|/work|g" "$work/home/out.log" >"$here/domain-running.v2v.log"
        sed -e "s|$work/home|/work|g" "$work/home/m.log" >"$here/domain-running.machine.log"
        sed -e "s|$work/home|/work|g" "$work/home/out2.log" >"$here/domain-missing.v2v.log"
        sed -e "s|$work/home|/work|g" "$work/home/m2.log" >"$here/domain-missing.machine.log"
}

case_ssh_auth() {
        # -i vmx -it ssh against a loopback sshd that knows another key than
        # the agent's; /root/.ssh is a private copy (its known_hosts trusts
        # the test host key) in a mount namespace of this run's own
        local d=$work/ssh port
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        mkdir -p "$d/dotssh" "$work/out"
        for k in host_key client_key other_key; do ssh-keygen -q -t ed25519 -N "" -f "$d/$k"; done
        cp "$d/other_key.pub" "$d/authorized_keys"
        echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$d/host_key.pub")" >"$d/dotssh/known_hosts"
        cat >"$d/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile $d/sshd.pid
CONF
        /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
        rm -f "$work/m.log"
        unshare -m --propagation private bash -c "mkdir -p /root/.ssh 2>/dev/null; mount --bind '$d/dotssh' /root/.ssh &&
                eval \$(ssh-agent -s) >/dev/null && ssh-add -q '$d/client_key' &&
                nice virt-v2v --machine-readable=file:'$work/m.log' -i vmx -it ssh \
                        'ssh://root@127.0.0.1:$port/vmfs/volumes/datastore1/guest/guest.vmx' -o local -os '$work/out' \
                        >'$work/out.log' 2>&1; echo ssh-auth: exit \$?
                printf wrong >'$work/pw'
                nice virt-v2v --machine-readable=file:'$work/m2.log' -i libvirt -ic 'qemu+ssh://root@127.0.0.1:$port/system?no_tty=1' \
                        -ip '$work/pw' guest -o local -os '$work/out' >'$work/out2.log' 2>&1; echo libvirt-ssh-auth: exit \$?
                ssh-agent -k >/dev/null"
        kill "$(cat "$d/sshd.pid")"
        sed -e "s|$work|/work|g" -e "s|:$port/|:2222/|g" "$work/out.log" >"$here/ssh-auth.v2v.log"
        sed -e "s|$work|/work|g" -e "s|:$port/|:2222/|g" "$work/m.log" >"$here/ssh-auth.machine.log"
        sed -e "s|$work|/work|g" -e "s|:$port/|:2222/|g" "$work/out2.log" >"$here/libvirt-ssh-auth.v2v.log"
        sed -e "s|$work|/work|g" -e "s|:$port/|:2222/|g" "$work/m2.log" >"$here/libvirt-ssh-auth.machine.log"
}

case_qemu_nbd() {
        # test:///default's "test" domain: its disk /guest/diskimage1 does not
        # exist (and virt-v2v skips the state check for test: URIs)
        mkdir -p "$work/out"
        run qemu-nbd-nodisk -i libvirt -ic test:///default test -o local -os "$work/out"
}

case_host_tmp_full() {
        # LIBGUESTFS_CACHEDIR (virt-v2v's temporary directory) on a 64 MiB tmpfs
        mkdir -p "$work/small" "$work/out"
        rm -f "$work/m.log"
        unshare -m --propagation private bash -c "mount -t tmpfs -o size=64m tmpfs '$work/small' && \
                LIBGUESTFS_CACHEDIR='$work/small' nice virt-v2v --machine-readable=file:'$work/m.log' -i disk '$guest' \
                        -o local -os '$work/out' >'$work/out.log' 2>&1; echo host-tmp-full: exit \$?"
        sed -e "s|$work|/work|g" -e "s|$guest|/srv/images/guest.img|g" "$work/out.log" >"$here/host-tmp-full.v2v.log"
        sed -e "s|$work|/work|g" -e "s|$guest|/srv/images/guest.img|g" "$work/m.log" >"$here/host-tmp-full.machine.log"
}

case_dest_full() {
        # -o local into a 64 MiB tmpfs in a private mount namespace
        mkdir -p "$work/full"
        rm -f "$work/m.log"
        unshare -m --propagation private bash -c "mount -t tmpfs -o size=64m tmpfs '$work/full' && \
                nice virt-v2v --machine-readable=file:'$work/m.log' -i disk '$guest' -o local -os '$work/full' >'$work/out.log' 2>&1; echo dest-full: exit \$?"
        sed -e "s|$work|/work|g" -e "s|$guest|/srv/images/guest.img|g" "$work/out.log" >"$here/dest-full.v2v.log"
        sed -e "s|$work|/work|g" -e "s|$guest|/srv/images/guest.img|g" "$work/m.log" >"$here/dest-full.machine.log"
}

case_nbdcopy_missing() {
        # a PATH with everything of /usr/bin but nbdcopy
        mkdir -p "$work/bin" "$work/out"
        for f in /usr/bin/* /usr/sbin/*; do
                case $(basename "$f") in nbdcopy) ;; *) ln -sf "$f" "$work/bin/" ;; esac
        done
        PATH=$work/bin run nbdcopy-missing -i disk "$guest" -o local -os "$work/out"
}

case_cancelled() {
        # SIGTERM once it converts the guest, as a cancelled job's scope gets it
        mkdir -p "$work/out"
        rm -f "$work/m.log"
        nice virt-v2v --machine-readable=file:"$work/m.log" -i disk "$guest" -o local -os "$work/out" >"$work/out.log" 2>&1 &
        local pid=$! i
        for ((i = 0; i < 900; i++)); do
                grep -q "Converting" "$work/out.log" && break
                sleep 1
        done
        sleep 5
        kill -TERM $pid
        wait $pid
        echo "cancelled: exit $?"
        sed -e "s|$work|/work|g" -e "s|$guest|/srv/images/guest.img|g" "$work/out.log" >"$here/cancelled.v2v.log"
        sed -e "s|$work|/work|g" -e "s|$guest|/srv/images/guest.img|g" "$work/m.log" >"$here/cancelled.machine.log"
}

cases=${*:-no_os domain_running ssh_auth qemu_nbd host_tmp_full dest_full nbdcopy_missing cancelled}
for c in $cases; do
        "case_${c//-/_}"
done
