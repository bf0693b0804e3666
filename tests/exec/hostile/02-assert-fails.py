#: expect failed
#: detail AssertionError: wrong sum
assert 1 + 1 == 3, "wrong sum"
