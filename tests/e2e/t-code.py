"""End to end on the code tasks with the real qeval binary and executor.

Without data: the crafted HumanEval fixture (tests/fixtures/humaneval)
with the reference model (gold and corrupted), a fake vLLM server whose
candidates differ (pass@k from 4 samples, names fixed, the share of
samples whose candidates are identical), and --no-exec refusing before
any request; MBPP over a user's file with lm-eval's extraction (the
default: "rescuable" counted, a warning printed) and with rescue=1
("rescued").  With QEVAL_DATA_DIR: the reference model over every code
task (pass@1 = 1), its corrupted answers (pass@1 = 0) and --samples 10
(pass@10 reported)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (DATA, SRC, FakeServer, cleanup, done, metric, ok, results,
                  run, samples, skip, tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
FIX = os.path.join(SRC, "tests", "fixtures")
TINY = ["--data-dir", FIX, "--task-opt", "file=humaneval/tiny.jsonl"]
server = None


def passk(res, task, k):
    for t in res["tasks"]:
        if t["name"] == task:
            for p in t.get("passk", []):
                if p["k"] == k and p["of"] == "pass@1":
                    return p["value"]
    return None


def task_of(res, task):
    for t in res["tasks"]:
        if t["name"] == task:
            return t
    return {}


def fence(code):
    return "Here you go:\n```python\n" + code + "```\n"


try:
    # -- the reference model on the fixture -----------------------------
    for model, want in (("reference", 1), ("reference:corrupt", 0)):
        rid = model.replace(":", "-")
        rc, so, se = run(["--model", model, "--tasks", "humaneval_instruct",
                          "--out", out, "--run-id", rid, "-q"] + TINY)
        ok(rc == 0, "%s on the fixture exits 0" % model, se)
        if rc == 0:
            res = results(os.path.join(out, rid))
            ok(metric(res, "humaneval_instruct", "pass@1") == want,
               "%s: pass@1 = %d" % (model, want), json.dumps(res["tasks"]))
            layers = res["system"].get("sandbox_layers") or ""
            ok("rlimits" in layers and "seccomp" in layers,
               "%s: results.json names the sandbox layers (%s)" %
               (model, layers))
            rep = open(os.path.join(out, rid, "report.md")).read()
            ok("**Code Sandbox:** " + layers in rep,
               "%s: the report shows them" % model)

    # -- candidates that differ, through the fake server -----------------
    script = {"default": {"text": "no code here"}, "rules": [
        {"contains": "def add(a, b)", "times": 1,
         "text": fence("def add(a, b):\n    return a + b\n")},
        {"contains": "def add(a, b)",
         "text": fence("def add_two(a, b):\n    return a - b\n")},
        {"contains": "def total(",
         "text": fence("def summe(xs):\n    return sum(xs)\n")},
    ]}
    server = FakeServer(tmp, script)
    rc, so, se = run(["--model", "fake", "--endpoint", server.url,
                      "--tasks", "humaneval_instruct", "--samples", "4",
                      "--out", out, "--run-id", "fake", "-q"] + TINY)
    ok(rc == 0, "fake server run exits 0", se)
    if rc == 0:
        res = results(os.path.join(out, "fake"))
        t = task_of(res, "humaneval_instruct")
        # add: 1 of 4 right; total: 4 of 4 (renamed)
        ok(abs(metric(res, "humaneval_instruct", "pass@1") - 0.625) < 1e-9,
           "pass@1 over 4 candidates is 0.625", json.dumps(t))
        ok(t.get("counts", {}).get("name_fixed") == 7,
           "7 candidates had their function renamed", json.dumps(t))
        ok(t.get("identical_candidates") == 0.5,
           "one sample of two has identical candidates", json.dumps(t))
        ok(t.get("candidates") == 4, "4 candidates per sample")
        got = samples(os.path.join(out, "fake"), "humaneval_instruct")
        ok(len(got) == 8, "8 scored candidates in samples/", len(got))
        reasons = [s.get("reason", "") for s in got]
        ok(sum("name mismatch resolved" in r for r in reasons) == 7,
           "the reason says 'name mismatch resolved'", reasons)
        chats = [r for r in server.requests()
                 if r.get("path", "").endswith("/chat/completions")]
        ok(len(chats) == 8, "8 chat requests", len(chats))
        ok(all(r.get("body") and "temperature" in r["body"] and
               "max_tokens" in r["body"] for r in chats),
           "every request sets temperature and max_tokens",
           [r.get("body") for r in chats][:1])

    # -- code execution refused before any model call --------------------
    before = len(server.requests())
    rc, so, se = run(["--model", "fake", "--endpoint", server.url,
                      "--tasks", "humaneval_instruct", "--no-exec",
                      "--out", out, "--run-id", "noexec", "-q"] + TINY)
    ok(rc != 0, "--no-exec refuses a code task", se)
    ok(len(server.requests()) == before, "--no-exec sent nothing to the "
       "model")

    # -- MBPP: a user's file, lm-eval's extraction and the rescue ---------
    # tests/fixtures/mbpp/tiny.jsonl as a user's file: ids 11, 12, 600 and
    # 1 are evaluated (2-4 are the shots), though 600 and 1 are outside
    # lm-eval's test split.  Answers (completions, cut at [DONE]):
    mscript = {"default": {"text": "no code here"}, "rules": [
        # opens with a fence: lm-eval's regex gives "" (scored 0); the
        # rescue takes the block, which passes
        {"contains": "square a number",
         "text": "```python\ndef square(n):\n  return n * n\n```\n"},
        # plain code: the same for both
        {"contains": "count the nodes",
         "text": "class Node:\n  def __init__(self, nxt=None):\n    "
                 "self.nxt = nxt\ndef count_nodes(h):\n  return 0 if h "
                 "is None else 1 + count_nodes(h.nxt)\n"},
        {"contains": "Validation split",
         "text": "def two():\n  return 2\n"},
        # code, then a closing fence: lm-eval's (?:\w+)? takes "def"
        {"contains": "Outside the test split",
         "text": "def one():\n  return 1\n```\n"},
    ]}
    msrv = FakeServer(tmp, mscript)
    mtiny = ["--data-dir", FIX, "--task-opt", "file=mbpp/tiny.jsonl",
             "--api", "completions"]
    for rid, extra, want_pass, want_rescuable, want_rescued in (
            ("mbpp-default", [], 0.5, 0.5, 0.0),
            ("mbpp-rescue", ["--task-opt", "rescue=1"], 1.0, 0.0, 0.5)):
        rc, so, se = run(["--model", "fake", "--endpoint", msrv.url,
                          "--tasks", "mbpp", "--out", out, "--run-id", rid]
                         + mtiny + extra)
        ok(rc == 0, "%s: exits 0" % rid, se)
        if rc != 0:
            continue
        res = results(os.path.join(out, rid))
        t = task_of(res, "mbpp")
        ok(t.get("samples") == 4, "%s: every record of the user's file "
           "but the shots is evaluated (4)" % rid, json.dumps(t)[:800])
        ok(metric(res, "mbpp", "pass@1") == want_pass and
           metric(res, "mbpp", "rescuable") == want_rescuable and
           metric(res, "mbpp", "rescued") == want_rescued,
           "%s: pass@1 %g, rescuable %g, rescued %g" %
           (rid, want_pass, want_rescuable, want_rescued),
           json.dumps(t.get("metrics"))[:800])
        rep = open(os.path.join(out, rid, "report.md")).read()
        note = ("rescuable 50.0%" if want_rescuable else
                "rescued 50.0%")
        ok(note in rep, "%s: the report's Notes say '%s'" % (rid, note),
           [ln for ln in rep.splitlines() if "MBPP" in ln][:3])
        if not extra:
            ok("rescuable" in se and "rescue=1" in se,
               "%s: the console warns about the rescuable answers" % rid,
               se)
            ok("4 records evaluated" in se, "%s: the console says what "
               "of the user's file is evaluated" % rid, se)
    msrv.stop()

    # -- the real data sets ---------------------------------------------
    if DATA:
        tasks = ("humaneval,humaneval_instruct,humaneval_plus,mbpp,"
                 "mbpp_instruct,mbpp_sanitized,mbpp_plus")
        # MBPP task 123's own solution needs ~2.6 s of CPU; a wide limit
        # keeps this about correctness.  base_only: MBPP+'s extra inputs
        # take minutes (its task 599's reference alone runs ~30 s).
        opts = ["--task-opt", "timeout=20", "--task-opt", "base_only=1"]
        rc, so, se = run(["--model", "reference", "--tasks", tasks,
                          "--out", out, "--run-id", "ref-all", "-q"] + opts)
        ok(rc == 0, "reference over every code task exits 0", se)
        if rc == 0:
            res = results(os.path.join(out, "ref-all"))
            for name in tasks.split(","):
                m = "pass@1,base" if name.endswith("_plus") else "pass@1"
                ok(metric(res, name, m) == 1, "reference: %s %s = 1" %
                   (name, m), json.dumps(task_of(res, name))[:2000])
        rc, so, se = run(["--model", "reference:corrupt", "--tasks",
                          "humaneval,mbpp", "--out", out, "--run-id",
                          "bad-all", "-q"])
        ok(rc == 0, "corrupted reference exits 0", se)
        if rc == 0:
            res = results(os.path.join(out, "bad-all"))
            for name in ("humaneval", "mbpp"):
                ok(metric(res, name, "pass@1") == 0,
                   "corrupted reference: %s pass@1 = 0" % name)
        rc, so, se = run(["--model", "reference", "--tasks", "humaneval",
                          "--samples", "10", "--limit", "8", "--out", out,
                          "--run-id", "k10", "-q"])
        ok(rc == 0, "--samples 10 exits 0", se)
        if rc == 0:
            res = results(os.path.join(out, "k10"))
            ok(passk(res, "humaneval", 10) == 1, "pass@10 reported (= 1)",
               json.dumps(task_of(res, "humaneval")))
            ok(task_of(res, "humaneval").get("identical_candidates") == 1,
               "the reference's candidates are all identical")
    else:
        skip("QEVAL_DATA_DIR is not set: no full data runs")
finally:
    if server is not None:
        server.stop()
    cleanup(tmp)
done()
