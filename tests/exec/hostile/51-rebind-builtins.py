#: expect failed
#: detail ValueError: boom
# The verdict's text does not go through anything the program can
# rebind: the harness is C, not a Python function looking up str().
import builtins

builtins.str = lambda *a: "hijacked"
builtins.type = lambda *a: int
builtins.compile = None
builtins.exec = None
raise ValueError("boom")
