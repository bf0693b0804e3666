#!/usr/bin/env python3
"""The real-server suite: the qeval binary against llama.cpp's
llama-server with the tiny random-weight model (tests/real/llamaserver.py
starts it; scripts/build-llama-server builds it).  `make check-real`.

Checks, through the binary:
  - a multi-task run (gsm8k, humaneval_instruct, mtbench with the same
    server as judge) whose token totals equal the server's /metrics
    counters, with the server's kind recorded;
  - the log-likelihood probe's refusal for ARC and HellaSwag;
  - the model-name check against GET /v1/models;
  - a server stopped mid-run (SIGTERM: llama-server keeps queued
    requests open and silent) ending the run in well under the request
    timeout with the resume hint, and --resume completing it.

Without the binary, the model or the data every check SKIPs with the
reason.  Scores are about 0 (random weights): only behaviour is checked.
"""

import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from core import (DATA, QEVAL, cleanup, done, ok, results, run, samples,
                  skip, tmpdir)
import llamaserver

CHECKS = [
    "multi-task run exits 0", "every sample of every task scored",
    "the server's kind is llama.cpp", "prompt tokens equal /metrics",
    "completion tokens equal /metrics", "qeval's own /metrics reading",
    "model and judge tokens split",
    "ARC refused by the probe", "HellaSwag refused by the probe",
    "unlisted model: usage error",
    "stopped server: the run ends", "stopped server: well before timeout",
    "stopped server: resume hint", "resume completes the run",
    "resume asked only what was missing",
]

tmp = tmpdir()
out = os.path.join(tmp, "out")
servers = []


def preset(name, concurrency=4, timeout=600, retries=5):
    p = {"name": name, "client": {"concurrency": concurrency,
                                  "timeout_s": timeout, "retries": retries,
                                  "backoff_base_s": 0.5,
                                  "backoff_max_s": 8}}
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(p, f)
    return path


def exchanges(run_dir, task):
    for s in samples(run_dir, task):
        for x in s.get("exchanges", []):
            yield x


def skip_all(why, first=0):
    for c in CHECKS[first:]:
        skip("%s: %s" % (c, why))


