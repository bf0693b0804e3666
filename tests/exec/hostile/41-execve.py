#: expect failed
#: detail PermissionError
import posix

posix.execv("/bin/sh", ["sh", "-c", "sleep 30"])
