#: expect passed
# No /proc: neither /proc/self/mem (the program's own memory, verdict
# included) nor anything else of the kernel's process files.
import os

for path in ("/proc/self/mem", "/proc/self/maps", "/proc/1/mem", "/proc"):
    assert not os.path.exists(path), path
    try:
        open(path, "rb").close()
    except OSError:
        continue
    raise AssertionError(path)
