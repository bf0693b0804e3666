"""End to end on the multiple-choice tasks (ARC, HellaSwag) with the real
qeval binary and the fake server:

  a. arc_challenge against a vLLM-shaped server with scripted per-choice
     log-likelihoods: acc and acc_norm against hand-computed values (items
     where the two disagree, a tie, a choice whose length in code points
     differs from its length in bytes, labels 1-4, 2 to 5 choices), and
     the requests the server saw (the probe, then one echo request per
     choice);
  b. a llama.cpp-shaped server (no prompt log-probabilities): the run
     stops after the probe, exits non-zero, names arc_challenge_gen, and
     leaves no score behind;
  c. arc_challenge_gen against that server and a vLLM-shaped one:
     lm-eval's arc_challenge_chat by default (prefilled requests,
     continuations scored as lm-eval scores them), qeval's letter
     extraction with --task-opt prefill=0, each run's qeval_extraction
     metric and recipe saying which;
  d. hellaswag on synthetic sets in the llama.cpp text format (bz2) and
     in the official jsonl, through the fake server;
  e. with QEVAL_DATA_DIR: the reference model on the full ARC-Challenge
     test (1172) and HellaSwag validation (10042) sets scores 1.0, the
     corrupted one 0.0; without it, SKIP.

The synthetic sets are made here (QEVAL_MANIFEST_DIR=none: read
unverified)."""

import bz2
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (DATA, FakeServer, cleanup, done, metric, ok, results,
                  run, samples, skip, tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
data = os.path.join(tmp, "data")
env = {"QEVAL_MANIFEST_DIR": "none", "QEVAL_DATA_DIR": data}
servers = []
PROBE = "The capital of France is Paris"
EPS = 1e-9


def fast_preset(name="fast", concurrency=4):
    p = {"name": name, "client": {"concurrency": concurrency,
                                  "timeout_s": 20, "retries": 1,
                                  "backoff_base_s": 0.05,
                                  "backoff_max_s": 0.2}}
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(p, f)
    return path


# -- the synthetic ARC set ------------------------------------------------
#
# Each item: stem, [(label, text, total log-probability)], answerKey,
# greedy choices, and acc / acc_norm worked out by hand.  acc_norm divides
# by len(text) in code points, without the leading space.
ARC = [
    # B has the best total (-2) and the best per character (-2/14).
    ("Which gas do plants take in from the air? [arc0]",
     [("A", "oxygen", -4.0), ("B", "carbon dioxide", -2.0),
      ("C", "nitrogen", -6.0), ("D", "helium", -8.0)],
     "B", ["carbon dioxide"], 1, 1),
    # Disagreement: the short "yes" has the best total (-3 > -6), the
    # long gold B the best per character (-6/36 = -0.167 > -3/3 = -1).
    ("Why does the moon shine at night? [arc1]",
     [("A", "yes", -3.0),
      ("B", "the moon reflects light from the sun", -6.0),
      ("C", "no", -5.0)],
     "B", [], 0, 1),
    # Disagreement the other way, labels 1-4: the short gold "ice" has
    # the best total (-2 > -4.5), the long B the best per character
    # (-4.5/30 = -0.15 > -2/3 = -0.667).
    ("What is frozen water called? [arc2]",
     [("1", "ice", -2.0), ("2", "a block of frozen water vapour", -4.5),
      ("3", "steam", -7.0), ("4", "fog", -9.0)],
     "1", ["ice"], 1, 0),
    # Both wrong: A wins by total (-1) and per character (-1/3).
    ("What colour is a clear daytime sky? [arc3]",
     [("A", "red", -1.0), ("B", "green", -3.0), ("C", "blue", -2.0)],
     "C", [], 0, 0),
    # A tie on both scores goes to the first choice (numpy.argmax).
    ("Where does the sun rise? [arc4]",
     [("A", "east", -2.0), ("B", "west", -2.0)],
     "A", [], 1, 1),
    # Code points, not bytes: A (5 code points, 10 bytes) has -5/5 = -1
    # per character (-0.5 per byte), gold B -6/8 = -0.75; the total
    # prefers A.
    ("Which word has eight letters? [arc5]",
     [("A", "\u00e9\u00e9\u00e9\u00e9\u00e9", -5.0),
      ("B", "abcdefgh", -6.0), ("C", "xyz", -20.0), ("D", "uvw", -20.0),
      ("E", "rst", -20.0)],
     "B", [], 0, 1),
]


def arc_context(stem):
    return "Question: " + stem + "\nAnswer:"


def write_arc():
    d = os.path.join(data, "arc")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "ARC-Challenge-Test.jsonl"), "w",
              encoding="utf-8") as f:
        for i, (stem, ch, key, _, _, _) in enumerate(ARC):
            f.write(json.dumps({
                "id": "Synth_%d" % i,
                "question": {"stem": stem, "choices": [
                    {"text": t, "label": lab} for lab, t, _ in ch]},
                "answerKey": key}, ensure_ascii=False) + "\n")


