"""--serve: qeval starts the model server with the preset's engine flags,
waits for /health, runs, records the cold start and stops the server;
a server that dies while loading is reported with its log.  The server
is tests/fake/vllm (QEVAL_VLLM), which serves the fake vLLM API."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import SRC, cleanup, done, ok, results, run, tmpdir

tmp = tmpdir()
try:
    d = os.path.join(tmp, "data", "gsm8k")
    os.makedirs(d)
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(20):
            f.write(json.dumps({"question": "q%d" % i,
                                "answer": "#### 0" if i < 5 else
                                "#### 1"}) + "\n")
    out = os.path.join(tmp, "out")
    env = {"QEVAL_DATA_DIR": os.path.join(tmp, "data"),
           "QEVAL_MANIFEST_DIR": "none",
           "QEVAL_VLLM": os.path.join(SRC, "tests", "fake", "vllm"),
           "FAKE_VLLM_ARGS": os.path.join(tmp, "args.json"),
           "FAKE_VLLM_PIDFILE": os.path.join(tmp, "pid"),
           "FAKE_VLLM_DELAY": "1"}
    rc, so, se = run(["--serve", "--model", "Qwen/Fake-7B", "--preset",
                      "performance", "--tasks", "gsm8k", "--num-fewshot",
                      "0", "--out", out, "--run-id", "s", "-q"], env=env)
    ok(rc == 0, "--serve run exits 0", se)
    args = json.load(open(env["FAKE_VLLM_ARGS"]))
    ok(args[:2] == ["serve", "Qwen/Fake-7B"], "vllm serve MODEL", args)
    flags = " ".join(args)
    ok("--gpu-memory-utilization 0.9" in flags and
       "--max-num-seqs 128" in flags and
       "--enable-prefix-caching" in flags and "--port" in flags,
       "the performance preset's engine flags", flags)
    if rc == 0:
        r = results(os.path.join(out, "s"))
        sv = r["system"].get("server") or {}
        ok(isinstance(sv.get("cold_start_s"), (int, float)) and
           sv["cold_start_s"] > 0, "cold start recorded (%s s)" %
           sv.get("cold_start_s"))
        ok(sv.get("command", "").startswith(env["QEVAL_VLLM"] + " serve "),
           "the server command is in results.json")
        ok(r["system"]["requests"] == 20 and
           r["tasks"][0]["metrics"][1]["value"] == 0.25,
           "the run used the server it started")
        ok(os.path.exists(os.path.join(out, "s", "server.log")),
           "the server's log is kept in the run directory")
        rep = open(os.path.join(out, "s", "report.md")).read()
        ok("**Server Cold Start:**" in rep and "started by qeval" in rep,
           "the report shows the cold start")
    pid = int(open(env["FAKE_VLLM_PIDFILE"]).read())
    gone = False
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            gone = True
            break
        time.sleep(0.1)
    ok(gone, "the server is stopped when qeval exits")

    env["FAKE_VLLM_FAIL"] = "1"
    rc, so, se = run(["--serve", "--model", "Qwen/Fake-7B", "--tasks",
                      "gsm8k", "--out", out, "-q"], env=env)
    ok(rc == 1 and "exited while loading" in se and
       "CUDA out of memory" in se,
       "a server dying while loading: exit 1 with its log's last lines",
       se)
    rc, so, se = run(["--serve", "--model", "m", "--endpoint",
                      "http://127.0.0.1:1/v1", "--tasks", "gsm8k"], env=env)
    ok(rc == 2, "--serve with --endpoint is a usage error", se)
finally:
    cleanup(tmp)
done()
