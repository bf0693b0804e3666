#: expect passed
# exec() with fresh globals: __name__ is "builtins", the block never runs.
assert __name__ == "builtins", __name__
if __name__ == "__main__":
    assert False, "the __main__ block ran"
