#: expect passed
#: timeout 30
#: check canary
# Nothing of the host but what Python needs: a walk from / finds no file
# the test planted (its name carries the marker), no dataset, and none
# of the run's files (a journal with a passing answer, the canaries, the
# source and build trees).
import os

found = []
for top, dirs, files in os.walk("/"):
    for name in dirs + files:
        if "@MARKER@" in name or name.endswith((".jsonl", ".jsonl.gz")):
            found.append(os.path.join(top, name))
for path in ("@JOURNAL@", "@CANARY1@", "@CANARY2@", "@DATADIR@",
             "@SRCDIR@", "@BUILDDIR@"):
    try:
        with open(path, "rb") as f:
            found.append((path, f.read(64)))
    except IsADirectoryError:
        found.append(path)
    except OSError:
        pass
assert not found, found
top = sorted(os.listdir("/"))
print(top)
assert set(top) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32",
                    "sbin", "tmp", "usr", ".empty"}, top
