#: expect passed
#: check output-bounded
import sys

chunk = "x" * 65535 + "\n"
for _ in range(800):
    sys.stdout.write(chunk)
print("done")
