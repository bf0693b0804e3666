#: expect crashed
#: detail SIGSEGV
#: introspect
import ctypes

ctypes.string_at(0)
