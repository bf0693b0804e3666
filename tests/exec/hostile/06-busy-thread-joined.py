#: expect timeout
#: timeout 1
import threading


def spin():
    while True:
        pass


t = threading.Thread(target=spin)
t.start()
t.join()
