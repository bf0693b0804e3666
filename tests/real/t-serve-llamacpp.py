"""--serve --engine llama.cpp against the real llama-server: for each
preset (QEVAL_REAL_PRESETS, default "memory,balanced,performance") qeval
starts llama-server on the tiny random model
(../shared/peers/llamacpp/tiny-random-chatml.gguf, or QEVAL_TINY_GGUF),
runs gsm8k --limit 5 against it and stops it.  Checks: exit 0, the
recorded command is llama-server's with the preset's flags, the cold
start, every sample answered, tokens counted, and no llama-server
process left on that port afterwards.  Then --samples 4 gives
candidates that differ (llama-server honours each candidate's seed).

The binary: QEVAL_LLAMA_SERVER, else /var/cache/qeval/llama/bin/
llama-server (where ../shared/peers/llamacpp/build.sh is run to), else
llama-server on PATH; without one every check is skipped.  Run by
`make check-real`, or alone:
  QEVAL_BIN=./qeval QEVAL_SRCDIR=. python3 tests/real/t-serve-llamacpp.py
"""

import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from core import DATA, SRC, cleanup, done, ok, results, run, skip, tmpdir

PEERS = os.path.join(os.path.abspath(SRC), "..", "shared", "peers",
                     "llamacpp")


def find_server():
    for p in (os.environ.get("QEVAL_LLAMA_SERVER"),
              "/var/cache/qeval/llama/bin/llama-server",
              shutil.which("llama-server")):
        if p and os.access(p, os.X_OK):
            return p
    return None


def procs_on_port(port):
    """Process ids whose command line is llama-server's on this port."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if (argv and b"llama-server" in argv[0] and b"--port" in argv and
                argv.index(b"--port") + 1 < len(argv) and
                argv[argv.index(b"--port") + 1] == str(port).encode()):
            found.append(int(pid))
    return found


EXPECT = {
    # the tiny model's heads (16) are no multiple of q8_0's blocks (32),
    # so its KV cache stays f16 (docs/PRESETS.md)
    "memory": ["-np 32", "-c 1048576", "--no-cache-prompt"],
    "balanced": ["-np 64", "-c 2097152", "--cache-reuse 256"],
    "performance": ["-np 128", "-c 4194304", "--cache-reuse 256"],
}

server = find_server()
model = os.environ.get("QEVAL_TINY_GGUF") or os.path.join(
    PEERS, "tiny-random-chatml.gguf")
presets = [p for p in os.environ.get("QEVAL_REAL_PRESETS",
                                     "memory,balanced,performance")
           .split(",") if p]
tmp = tmpdir()
try:
    if server is None or not os.path.exists(model):
        skip("no llama-server (QEVAL_LLAMA_SERVER) or no tiny model")
        done()
    env = {"QEVAL_LLAMA_SERVER": server}
    if DATA is None:
        d = os.path.join(tmp, "data", "gsm8k")
        os.makedirs(d)
        with open(os.path.join(d, "test.jsonl"), "w") as f:
            for i in range(5):
                f.write(json.dumps({"question": "What is %d + 1?" % i,
                                    "answer": "#### %d" % (i + 1)}) + "\n")
        env.update(QEVAL_DATA_DIR=os.path.join(tmp, "data"),
                   QEVAL_MANIFEST_DIR="none")
    out = os.environ.get("QEVAL_REAL_OUT") or os.path.join(tmp, "out")
    for preset in presets:
        rid = "llamacpp-" + preset
        rc, so, se = run(["--serve", "--engine", "llama.cpp", "--model",
                          model, "--preset", preset, "--tasks", "gsm8k",
                          "--limit", "5", "--out", out, "--run-id", rid,
                          "-q"], env=env, timeout=900)
        ok(rc == 0, "%s: --serve --engine llama.cpp exits 0" % preset, se)
        if rc != 0:
            continue
        r = results(os.path.join(out, rid))
        sv = r["system"].get("server") or {}
        cmd = sv.get("command", "")
        ok(sv.get("engine") == "llama.cpp" and
           cmd.startswith(server + " -m " + model + " ") and
           all(f in cmd for f in EXPECT.get(preset, [])),
           "%s: results.json records the llama-server command" % preset,
           cmd)
        ok(isinstance(sv.get("cold_start_s"), (int, float)) and
           sv["cold_start_s"] > 0,
           "%s: cold start recorded (%s s)" % (preset,
                                               sv.get("cold_start_s")))
        t = r["tasks"][0]
        ok(t["samples"] == 5 and t["scored"] == 5 and t["errors"] == 0,
           "%s: 5 samples scored" % preset, json.dumps(t)[:300])
        ok((r["system"].get("completion_tokens") or 0) > 0,
           "%s: tokens counted" % preset)
        port = cmd.split(" --port ")[1].split(" ")[0] if " --port " in \
            cmd else None
        left = procs_on_port(port) if port else ["?"]
        for _ in range(20):
            if not left:
                break
            time.sleep(0.1)
            left = procs_on_port(port)
        ok(not left, "%s: no llama-server left on port %s" % (preset, port),
           left)
        ok(os.path.exists(os.path.join(out, rid, "server.log")),
           "%s: the server's log is kept with the run" % preset)

    # --samples 4: llama-server honours seed, so the candidates differ
    rc, so, se = run(["--serve", "--engine", "llama.cpp", "--model", model,
                      "--preset", presets[0], "--tasks", "gsm8k",
                      "--limit", "3", "--samples", "4", "--out", out,
                      "--run-id", "llamacpp-samples4", "-q"], env=env,
                     timeout=900)
    ok(rc == 0, "--samples 4 on llama-server exits 0", se)
    if rc == 0:
        t = results(os.path.join(out, "llamacpp-samples4"))["tasks"][0]
        ok(t.get("identical_candidates") is not None and
           t["identical_candidates"] < 0.5 and
           t.get("sampling_temperature") == 0.8,
           "--samples 4: candidates differ at 0.8 (identical share %s)" %
           t.get("identical_candidates"), json.dumps(t)[:300])
finally:
    cleanup(tmp)
done()
