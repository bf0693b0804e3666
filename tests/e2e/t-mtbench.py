"""End to end on MT-Bench with the real qeval binary: two fake vLLM
servers, one playing the model and one the judge (--judge-endpoint), on the
4-question fixture of tests/fixtures/mtbench/fx.  Checks the four requests
per question (turn 2 carries turn 1's answer, category temperatures, the
judge request body holds exactly the keys FastChat's judge call sends),
the unparsed count, and the per-turn, overall and per-category averages
against hand-computed values and against FastChat's own extraction
(its regexes and ast.literal_eval) and show_result.py's pooled means
recomputed from the judgments in the samples file; with the non-default
rating_range=1-10 the score changes and the report's task row says why.
On 80 generated questions with four failed judgments, the issue's case:
FastChat's 7.718 (every rated turn) where a mean of per-question means
would read 7.656.
With QEVAL_DATA_DIR, the reference model and judge on the 80 real
questions (10.0) and corrupted (1.0)."""

import ast
import json
import os
import re
import shutil
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
    return a is not None and b is not None and abs(a - b) < 1e-9


def fastchat_means(smps):
    """FastChat itself, on the judgments qeval stored: common.py's
    one_score_pattern / one_score_pattern_backup + ast.literal_eval (-1
    when nothing matches), then show_result.py's df[df["score"] != -1]
    and the mean per turn and over all rows.  Returns (rated rows, turn
    1, turn 2, overall)."""
    one = re.compile(r"\[\[(\d+\.?\d*)\]\]")
    backup = re.compile(r"\[(\d+\.?\d*)\]")
    rows = []
    for smp in smps:
        for x in smp.get("exchanges", []):
            if x.get("target") != "judge":
                continue
            text = (x.get("response") or {}).get("text", "")
            mt = re.search(one, text) or re.search(backup, text)
            score = ast.literal_eval(mt.groups()[0]) if mt else -1
            rows.append((1 if x.get("label") == "judge1" else 2, score))
    rows = [(tn, sc) for tn, sc in rows if sc != -1]

    def mean(v):
        return sum(v) / len(v) if v else None
    return (len(rows), mean([sc for tn, sc in rows if tn == 1]),
            mean([sc for tn, sc in rows if tn == 2]),
            mean([sc for tn, sc in rows]))


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
           b.get("model") == "judge-model" and b.get("n") == 1
           for b in jreq),
       "judge: temperature 0, 2048 tokens, n 1, the judge model")
    # FastChat's chat_completion_openai: openai.ChatCompletion.create(
    # model=model, messages=messages, n=1, temperature=temperature,
    # max_tokens=max_tokens); no seed, no top_p, no stream.
    keys = sorted(set(tuple(sorted(b)) for b in jreq))
    ok(keys == [("max_tokens", "messages", "model", "n", "temperature")],
       "judge request bodies carry exactly FastChat's keys (%s)" % keys)
    ok(any("[R2]\n4*3 = 12" in b["messages"][1]["content"] for b in jreq),
       "the math judge prompt carries the reference answers")
    if rc == 0:
        run_dir = os.path.join(out, "fake")
        r = results(run_dir)
        # Hand-computed, as in t-mtbench.c: turn 1 (8+9+3+10)/4, turn 2
        # (6.5+15+2)/3 ([[15]] is a rating in FastChat), overall the mean
        # of the 7 rated turns 53.5/7 = 7.642857 (the mean of the
        # per-question means, 7.8125, is not what FastChat reports).
        ok(close(metric(r, "mtbench", "score_turn1"), 7.5),
           "turn 1 average 7.5")
        ok(close(metric(r, "mtbench", "score_turn2"), 23.5 / 3),
           "turn 2 average 7.8333")
        ok(close(metric(r, "mtbench", "score"), 53.5 / 7),
           "overall 7.642857: pooled over rated turns, not 7.8125")
        ok(close(metric(r, "mtbench", "unparsed"), 0.125),
           "unparsed share 0.125 (1 of 8 ratings)")
        t = [x for x in r["tasks"] if x["name"] == "mtbench"][0]
        ok(t.get("counts", {}).get("unparsed") == 1,
           "the report counts the 1 unparsed sample (%s)" %
           t.get("counts"))
        cats = {c["name"]: c["metrics"] for c in t.get("categories", [])}
        ok(close(cats.get("writing", {}).get("score"), 23.5 / 3) and
           close(cats.get("math", {}).get("score"), 9.0) and
           close(cats.get("stem", {}).get("score"), 6.0),
           "per-category averages pooled over rated turns (%s)" % cats)
        s = samples(run_dir, "mtbench")
        ok(len(s) == 4, "samples/mtbench.jsonl has 4 lines")
        n, fc1, fc2, fca = fastchat_means(s)
        ok(n == 7 and close(metric(r, "mtbench", "score_turn1"),
                                    fc1) and
           close(metric(r, "mtbench", "score_turn2"), fc2) and
           close(metric(r, "mtbench", "score"), fca),
           "results.json equals show_result.py's means on the stored "
           "judgments (%s, %s, %s)" % (fc1, fc2, fca))
        blob = json.dumps(s)
        ok("judge-model" in blob and "single-math-v1" in blob,
           "samples record the judge model and prompt names")
        rep = open(os.path.join(run_dir, "report.md")).read()
        ok("MT-Bench" in rep, "report.md lists MT-Bench")
        ok("excluded_by_rating_range" not in rep,
           "the default run's report names no option")
    else:
        for _ in range(13):
            skip("the run failed")

    # qeval's option rating_range=1-10 (not FastChat's): [[15]] is
    # excluded, the score moves, and the task row says so.
    rc, so, se = run(["--model", "fake-model", "--endpoint", model.url,
                      "--judge-endpoint", judge.url, "--judge-model",
                      "judge-model", "--tasks", "mtbench", "--task-opt",
                      "data_subdir=mtbench/fx", "--task-opt",
                      "rating_range=1-10", "--data-dir", fixtures,
                      "--out", out, "--run-id", "range", "-q",
                      "--preset-file", preset()],
                     env={"QEVAL_MANIFEST_DIR": "none"})
    ok(rc == 0, "rating_range=1-10 run exits 0", se)
    if rc == 0:
        r = results(os.path.join(out, "range"))
        ok(close(metric(r, "mtbench", "score"), 38.5 / 6) and
           close(metric(r, "mtbench", "excluded_by_rating_range"),
                 0.125),
           "rating_range=1-10: 15 excluded, score 38.5/6, excluded share "
           "0.125")
        rep = open(os.path.join(out, "range", "report.md")).read()
        row = [ln for ln in rep.splitlines()
               if ln.startswith("| **MT-Bench**")]
        ok(row and "excluded_by_rating_range 12.5%" in row[0],
           "the report's task row names the option that changed the "
           "score (%s)" % (row[0] if row else "no row"))
    else:
        for _ in range(2):
            skip("the run failed")

    # -- 80 questions, four failed judgments (the run) -----------
    # 76 questions rated on both turns (119 ratings of 8, 33 of 7: sum
    # 1183), 4 rated on turn 1 only (5, 5, 5, 6).  FastChat: 1204/156 =
    # 7.718; a mean of per-question means: (1183/2 + 21)/80 = 7.656.
    fx80 = os.path.join(tmp, "fx80", "mt80")
    os.makedirs(os.path.join(fx80, "reference_answer"))
    fxsrc = os.path.join(SRC, "tests", "fixtures", "mtbench", "fx")
    shutil.copy(os.path.join(fxsrc, "judge_prompts.jsonl"), fx80)
    shutil.copy(os.path.join(fxsrc, "reference_answer", "gpt-4.jsonl"),
                os.path.join(fx80, "reference_answer"))
    full = [8] * 119 + [7] * 33
    first, second = [], []
    with open(os.path.join(fx80, "question.jsonl"), "w") as f:
        for i in range(1, 81):
            t1, t2 = "Q%03d first?" % i, "Q%03d second?" % i
            f.write(json.dumps({"question_id": i, "category":
                                "writing" if i % 2 else "roleplay",
                                "turns": [t1, t2]}) + "\n")
            if i <= 4:
                a, b = [5, 5, 5, 6][i - 1], None
            else:
                a, b = full[2 * (i - 5)], full[2 * (i - 5) + 1]
            first.append({"contains": t1, "text": "Rating: [[%d]]" % a})
            # a turn-2 prompt holds both turns: its rules come first
            second.append({"contains": t2, "text": "Rating: [[%d]]" % b
                           if b is not None else "Judgment failed."})
    judge80 = FakeServer(tmp, {"default": {"text": "none"},
                               "rules": second + first},
                         extra=["--model", "judge-model"])
    servers.append(judge80)
    rc, so, se = run(["--model", "fake-model", "--endpoint", model.url,
                      "--judge-endpoint", judge80.url, "--judge-model",
                      "judge-model", "--tasks", "mtbench", "--task-opt",
                      "data_subdir=mt80", "--data-dir",
                      os.path.join(tmp, "fx80"), "--out", out, "--run-id",
                      "q80", "-q", "--preset-file", preset()],
                     env={"QEVAL_MANIFEST_DIR": "none"})
    ok(rc == 0, "80-question run exits 0", se)
    if rc == 0:
        r = results(os.path.join(out, "q80"))
        n, fc1, fc2, fca = fastchat_means(samples(os.path.join(out, "q80"),
                                                  "mtbench"))
        ok(n == 156 and close(fca, 1204 / 156),
           "show_result.py on the stored judgments: 156 rated turns, "
           "overall %.3f" % fca)
        ok(close(metric(r, "mtbench", "score"), 1204 / 156) and
           "%.3f" % metric(r, "mtbench", "score") == "7.718",
           "qeval's overall is FastChat's 7.718, not the per-question "
           "7.656 (%s)" % metric(r, "mtbench", "score"))
        ok(close(metric(r, "mtbench", "score_turn1"), fc1) and
           close(metric(r, "mtbench", "score_turn2"), fc2),
           "turn means equal show_result's")
        t = [x for x in r["tasks"] if x["name"] == "mtbench"][0]
        ms = [m for m in t["metrics"] if m["name"] == "score"][0]
        ok(ms.get("n") == 156 and "pooled" in ms.get("flags", []),
           "results.json says the score pools 156 rated turns (%s)" % ms)
    else:
        for _ in range(4):
            skip("the 80-question run failed")

    # -- a judge that never rates: unparsed is counted per rating --------
    mute = FakeServer(tmp, {"default": {"text": "no verdict"}},
                      extra=["--model", "judge-model"])
    servers.append(mute)
    rc, so, se = run(["--model", "fake-model", "--endpoint", model.url,
                      "--judge-endpoint", mute.url, "--judge-model",
                      "judge-model", "--tasks", "mtbench", "--task-opt",
                      "data_subdir=mtbench/fx", "--data-dir", fixtures,
                      "--out", out, "--run-id", "mute", "-q",
                      "--preset-file", preset()],
                     env={"QEVAL_MANIFEST_DIR": "none"})
    t = {}
    if os.path.exists(os.path.join(out, "mute", "results.json")):
        t = results(os.path.join(out, "mute"))["tasks"][0]
    c = t.get("counts", {})
    ok(c.get("unparsed") == 8 and c.get("judge_ratings") == 8 and
       c.get("answers") == 4,
       "no rating read: 8 unparsed ratings of 8 (4 answers), not 4 (%s)"
       % c)
    rep = ""
    if os.path.exists(os.path.join(out, "mute", "report.md")):
        rep = open(os.path.join(out, "mute", "report.md")).read()
    ok("unparsed judge ratings 8 (100.0%)" in rep,
       "the report says 8 unparsed ratings, 100% of the ratings")

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
