#: expect passed
#: root only
import posix

assert posix.getuid() != 0 and posix.geteuid() != 0, posix.getuid()
