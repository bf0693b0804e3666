#: expect passed
import os

os.write(1, b"\xff\xfe\x00 not utf-8\n")
os.write(2, b"to stderr\n")