def loglik_rule(context, conts, greedy=()):
    return {"path": "/v1/completions", "contains": context,
            "loglik": {" " + t: lp for t, lp in conts},
            "greedy": [" " + g for g in greedy]}


# -- the synthetic HellaSwag sets -------------------------------------------
#
# Text format: six lines per item.  The queries qeval must build: the
# last fragment capitalised ("hs0. she" -> "hs0. She"), endings cleaned
# by lm-eval's preprocess ("[step]" removed, the double space halved).
HS_TEXT = [
    # (context line, gold, endings, expected query, expected endings,
    #  totals, acc, acc_norm)
    ("Baking cookies: A woman pours flour into a bowl hs0. she", 2,
     ["drops the bowl.", "eats it.",
      "stirs in two eggs and [step] mixes them well.", "leaves."],
     "Baking cookies: A woman pours flour into a bowl hs0. She",
     ["drops the bowl.", "eats it.", "stirs in two eggs and mixes them "
      "well.", "leaves."],
     # "eats it." best total; the gold ending best per character.
     [-6.0, -3.0, -8.0, -9.0], 0, 1),
    ("Running: The man ties his shoes hs1.", 0,
     ["He runs down the road.", "He flies.", "He sleeps.", "He sings."],
     "Running: The man ties his shoes hs1.",
     ["He runs down the road.", "He flies.", "He sleeps.", "He sings."],
     [-1.0, -4.0, -5.0, -6.0], 1, 1),
    ("Playing guitar: A boy holds a guitar hs2. he", 3,
     ["throws the guitar into a very deep and distant lake.", "cries.",
      "eats.", "plays."],
     "Playing guitar: A boy holds a guitar hs2. He",
     ["throws the guitar into a very deep and distant lake.", "cries.",
      "eats.", "plays."],
     # Gold "plays." best total; the long first ending best per character.
     [-5.0, -8.0, -9.0, -3.0], 1, 0),
    ("Swimming: A girl jumps into the pool hs3.", 1,
     ["She swims.", "She floats on her back.", "She dives.", "She waves."],
     "Swimming: A girl jumps into the pool hs3.",
     ["She swims.", "She floats on her back.", "She dives.", "She waves."],
     [-1.0, -9.0, -4.0, -4.0], 0, 0),
]

# Official jsonl: ctx_b.capitalize() lowers the rest of ctx_b.
HS_JSON = [
    ({"activity_label": "Washing dishes", "ctx_a": "A man fills the sink "
      "hsj0.", "ctx_b": "then He ADDS soap", "endings": [
          "and scrubs the plates.", "and leaves.", "and sings loudly.",
          "and eats."], "label": 0},
     "Washing dishes: A man fills the sink hsj0. Then he adds soap",
     [-2.0, -3.0, -9.0, -9.0], 1, 1),
    ({"activity_label": "Painting", "ctx_a": "A woman dips a brush in "
      "paint hsj1.", "ctx_b": "", "endings": [
          "She paints a long line across the canvas.", "She sits.",
          "She stops.", "She eats."], "label": "0"},
     "Painting: A woman dips a brush in paint hsj1.",
     [-6.0, -4.0, -9.0, -9.0], 0, 1),
    # Python's capitalize(): full title case first ("ß" -> "Ss"), full
    # lower case after it ("NAMES" -> "names", "Σ" final -> "ς")
    ({"activity_label": "Street signs", "ctx_a": "A sign reads hsj2.",
      "ctx_b": "\u00dftra\u00dfe NAMES \u039f\u0394\u039f\u03a3",
      "endings": ["is a long word.", "no.", "xy.", "zw."], "label": 0},
     "Street signs: A sign reads hsj2. Sstra\u00dfe names "
     "\u03bf\u03b4\u03bf\u03c2",
     [-2.0, -3.0, -9.0, -9.0], 1, 1),
]


