#: expect failed
#: detail ImportError
# Taking the block out of sys.modules does not help: the module's file
# is hidden too.
import gc
import sys

for name in ("ctypes", "_ctypes", "_testcapi", "_cffi_backend"):
    sys.modules.pop(name, None)
mods = [m for m in gc.get_objects()
        if type(m).__name__ == "module" and m.__name__ == "_ctypes"]
assert not mods, mods
import _ctypes
