#: expect passed|crashed
#: check runner-alive
import posix
import signal

for sig in (signal.SIGTERM, signal.SIGKILL):
    for pg in (posix.getpgrp(), 0, @RUNNER_PID@):
        try:
            posix.killpg(pg, sig)
        except OSError:
            pass
