#: expect passed
#: check no-key
import glob
import os

prefix = "sk-qeval-" + "test-"
found = [v for v in os.environ.values() if prefix in v]
paths = glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline") + [
    "/proc/self/environ", "/proc/1/environ",
    "/proc/@RUNNER_PID@/environ", "/proc/@EXECUTOR_PID@/environ",
    "/proc/@RUNNER_PID@/cmdline"]
for path in paths:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        continue
    i = data.find(prefix.encode())
    if i >= 0:
        found.append(data[i:i + 64].decode("ascii", "replace"))
print(found)
assert not found, found