def write_hellaswag():
    d = os.path.join(data, "hellaswag")
    os.makedirs(d, exist_ok=True)
    lines = []
    for ctx, gold, endings, _, _, _, _, _ in HS_TEXT:
        lines += [ctx, str(gold)] + endings
    with open(os.path.join(d, "hellaswag_val_full.txt.bz2"), "wb") as f:
        f.write(bz2.compress(("\n".join(lines) + "\n").encode("utf-8")))
    with open(os.path.join(d, "val.jsonl"), "w") as f:
        for doc, _, _, _, _ in HS_JSON:
            f.write(json.dumps(doc) + "\n")


def completions_bodies(srv):
    return [q for q in srv.requests() if q.get("path") == "/v1/completions"]


def check_echo_requests(srv, expected, what):
    """The probe first, then exactly the expected prompts, once each, in
    lm-eval's request shape."""
    reqs = completions_bodies(srv)
    bodies = [q.get("body") or {} for q in reqs]
    ok(len(bodies) > 0 and bodies[0].get("prompt") == PROBE and
       sum(1 for b in bodies if b.get("prompt") == PROBE) == 1,
       "%s: the capability probe was the first request, sent once" % what,
       [b.get("prompt") for b in bodies[:3]])
    got = sorted(b.get("prompt") for b in bodies[1:])
    ok(got == sorted(expected), "%s: one request per choice (%d), each "
       "prompt = context + continuation" % (what, len(expected)),
       "got %d requests; first differences: %s" % (
           len(got), [p for p in got if p not in expected][:3]))
    ok(all(b.get("echo") is True and b.get("logprobs") == 1 and
           b.get("max_tokens") == 1 and b.get("temperature") == 0 and
           b.get("model") == "fake-model" for b in bodies),
       "%s: every request has echo true, logprobs 1, max_tokens 1, "
       "temperature 0" % what,
       [b for b in bodies if not (b.get("echo") is True and
                                  b.get("logprobs") == 1)][:2])
    ok(len(srv.requests()) == len(reqs), "%s: nothing but /v1/completions "
       "was asked" % what)


def no_score_left(run_dir):
    """Nothing in the run directory claims a score."""
    if not os.path.isdir(run_dir):
        return True
    if os.path.exists(os.path.join(run_dir, "results.json")):
        return False
    sd = os.path.join(run_dir, "samples")
    if os.path.isdir(sd) and any(os.path.getsize(os.path.join(sd, f)) > 0
                                 for f in os.listdir(sd)):
        return False
    j = os.path.join(run_dir, "journal")
    return not os.path.exists(j) or os.path.getsize(j) == 0


