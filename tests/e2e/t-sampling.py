"""--samples N > 1: candidates are independent samples.  Through the
real binary and the fake server: each candidate of a sample is sent with
its own seed (--seed + candidate) and the documented temperature (0.8
for best-of-N, 0.2 / 0.8 for pass@k below / from 10 candidates,
--temperature and the preset's temperature winning), the seed is
recorded in samples/, --samples 1 sends what it always sent, and the
report warns when most candidates are identical at a temperature above
0 (and only then)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (SRC, FakeServer, cleanup, done, ok, results, run,
                  samples, tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
FIX = os.path.join(SRC, "tests", "fixtures")
server = None
same = None


def task_of(res, name):
    for t in res["tasks"]:
        if t["name"] == name:
            return t
    return {}


def bodies(srv, since):
    """The chat request bodies the server got after the first `since`."""
    return [r["body"] for r in srv.requests()[since:]
            if r.get("path", "").endswith("/chat/completions")]


def by_question(bs):
    """{question text: [bodies]} for gsm8k's zero-shot chat requests."""
    g = {}
    for b in bs:
        q = b["messages"][-1]["content"]
        g.setdefault(q, []).append(b)
    return g


def report(rid):
    with open(os.path.join(out, rid, "report.md")) as f:
        return f.read()


