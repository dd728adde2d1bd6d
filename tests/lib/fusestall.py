#!/usr/bin/env python3
"""fusestall.py MOUNTPOINT: a FUSE file system that never answers.

What an unprivileged user can do on most hosts (fusermount3 is setuid):
mount a file system of its own whose every request after FUSE_INIT waits
forever, so that a stat() of any path under MOUNTPOINT blocks until the
caller is killed. Speaks the kernel's FUSE protocol itself (no libfuse
binding needed): fusermount3 opens /dev/fuse, mounts it and passes the
descriptor back over the socket named by _FUSE_COMMFD. Prints "ready" once
the kernel's INIT is answered; on SIGTERM or SIGINT unmounts (lazily) and
exits. Run it as the user whose mount it is.
"""
import array
import os
import signal
import socket
import struct
import subprocess
import sys

FUSE_INIT = 26
IN_HEADER = struct.Struct("<IIQQIIII")      # len, opcode, unique, nodeid, uid, gid, pid, padding
OUT_HEADER = struct.Struct("<IiQ")          # len, error, unique
# fuse_init_out (protocol 7.31): major, minor, max_readahead, flags, max_background,
# congestion_threshold, max_write, time_gran, max_pages, map_alignment, flags2, unused[7]
INIT_OUT = struct.Struct("<IIIIHHIIHHI7I")


def mount(mountpoint):
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    env = dict(os.environ, _FUSE_COMMFD=str(child.fileno()))
    p = subprocess.Popen(["fusermount3", "-o", "fsname=fusestall,subtype=fusestall", "--", mountpoint],
                         env=env, pass_fds=(child.fileno(),))
    child.close()
    fds = array.array("i")
    msg, anc, _, _ = parent.recvmsg(1, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    if p.wait() != 0 or not fds:
        sys.exit("fusermount3 failed")
    return fds[0]


def main():
    mountpoint = os.path.abspath(sys.argv[1])
    fd = mount(mountpoint)

    def stop(*_):
        subprocess.run(["fusermount3", "-u", "-z", mountpoint])
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        try:
            req = os.read(fd, 1 << 20)
        except InterruptedError:
            continue
        except OSError:
            os._exit(0)    # unmounted
        length, opcode, unique = IN_HEADER.unpack_from(req)[:3]
        if opcode != FUSE_INIT:
            continue       # never answered: the caller waits until it is killed
        major, minor, readahead, flags = struct.unpack_from("<IIII", req, IN_HEADER.size)
        body = INIT_OUT.pack(7, min(minor, 31), readahead, 0, 1, 1, 4096, 1, 1, 0, 0, *([0] * 7))
        os.write(fd, OUT_HEADER.pack(OUT_HEADER.size + len(body), 0, unique) + body)
        print("ready", flush=True)


main()
