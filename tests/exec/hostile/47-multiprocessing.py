#: expect failed
import multiprocessing

with multiprocessing.Pool(2) as p:
    p.map(abs, [1, 2])
