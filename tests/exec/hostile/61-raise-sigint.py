#: expect failed
#: detail KeyboardInterrupt
# SIGINT raises KeyboardInterrupt, as in any Python process.
import signal

signal.raise_signal(signal.SIGINT)