try:
    write_arc()
    write_hellaswag()

    # -- a. arc_challenge against the vLLM-shaped server -----------------
    script = {"rules": [loglik_rule(arc_context(stem),
                                    [(t, lp) for _, t, lp in ch], greedy)
                        for stem, ch, _, greedy, _, _ in ARC]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    rc, so, se = run(["--model", "fake-model", "--endpoint", srv.url,
                      "--tasks", "arc_challenge", "--api", "completions",
                      "--out", out, "--run-id", "arc", "-q",
                      "--preset-file", fast_preset()], env=env)
    ok(rc == 0, "arc_challenge against the fake vLLM server exits 0", se)
    exp_acc = sum(it[4] for it in ARC) / len(ARC)
    exp_norm = sum(it[5] for it in ARC) / len(ARC)
    if rc == 0:
        r = results(os.path.join(out, "arc"))
        t = r["tasks"][0]
        ok(t["samples"] == len(ARC) and t["scored"] == len(ARC) and
           t["errors"] == 0, "all %d items scored" % len(ARC), t)
        acc = metric(r, "arc_challenge", "acc")
        norm = metric(r, "arc_challenge", "acc_norm")
        ok(acc is not None and abs(acc - exp_acc) < EPS,
           "acc = %g (hand-computed)" % exp_acc, "got %s" % acc)
        ok(norm is not None and abs(norm - exp_norm) < EPS,
           "acc_norm = %g (hand-computed)" % exp_norm, "got %s" % norm)
        ok(r["system"]["requests"] == 1 + sum(len(it[1]) for it in ARC),
           "results.json counts the probe and the echo requests (%s)" %
           r["system"]["requests"])
        by_id = {s["id"]: s for s in samples(os.path.join(out, "arc"),
                                             "arc_challenge")}
        bad = []
        for i, (stem, ch, key, greedy, a, an) in enumerate(ARC):
            s = by_id.get("Synth_%d" % i)
            if s is None:
                bad.append("Synth_%d missing" % i)
                continue
            v = s["verdict"]
            resp = s["exchanges"][0]["response"]
            if v.get("acc") != a or v.get("acc_norm") != an:
                bad.append("Synth_%d: acc %s acc_norm %s, want %s %s" % (
                    i, v.get("acc"), v.get("acc_norm"), a, an))
            lps = resp.get("logprob") or []
            if len(lps) != len(ch) or any(abs(x - lp) > EPS for x, (_, _, lp)
                                          in zip(lps, ch)):
                bad.append("Synth_%d: logprobs %s" % (i, lps))
            want_g = [t in greedy for _, t, _ in ch]
            if resp.get("greedy") != want_g:
                bad.append("Synth_%d: greedy %s, want %s" % (
                    i, resp.get("greedy"), want_g))
            if s["detail"].get("chars") != [len(t) for _, t, _ in ch]:
                bad.append("Synth_%d: chars %s" % (i, s["detail"]))
        ok(not bad, "per item: acc, acc_norm, summed log-probabilities, "
           "is_greedy and lengths in code points as scripted", bad)
        ok(by_id.get("Synth_1", {}).get("verdict") == {"acc": 0,
                                                       "acc_norm": 1}
           and by_id.get("Synth_2", {}).get("verdict") == {"acc": 1,
                                                           "acc_norm": 0},
           "acc and acc_norm disagree where a long choice wins per "
           "character and a short one by total")
    expected = [arc_context(stem) + " " + t
                for stem, ch, _, _, _, _ in ARC for _, t, _ in ch]
    check_echo_requests(srv, expected, "arc_challenge")

    # -- b. a server without prompt log-probabilities ----------------------
    llama = FakeServer(tmp, {"rules": []}, ["--flavor", "llamacpp"])
    servers.append(llama)
    rc, so, se = run(["--model", "fake-model", "--endpoint", llama.url,
                      "--tasks", "arc_challenge", "--api", "completions",
                      "--out", out, "--run-id", "llama-ll", "-q",
                      "--preset-file", fast_preset()], env=env)
    ok(rc != 0, "arc_challenge on a llama.cpp-shaped server exits "
       "non-zero (%d)" % rc)
    ok("arc_challenge_gen" in se and "prompt log-probabilities" in se,
       "the message names arc_challenge_gen and says why", se)
    ok("<task>" not in se, "the message names the task, not a "
       "placeholder", se)
    reqs = llama.requests()
    ok(len(reqs) == 1 and (reqs[0].get("body") or {}).get("prompt") ==
       PROBE, "the server was asked the probe and nothing else",
       [(q.get("body") or {}).get("prompt") for q in reqs])
    ok(no_score_left(os.path.join(out, "llama-ll")),
       "no results, samples or journal entries claim a score")
    n0 = len(llama.requests())
    rc, so, se = run(["--model", "fake-model", "--endpoint", llama.url,
                      "--tasks", "arc_challenge,hellaswag", "--api",
                      "completions", "--out", out, "--run-id", "llama-2",
                      "-q", "--preset-file", fast_preset()], env=env)
    ok(rc != 0 and "arc_challenge_gen" in se and "hellaswag_gen" in se
       and "<task>" not in se, "two log-likelihood tasks: both "
       "generative variants named", se)
    ok(len(llama.requests()) == n0 + 1 and
       no_score_left(os.path.join(out, "llama-2")),
       "only the probe asked, no score left")

    # -- c. arc_challenge_gen works against it -------------------------------
    # By default lm-eval's arc_challenge_chat: the server continues the
    # assistant turn "The best answer is"; the scripted text is that
    # continuation (the server cuts it at the stops "\n\n" and ".").
    # lm-eval's verdict: strip(), then exact_match ignoring case and
    # punctuation against the target ('ABCD'[k-1] for labels 1-4).
    # (continuation, counts as right, counts as invalid)
    CHAT = [
        (" B", 1, 0),                          # gold B
        (" (A).", 0, 0),                       # "(A)" -> "a", gold B
        (" a", 1, 0),                          # label "1": target A
        (" I am not sure", 0, 1),              # no letter
        (" C", 0, 1),                          # beyond 2 options
        (" **B**\n\nBecause it has eight.", 1, 0),  # cut at "\n\n"
    ]
    # prefill=0: qeval's letter extraction on a free answer
    GEN = [
        ("Plants use it. The best answer is B.", 1, 0),   # phrase
        ("The answer is (A).", 0, 0),                     # wrong letter
        ("a", 1, 0),                                      # bare; gold 1=A
        ("I am not sure.", 0, 1),                         # no letter
        ("Answer: C", 0, 1),                              # beyond 2 options
        ("B. Because it has eight letters.", 1, 0),       # leading
    ]
    # lm-eval's prompt holds "\n" as a backslash and an n; qeval's own
    # prompt (prefill=0) a newline: one server answers both.
    gen_rules = [{"contains": "Question: " + stem + "\n", "text": ans}
                 for (stem, _, _, _, _, _), (ans, _, _) in zip(ARC, GEN)]
    gen_rules += [{"contains": "Question: " + stem + "\\n", "text": ans}
                  for (stem, _, _, _, _, _), (ans, _, _) in zip(ARC, CHAT)]
    for flavor in ("llamacpp", "vllm"):
        gsrv = FakeServer(tmp, {"rules": gen_rules,
                                "default": {"text": "no rule"}},
                          ["--flavor", flavor])
        servers.append(gsrv)
        for opt, want, qext in ((None, CHAT, 0), ("prefill=0", GEN, 1)):
            if flavor == "vllm" and opt is not None:
                continue
            rid = "gen-%s-%s" % (flavor, opt or "default")
            n0 = len(gsrv.requests())
            extra = ["--task-opt", opt] if opt else []
            rc, so, se = run(["--model", "fake-model", "--endpoint",
                              gsrv.url, "--tasks", "arc_challenge_gen",
                              "--out", out, "--run-id", rid, "-q",
                              "--preset-file", fast_preset()] + extra,
                             env=env)
            what = "arc_challenge_gen (%s, %s server)" % (
                opt or "default: lm-eval's prefill", flavor)
            ok(rc == 0, what + " exits 0", se)
            if rc == 0:
                r = results(os.path.join(out, rid))
                em = metric(r, "arc_challenge_gen", "exact_match")
                inv = metric(r, "arc_challenge_gen", "invalid")
                qx = metric(r, "arc_challenge_gen", "qeval_extraction")
                want_em = sum(g[1] for g in want) / len(want)
                want_inv = sum(g[2] for g in want) / len(want)
                ok(em is not None and abs(em - want_em) < EPS and
                   inv is not None and abs(inv - want_inv) < EPS,
                   "%s: exact_match = %g, invalid = %g" %
                   (what, want_em, want_inv), "got %s %s" % (em, inv))
                ok(qx == qext, "%s: qeval_extraction = %d (which "
                   "extraction scored, in the report's Notes)" %
                   (what, qext), "got %s" % qx)
                t = [x for x in r["tasks"]
                     if x["name"] == "arc_challenge_gen"]
                ok(t and "arc_challenge_chat" in t[0]["recipe"] and
                   "qeval's letter extraction" in t[0]["recipe"],
                   "%s: the recipe names lm-eval's and qeval's modes" %
                   what, t[0]["recipe"] if t else r["tasks"])
            greqs = [q.get("body") or {} for q in gsrv.requests()[n0:]]
            if opt is None:
                good = all(
                    b.get("messages", [{}])[-1] == {
                        "role": "assistant",
                        "content": "The best answer is"} and
                    b.get("continue_final_message") is True and
                    b.get("add_generation_prompt") is False and
                    b.get("stop") == ["\n\n", "."] and
                    b.get("max_tokens") == 100 and
                    "\\nA. " in b["messages"][0]["content"]
                    for b in greqs)
                ok(len(greqs) == len(ARC) and good, "%s: one prefilled "
                   "request per item, stops and 100 tokens as lm-eval's"
                   % what, greqs[:1])
            else:
                ok(len(greqs) == len(ARC) and not any(
                    b.get("echo") or b.get("continue_final_message")
                    for b in greqs) and all(
                    "Question: " in json.dumps(b) for b in greqs),
                   "%s: one free generation per item, no prefill, no "
                   "probe" % what, greqs[:1])

    # -- d. hellaswag: text format (bz2) and jsonl -----------------------------
    rules = []
    hs_expected = []
    for _, _, _, query, ends, totals, _, _ in HS_TEXT:
        rules.append(loglik_rule(query, list(zip(ends, totals))))
        hs_expected += [query + " " + e for e in ends]
    hj_expected = []
    for doc, query, totals, _, _ in HS_JSON:
        rules.append(loglik_rule(query, list(zip(doc["endings"], totals))))
        hj_expected += [query + " " + e for e in doc["endings"]]
    hsrv = FakeServer(tmp, {"rules": rules})
    servers.append(hsrv)
    rc, so, se = run(["--model", "fake-model", "--endpoint", hsrv.url,
                      "--tasks", "hellaswag", "--api", "completions",
                      "--out", out, "--run-id", "hs", "-q",
                      "--preset-file", fast_preset()], env=env)
    ok(rc == 0, "hellaswag (llama.cpp text format) exits 0", se)
    if rc == 0:
        r = results(os.path.join(out, "hs"))
        acc = metric(r, "hellaswag", "acc")
        norm = metric(r, "hellaswag", "acc_norm")
        wa = sum(it[6] for it in HS_TEXT) / len(HS_TEXT)
        wn = sum(it[7] for it in HS_TEXT) / len(HS_TEXT)
        ok(acc is not None and abs(acc - wa) < EPS and norm is not None and
           abs(norm - wn) < EPS, "hellaswag: acc = %g, acc_norm = %g "
           "(hand-computed)" % (wa, wn), "got %s %s" % (acc, norm))
        # samples/*.jsonl is in the order the answers came back
        ss = sorted(samples(os.path.join(out, "hs"), "hellaswag"),
                    key=lambda s: s["index"])
        ok([s["id"] for s in ss] == ["hellaswag/%d" % i
                                     for i in range(len(HS_TEXT))] and
           [s["verdict"] for s in ss] == [{"acc": it[6], "acc_norm": it[7]}
                                          for it in HS_TEXT],
           "hellaswag: per-item verdicts", [s["verdict"] for s in ss])
    check_echo_requests(hsrv, hs_expected, "hellaswag text format "
                        "(capitalised last fragment, [step] removed)")

    n0 = len(hsrv.requests())
    rc, so, se = run(["--model", "fake-model", "--endpoint", hsrv.url,
                      "--tasks", "hellaswag", "--api", "completions",
                      "--task-opt", "test_file=hellaswag/val.jsonl",
                      "--out", out, "--run-id", "hsj", "-q",
                      "--preset-file", fast_preset()], env=env)
    ok(rc == 0, "hellaswag (official jsonl) exits 0", se)
    if rc == 0:
        r = results(os.path.join(out, "hsj"))
        acc = metric(r, "hellaswag", "acc")
        norm = metric(r, "hellaswag", "acc_norm")
        wa = sum(it[3] for it in HS_JSON) / len(HS_JSON)
        wn = sum(it[4] for it in HS_JSON) / len(HS_JSON)
        ok(acc is not None and abs(acc - wa) < EPS and norm is not None and
           abs(norm - wn) < EPS, "hellaswag jsonl: acc = %g, acc_norm = "
           "%g (hand-computed)" % (wa, wn), "got %s %s" % (acc, norm))
    got = sorted((q.get("body") or {}).get("prompt")
                 for q in hsrv.requests()[n0:])
    ok(got == sorted([PROBE] + hj_expected), "hellaswag jsonl: prompts "
       "use Python's ctx_b.capitalize() (\"then He ADDS\" -> \"Then he "
       "adds\", \"\u00dftra\u00dfe\" -> \"Sstra\u00dfe\")",
       [p for p in got if p not in hj_expected][:3])

    # -- e. the reference model on the real sets ------------------------------
    if DATA:
        renv = {"QEVAL_DATA_DIR": DATA}
        full = {"arc_challenge": 1172, "hellaswag": 10042}
        for model, want, rid in (("reference", 1.0, "ref"),
                                 ("reference:corrupt", 0.0, "corrupt")):
            rc, so, se = run(["--model", model, "--tasks",
                              "arc_challenge,hellaswag", "--out", out,
                              "--run-id", rid, "-q"], env=renv)
            ok(rc == 0, "%s on the full sets exits 0" % model, se)
            if rc != 0:
                continue
            r = results(os.path.join(out, rid))
            for task, n in full.items():
                t = [x for x in r["tasks"] if x["name"] == task]
                ok(t and t[0]["samples"] == n and t[0]["scored"] == n,
                   "%s: %s has %d samples, all scored" % (model, task, n),
                   t[0] if t else r["tasks"])
                ok(metric(r, task, "acc") == want and
                   metric(r, task, "acc_norm") == want,
                   "%s: %s acc = acc_norm = %g" % (model, task, want),
                   "acc %s acc_norm %s" % (metric(r, task, "acc"),
                                           metric(r, task, "acc_norm")))
    else:
        for _ in range(10):
            skip("QEVAL_DATA_DIR not set: reference runs on the full "
                 "ARC-Challenge and HellaSwag sets")
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
