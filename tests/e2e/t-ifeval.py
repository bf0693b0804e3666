"""End to end on IFEval with the real qeval binary: a run against the fake
vLLM server on the 33-prompt fixture (tests/fixtures/ifeval), with scripted
answers whose strict and loose verdicts are worked out by hand below;
the four metrics (instruction-level pooled over instructions, as lm-eval
does), the not-scorable share, results.json's agent block, the per-sample verdict of each
instruction, the request sent, and `qeval rescore` giving the same
numbers.  With QEVAL_DATA_DIR, the reference model on the 541 prompts
(gold and corrupted) and `qeval selftest`'s figures."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (DATA, SRC, FakeServer, cleanup, done, metric, ok, results,
                  run, samples, skip, tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
servers = []

# Every prompt gets "ok" unless a rule says otherwise.  With "ok":
# followed strictly are 2 (cat < 2), 3 (no forbidden word), 5 ('#' < 2),
# 9 (< 5 words), 26 (< 2 capital words), 29 (no comma) and the no_comma
# halves of 30 and 31; 6, 7, 27, 28 and 31's sentence count are not
# scorable (Punkt, langdetect).
MODEL = {"default": {"text": "ok"}, "rules": [
    {"contains": "Fixture prompt 0:", "text": "banana and kiwi"},
    {"contains": "Fixture prompt 20:", "text": "<<A Title>>"},
    {"contains": "Fixture prompt 30:", "text": "<<T>> x"},
    # three bullets: strict breaks, loose (first line dropped) follows
    {"contains": "Fixture prompt 15:", "text": "* a\n* b\n* c"},
]}
SCORABLE_PROMPTS = 28       # 33 less 6, 7, 27, 28, 31
SCORABLE_INST = 31          # 36 less 5
STRICT_PROMPTS = 9          # 0 2 3 5 9 20 26 29 30
STRICT_INST = 12            # those 8 single ones, both of 30, the
                            # commas of 31 and 32
LOOSE_EXTRA = 1             # prompt 15


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


def check_metrics(res, what):
    want = {
        "prompt_level_strict_acc": STRICT_PROMPTS / SCORABLE_PROMPTS,
        "prompt_level_loose_acc":
            (STRICT_PROMPTS + LOOSE_EXTRA) / SCORABLE_PROMPTS,
        "inst_level_strict_acc": STRICT_INST / SCORABLE_INST,
        "inst_level_loose_acc": (STRICT_INST + LOOSE_EXTRA) / SCORABLE_INST,
        "not_scorable": 5 / 36,
    }
    for name, v in want.items():
        got = metric(res, "ifeval", name)
        ok(close(got, v), "%s: %s = %.6f" % (what, name, v),
           "got %r" % got)


env = {"QEVAL_MANIFEST_DIR": "none"}
try:
    model = FakeServer(tmp, MODEL)
    servers.append(model)
    fixtures = os.path.join(SRC, "tests", "fixtures", "ifeval")
    rc, so, se = run(["--model", "fake-model", "--endpoint", model.url,
                      "--tasks", "ifeval", "--data-dir", fixtures, "--out",
                      out, "--run-id", "fake", "-q", "--preset-file",
                      preset()], env=env)
    run_dir = os.path.join(out, "fake")
    ok(rc == 0, "run against the fake server exits 0", se)
    ok("5 instructions are not scorable" in se and "Punkt" in se and
       "langdetect" in se, "the run warns about the missing parts", se)
    res = results(run_dir)
    check_metrics(res, "run")
    task = [t for t in res["tasks"] if t["name"] == "ifeval"][0]
    prim = [m for m in task["metrics"] if "primary" in m.get("flags", [])]
    ok(len(prim) == 1 and prim[0]["name"] == "prompt_level_strict_acc",
       "prompt_level_strict_acc is the primary metric")
    grp = metric(res, "ifeval", "inst_level_strict_acc,detectable_format")
    # detectable_format: 15 16 17 18 19 20 and 30's title: 20, 30 follow
    ok(close(grp, 2 / 7), "per-group: detectable_format 2/7", grp)
    ok(metric(res, "ifeval", "inst_level_strict_acc,language") is None,
       "per-group: language has nothing scorable (n/a)")

    agent = {a["name"]: a for a in res.get("agent", [])}
    inf = agent.get("Instruction Following", {})
    ok(inf.get("task") == "ifeval" and
       inf.get("metric") == "prompt_level_strict_acc" and
       close(inf.get("value"), STRICT_PROMPTS / SCORABLE_PROMPTS) and
       inf.get("n") == SCORABLE_PROMPTS,
       "results.json agent block: Instruction Following is IFEval's "
       "prompt-level strict, n = scored prompts", inf)
    fc = agent.get("Function Calling Accuracy", {})
    ok(len(agent) == 6 and fc.get("value") is None and
       fc.get("note") == "task not run",
       "results.json agent block: six lines, n/a where the task did not run",
       res.get("agent"))

    reqs = model.requests()
    chat = [r for r in reqs if r.get("path", "").endswith("/chat/completions")]
    ok(len(chat) == 33, "33 chat requests", len(chat))
    body = chat[0].get("body", {}) if chat else {}
    ok(body.get("temperature") == 0 and body.get("max_tokens") == 1280 and
       "stop" not in body and len(body.get("messages", [])) == 1,
       "one user turn, greedy, 1280 tokens, no stop strings", body)

    sm = {s["id"]: s for s in samples(run_dir, "ifeval")}
    s15 = sm.get("ifeval/115", {})
    det = s15.get("detail") or s15.get("verdict", {}).get("detail")
    if isinstance(det, str):
        det = json.loads(det)
    inst = (det or {}).get("instructions", [{}])[0]
    ok(inst.get("strict") is False and inst.get("loose") is True and
       "3 bullet points" in inst.get("why", ""),
       "sample detail: the instruction's strict and loose verdicts and why",
       s15)
    s6 = sm.get("ifeval/106", {})
    det = s6.get("detail") or s6.get("verdict", {}).get("detail")
    if isinstance(det, str):
        det = json.loads(det)
    inst = (det or {}).get("instructions", [{}])[0]
    ok(inst.get("strict") is None and "not scorable" in inst.get("why", ""),
       "sample detail: a not-scorable instruction says what it needs", s6)

    rc, so, se = run(["rescore", run_dir, "--data-dir", fixtures, "-q"],
                     env=env)
    ok(rc == 0, "rescore exits 0", se)
    check_metrics(results(run_dir), "rescore")

    if DATA:
        ref = os.path.join(tmp, "ref")
        for model_name, want in (("reference", 400 / 405),
                                 ("reference:corrupt", 0.0)):
            rc, so, se = run(["--model", model_name, "--tasks", "ifeval",
                              "--data-dir", DATA, "--out", ref, "--run-id",
                              model_name.replace(":", "-"), "-q"])
            r = results(os.path.join(ref, model_name.replace(":", "-")))
            v = metric(r, "ifeval", "prompt_level_strict_acc")
            ok(rc == 0 and close(v, want),
               "%s on the 541 prompts: prompt-level strict %.4f (5 prompts "
               "cannot be followed strictly)" % (model_name, want), (v, se))
            lv = metric(r, "ifeval", "prompt_level_loose_acc")
            ok(close(lv, 1.0 if want else 0.0),
               "%s: prompt-level loose %s" % (model_name,
                                              "1" if want else "0"), lv)
        rc, so, se = run(["selftest", "--tasks", "ifeval", "--data-dir",
                          DATA])
        line = [x for x in so.splitlines() if x.startswith("ifeval ")]
        ok(len(line) == 1 and "98.8%" in line[0] and "0.0%" in line[0],
           "qeval selftest: gold 98.8% (400/405), corrupted 0.0%", so + se)
    else:
        skip("QEVAL_DATA_DIR not set: the 541-prompt runs")
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
