"""The speed probe: fixed-length requests on one long prompt through the
fake server; the run's system figures are what it is for."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import FakeServer, cleanup, done, metric, ok, results, run, tmpdir

tmp = tmpdir()
srv = None
try:
    srv = FakeServer(tmp, {"default": {"text": "one two three four five "
                                       "six seven eight nine ten eleven "
                                       "twelve thirteen fourteen fifteen "
                                       "sixteen seventeen"}})
    out = os.path.join(tmp, "out")
    rc, so, se = run(["--model", "m", "--endpoint", srv.url, "--tasks",
                      "speed", "--task-opt", "samples=6", "--task-opt",
                      "max_tokens=16", "--task-opt", "prompt_words=300",
                      "--out", out, "--run-id", "s", "-q"])
    ok(rc == 0, "speed probe exits 0", se)
    bodies = [q["body"] for q in srv.requests()]
    ok(len(bodies) == 6, "one request per sample (%d)" % len(bodies))
    ok(all(b.get("ignore_eos") is True and b.get("min_tokens") == 16 and
           b.get("max_tokens") == 16 and b.get("stream") is True
           for b in bodies), "fixed-length, streamed requests")
    ok(len(set(b["messages"][0]["content"] for b in bodies)) == 1 and
       len(bodies[0]["messages"][0]["content"].split()) > 300,
       "the same long prompt every time")
    if rc == 0:
        r = results(os.path.join(out, "s"))
        ok(metric(r, "speed", "completed") == 1.0, "every request "
           "produced text")
        sysm = r["system"]
        ok(sysm["output_tokens_per_s"] is not None and
           sysm["ttft_s"] is not None and sysm["tpot_s"] is not None,
           "throughput, time to first token and time per output token "
           "measured")
        rep = open(os.path.join(out, "s", "report.md")).read()
        ok("Time per Output Token" in rep and "Speed probe" in rep,
           "the report shows the speed figures")
    rc, so, se = run(["--model", "m", "--endpoint", srv.url, "--tasks",
                      "speed", "--task-opt", "max_tokens=zero", "--out",
                      out])
    ok(rc != 0 and "max_tokens=zero" in se, "a bad option is named", se)
finally:
    if srv:
        srv.stop()
    cleanup(tmp)
done()
