#: expect passed|crashed
#: check runner-alive
import posix
import signal

for pid in (posix.getppid(), @RUNNER_PID@, @EXECUTOR_PID@):
    try:
        posix.kill(pid, signal.SIGKILL)
    except OSError:
        pass
