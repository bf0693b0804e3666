#: expect oom
#: memory 256
#: asan skip
hog = []
while True:
    hog.append(bytearray(1 << 20))
