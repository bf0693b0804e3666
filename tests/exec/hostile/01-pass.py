#: expect passed
def add(a, b):
    return a + b


assert add(2, 3) == 5
