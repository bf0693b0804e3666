#: expect failed
#: detail File too large
# RLIMIT_FSIZE (16 MiB) stops it: EFBIG, raised as OSError.
block = b"\0" * (1 << 20)
with open("big.bin", "wb") as f:
    for _ in range(64):
        f.write(block)
