#: expect oom
#: memory 256
#: asan skip
x = bytearray(1 << 40)