try:
    binary, why = llamaserver.find()
    if binary is None:
        skip_all(why)
        raise SystemExit
    if not DATA:
        skip_all("QEVAL_DATA_DIR not set (the suite runs real tasks)")
        raise SystemExit
    srv = llamaserver.LlamaServer(tmp, binary, slots=4)
    servers.append(srv)
    try:
        srv.start()
    except RuntimeError as e:
        skip_all("llama-server did not start: %s" % e)
        raise SystemExit

    # -- a multi-task run; the same server judges MT-Bench ---------------
    m0 = srv.metrics()
    tasks = ["gsm8k", "humaneval_instruct", "mtbench"]
    rc, so, se = run(["--model", "tiny", "--endpoint", srv.url,
                      "--judge-endpoint", srv.url, "--judge-model", "tiny",
                      "--tasks", ",".join(tasks), "--limit", "4",
                      "--max-tokens", "48", "--out", out, "--run-id",
                      "multi", "--no-progress", "--preset-file",
                      preset("multi")], timeout=600)
    m1 = srv.metrics()
    ok(rc == 0, CHECKS[0], se)
    rd = os.path.join(out, "multi")
    r = results(rd) if os.path.exists(os.path.join(rd, "results.json")) \
        else {}
    ok(len(r.get("tasks", [])) == 3 and
       all(t["scored"] == t["samples"] == 4 for t in r["tasks"]),
       CHECKS[1])
    ms = r.get("model_server") or {}
    ok(ms.get("kind") == "llama.cpp" and ms.get("kind_from") == "/metrics"
       and ms.get("listed_models") == ["tiny"],
       "%s (%s)" % (CHECKS[2], ms))

    def delta(name):
        return m1.get(name, 0) - m0.get(name, 0)
    # every exchange with the server: the model's and the judge's
    pt = ct = mpt = 0
    for t in tasks:
        if not os.path.exists(os.path.join(rd, "samples", t + ".jsonl")):
            continue
        for x in exchanges(rd, t):
            resp = x.get("response") or {}
            pt += resp.get("prompt_tokens", 0)
            ct += resp.get("completion_tokens", 0)
            if x.get("target") == "model":
                mpt += resp.get("prompt_tokens", 0)
    srv_pt = delta("llamacpp:prompt_tokens_total") + \
        delta("llamacpp:prompt_tokens_cached_total")
    ok(pt > 0 and pt == srv_pt,
       "%s: responses' usage %d, server processed+cached %d (%d cached)"
       % (CHECKS[3], pt, srv_pt,
          delta("llamacpp:prompt_tokens_cached_total")))
    ok(ct > 0 and ct == delta("llamacpp:tokens_predicted_total"),
       "%s: %d vs %d" % (CHECKS[4], ct,
                         delta("llamacpp:tokens_predicted_total")))
    sm = (r.get("system") or {}).get("server_metrics") or {}
    ok(sm.get("prompt_tokens") == srv_pt and
       sm.get("generation_tokens") == ct,
       "%s: results.json says %s prompt, %s generated" %
       (CHECKS[5], sm.get("prompt_tokens"), sm.get("generation_tokens")))
    ok((r.get("system") or {}).get("prompt_tokens") == mpt and mpt < pt,
       "%s: system.prompt_tokens %s = the model's %d (judge's apart)" %
       (CHECKS[6], (r.get("system") or {}).get("prompt_tokens"), mpt))

    # -- prompt log-probabilities: llama.cpp has none --------------------
    for i, task in enumerate(("arc_challenge", "hellaswag")):
        rc, so, se = run(["--model", "tiny", "--endpoint", srv.url,
                          "--tasks", task, "--limit", "2", "--out", out,
                          "--run-id", "ll-" + task, "--no-progress"])
        ok(rc == 1 and task + "_gen" in se and
           not os.path.exists(os.path.join(out, "ll-" + task,
                                           "results.json")),
           "%s: exit 1, pointing at %s_gen" % (CHECKS[7 + i], task), se)

    # -- the model name ---------------------------------------------------
    rc, so, se = run(["--model", "Qwen/Qwen2.5-7B-Instruct", "--endpoint",
                      srv.url, "--tasks", "gsm8k", "--limit", "2", "--out",
                      out, "--run-id", "qwen", "--no-progress"])
    ok(rc == 2 and "it serves: tiny" in se, CHECKS[9], se)
    srv.stop()

    # -- a server stopped mid-run, then --resume ---------------------------
    # 2 slots and 6 requests in flight: 4 wait inside the server, which
    # after SIGTERM refuses new connections and leaves them silent.
    srv2 = llamaserver.LlamaServer(tmp, binary, slots=2)
    servers.append(srv2)
    srv2.start()
    n = 60
    args = ["--model", "tiny", "--endpoint", srv2.url, "--tasks", "gsm8k",
            "--limit", str(n), "--max-tokens", "256", "--out", out,
            "--run-id", "stop", "--no-progress", "--preset-file",
            preset("stop", concurrency=6)]
    t0 = time.time()
    p = subprocess.Popen([QEVAL] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    sfile = os.path.join(out, "stop", "samples", "gsm8k.jsonl")
    while time.time() - t0 < 120 and p.poll() is None:
        if os.path.exists(sfile) and \
                sum(1 for _ in open(sfile)) >= 6:
            break
        time.sleep(0.05)
    t_stop = time.time()
    srv2.signal(signal.SIGTERM)
    try:
        so, se = p.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        p.kill()
        so, se = p.communicate()
    took = time.time() - t_stop
    ok(p.returncode == 1, "%s (exit %s)" % (CHECKS[10], p.returncode), se)
    ok(took < 120, "%s: %.0f s after SIGTERM (the request timeout is "
       "600 s)" % (CHECKS[11], took))
    ok("--resume" in se, CHECKS[12], se)
    srv2.kill()                   # it lingers while clients wait
    done_before = 0
    if os.path.exists(sfile):
        done_before = sum(1 for line in open(sfile)
                          if '"error"' not in line)
    srv3 = llamaserver.LlamaServer(tmp, binary, slots=2, port=srv2.port)
    servers.append(srv3)
    srv3.start()
    rc, so, se = run(args + ["--resume"], timeout=600)
    r = results(os.path.join(out, "stop")) if rc == 0 else {}
    t = (r.get("tasks") or [{}])[0]
    ok(rc == 0 and t.get("scored") == n and t.get("errors") == 0,
       "%s (%s scored)" % (CHECKS[13], t.get("scored")), se)
    reqs = (r.get("system") or {}).get("requests")
    ok(reqs is not None and 0 < done_before < n and
       reqs <= n - done_before,
       "%s (%s requests; %d samples were done before)" %
       (CHECKS[14], reqs, done_before))
except SystemExit:
    pass
finally:
    for s in servers:
        try:
            s.kill()
        except Exception:
            pass
    cleanup(tmp)
done()
