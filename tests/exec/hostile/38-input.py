#: expect failed
#: detail EOFError
x = input()
