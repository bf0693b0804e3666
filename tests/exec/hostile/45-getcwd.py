#: expect failed
#: detail TypeError
import os

os.getcwd()
