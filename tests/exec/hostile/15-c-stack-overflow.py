#: expect crashed
#: detail SIGSEGV
#: asan skip
#: timeout 10
# repr() recurses in C; with the recursion limit lifted the C stack
# overflows.
import sys

sys.setrecursionlimit(10 ** 8)
nest = []
for _ in range(400_000):
    nest = [nest]
repr(nest)
