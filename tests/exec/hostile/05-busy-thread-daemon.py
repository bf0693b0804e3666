#: expect passed
# A busy daemon thread does not keep the verdict from being reported.
import threading


def spin():
    while True:
        pass


threading.Thread(target=spin, daemon=True).start()
assert sum(range(10)) == 45
