#: expect crashed
#: detail killed by signal 11 (SIGSEGV)
import signal

signal.raise_signal(signal.SIGSEGV)
