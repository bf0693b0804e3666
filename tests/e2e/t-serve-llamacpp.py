"""--serve --engine llama.cpp: qeval starts llama-server (here
tests/fake/llama-server through QEVAL_LLAMA_SERVER, which answers /health
503 "Loading model" for its first second as the real one does) with the
preset's flags mapped, waits for a 200, records the engine, the command
and the cold start, and stops it.  A model that is not a GGUF file and
--engine without --serve are usage errors; a missing llama-server names
QEVAL_LLAMA_SERVER.  tests/real/t-serve-llamacpp.py does the same with
the real llama-server."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import SRC, cleanup, done, ok, results, run, tmpdir

tmp = tmpdir()


def gone(pid):
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


try:
    d = os.path.join(tmp, "data", "gsm8k")
    os.makedirs(d)
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(4):
            f.write(json.dumps({"question": "q%d" % i,
                                "answer": "#### 0" if i < 2 else
                                "#### 1"}) + "\n")
    model = os.path.join(tmp, "tiny.gguf")
    with open(model, "wb") as f:
        f.write(b"GGUF\x03\x00\x00\x00" + b"\x00" * 32)
    notgguf = os.path.join(tmp, "model.bin")
    with open(notgguf, "wb") as f:
        f.write(b"PK\x03\x04")
    out = os.path.join(tmp, "out")
    fake = os.path.join(SRC, "tests", "fake", "llama-server")
    env = {"QEVAL_DATA_DIR": os.path.join(tmp, "data"),
           "QEVAL_MANIFEST_DIR": "none",
           "QEVAL_LLAMA_SERVER": fake,
           "FAKE_LLAMA_ARGS": os.path.join(tmp, "args.json"),
           "FAKE_LLAMA_PIDFILE": os.path.join(tmp, "pid")}
    base = ["--serve", "--engine", "llama.cpp", "--model", model,
            "--tasks", "gsm8k", "--num-fewshot", "0", "--out", out, "-q"]
    rc, so, se = run(base + ["--preset", "memory", "--run-id", "m"],
                     env=env)
    ok(rc == 0, "--serve --engine llama.cpp exits 0", se)
    args = json.load(open(env["FAKE_LLAMA_ARGS"]))
    flags = " ".join(args)
    ok(args[:2] == ["-m", model], "llama-server -m MODEL.gguf", args)
    ok("-np 32" in flags and "-c 1048576" in flags and
       "-ctk q8_0 -ctv q8_0 -fa on" in flags and
       "--no-cache-prompt" in flags and "--metrics" in flags and
       "--host 127.0.0.1" in flags,
       "the memory preset mapped: 32 slots of 32768, q8_0 KV, no prompt "
       "cache", flags)
    t = args[args.index("-t") + 1] if "-t" in args else None
    ok(t is not None and int(t) >= 1, "-t gives llama-server the CPUs "
       "qeval may use (%s)" % t)
    pid = int(open(env["FAKE_LLAMA_PIDFILE"]).read())
    ok(gone(pid), "the server is stopped when qeval exits")
    if rc == 0:
        r = results(os.path.join(out, "m"))
        sv = r["system"].get("server") or {}
        ok(sv.get("engine") == "llama.cpp", "results.json: engine "
           "llama.cpp", sv)
        ok(sv.get("command") == fake + " " + flags,
           "results.json: the exact command", sv.get("command"))
        ok(isinstance(sv.get("cold_start_s"), (int, float)) and
           sv["cold_start_s"] >= 1.0,
           "the cold start covers the 503 'Loading model' second "
           "(%s s)" % sv.get("cold_start_s"))
        ok(r["system"]["requests"] == 4 and
           r["tasks"][0]["metrics"][1]["value"] == 0.5,
           "the run used the server it started")

    rc, so, se = run(base + ["--preset", "performance", "--run-id", "p"],
                     env=env)
    flags = " ".join(json.load(open(env["FAKE_LLAMA_ARGS"])))
    ok(rc == 0 and "-np 128" in flags and "-c 4194304" in flags and
       "--cache-reuse 256" in flags and "q8_0" not in flags,
       "the performance preset mapped: 128 slots, cache reuse, f16 KV",
       se + flags)

    # a tracker over the two presets compares their cold starts
    trk = os.path.join(tmp, "tracker.md")
    rc, so, se = run(["report", os.path.join(out, "p"),
                      os.path.join(out, "m"), "-o", trk])
    rows = [ln for ln in open(trk).read().splitlines()
            if ln.startswith("| **Server Cold Start** |")] \
        if rc == 0 else []
    ok(len(rows) == 1 and rows[0].count(" s") >= 2 and "%)" in rows[0],
       "the tracker's comparison has a Server Cold Start row", se + str(rows))

    # --serve alone still starts vLLM (QEVAL_VLLM's fake records it)
    env2 = dict(env, QEVAL_VLLM=os.path.join(SRC, "tests", "fake", "vllm"),
                FAKE_VLLM_ARGS=os.path.join(tmp, "vargs.json"))
    rc, so, se = run(["--serve", "--model", "Qwen/Fake-7B", "--tasks",
                      "gsm8k", "--num-fewshot", "0", "--out", out,
                      "--run-id", "v", "-q"], env=env2)
    ok(rc == 0 and json.load(open(env2["FAKE_VLLM_ARGS"]))[0] == "serve",
       "--serve without --engine starts vllm serve", se)
    if rc == 0:
        ok(results(os.path.join(out, "v"))["system"]["server"]
           .get("engine") == "vllm", "results.json: engine vllm")

    # usage errors, before anything starts
    os.unlink(env["FAKE_LLAMA_ARGS"])
    rc, so, se = run(base[:4] + [notgguf] + base[5:], env=env)
    ok(rc == 2 and "not a GGUF file" in se and notgguf in se,
       "a model that is not GGUF: usage error naming the file", se)
    rc, so, se = run(base[:4] + [os.path.join(tmp, "none.gguf")] + base[5:],
                     env=env)
    ok(rc == 2 and "cannot open" in se, "a missing GGUF: usage error", se)
    ok(not os.path.exists(env["FAKE_LLAMA_ARGS"]),
       "nothing was started for them")
    rc, so, se = run(["--engine", "llama.cpp", "--model", model,
                      "--endpoint", "http://127.0.0.1:1/v1", "--tasks",
                      "gsm8k"], env=env)
    ok(rc == 2 and "add --serve" in se, "--engine without --serve: usage "
       "error", se)
    rc, so, se = run(base[:2] + ["sglang"] + base[3:], env=env)
    ok(rc == 2 and "vllm or llama.cpp" in se, "an unknown engine: usage "
       "error", se)
    rc, so, se = run(base + ["--run-id", "x"],
                     env=dict(env, QEVAL_LLAMA_SERVER=os.path.join(
                         tmp, "no-such-llama-server")))
    ok(rc == 1 and "QEVAL_LLAMA_SERVER" in se,
       "llama-server not found: exit 1 naming QEVAL_LLAMA_SERVER", se)
finally:
    cleanup(tmp)
done()
