#: expect failed
#: detail the forged record was ignored
#: introspect
#: asan skip
# The forgery of issue 10 with ctypes (a stand-in for a memory-safety
# exploit): the allocator's seed no longer tells the nonce.
import ctypes, os, struct
o = bytearray(100)
seed = ctypes.c_uint64.from_address(id(o) - 8).value ^ id(o)
for nonce in {seed, seed ^ 1, seed >> 32, seed & 0xffffffff}:
    os.write(3, struct.pack("=IIiIQd", 0x51585243, 0, 0, 0, nonce, 0.0))
raise AssertionError("the forged record was ignored")
