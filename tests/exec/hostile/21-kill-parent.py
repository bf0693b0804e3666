#: expect passed|crashed
#: check runner-alive
import posix
import signal

# 1 is the slot's init: it ignores signals from its own namespace, and
# the programs after this one run in that namespace too.
for pid in (1, posix.getppid(), @RUNNER_PID@, @EXECUTOR_PID@):
    try:
        posix.kill(pid, signal.SIGKILL)
    except OSError:
        pass
