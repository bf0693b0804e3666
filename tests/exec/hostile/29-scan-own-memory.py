#: expect passed
#: check no-key
#: asan skip
#: introspect
# The executor is a fresh image: no copy of the core's memory to scan.
# (Not under ASan: its interceptors object to reading poisoned memory.)
import ctypes
import re

pat = re.compile(rb"sk-qeval-" + rb"test-[0-9a-f]{16}")
hits = []
with open("/proc/self/maps") as f:
    maps = f.read().splitlines()
for line in maps:
    parts = line.split()
    lo, hi = (int(x, 16) for x in parts[0].split("-"))
    path = parts[5] if len(parts) > 5 else ""
    if "r" not in parts[1] or path not in ("", "[heap]", "[stack]"):
        continue
    try:
        hits += pat.findall(ctypes.string_at(lo, hi - lo))
    except Exception:
        pass
print(hits)
assert not hits
