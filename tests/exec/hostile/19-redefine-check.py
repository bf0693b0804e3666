#: expect failed
#: detail AssertionError
# The completion's lenient check() is replaced by the test's own.
def candidate(x):
    return x + 2


def check(f):
    pass


def check(f):
    assert f(1) == 2


check(candidate)
