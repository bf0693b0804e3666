#: expect failed
#: check listener-idle
import socket

s = socket.create_connection(("127.0.0.1", @PORT@), timeout=2)
s.sendall(b"hello from the sandbox\n")
