"""End to end on GSM8K with the real qeval binary: the reference model
(gold and corrupted) on the full test set, a run against the fake vLLM
server, a run killed with SIGKILL and resumed, rescore, a server that is
down, injected server errors, and usage errors.

With QEVAL_DATA_DIR the real GSM8K files are used; without it, a
synthetic GSM8K-shaped set made here (read unverified)."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (DATA, FakeServer, QEVAL, bail, cleanup, done, last_user,
                  metric, ok, results, run, samples, skip, tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
servers = []


def fast_preset(name="fast", retries=2, concurrency=4):
    """A preset with short timeouts so failure paths stay quick."""
    p = {"name": name, "client": {"concurrency": concurrency,
                                  "timeout_s": 20, "retries": retries,
                                  "backoff_base_s": 0.05,
                                  "backoff_max_s": 0.2}}
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(p, f)
    return path


def load_items():
    """(data dir, env, [(question, gold number)]) for the run tests."""
    if DATA:
        items = []
        with open(os.path.join(DATA, "gsm8k", "test.jsonl")) as f:
            for line in f:
                d = json.loads(line)
                items.append((d["question"],
                              d["answer"].split("####")[-1].strip()))
        return DATA, {}, items
    d = os.path.join(tmp, "data", "gsm8k")
    os.makedirs(d)
    items = []
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(120):
            q = "Synthetic question %d: what is %d times 3?" % (i, i)
            items.append((q, str(3 * i)))
            f.write(json.dumps({"question": q, "answer":
                                "%d * 3 = %d\n#### %d" % (i, 3 * i, 3 * i)})
                    + "\n")
    with open(os.path.join(d, "train.jsonl"), "w") as f:
        for i in range(40):
            f.write(json.dumps({"question": "Train %d plus %d?" % (i, i),
                                "answer": "#### %d" % (2 * i)}) + "\n")
    return os.path.join(tmp, "data"), {"QEVAL_MANIFEST_DIR": "none"}, items


def script_for(items, n):
    """Right answers for even items, wrong for odd ones."""
    rules = []
    for i, (q, gold) in enumerate(items[:n]):
        ans = gold if i % 2 == 0 else gold + "1"
        rules.append({"contains": "Question: " + q + "\nAnswer:",
                      "text": "Let me think.\n#### " + ans})
    return {"rules": rules, "default": {"text": "no idea"}}


try:
    # -- the reference model on the whole test set ----------------------
    if DATA:
        rc, so, se = run(["--model", "reference", "--tasks", "gsm8k",
                          "--out", out, "--run-id", "ref", "-q"])
        ok(rc == 0, "reference model run exits 0", se)
        if rc == 0:
            r = results(os.path.join(out, "ref"))
            t = r["tasks"][0]
            ok(t["samples"] == 1319 and t["scored"] == 1319,
               "reference: 1319 samples scored")
            ok(metric(r, "gsm8k", "exact_match,strict-match") == 1.0 and
               metric(r, "gsm8k", "exact_match,flexible-extract") == 1.0,
               "reference: 100% on strict-match and flexible-extract")
            ok(len(samples(os.path.join(out, "ref"), "gsm8k")) == 1319,
               "samples/gsm8k.jsonl has one line per sample")
            rep = open(os.path.join(out, "ref", "report.md")).read()
            ok("GSM8K" in rep and "Dataset Evaluation Results" in rep,
               "report.md written with the results table")
        rc, so, se = run(["--model", "reference:corrupt", "--tasks",
                          "gsm8k", "--out", out, "--run-id", "bad", "-q"])
        ok(rc == 0, "corrupted reference run exits 0", se)
        if rc == 0:
            r = results(os.path.join(out, "bad"))
            ok(metric(r, "gsm8k", "exact_match,strict-match") == 0.0 and
               metric(r, "gsm8k", "exact_match,flexible-extract") == 0.0,
               "corrupted answers: 0% on both filters")
    else:
        for _ in range(6):
            skip("QEVAL_DATA_DIR not set: full-set reference run")

    data, env, items = load_items()
    n = 120
    secret = "sk-test-do-not-leak-4242"
    env = dict(env, QEVAL_API_KEY=secret, QEVAL_DATA_DIR=data)
    expect = sum(1 for i in range(n) if i % 2 == 0) / n

    # -- a run against the fake server -----------------------------------
    srv = FakeServer(tmp, script_for(items, n))
    servers.append(srv)
    rc, so, se = run(["--model", "fake-model", "--endpoint", srv.url,
                      "--tasks", "gsm8k", "--limit", str(n), "--out", out,
                      "--run-id", "fake", "-q", "--preset-file",
                      fast_preset(concurrency=8)], env=env)
    ok(rc == 0, "run against the fake server exits 0", se)
    r = results(os.path.join(out, "fake")) if rc == 0 else None
    if r:
        ok(abs(metric(r, "gsm8k", "exact_match,strict-match") - expect)
           < 1e-9, "strict-match = share of right answers (%g)" % expect)
        ok(abs(metric(r, "gsm8k", "exact_match,flexible-extract") -
               expect) < 1e-9, "flexible-extract agrees")
        sysm = r["system"]
        ok(sysm["requests"] == n, "one request per sample (%s)" %
           sysm["requests"])
        ok(sysm["latency_s"] is not None and sysm["latency_s"]["n"] == n,
           "latency measured for every request")
        ok(sysm["ttft_s"] is not None, "time to first token measured "
           "(streaming)")
        ok(sysm["output_tokens_per_s"] is not None,
           "output tokens/s from the server's usage")
        sm = sysm.get("server_metrics") or {}
        ok(sm.get("prompt_tokens") == sysm["prompt_tokens"] and
           sm.get("generation_tokens") == sysm["completion_tokens"],
           "the server's /metrics counters agree with the usage qeval "
           "counted (%s/%s prompt tokens)" % (sm.get("prompt_tokens"),
                                              sysm["prompt_tokens"]))
        ok(sm.get("prefix_cache_hit_rate") is not None and
           abs(sm["prefix_cache_hit_rate"] - 0.5) < 0.01 and
           sm.get("preemptions") == 0,
           "prefix-cache hit rate and preemptions from /metrics", sm)
        rep = open(os.path.join(out, "fake", "report.md")).read()
        ok("**Server Metrics (/metrics):** prefix-cache hit rate 50" in rep,
           "the report shows the server's own figures")
        dec, tp, lat = sysm.get("decode_s"), sysm.get("tpot_s"), \
            sysm["latency_s"]
        ok(dec is not None and dec["n"] == n and tp is not None and
           tp["n"] == n, "decode phase and time per output token for "
           "every streamed request")
        ok(dec is not None and dec["max"] <= lat["max"] and
           dec["mean"] <= lat["mean"] and tp["mean"] <= dec["mean"],
           "phases are consistent: decode within latency, per-token "
           "time within decode")
    reqs = srv.requests()
    bodies = [q.get("body") or {} for q in reqs]
    ok(len(bodies) == n and all(
        all(k in b for k in ("model", "temperature", "top_p", "max_tokens",
                             "seed")) and b.get("temperature") == 0
        and b.get("max_tokens") == 256 for b in bodies),
       "every sampling field is sent explicitly")
    ok(all(b.get("stop") == ["Question:", "</s>", "<|im_end|>"]
           for b in bodies), "lm-eval's stop sequences sent")
    leaked = []
    for root, _, files in os.walk(out):
        for fn in files:
            with open(os.path.join(root, fn), errors="replace") as f:
                if secret in f.read():
                    leaked.append(fn)
    ok(not leaked, "the API key appears in no output file", leaked)

    # -- SIGKILL half-way, then --resume ------------------------------------
    slow = FakeServer(tmp, script_for(items, n), ["--latency-ms", "40"])
    servers.append(slow)
    args = ["--model", "fake-model", "--endpoint", slow.url, "--tasks",
            "gsm8k", "--limit", str(n), "--out", out, "--run-id", "killed",
            "-q", "--preset-file", fast_preset("slow", concurrency=2)]
    e = dict(os.environ)
    e.update(env)
    p = subprocess.Popen([QEVAL] + args, env=e, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    journal = os.path.join(out, "killed", "journal")
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        if os.path.exists(journal):
            with open(journal) as f:
                if sum(1 for _ in f) > n // 3:
                    break
        time.sleep(0.02)
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    p.wait()
    time.sleep(0.5)     # let the server log what was in flight
    ok(killed, "run killed with SIGKILL half-way")
    done_ids = set()
    with open(journal) as f:
        for line in f:
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if "s" in d:
                done_ids.add(d["s"])
    asked_before = len(slow.requests())
    ok(0 < len(done_ids) < n, "the journal holds %d finished samples" %
       len(done_ids))
    rc, so, se = run(args + ["--resume"], env=env)
    ok(rc == 0, "resumed run exits 0", se)
    after = slow.requests()[asked_before:]
    done_q = set(items[int(s.split("/")[1])][0] for s in done_ids)
    again = [b for b in (q.get("body") or {} for q in after)
             if any(("Question: " + dq + "\nAnswer:") == last_user(b)
                    for dq in done_q)]
    ok(not again, "nothing already answered was asked again",
       "%d repeated" % len(again))
    ok(len(after) == n - len(done_ids), "the resumed run asked only for "
       "the %d missing samples (asked %d)" % (n - len(done_ids),
                                               len(after)))
    if rc == 0 and r:
        r2 = results(os.path.join(out, "killed"))
        same = all(metric(r2, "gsm8k", m) == metric(r, "gsm8k", m) for m in
                   ("exact_match,strict-match",
                    "exact_match,flexible-extract"))
        ok(same, "resumed run ends with the metrics of an uninterrupted "
           "run")
        ok(len(samples(os.path.join(out, "killed"), "gsm8k")) == n,
           "samples file complete after resume")

    # -- rescore: no model call ------------------------------------------
    before = len(slow.requests())
    rc, so, se = run(["rescore", os.path.join(out, "killed"), "-q"],
                     env=env)
    ok(rc == 0, "rescore exits 0", se)
    ok(len(slow.requests()) == before, "rescore asked the model nothing")
    if rc == 0 and r:
        r3 = results(os.path.join(out, "killed"))
        ok(metric(r3, "gsm8k", "exact_match,strict-match") ==
           metric(r, "gsm8k", "exact_match,strict-match"),
           "rescore reproduces the metrics")

    # -- --shard K/N and merge ---------------------------------------------
    if r:
        shard_dirs = []
        for k in (1, 2):
            rc, so, se = run(["--model", "fake-model", "--endpoint", srv.url,
                              "--tasks", "gsm8k", "--limit", str(n), "--out",
                              out, "--run-id", "shard%d" % k, "-q",
                              "--shard", "%d/2" % k, "--preset-file",
                              fast_preset("sh%d" % k, concurrency=8)],
                             env=env)
            ok(rc == 0, "shard %d/2 exits 0" % k, se)
            shard_dirs.append(os.path.join(out, "shard%d" % k))
        if all(os.path.exists(os.path.join(x, "results.json"))
               for x in shard_dirs):
            ok(sum(results(x)["tasks"][0]["samples"] for x in shard_dirs)
               == n, "the shards split the samples between them")
        asked = len(srv.requests())
        rc, so, se = run(["merge"] + shard_dirs + ["--out", out,
                                                   "--run-id", "merged",
                                                   "-q"], env=env)
        ok(rc == 0, "merge exits 0", se)
        ok(len(srv.requests()) == asked, "merge asked the model nothing")
        if rc == 0:
            rm = results(os.path.join(out, "merged"))
            ok(rm["tasks"][0]["scored"] == n and
               metric(rm, "gsm8k", "exact_match,strict-match") ==
               metric(r, "gsm8k", "exact_match,strict-match"),
               "merged shards score as the unsharded run")
        rc, so, se = run(["merge", shard_dirs[0],
                          os.path.join(out, "fake"), "--out", out], env=env)
        ok(rc != 0 and "not shards of one run" in se,
           "merging unrelated runs is refused", se)

    # -- a server that is down -------------------------------------------
    rc, so, se = run(["--model", "m", "--endpoint",
                      "http://127.0.0.1:9/v1", "--tasks", "gsm8k",
                      "--limit", "3", "--out", out, "--run-id", "down",
                      "-q", "--preset-file", fast_preset("down", 1)],
                     env=env)
    ok(rc == 1, "endpoint down: exit status 1", se)
    ok("vllm serve" in se and "--model reference" in se,
       "endpoint down: the message says how to start vLLM or use the "
       "reference model", se)

    # -- injected server errors are retried ------------------------------
    sc = script_for(items, 10)
    # The first answer to each of three questions is an error; the
    # retry gets the scripted answer (rules match in order, "times"
    # limits a rule to its first matches).
    sc["rules"] = [{"contains": "Question: " + items[0][0], "status": 500,
                    "times": 1},
                   {"contains": "Question: " + items[1][0], "status": 429,
                    "retry_after": 0, "times": 1},
                   {"contains": "Question: " + items[2][0],
                    "malformed": True, "times": 1}] + sc["rules"]
    flaky = FakeServer(tmp, sc)
    servers.append(flaky)
    rc, so, se = run(["--model", "m", "--endpoint", flaky.url, "--tasks",
                      "gsm8k", "--limit", "10", "--out", out, "--run-id",
                      "flaky", "-q", "--preset-file", fast_preset("fl", 3)],
                     env=env)
    ok(rc == 0, "500, 429 and malformed JSON are retried", se)
    if rc == 0:
        rf = results(os.path.join(out, "flaky"))
        ok(rf["system"]["retries"] >= 3, "retries counted (%s)" %
           rf["system"]["retries"])
        ok(metric(rf, "gsm8k", "exact_match,strict-match") == 0.5,
           "scores unaffected by the retried errors")

    # -- --baseline: exit 3 past the failure threshold ---------------------
    if r:
        base = os.path.join(out, "fake")
        cred_url = srv.url.replace("http://", "http://qeval:pw-4242-x@")
        rc, so, se = run(["--model", "fake-model", "--endpoint", cred_url,
                          "--tasks", "gsm8k", "--limit", str(n), "--out",
                          out, "--run-id", "same", "-q", "--preset-file",
                          fast_preset("same", concurrency=8), "--baseline",
                          base], env=env)
        ok(rc == 0 and "ok" in so, "same scores as the baseline: exit 0",
           so + se)
        txt = ""
        for root, _, files in os.walk(os.path.join(out, "same")):
            for fn in files:
                txt += open(os.path.join(root, fn), errors="replace").read()
        ok("pw-4242-x" not in txt and "127.0.0.1" in txt,
           "a password in the endpoint URL is written nowhere")
        worse = FakeServer(tmp, {"rules": [], "default":
                                 {"text": "#### 99999"}})
        servers.append(worse)
        rc, so, se = run(["--model", "fake-model", "--endpoint", worse.url,
                          "--tasks", "gsm8k", "--limit", str(n), "--out",
                          out, "--run-id", "worse", "-q", "--preset-file",
                          fast_preset("worse", concurrency=8), "--baseline",
                          os.path.join(base, "results.json")], env=env)
        ok(rc == 3 and "FAIL" in so, "a score 50 points below the "
           "baseline: exit 3", so + se)
        rc, so, se = run(["--model", "fake-model", "--endpoint", worse.url,
                          "--tasks", "gsm8k", "--limit", str(n), "--out",
                          out, "--run-id", "worse2", "-q", "--preset-file",
                          fast_preset("worse2", concurrency=8),
                          "--baseline", base, "--regression-fail", "60"],
                         env=env)
        ok(rc == 0 and "warning" in so, "below the warning level only: "
           "exit 0 with a warning", so + se)

    # -- usage errors -------------------------------------------------------
    rc, so, se = run(["--model", "reference", "--tasks", "no_such_task"])
    ok(rc == 2 and "no_such_task" in se, "unknown task: exit 2, named", se)
    rc, so, se = run(["--model", "reference", "--limit", "zero"])
    ok(rc == 2 and "--limit" in se, "bad --limit: exit 2, named", se)
    bad = os.path.join(tmp, "badpreset.json")
    with open(bad, "w") as f:
        f.write('{"name": "x", "client": {"concurency": 3}}')
    rc, so, se = run(["--model", "reference", "--tasks", "gsm8k",
                      "--preset-file", bad, "--out", out])
    ok(rc != 0 and "badpreset.json" in se and "concurency" in se,
       "unknown preset key: error names the file and the key", se)
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
