#: expect failed
#: detail AssertionError
import builtins


class Quiet(Exception):
    pass


builtins.AssertionError = Quiet
assert 1 == 2
