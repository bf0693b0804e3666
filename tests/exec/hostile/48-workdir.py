#: expect passed
import os

with open("scratch.txt", "w") as f:
    f.write("hi")
with open("scratch.txt") as f:
    assert f.read() == "hi"
assert os.listdir(".") == ["scratch.txt"], os.listdir(".")
