#: expect passed
#: introspect
# libc's fork() straight through ctypes: every call must fail.
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
pids = [libc.fork() for _ in range(64)]
for p in pids:
    if p == 0:
        libc._exit(0)
assert all(p == -1 for p in pids), pids
