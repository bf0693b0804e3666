#: expect failed
#: detail import of ctypes halted
# No ctypes: with it, a program reads and writes any memory of its own
# process, the verdict's included.
import ctypes
