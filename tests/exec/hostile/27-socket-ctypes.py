#: expect passed
#: check listener-idle
#: introspect
import ctypes
import socket

libc = ctypes.CDLL(None, use_errno=True)
# AF_UNIX too: a unix socket could connect to a listener on the host
# (or to a sibling's abstract name).
for family in (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6,
               socket.AF_NETLINK, socket.AF_PACKET):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW):
        assert libc.socket(family, kind, 0) == -1, (family, kind)
