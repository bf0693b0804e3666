#: expect passed
import threading

out = [0] * 8


def work(i):
    out[i] = sum(range(i * 1000))


ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in ts:
    t.start()
for t in ts:
    t.join()
assert out[3] == sum(range(3000))
