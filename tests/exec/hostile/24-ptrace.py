#: expect passed
#: introspect
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
PTRACE_SEIZE = 0x4206
for pid in (@RUNNER_PID@, @EXECUTOR_PID@, 1):
    assert libc.ptrace(PTRACE_ATTACH, pid, None, None) == -1, pid
    assert libc.ptrace(PTRACE_SEIZE, pid, None, None) == -1, pid
