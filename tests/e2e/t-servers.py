#!/usr/bin/env python3
"""Servers other than vLLM, through the real qeval binary and the fake
server's llama.cpp flavor: the server's kind and its /metrics names, the
model check against GET /v1/models, a response that names another model,
--api honoured or refused per task, a server that is not there, and a
server error that repeats itself."""

import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (QEVAL, FakeServer, cleanup, done, ok, results, run,
                  tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
servers = []


def preset(retries=2):
    p = {"name": "fast", "client": {"concurrency": 4, "timeout_s": 20,
                                    "retries": retries,
                                    "backoff_base_s": 0.05,
                                    "backoff_max_s": 0.1}}
    path = os.path.join(tmp, "fast%d.json" % retries)
    with open(path, "w") as f:
        json.dump(p, f)
    return path


def gsm8k_data():
    d = os.path.join(tmp, "data", "gsm8k")
    os.makedirs(d)
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(12):
            f.write(json.dumps({"question": "What is %d plus 1?" % i,
                                "answer": "#### %d" % (i + 1)}) + "\n")
    with open(os.path.join(d, "train.jsonl"), "w") as f:
        for i in range(8):
            f.write(json.dumps({"question": "Train %d?" % i,
                                "answer": "#### %d" % i}) + "\n")
    return {"QEVAL_DATA_DIR": os.path.join(tmp, "data"),
            "QEVAL_MANIFEST_DIR": "none"}


def qeval(srv_url, model, run_id, extra=(), retries=2, env=None):
    """A gsm8k run, not quiet: the console's warnings are checked."""
    args = ["--model", model, "--endpoint", srv_url, "--tasks", "gsm8k",
            "--limit", "12", "--out", out, "--run-id", run_id,
            "--no-progress", "--preset-file", preset(retries)] + \
        list(extra)
    return run(args, env=env)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


try:
    env = gsm8k_data()
    llama = FakeServer(tmp, {"default": {"text": "#### 3"}},
                       ["--flavor", "llamacpp", "--model", "tiny",
                        "--also-model", "alias2"])
    servers.append(llama)

    # -- llama.cpp's /metrics and its kind --------------------------------
    rc, so, se = qeval(llama.url, "tiny", "ll", env=env)
    ok(rc == 0, "a run against the llama.cpp flavor exits 0", se)
    r = results(os.path.join(out, "ll")) if rc == 0 else {}
    sysm = r.get("system", {})
    sm = sysm.get("server_metrics") or {}
    ms = r.get("model_server") or {}
    ok(ms.get("kind") == "llama.cpp" and ms.get("kind_from") == "/metrics"
       and sm.get("server_kind") == "llama.cpp",
       "the server's kind is llama.cpp, told by its /metrics (%s)" % ms)
    ok(sm.get("prompt_tokens") == sysm.get("prompt_tokens") and
       sm.get("generation_tokens") == sysm.get("completion_tokens") and
       sysm.get("prompt_tokens", 0) > 0,
       "llamacpp: counters equal the usage qeval counted (%s/%s prompt, "
       "%s/%s generated)" % (sm.get("prompt_tokens"),
                             sysm.get("prompt_tokens"),
                             sm.get("generation_tokens"),
                             sysm.get("completion_tokens")))
    cached = sysm.get("prompt_tokens_cached")
    ok(cached is not None and cached > 0 and
       cached == sm.get("prompt_tokens_cached"),
       "cached prompt tokens: the usage's cached_tokens equal "
       "llamacpp:prompt_tokens_cached_total (%s)" % cached)
    wall = sysm.get("wall_s") or 0
    itps = sysm.get("input_tokens_per_s")
    ok(itps is not None and wall > 0 and
       abs(itps * wall - (sysm["prompt_tokens"] - cached)) < 1e-6 *
       max(1, sysm["prompt_tokens"]),
       "input throughput counts the processed prompt tokens only")
    rep = open(os.path.join(out, "ll", "report.md")).read() if rc == 0 \
        else ""
    ok("**Model Server:** llama.cpp" in rep and
       "served from the prefix cache" in rep and
       "requests running peak" in rep,
       "the report names the server and shows the cached tokens apart")
    ok(r.get("tasks", [{}])[0].get("api") == "chat",
       "results.json records the task's API (chat)")
    lm = ms.get("listed_models") or []
    ok(lm[:1] == ["tiny"] and "alias2" in lm and
       ms.get("response_models") == ["tiny"],
       "results.json records the listed and the answered model names")
    ok("Model Name" not in rep and "responses name" not in se,
       "no model-name warning when the names agree")

    # -- a --model the server does not list ------------------------------
    before = len(llama.requests())
    rc, so, se = qeval(llama.url, "Qwen/Qwen2.5-7B-Instruct", "qwen",
                       env=env)
    ok(rc == 2 and "'Qwen/Qwen2.5-7B-Instruct' is not served" in se and
       "it serves: tiny, " in se and "alias2" in se,
       "an unlisted --model is a usage error that shows the list", se)
    ok(len(llama.requests()) == before and
       not os.path.exists(os.path.join(out, "qwen")),
       "nothing was asked and no run directory made")

    # -- a listed name the server answers under another -------------------
    rc, so, se = qeval(llama.url, "alias2", "alias", env=env)
    r = results(os.path.join(out, "alias")) if rc == 0 else {}
    ms = r.get("model_server") or {}
    ok(rc == 0 and r.get("model") == "alias2" and
       ms.get("response_models") == ["tiny"],
       "results.json records both names (asked alias2, answered %s)" %
       ms.get("response_models"), se)
    rep = open(os.path.join(out, "alias", "report.md")).read() \
        if rc == 0 else ""
    ok("⚠️ **Model Name:** asked for `alias2`; the server's responses "
       "name `tiny`" in rep and "responses name 'tiny'" in se,
       "the report and the console warn")

    # -- rescore keeps what only the run saw of its server ----------------
    before = len(llama.requests())
    rc, so, se = run(["rescore", os.path.join(out, "alias"), "-q"],
                     env=env)
    r2 = results(os.path.join(out, "alias")) if rc == 0 else {}
    ok(rc == 0 and ms.get("kind") == "llama.cpp" and
       r2.get("model_server") == ms,
       "rescore keeps the run's model_server (%s)" %
       r2.get("model_server"), se)
    ok(len(llama.requests()) == before,
       "and asks the server nothing")
    rep = open(os.path.join(out, "alias", "report.md")).read() \
        if rc == 0 else ""
    ok("**Model Server:** llama.cpp" in rep and
       "the server's responses name `tiny`" in rep,
       "the rescored report still names the server and warns")

    # -- merge: shards that ran against different kinds of server ---------
    vl = FakeServer(tmp, {"default": {"text": "#### 3"}},
                    ["--model", "alias2"])
    servers.append(vl)
    rc1, so, se1 = qeval(llama.url, "alias2", "sh1", ["--shard", "1/2"],
                         env=env)
    rc2, so, se2 = qeval(vl.url, "alias2", "sh2", ["--shard", "2/2"],
                         env=env)
    m1 = (results(os.path.join(out, "sh1")) if rc1 == 0 else
          {}).get("model_server") or {}
    m2 = (results(os.path.join(out, "sh2")) if rc2 == 0 else
          {}).get("model_server") or {}
    ok(rc1 == 0 and rc2 == 0 and m1.get("kind") == "llama.cpp" and
       m2.get("kind") == "vllm" and m1.get("response_models") == ["tiny"],
       "two shards, on llama.cpp and on vLLM (%s, %s)" % (m1, m2),
       se1 + se2)
    rc, so, se = run(["merge", os.path.join(out, "sh2"),
                      os.path.join(out, "sh1"), "--out", out, "--run-id",
                      "shm", "-q"], env=env)
    mr = results(os.path.join(out, "shm")) if rc == 0 else {}
    mm = mr.get("model_server") or {}
    union = m1.get("response_models", []) + [
        x for x in m2.get("response_models", []) if x not in
        m1.get("response_models", [])]
    ok(rc == 0 and "warning: shard sh2 ran against a vllm server, the "
       "first one against llama.cpp" in se,
       "merge warns that the shards' server kinds differ", se)
    ok(mm.get("kind") == "llama.cpp" and
       mm.get("listed_models") == m1.get("listed_models") and
       mm.get("response_models") == union and len(union) == 2,
       "merged model_server: the first shard's kind and list, every "
       "shard's response models (%s)" % mm)
    ok([(x.get("index"), x.get("count"), x.get("run_id")) for x in
        mr.get("shards", [])] == [(0, 2, "sh1"), (1, 2, "sh2")],
       "merged shards: one row per shard, in index order",
       json.dumps(mr.get("shards")))

    # -- --api honoured or refused, before any request --------------------
    before = len(llama.requests())
    rc, so, se = run(["--model", "tiny", "--endpoint", llama.url,
                      "--tasks", "mbpp", "--api", "chat", "--out", out,
                      "--run-id", "mbppchat", "-q"], env=env)
    ok(rc != 0 and "task 'mbpp' sends text completions" in se and
       "mbpp_instruct" in se,
       "--api chat is refused for mbpp, naming the tasks that can", se)
    rc2, so, se2 = run(["--model", "tiny", "--endpoint", llama.url,
                        "--tasks", "humaneval_instruct", "--api",
                        "completions", "--out", out, "--run-id", "hecmp",
                        "-q"], env=env)
    ok(rc2 != 0 and "task 'humaneval_instruct' needs a chat endpoint" in
       se2, "--api completions is refused for humaneval_instruct", se2)
    rc3, so, se3 = run(["--model", "tiny", "--endpoint", llama.url,
                        "--tasks", "arc_challenge", "--api", "chat",
                        "--out", out, "--run-id", "arcchat", "-q"],
                       env=env)
    ok(rc3 != 0 and "log-likelihood requests" in se3 and
       "arc_challenge_gen" in se3,
       "--api chat is refused for arc_challenge", se3)
    ok(len(llama.requests()) == before, "no request was sent for them")
    rc, so, se = qeval(llama.url, "tiny", "cmpl",
                       extra=["--api", "completions"], env=env)
    r = results(os.path.join(out, "cmpl")) if rc == 0 else {}
    paths = set(q["path"] for q in llama.requests()[before:])
    ok(rc == 0 and r.get("api") == "completions" and
       r["tasks"][0].get("api") == "completions" and
       paths == {"/v1/completions"},
       "--api completions is honoured by gsm8k and recorded (%s)" % paths,
       se)

    # -- a server without GET /v1/models: not checked, with a warning -----
    nolist = FakeServer(tmp, {"default": {"text": "#### 3"}},
                        ["--no-models"])
    servers.append(nolist)
    rc, so, se = qeval(nolist.url, "anything", "nolist", env=env)
    r = results(os.path.join(out, "nolist")) if rc == 0 else {}
    ok(rc == 0 and "GET /models gave HTTP 404" in se and
       "is not checked" in se and
       (r.get("model_server") or {}).get("listed_models", 0) is None,
       "no model list: the run goes on, says the name is not checked and "
       "records no list", se)

    # -- nothing listens -------------------------------------------------
    url = "http://127.0.0.1:%d/v1" % free_port()
    rc, so, se = qeval(url, "tiny", "down", env=env)
    ok(rc == 1 and "cannot reach" in se and "vllm serve" in se and
       not os.path.exists(os.path.join(out, "down")),
       "nothing listening: exit 1 with the hint, no run directory", se)

    # -- a server error that says the same every time --------------------
    jinja = FakeServer(tmp, {"default": {
        "status": 500, "message": "tools param requires --jinja flag"}},
        ["--flavor", "llamacpp", "--model", "tiny"])
    servers.append(jinja)
    rc, so, se = qeval(jinja.url, "tiny", "jinja", retries=5, env=env)
    n = len(jinja.requests())
    ok(rc == 1 and se.count("tools param requires --jinja flag") == 1,
       "the repeated error is reported once", se)
    ok(n < 12 + 4 * 5,
       "it is not retried per sample (%d requests for 12 samples, not "
       "72)" % n)
    ok("more failed sample" in se, "the console says how many were not "
       "shown")

    # -- the server dies mid-run; --resume on a new one -------------------
    dying = FakeServer(tmp, {"rules": [
        {"contains": "What is", "times": 6, "text": "#### 1"},
        {"contains": "What is", "hang": True, "hang_s": 60}]},
        ["--flavor", "llamacpp", "--model", "tiny"])
    servers.append(dying)
    args = ["--model", "tiny", "--endpoint", dying.url, "--tasks",
            "gsm8k", "--limit", "12", "--out", out, "--run-id", "dies",
            "--no-progress", "--preset-file", preset(2)]
    p = subprocess.Popen([QEVAL] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, **env))
    sfile = os.path.join(out, "dies", "samples", "gsm8k.jsonl")
    for _ in range(600):
        if os.path.exists(sfile) and sum(1 for _ in open(sfile)) >= 6 \
                and len(dying.requests()) >= 10:
            break
        time.sleep(0.05)
    dying.proc.kill()
    dying.proc.wait()
    so, se = p.communicate(timeout=120)
    ok(p.returncode == 1 and "--resume" in se and
       "cannot reach" in se,
       "a server killed mid-run ends the run with the resume hint", se)
    again = FakeServer(tmp, {"default": {"text": "#### 1"}},
                       ["--flavor", "llamacpp", "--model", "tiny",
                        "--port", str(dying.port)])
    servers.append(again)
    rc, so, se = run(args + ["--resume"], env=env)
    r = results(os.path.join(out, "dies")) if rc == 0 else {}
    t = (r.get("tasks") or [{}])[0]
    ok(rc == 0 and t.get("scored") == 12 and
       len(again.requests()) == 6,
       "--resume completes it, asking only the 6 missing (%d asked)" %
       len(again.requests()), se)
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
