#: expect failed
#: detail import of ctypes halted
# The forgery of issue 10: read the child allocator's seed next to an
# object, take the verdict's nonce from it, write a passing record to
# fd 3.  Here it stops at the first line (no ctypes); see 68 for the
# same with ctypes.
import ctypes, os, struct
o = bytearray(100)
seed = ctypes.c_uint64.from_address(id(o) - 8).value ^ id(o)
for nonce in {seed, seed ^ 1, seed >> 32, seed & 0xffffffff}:
    os.write(3, struct.pack("=IIiIQd", 0x51585243, 0, 0, 0, nonce, 0.0))
raise AssertionError("the forged record was ignored")
