#: expect passed
#: introspect
import os

fds = sorted(int(x) for x in os.listdir("/proc/self/fd"))
assert set(fds) <= {0, 1, 2, 3, 4}, fds
