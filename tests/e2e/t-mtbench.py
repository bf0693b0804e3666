"""End to end on MT-Bench with the real qeval binary: two fake vLLM
servers, one playing the model and one the judge (--judge-endpoint), on the
4-question fixture of tests/fixtures/mtbench/fx.  Checks the four requests
per question (turn 2 carries turn 1's answer, category temperatures, judge
sampling), the unparsed count, and the per-turn, overall and per-category
averages against hand-computed values.  With QEVAL_DATA_DIR, the reference
model and judge on the 80 real questions (10.0) and corrupted (1.0)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (DATA, SRC, FakeServer, cleanup, done, metric, ok, results,
                  run, samples, skip, tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
servers = []

# Judge answers by question text; turn-2 prompts hold both questions, so
# their rules come first.
JUDGE = {"default": {"text": "no rating at all"}, "rules": [
    {"contains": "Now make it rhyme.", "text": "Rating: [[6.5]]"},
    {"contains": "Write a haiku.", "text": "Good.\n\nRating: [[8]]"},
    {"contains": "Make it shorter.", "text": "I cannot rate this."},
    {"contains": "Write a limerick.", "text": "As in [1]. Rating: [[9]]"},
    {"contains": "And times 3?", "text": "Rating: [[15]]"},
    {"contains": "What is 2+2?", "text": "Correct, see step [3]."},
    {"contains": "And at sunset?", "text": "Rating: [[2]]"},
    {"contains": "Why is the sky blue?", "text": "[[10]]"},
]}
MODEL = {"default": {"text": "model says: {echo}"}}


def preset():
    p = {"name": "fast", "client": {"concurrency": 4, "timeout_s": 20,
                                    "retries": 1, "backoff_base_s": 0.05,
                                    "backoff_max_s": 0.2}}
    path = os.path.join(tmp, "fast.json")
    with open(path, "w") as f:
        json.dump(p, f)
    return path


def close(a, b):
    return a is not None and abs(a - b) < 1e-9


try:
    model = FakeServer(tmp, MODEL)
    judge = FakeServer(tmp, JUDGE, extra=["--model", "judge-model"])
    servers += [model, judge]
    fixtures = os.path.join(SRC, "tests", "fixtures")
    rc, so, se = run(["--model", "fake-model", "--endpoint", model.url,
                      "--judge-endpoint", judge.url, "--judge-model",
                      "judge-model", "--tasks", "mtbench", "--task-opt",
                      "data_subdir=mtbench/fx", "--data-dir", fixtures,
                      "--out", out, "--run-id", "fake", "-q",
                      "--preset-file", preset()],
                     env={"QEVAL_MANIFEST_DIR": "none"})
    ok(rc == 0, "mtbench run against model and judge servers exits 0", se)
    mreq = [q.get("body") or {} for q in model.requests()]
    jreq = [q.get("body") or {} for q in judge.requests()]
    ok(len(mreq) == 8 and len(jreq) == 8, "8 model and 8 judge requests "
       "(%d, %d)" % (len(mreq), len(jreq)))
    t2 = [b for b in mreq if len(b.get("messages", [])) == 4]
    ok(len(t2) == 4 and all(b["messages"][2]["role"] == "assistant" and
                            b["messages"][2]["content"].startswith(
                                "model says: ") for b in t2),
       "turn 2 carries the model's own turn-1 answer")
    temps = {b["messages"][1]["content"]: b.get("temperature")
             for b in mreq if len(b.get("messages", [])) == 2}
    ok(temps.get("Write a haiku.") == 0.7 and
       temps.get("What is 2+2?") == 0 and
       temps.get("Why is the sky blue?") == 0.1,
       "category temperatures sent (%s)" % temps)
    ok(all(b.get("max_tokens") == 1024 for b in mreq),
       "answers: max_tokens 1024")
    ok(all(b.get("temperature") == 0 and b.get("max_tokens") == 2048 and
           b.get("model") == "judge-model" for b in jreq),
       "judge: temperature 0, 2048 tokens, the judge model")
    ok(any("[R2]\n4*3 = 12" in b["messages"][1]["content"] for b in jreq),
       "the math judge prompt carries the reference answers")
    if rc == 0:
        run_dir = os.path.join(out, "fake")
        r = results(run_dir)
        # Hand-computed, as in t-mtbench.c: turn 1 (8+9+3+10)/4, turn 2
        # (6.5+2)/2, score = mean of (7.25, 9, 3, 6).
        ok(close(metric(r, "mtbench", "score_turn1"), 7.5),
           "turn 1 average 7.5")
        ok(close(metric(r, "mtbench", "score_turn2"), 4.25),
           "turn 2 average 4.25")
        ok(close(metric(r, "mtbench", "score"), 6.3125),
           "overall average 6.3125")
        ok(close(metric(r, "mtbench", "unparsed"), 0.25),
           "unparsed share 0.25 (2 of 8 ratings)")
        t = [x for x in r["tasks"] if x["name"] == "mtbench"][0]
        ok(t.get("counts", {}).get("unparsed") == 2,
           "the report counts the 2 unparsed samples (%s)" %
           t.get("counts"))
        cats = {c["name"]: c["metrics"] for c in t.get("categories", [])}
        ok(close(cats.get("writing", {}).get("score"), 8.125) and
           close(cats.get("math", {}).get("score"), 3.0) and
           close(cats.get("stem", {}).get("score"), 6.0),
           "per-category averages (%s)" % cats)
        s = samples(run_dir, "mtbench")
        ok(len(s) == 4, "samples/mtbench.jsonl has 4 lines")
        blob = json.dumps(s)
        ok("judge-model" in blob and "single-math-v1" in blob,
           "samples record the judge model and prompt names")
        rep = open(os.path.join(run_dir, "report.md")).read()
        ok("MT-Bench" in rep, "report.md lists MT-Bench")
    else:
        for _ in range(10):
            skip("the run failed")

    if DATA:
        for model_name, want in (("reference", 10.0),
                                 ("reference:corrupt", 1.0)):
            rid = model_name.replace(":", "-")
            rc, so, se = run(["--model", model_name, "--tasks", "mtbench",
                              "--out", out, "--run-id", rid, "-q"])
            ok(rc == 0, "%s run exits 0" % model_name, se)
            if rc == 0:
                r = results(os.path.join(out, rid))
                ok(close(metric(r, "mtbench", "score"), want) and
                   close(metric(r, "mtbench", "score_turn1"), want) and
                   close(metric(r, "mtbench", "score_turn2"), want),
                   "%s: %g on both turns" % (model_name, want))
    else:
        for _ in range(4):
            skip("QEVAL_DATA_DIR not set: reference run on real data")
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
