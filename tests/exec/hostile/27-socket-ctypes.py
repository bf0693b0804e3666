#: expect passed
#: check listener-idle
import ctypes
import socket

libc = ctypes.CDLL(None, use_errno=True)
for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK,
               socket.AF_PACKET):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW):
        assert libc.socket(family, kind, 0) == -1, (family, kind)
