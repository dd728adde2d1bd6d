"""A minimal D-Bus client in pure Python, for the tests that busctl and
dbus-send cannot drive: arguments larger than the 128 KiB a single command
line argument may hold (10 MB specs), strings that are not valid D-Bus
(invalid UTF-8, NUL bytes: the bus daemon must refuse them), thousands of
calls in a few seconds, and calls as another user (the connection
authenticates with the uid of the process that opens it).

Only what the tests need: EXTERNAL authentication, Hello, method calls whose
arguments are strings ("s", "ss", ...) and options ("a{sv}" of booleans,
uint32 and strings), and replies read as strings and object paths.
Little-endian only.
"""

import os
import socket
import struct

METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4


class BusClosed(Exception):
    """The bus daemon closed the connection (e.g. after an invalid message)."""


class CallError(Exception):
    def __init__(self, name, message):
        super().__init__("%s: %s" % (name, message))
        self.name = name
        self.message = message


def _pad(n, align):
    return (align - n % align) % align


def _address_path(address):
    for part in address.split(";"):
        if part.startswith("unix:"):
            kv = dict(x.split("=", 1) for x in part[5:].split(","))
            if "path" in kv:
                return kv["path"]
            if "abstract" in kv:
                return "\0" + kv["abstract"]
    raise ValueError("no unix socket in bus address %r" % address)


def session_address():
    return os.environ["DBUS_SESSION_BUS_ADDRESS"]


def system_address():
    return os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/run/dbus/system_bus_socket")


class Writer:
    def __init__(self):
        self.b = bytearray()

    def align(self, n):
        self.b += b"\0" * _pad(len(self.b), n)

    def byte(self, v):
        self.b += bytes([v])

    def u32(self, v):
        self.align(4)
        self.b += struct.pack("<I", v)

    def string(self, v):
        data = v if isinstance(v, (bytes, bytearray)) else v.encode("utf-8")
        self.u32(len(data))
        self.b += data + b"\0"

    def signature(self, v):
        data = v.encode()
        self.byte(len(data))
        self.b += data + b"\0"

    def options(self, d):
        """a{sv}: {key: (signature, value)}, signature "b", "u" or "s"."""
        self.u32(0)
        at = len(self.b) - 4
        self.align(8)
        start = len(self.b)
        for key, (sig, value) in d.items():
            self.align(8)
            self.string(key)
            self.signature(sig)
            if sig == "s":
                self.string(value)
            elif sig in "bu":
                self.u32(int(value))
            else:
                raise ValueError("only b, u and s options are supported")
        struct.pack_into("<I", self.b, at, len(self.b) - start)


class Reader:
    def __init__(self, data):
        self.d = data
        self.i = 0

    def align(self, n):
        self.i += _pad(self.i, n)

    def byte(self):
        v = self.d[self.i]
        self.i += 1
        return v

    def u32(self):
        self.align(4)
        v = struct.unpack_from("<I", self.d, self.i)[0]
        self.i += 4
        return v

    def string(self):
        n = self.u32()
        v = bytes(self.d[self.i:self.i + n]).decode("utf-8", "replace")
        self.i += n + 1
        return v

    def signature(self):
        n = self.byte()
        v = bytes(self.d[self.i:self.i + n]).decode()
        self.i += n + 1
        return v


class Connection:
    def __init__(self, address=None, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(_address_path(address or session_address()))
        self.serial = 0
        self.buf = b""
        self._auth()
        self.unique_name = self.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "Hello")[0]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def _auth(self):
        uid = str(os.geteuid()).encode().hex()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid.encode() + b"\r\n")
        line = self._readline()
        if not line.startswith(b"OK"):
            raise BusClosed("authentication refused: %r" % line)
        self.sock.sendall(b"BEGIN\r\n")

    def _readline(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise BusClosed("connection closed during authentication")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise BusClosed("the bus closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_message(self):
        fixed = self._recv_exact(16)
        if fixed[0:1] != b"l":
            raise BusClosed("big-endian message not supported")
        mtype = fixed[1]
        body_len, serial, fields_len = struct.unpack_from("<III", fixed, 4)
        rest = self._recv_exact(fields_len + _pad(16 + fields_len, 8) + body_len)
        data = fixed + rest
        r = Reader(data)
        r.i = 16
        end = 16 + fields_len
        fields = {}
        while r.i < end:
            r.align(8)
            code = r.byte()
            sig = r.signature()
            if sig in ("s", "o"):
                fields[code] = r.string()
            elif sig == "g":
                fields[code] = r.signature()
            elif sig == "u":
                fields[code] = r.u32()
            else:
                raise BusClosed("unexpected header field signature %r" % sig)
        r.i = end + _pad(end, 8)
        body = []
        for c in fields.get(8, ""):
            if c in "so":
                body.append(r.string())
            elif c == "u":
                body.append(r.u32())
            else:
                break   # the tests only need leading strings
        return mtype, fields, body

    def send_call(self, dest, path, iface, member, signature="", args=(), flags=0):
        """Send a method call; returns its serial. args: str or bytes for "s",
        a dict for "a{sv}" (Writer.options)."""
        self.serial += 1
        body = Writer()
        types = signature.replace("a{sv}", "A")
        if len(types) != len(args):
            raise ValueError("%d arguments for signature %r" % (len(args), signature))
        for c, a in zip(types, args):
            if c == "A":
                body.options(a)
            elif c in "so":
                body.string(a)
            else:
                raise ValueError("only string and a{sv} arguments are supported")
        h = Writer()
        h.b += b"l" + bytes([METHOD_CALL, flags, 1])
        h.b += struct.pack("<II", len(body.b), self.serial)
        fields = Writer()
        for code, sig, val in ((1, "o", path), (2, "s", iface), (3, "s", member), (6, "s", dest),
                               (8, "g", signature)):
            if val is None or (code == 8 and not signature):
                continue
            fields.align(8)
            fields.byte(code)
            fields.signature(sig)
            if sig == "g":
                fields.signature(val)
            else:
                fields.string(val)
        # the array's length, then its elements starting 8-aligned (offset 16)
        h.u32(len(fields.b))
        h.b += fields.b
        h.align(8)
        self.sock.sendall(bytes(h.b) + bytes(body.b))
        return self.serial

    def wait_reply(self, serial):
        while True:
            mtype, fields, body = self._read_message()
            if fields.get(5) != serial:
                continue
            if mtype == ERROR:
                raise CallError(fields.get(4, "?"), body[0] if body else "")
            return body

    def call(self, dest, path, iface, member, signature="", *args):
        return self.wait_reply(self.send_call(dest, path, iface, member, signature, args))
