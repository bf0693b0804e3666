#: expect crashed
#: detail killed by signal 15 (SIGTERM)
# os.kill is None (the guard), posix.kill is not.
import posix
import signal

posix.kill(posix.getpid(), signal.SIGTERM)
