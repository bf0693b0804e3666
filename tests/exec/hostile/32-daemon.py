#: expect passed
#: check no-marker
#: introspect
# Every way to leave a process behind must fail.
import ctypes
import posix
import threading
import time

spawned = []
try:
    spawned.append(posix.posix_spawn("/bin/sleep", ["sleep", "30", "@MARKER@"],
                                     {}))
except OSError:
    pass
libc = ctypes.CDLL(None)
pid = libc.fork()
if pid == 0:
    libc.setsid()
    libc.prctl(15, b"@MARKER@", 0, 0, 0)
    time.sleep(30)
    libc._exit(0)
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
assert not spawned and pid == -1, (spawned, pid)
