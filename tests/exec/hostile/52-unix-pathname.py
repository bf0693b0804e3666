#: expect passed
#: check unix-idle
# Listeners the test made on the host, one stream and one datagram
# socket, world-writable: they must not even be visible, and no way to
# reach them may work (no socket() of any family; a connected pair
# cannot be pointed elsewhere).
import os
import socket

paths = ("@UNIXSOCK@", "@UNIXDGRAM@")
seen = [p for p in paths if os.path.exists(p)]
assert not seen, seen
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
    try:
        socket.socket(socket.AF_UNIX, kind)
    except PermissionError:
        continue
    raise AssertionError(("a unix socket", kind))
a, b = socket.socketpair()
a.sendall(b"a connected pair works")
assert b.recv(64) == b"a connected pair works"
for path in paths:
    for how in ("connect", "sendto"):
        try:
            if how == "connect":
                a.connect(path)
            else:
                a.sendto(b"from the sandbox", path)
        except OSError:
            continue
        raise AssertionError((how, path))
for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW):
    try:
        socket.socketpair(socket.AF_UNIX, kind)
    except OSError:
        continue
    raise AssertionError(("a pair that can send anywhere", kind))
