"""Makes the compressed fixtures of t-data from small.jsonl.

Usage: mkfixtures.py SMALL.jsonl OUTDIR.  Real archives, made with the
standard library: gzip, bz2, lzma, zipfile, tarfile.  Damaged copies are
made by flipping or cutting bytes, so readers must report errors.
"""
import bz2
import gzip
import io
import lzma
import os
import sys
import tarfile
import zipfile

src, out = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()


def put(name, blob):
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)


def gz(blob):
    return gzip.compress(blob, compresslevel=9, mtime=0)


put("small.jsonl", data)
put("small.jsonl.gz", gz(data))
put("small.jsonl.bz2", bz2.compress(data))
put("small.jsonl.xz", lzma.compress(data))
put("multi.jsonl.gz", gz(data) + gz(data))

# Archives whose first entry is a directory: the reader must skip it.
zb = io.BytesIO()
with zipfile.ZipFile(zb, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo("d/"), b"")
    z.writestr("d/small.jsonl", data)
    z.writestr("d/other.txt", b"not this one\n")
put("small.zip", zb.getvalue())

for mode, ext in (("w:gz", "tar.gz"), ("w:bz2", "tar.bz2"), ("w:xz", "tar.xz")):
    tb = io.BytesIO()
    with tarfile.open(fileobj=tb, mode=mode, format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo("d")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        t.addfile(d)
        i = tarfile.TarInfo("d/small.jsonl")
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    put("small." + ext, tb.getvalue())

# A text file in the layout of hellaswag_val_full.txt.bz2 (6 lines a task).
text = b"".join(b"Label %d: context %d\n%d\nend a\nend b\nend c\nend d\n"
                % (k, k, k % 4) for k in range(5))
put("tasks.txt.bz2", bz2.compress(text))
put("tasks.txt", text)

# Damaged copies.
big = data * 200
g = bytearray(gz(big))
for k in range(len(g) // 2, len(g) // 2 + 8):
    g[k] ^= 0x5A
put("corrupt.jsonl.gz", bytes(g))
put("trunc.jsonl.gz", gz(big)[: len(gz(big)) // 2])
put("notgz.jsonl.gz", data)
b = bytearray(bz2.compress(big))
for k in range(len(b) // 2, len(b) // 2 + 8):
    b[k] ^= 0x5A
put("corrupt.txt.bz2", bytes(b))
z = bytearray(zb.getvalue())
z[40:60] = b"\xff" * 20
put("corrupt.zip", bytes(z))
