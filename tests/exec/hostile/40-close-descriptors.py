#: expect crashed
#: detail without reporting
import posix

posix.closerange(0, 64)
