#!/usr/bin/env python3
"""sd_notify: READY=1 once the bus name is owned, STATUS= kept current
("N running, M queued")."""
import os
import socket
import time

from v2vdtest import run_test, make_image, wait_for


def test(t):
    path = os.path.join(t.base, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    msgs = []

    def drain():
        while True:
            try:
                msgs.append(sock.recv(4096).decode())
            except (socket.timeout, BlockingIOError):
                return msgs

    d = t.start_daemon(config={"max_running_jobs": 1}, env={"NOTIFY_SOCKET": path})
    wait_for(lambda: any("READY=1" in m for m in drain()), 5, "READY=1")
    t.note("READY=1 received")
    img = make_image(os.path.join(t.base, "a"), "a", control={"step_delay": 0.02, "copy_seconds": 2})
    img2 = make_image(os.path.join(t.base, "b"), "b", control={"step_delay": 0.02, "copy_seconds": 0.3})
    a, _ = t.create_job(t.spec_disk(img, vm_name="a"))
    b, _ = t.create_job(t.spec_disk(img2, vm_name="b"))
    wait_for(lambda: any("STATUS=1 running, 1 queued" in m for m in drain()), 5, 'STATUS="1 running, 1 queued"')
    t.note('STATUS="1 running, 1 queued" while a runs and b waits')
    t.wait_finished(b, 20)
    wait_for(lambda: any("STATUS=0 running, 0 queued" in m for m in drain()[-3:]), 5, 'STATUS="0 running, 0 queued"')
    t.note('STATUS="0 running, 0 queued" at the end')
    sock.close()


run_test(test)
