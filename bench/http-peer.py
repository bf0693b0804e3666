#!/usr/bin/env python3
"""http-peer.py: the named peer of bench/http-bench.c.

A Python asyncio client (standard library only: asyncio streams, raw
HTTP/1.1 with keep-alive, one connection per worker) that sends N small
chat requests with C workers and parses each JSON answer, as the C client
does.  Prints one line:
  python-asyncio <concurrency> <n> <ok> <seconds> <req/s> <CPU us/req>

  python3 http-peer.py URL N CONCURRENCY
"""
import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlsplit

BODY = json.dumps({"model": "m", "messages": [{"role": "user",
                                               "content": "What is 2+2?"}],
                   "max_tokens": 16, "temperature": 0}).encode()


async def worker(host, port, path, queue, counts):
    reader, writer = await asyncio.open_connection(host, port)
    req = (b"POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: "
           b"application/json\r\nContent-Length: %d\r\n\r\n%s" %
           (path.encode(), host.encode(), port, len(BODY), BODY))
    while True:
        try:
            queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        writer.write(req)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        close = False
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                length = int(v)
            elif k == b"connection" and v.strip().lower() == b"close":
                close = True
        body = await reader.readexactly(length)
        if status == 200:
            obj = json.loads(body)
            if obj["choices"][0]["message"]["content"]:
                counts[0] += 1
        if close:
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
    writer.close()


async def run(url, n, conc):
    u = urlsplit(url)
    path = u.path.rstrip("/") + "/chat/completions"
    queue = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    counts = [0]
    await asyncio.gather(*(worker(u.hostname, u.port, path, queue, counts)
                           for _ in range(conc)))
    return counts[0]


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    url, n, conc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    t0, c0 = time.monotonic(), cpu()
    good = asyncio.run(run(url, n, conc))
    dt, dc = time.monotonic() - t0, cpu() - c0
    print("python-asyncio %d %d %d %.3f %.0f %.1f" %
          (conc, n, good, dt, n / dt, dc / n * 1e6))
    return 0 if good == n else 1


if __name__ == "__main__":
    sys.exit(main())
