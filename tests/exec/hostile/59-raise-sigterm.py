#: expect crashed
#: detail killed by signal 15 (SIGTERM)
import signal

signal.raise_signal(signal.SIGTERM)
