#: expect failed
#: detail PermissionError
# posix.fork is untouched by the guard: seccomp refuses the clone.
import posix

while True:
    posix.fork()
