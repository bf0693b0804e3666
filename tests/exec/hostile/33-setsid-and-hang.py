#: expect timeout
#: timeout 1
#: check no-marker
#: introspect
# Leaves the process group the executor kills; the parent-death signal
# and the PID namespace still end it.
import ctypes
import posix
import time

try:
    posix.setsid()
except OSError:
    pass
ctypes.CDLL(None).prctl(15, b"@MARKER@", 0, 0, 0)
time.sleep(3600)
