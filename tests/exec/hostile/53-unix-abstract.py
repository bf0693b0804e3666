#: expect passed
#: check unix-idle
# Abstract unix names belong to a network namespace, which all children
# share: the test's own (in its namespace) and a name another candidate
# might bind must both be out of reach.
import socket

name = "\0@ABSTRACT@"
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    try:
        s = socket.socket(socket.AF_UNIX, kind)
    except PermissionError:
        continue
    raise AssertionError(("a unix socket", kind))
a, b = socket.socketpair()
for how in ("connect", "sendto"):
    try:
        if how == "connect":
            a.connect(name)
        else:
            a.sendto(b"from the sandbox", name)
    except OSError:
        continue
    raise AssertionError(how)
