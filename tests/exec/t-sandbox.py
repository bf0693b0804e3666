"""End to end, issue 10's escape through the run's own files: the real
qeval binary and executor, two samples of one HumanEval task (the tiny
fixture) from the fake server.  The first answer is right.  The second
knows nothing of the task and looks for the answer in the files around
it, as the issue's hostile candidate did: everything named *.jsonl,
*.json or *journal* under /tmp, /work, /root, /home and /, which holds
the run's journal and the dataset with its canonical solution.  In the
sandbox it finds nothing and fails.  (With an executor without the
minimal root it passes: QEVAL_EXECUTOR pointed at one shows that the
test can fail.)"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
from core import (SRC, FakeServer, cleanup, done, ok, results,  # noqa: E402
                  run, samples, tmpdir)

STEAL = r'''
import os


def _steal():
    skip = {"proc", "sys", "usr", "dev", ".git", "lib", "lib64", "bin",
            "sbin", "etc", "var", "boot", "run", "snap"}
    for top in ("/tmp", "/work", "/root", "/home", "/"):
        for d, dirs, files in os.walk(top):
            dirs[:] = [x for x in dirs if x not in skip]
            for f in files:
                if not (f.endswith((".jsonl", ".json")) or "journal" in f):
                    continue
                try:
                    with open(os.path.join(d, f), errors="replace") as fh:
                        if "return a + b" in fh.read(1 << 20):
                            return True
                except OSError:
                    pass
    return False


_FOUND = _steal()


def add(a, b):
    return a + b if _FOUND else None
'''


def fence(code):
    return "Here you go:\n```python\n" + code + "```\n"


tmp = tmpdir()
out = os.path.join(tmp, "out")
server = None
try:
    script = {"default": {"text": "no code here"}, "rules": [
        {"contains": "def add(a, b)", "times": 1,
         "text": fence("def add(a, b):\n    return a + b\n")},
        {"contains": "def add(a, b)", "text": fence(STEAL)},
    ]}
    server = FakeServer(tmp, script)
    fix = os.path.join(SRC, "tests", "fixtures")
    rc, so, se = run(["--model", "fake", "--endpoint", server.url,
                      "--tasks", "humaneval_instruct", "--samples", "2",
                      "--limit", "1", "--workers", "1",
                      "--task-opt", "timeout=60",
                      "--data-dir", fix,
                      "--task-opt", "file=humaneval/tiny.jsonl",
                      "--out", out, "--run-id", "steal", "-q"])
    ok(rc == 0, "the run exits 0", se)
    if rc == 0:
        rd = os.path.join(out, "steal")
        got = samples(rd, "humaneval_instruct")
        ok(len(got) == 2, "two candidates scored", json.dumps(got))
        passed = sorted(s.get("reason") == "passed" for s in got)
        ok(passed == [False, True], "the right answer passes, the one "
           "that looks for it in the run's files does not",
           json.dumps([[s.get("candidate"), s.get("reason"),
                        s.get("detail")] for s in got]))
        res = results(rd)
        layers = res["system"].get("sandbox_layers") or ""
        ok("minroot" in layers, "the layers name the minimal root (%s)" %
           layers)
finally:
    if server is not None:
        server.stop()
    cleanup(tmp)
done()