try:
    d = os.path.join(tmp, "data", "gsm8k")
    os.makedirs(d)
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(3):
            f.write(json.dumps({"question": "question %d?" % i,
                                "answer": "#### %d" % i}) + "\n")
    env = {"QEVAL_DATA_DIR": os.path.join(tmp, "data"),
           "QEVAL_MANIFEST_DIR": "none"}
    GSM = ["--tasks", "gsm8k", "--num-fewshot", "0", "--out", out, "-q"]
    script = {"default": {"text": "The answer is {seed}."}}
    server = FakeServer(tmp, script)
    M = ["--model", "fake", "--endpoint", server.url]

    # -- --samples 4: four seeds, the best-of-N temperature --------------
    n0 = len(server.requests())
    rc, so, se = run(M + GSM + ["--samples", "4", "--seed", "77",
                                "--run-id", "s4"], env=env)
    ok(rc == 0, "--samples 4 exits 0", se)
    g = by_question(bodies(server, n0))
    ok(len(g) == 3 and all(len(v) == 4 for v in g.values()),
       "4 requests for each of the 3 samples", {k: len(v) for k, v in
                                               g.items()})
    ok(all(sorted(b["seed"] for b in v) == [77, 78, 79, 80]
           for v in g.values()),
       "the 4 requests of a sample have the seeds 77..80 (--seed + c)",
       [[b.get("seed") for b in v] for v in g.values()])
    ok(all(b["temperature"] == 0.8 and b["top_p"] == 1
           for v in g.values() for b in v),
       "every candidate is sampled at 0.8 (gsm8k: best-of-N), top_p 1",
       [[b.get("temperature") for b in v] for v in g.values()])
    if rc == 0:
        got = samples(os.path.join(out, "s4"), "gsm8k")
        ok(all(s.get("seed") == 77 + s["candidate"] and
               s.get("temperature") == 0.8 and
               s["exchanges"][0]["request"]["seed"] == s["seed"]
               for s in got) and len(got) == 12,
           "samples/ records each candidate's seed and temperature",
           [(s.get("candidate"), s.get("seed")) for s in got])
        t = task_of(results(os.path.join(out, "s4")), "gsm8k")
        ok(t.get("sampling_temperature") == 0.8 and
           t.get("identical_candidates") == 0,
           "results.json: sampling_temperature 0.8, no identical "
           "candidates", json.dumps(t)[:400])
        ok("at temperature" not in report("s4"),
           "no identical-candidate warning when candidates differ")
        # rescore replays the journal: each candidate's request (with its
        # seed) must match what was saved, and nothing is asked again
        n1 = len(server.requests())
        rc, so, se = run(["rescore", os.path.join(out, "s4")], env=env)
        t2 = task_of(results(os.path.join(out, "s4")), "gsm8k")
        ok(rc == 0 and len(server.requests()) == n1 and
           t2.get("scored") == 3 and t2.get("identical_candidates") == 0
           and t2.get("sampling_temperature") == 0.8,
           "rescore replays the 12 sampled candidates, asks nothing",
           (rc, se, json.dumps(t2)[:300]))

    # -- --samples 1 stays greedy and as before --------------------------
    n0 = len(server.requests())
    rc, so, se = run(M + GSM + ["--run-id", "s1"], env=env)
    ok(rc == 0, "--samples 1 exits 0", se)
    bs = bodies(server, n0)
    ok(len(bs) == 3 and all(b["temperature"] == 0 and b["seed"] == 1234
                            and b["top_p"] == 1 for b in bs),
       "--samples 1: one greedy request per sample, the preset's seed",
       bs[:1])
    if rc == 0:
        got = samples(os.path.join(out, "s1"), "gsm8k")
        ok(all("seed" not in s and "temperature" not in s for s in got),
           "--samples 1: no sampling fields in samples/")
        t = task_of(results(os.path.join(out, "s1")), "gsm8k")
        ok(t.get("sampling_temperature", "absent") is None,
           "--samples 1: sampling_temperature is null")

    # -- identical answers at T > 0: the warning -------------------------
    same = FakeServer(tmp, {"default": {"text": "The answer is 7."}})
    rc, so, se = run(["--model", "fake", "--endpoint", same.url] + GSM +
                     ["--samples", "4", "--run-id", "same"], env=env)
    ok(rc == 0, "identical answers: exits 0", se)
    if rc == 0:
        t = task_of(results(os.path.join(out, "same")), "gsm8k")
        ok(t.get("identical_candidates") == 1,
           "every sample's candidates are identical", json.dumps(t)[:400])
        rep = report("same")
        ok("identical candidates 100.0% \u26a0\ufe0f (sampled at "
           "temperature 0.8)" in rep,
           "the report warns: identical candidates at temperature 0.8",
           [ln for ln in rep.splitlines() if "gsm8k" in ln])
    # --temperature 0 asks for greedy candidates: identical, no warning
    n0 = len(same.requests())
    rc, so, se = run(["--model", "fake", "--endpoint", same.url] + GSM +
                     ["--samples", "4", "--temperature", "0",
                      "--run-id", "t0"], env=env)
    ok(rc == 0, "--temperature 0 --samples 4 exits 0", se)
    bs = bodies(same, n0)
    ok(len(bs) == 12 and all(b["temperature"] == 0 for b in bs),
       "--temperature 0 overrides the sampling temperature",
       [b.get("temperature") for b in bs])
    if rc == 0:
        ok("at temperature" not in report("t0"),
           "no warning for identical candidates at temperature 0")
    same.stop()

    # -- --temperature and the preset's temperature win ------------------
    n0 = len(server.requests())
    rc, so, se = run(M + GSM + ["--samples", "2", "--temperature", "0.5",
                                "--run-id", "t5"], env=env)
    bs = bodies(server, n0)
    ok(rc == 0 and len(bs) == 6 and
       all(b["temperature"] == 0.5 for b in bs),
       "--temperature 0.5 is the candidates' temperature",
       [b.get("temperature") for b in bs])
    pf = os.path.join(tmp, "warm.json")
    with open(pf, "w") as f:
        json.dump({"name": "warm", "generation": {"temperature": 0.6,
                                                  "top_p": 0.95}}, f)
    n0 = len(server.requests())
    rc, so, se = run(M + GSM + ["--samples", "2", "--preset-file", pf,
                                "--run-id", "warm"], env=env)
    bs = bodies(server, n0)
    ok(rc == 0 and len(bs) == 6 and
       all(b["temperature"] == 0.6 and b["top_p"] == 0.95 for b in bs),
       "a preset's temperature and top_p apply to candidates",
       [(b.get("temperature"), b.get("top_p")) for b in bs])
    n0 = len(server.requests())
    rc, so, se = run(M + GSM + ["--preset-file", pf, "--run-id", "warm1"],
                     env=env)
    bs = bodies(server, n0)
    ok(rc == 0 and len(bs) == 3 and
       all(b["temperature"] == 0 for b in bs),
       "--samples 1 keeps the plugin's greedy recipe under that preset",
       [b.get("temperature") for b in bs])

    # -- log-likelihood tasks sample nothing: no temperature, no warning --
    a = os.path.join(tmp, "data", "arc")
    os.makedirs(a)
    with open(os.path.join(a, "ARC-Challenge-Test.jsonl"), "w") as f:
        for i in range(2):
            f.write(json.dumps({"id": "a%d" % i, "question": {
                "stem": "Pick %d?" % i, "choices": [
                    {"text": "yes", "label": "A"},
                    {"text": "no", "label": "B"}]},
                "answerKey": "A"}) + "\n")
    rc, so, se = run(M + ["--tasks", "arc_challenge", "--api",
                          "completions", "--samples", "2", "--out", out,
                          "--run-id", "arc", "-q"], env=env)
    ok(rc == 0, "arc_challenge --samples 2 exits 0", se)
    if rc == 0:
        t = task_of(results(os.path.join(out, "arc")), "arc_challenge")
        got = samples(os.path.join(out, "arc"), "arc_challenge")
        ok(t.get("identical_candidates") == 1 and
           t.get("sampling_temperature", "absent") is None and
           all("seed" not in s for s in got) and
           "at temperature" not in report("arc"),
           "log-likelihood candidates: identical, no sampling "
           "temperature, no warning", json.dumps(t)[:400])

    # -- pass@k tasks: the Codex convention ------------------------------
    TINY = ["--data-dir", FIX, "--task-opt", "file=humaneval/tiny.jsonl",
            "--tasks", "humaneval_instruct", "--out", out, "-q"]
    for n, want in ((4, 0.2), (10, 0.8)):
        n0 = len(server.requests())
        rc, so, se = run(M + TINY + ["--samples", str(n), "--run-id",
                                     "he%d" % n])
        bs = bodies(server, n0)
        ok(rc == 0 and len(bs) == 2 * n and
           all(b["temperature"] == want for b in bs) and
           len(set(b["seed"] for b in bs)) == n,
           "humaneval_instruct --samples %d: temperature %g, %d seeds" %
           (n, want, n), (rc, se, [b.get("temperature") for b in bs]))
finally:
    for srv in (server, same):
        if srv is not None:
            srv.stop()
    cleanup(tmp)
done()
