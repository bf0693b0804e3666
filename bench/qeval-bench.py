#!/usr/bin/env python3
"""bench/qeval-bench.py [N]: requests/s of the whole qeval binary (run
loop, GSM8K plugin, journal, samples file, streaming client) against the
fake vLLM server answering at once, at concurrency 1, 8 and 64, next to
the named peer measured in the same run against the same server: a Python
asyncio client (bench/http-peer.py) that only sends and parses (it does
not stream, so compare it with the "qeval" rows, run with --no-stream).
"busy %" is CPU time over wall time: a client below 100% is waiting for
the server, not the bottleneck.

Run from a build directory (or set QEVAL_BIN and QEVAL_SRCDIR).  The data
is a synthetic GSM8K-shaped set of N items (default 2000), read without
manifest checks.  The fake server is CPython and saturates first: the
"qeval CPU us/req" column is qeval's own cost per request.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
src = os.environ.get("QEVAL_SRCDIR", os.path.dirname(here))
qeval = os.environ.get("QEVAL_BIN", "./qeval")
py = os.environ.get("PYTHON3", sys.executable)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000

tmp = tempfile.mkdtemp(prefix="qeval-bench-")
srv = None
try:
    d = os.path.join(tmp, "data", "gsm8k")
    os.makedirs(d)
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(n):
            f.write(json.dumps({"question": "What is %d + %d?" % (i, i),
                                "answer": "#### %d" % (2 * i)}) + "\n")
    with open(os.path.join(d, "train.jsonl"), "w") as f:
        for i in range(40):
            f.write(json.dumps({"question": "q%d" % i,
                                "answer": "#### %d" % i}) + "\n")
    port_file = os.path.join(tmp, "port")
    srv = subprocess.Popen([py, os.path.join(src, "tests", "fake",
                                             "fakeserver.py"),
                            "--port", "0", "--port-file", port_file,
                            "--default-text", "#### 0"])
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.05)
    url = "http://127.0.0.1:%s/v1" % open(port_file).read().strip()
    env = dict(os.environ, QEVAL_DATA_DIR=os.path.join(tmp, "data"),
               QEVAL_MANIFEST_DIR="none")
    rows = []
    for c in (1, 8, 64):
        for name, extra in (("qeval stream", []),
                            ("qeval", ["--no-stream"])):
            out = os.path.join(tmp, "out%d%s" % (c, name[-1]))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            p = subprocess.run([qeval, "--model", "m", "--endpoint", url,
                                "--tasks", "gsm8k", "--num-fewshot", "0",
                                "--concurrency", str(c), "--out", out,
                                "--run-id", "b", "-q"] + extra, env=env,
                               capture_output=True, text=True)
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if p.returncode != 0:
                sys.exit("qeval failed: " + p.stderr)
            res = json.load(open(os.path.join(out, "b", "results.json")))
            reqs = res["system"]["requests"]
            cpu = (after.ru_utime - before.ru_utime +
                   after.ru_stime - before.ru_stime)
            rows.append((name, c, reqs, wall, reqs / wall,
                         1e6 * cpu / reqs, 100 * cpu / wall))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        peer = subprocess.run([py, os.path.join(here, "http-peer.py"),
                               url, str(n), str(c)], capture_output=True,
                              text=True).stdout.split()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime +
               after.ru_stime - before.ru_stime)
        rows.append(("python-asyncio", c, int(peer[3]), float(peer[4]),
                     float(peer[5]), float(peer[6]),
                     100 * cpu / float(peer[4])))
    print("fake server: tests/fake/fakeserver.py, %d requests a run, "
          "%d cores; qeval's wall time includes its start-up" %
          (n, os.cpu_count()))
    print("%-15s %5s %6s %8s %9s %11s %8s" % ("client", "conc", "ok",
                                               "seconds", "req/s",
                                               "CPU us/req", "busy %"))
    for r in rows:
        print("%-15s %5d %6d %8.2f %9.0f %11.1f %8.0f" % r)
    for c in (1, 8, 64):
        q = [r for r in rows if r[0] == "qeval" and r[1] == c][0]
        p = [r for r in rows if r[0] == "python-asyncio" and r[1] == c][0]
        print("concurrency %2d: qeval (no stream) / peer req/s %.2fx; "
              "qeval busy %.0f%% of one core" % (c, q[4] / p[4], q[6]))
finally:
    if srv is not None:
        srv.terminate()
        srv.wait()
    shutil.rmtree(tmp, ignore_errors=True)
