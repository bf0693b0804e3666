"""End to end: bytes and server faults (issue 10 item 5, issue 11 items
7 and 12), through the real qeval binary and the fake server.

- A NUL byte ("\\u0000") in an answer is data: GSM8K extracts the number
  after it; a HumanEval program holding it fails as Python fails it
  ("SyntaxError: source code string cannot contain null bytes").
- Bytes that are not UTF-8 are stored as U+FFFD and counted.
- Every line of the journal and of samples/*.jsonl is strict JSON in
  strict UTF-8, and the texts round-trip (also through rescore).
- A stream whose events have no "choices" is a request error; a
  malformed 200 is retried as often as the preset's retries says and
  counted on the console, in results.json, the report and the sample;
  Retry-After is honoured up to a cap and the wait is logged; NaN in
  log-probabilities is named; a response over the size limit is an
  error."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (SRC, FakeServer, cleanup, done, ok, results, run,
                  samples, tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
servers = []
FIX = os.path.join(SRC, "tests", "fixtures")


def preset(name, retries, concurrency=2):
    p = {"name": name, "client": {"concurrency": concurrency,
                                  "timeout_s": 20, "retries": retries,
                                  "backoff_base_s": 0.01,
                                  "backoff_max_s": 0.05}}
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(p, f)
    return path


def no_constant(name):
    raise ValueError("not JSON: " + name)


def strict_lines(path):
    """Every line parsed as strict JSON from strict UTF-8; the lines, or
    the first error."""
    recs = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                recs.append(json.loads(raw.decode("utf-8"),
                                       parse_constant=no_constant))
            except ValueError as e:
                return None, "%s:%d: %s" % (path, n, e)
    return recs, None


def gsm8k_data():
    d = os.path.join(tmp, "data", "gsm8k")
    os.makedirs(d)
    qs = []
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(8):
            q = "Synthetic question %d: what is %d times 3?" % (i, i)
            qs.append(q)
            f.write(json.dumps({"question": q, "answer": "#### %d" % (3 * i)})
                    + "\n")
    with open(os.path.join(d, "train.jsonl"), "w") as f:
        for i in range(10):
            f.write(json.dumps({"question": "Train %d?" % i,
                                "answer": "#### %d" % i}) + "\n")
    return os.path.join(tmp, "data"), qs


def by_id(recs):
    return {r["id"]: r for r in recs}


def answer_text(rec):
    for x in rec.get("exchanges", []):
        if x.get("kind") == "chat" and "text" in x.get("response", {}):
            return x["response"]["text"]
    return None


try:
    data, qs = gsm8k_data()
    env = {"QEVAL_DATA_DIR": data, "QEVAL_MANIFEST_DIR": "none",
           "QEVAL_RETRY_AFTER_MAX": "0.5",
           "QEVAL_MAX_RESPONSE_BYTES": "8192"}

    def q(i):
        return "Question: " + qs[i] + "\nAnswer:"

    nul_text = "Let me think.\u0000 Still thinking\n#### 3"
    script = {"default": {"text": "no idea"}, "rules": [
        {"contains": q(1), "text": nul_text},
        {"contains": q(2), "raw_bytes": "ff", "text": "Hmm {bytes}\n#### 6"},
        {"contains": q(3), "no_choices": True},
        {"contains": q(4), "malformed": True, "times": 2},
        {"contains": q(4), "text": "#### 12"},
        {"contains": q(5), "status": 429, "retry_after": 0.2, "times": 1},
        {"contains": q(5), "text": "#### 15"},
        {"contains": q(6), "status": 503, "retry_after": 120, "times": 1},
        {"contains": q(6), "text": "#### 18"},
        {"contains": q(7), "size_bytes": 20000},
    ]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    rc, so, se = run(["--model", "m", "--endpoint", srv.url, "--tasks",
                      "gsm8k", "--limit", "8", "--out", out, "--run-id",
                      "bytes", "--preset-file", preset("faults", 3)],
                     env=env)
    rd = os.path.join(out, "bytes")
    ok(rc == 1, "two samples failed: exit 1", se)
    recs, err = strict_lines(os.path.join(rd, "samples", "gsm8k.jsonl"))
    ok(recs is not None and len(recs) == 8, "samples/gsm8k.jsonl: 8 "
       "lines, each strict JSON in strict UTF-8", err)
    jl, err = strict_lines(os.path.join(rd, "journal"))
    ok(jl is not None, "journal: every line strict JSON in strict UTF-8",
       err)
    s = by_id(recs or [])

    # -- NUL bytes and invalid UTF-8 ---------------------------------------
    r1 = s.get("gsm8k/1", {})
    ok(answer_text(r1) == nul_text, "the answer with a NUL byte is stored "
       "whole (\\u0000 round-trips)", json.dumps(r1)[:600])
    ok(r1.get("verdict", {}).get("exact_match,strict-match") == 1,
       "the number after the NUL byte is extracted", json.dumps(r1)[:600])
    ok(any(d.get("r", {}).get("text") == nul_text for d in (jl or [])),
       "the journal holds the whole answer")
    r2 = s.get("gsm8k/2", {})
    ok(answer_text(r2) == "Hmm \ufffd\n#### 6" and
       r2.get("verdict", {}).get("exact_match,strict-match") == 1,
       "a byte that is not UTF-8 is stored as U+FFFD and the answer "
       "scored", json.dumps(r2)[:600])
    ok(r2.get("exchanges", [{}])[0].get("invalid_utf8") == 1,
       "the sample counts it (invalid_utf8)", json.dumps(r2)[:600])
    res = results(rd) if os.path.exists(os.path.join(rd, "results.json")) \
        else {"tasks": [{}]}
    counts = res["tasks"][0].get("counts", {})
    ok(counts.get("invalid_utf8") == 1, "results.json counts one response "
       "with invalid UTF-8", counts)
    ok("1 response had invalid UTF-8" in so, "the console says so", so)

    # -- server faults -------------------------------------------------------
    r3 = s.get("gsm8k/3", {})
    ok("choices" in r3.get("error", "") and "verdict" not in r3,
       "a stream without \"choices\" is a request error, not an empty "
       "answer", json.dumps(r3)[:600])
    reqs = srv.requests()

    def asked(i):
        return sum(1 for x in reqs
                   if qs[i] in json.dumps(x.get("body"), ensure_ascii=False))

    ok(asked(3) == 4, "it was asked 1 + 3 retries times (%d)" % asked(3))
    r4 = s.get("gsm8k/4", {})
    ok(r4.get("verdict", {}).get("exact_match,strict-match") == 1 and
       asked(4) == 3, "two malformed replies retried, the third scored "
       "(asked %d times)" % asked(4), json.dumps(r4)[:600])
    ok(r4.get("unparseable_retries") == 2, "the sample records the 2 "
       "unparseable replies before its answer", json.dumps(r4)[:600])
    ok(counts.get("unparseable_retried") == 1, "results.json counts the "
       "sample", counts)
    ok("1 sample needed a retry after an unparseable reply" in so,
       "the console says so", so)
    rep = open(os.path.join(rd, "report.md"), encoding="utf-8").read() \
        if os.path.exists(os.path.join(rd, "report.md")) else ""
    ok("samples retried after an unparseable reply 1" in rep and
       "responses with invalid UTF-8 (stored as U+FFFD) 1" in rep,
       "the report's notes say both", rep[-1500:])
    ok("waiting 0.2 s as its Retry-After asks (cap 0.5 s)" in se,
       "a Retry-After wait is logged with the cap", se)
    ok("Retry-After asks for 120 s; waiting 0.5 s, the cap" in se,
       "a longer one waits the cap, logged", se)
    ok(s.get("gsm8k/5", {}).get("verdict", {}).get(
        "exact_match,strict-match") == 1 and s.get("gsm8k/6", {}).get(
        "verdict", {}).get("exact_match,strict-match") == 1,
       "both answered after the wait")
    r7 = s.get("gsm8k/7", {})
    ok("larger than the limit of 8192 bytes" in r7.get("error", ""),
       "a response over QEVAL_MAX_RESPONSE_BYTES is an error",
       json.dumps(r7)[:600])
    ok(asked(7) == 1, "and is not asked again (%d)" % asked(7))

    # -- a response past the default limit: refused while it arrives -------
    big = FakeServer(tmp, {"default": {"size_bytes": 40000000}})
    servers.append(big)
    rc, so, se = run(["--model", "m", "--endpoint", big.url, "--tasks",
                      "gsm8k", "--limit", "2", "--out", out, "--run-id",
                      "big", "-q", "--preset-file", preset("big", 0)],
                     env={"QEVAL_DATA_DIR": data,
                          "QEVAL_MANIFEST_DIR": "none"})
    recs, err = strict_lines(os.path.join(out, "big", "samples",
                                          "gsm8k.jsonl"))
    ok(rc == 1 and recs is not None and len(recs) == 2 and
       all("larger than the limit of 16 MiB" in r.get("error", "")
           for r in recs), "two 40 MB answers: each an error naming the "
       "16 MiB limit", (err or "") + se)
    acts = [x.get("action") for x in big.requests()]
    ok(acts == ["client_closed", "client_closed"], "qeval stopped reading "
       "each at the limit instead of holding 40 MB (%s)" % acts)

    # -- rescore replays the journal's bytes --------------------------------
    rc, so2, se2 = run(["rescore", rd, "-q"], env=env)
    recs2, err = strict_lines(os.path.join(rd, "samples", "gsm8k.jsonl"))
    s2 = by_id(recs2 or [])
    ok(recs2 is not None and answer_text(s2.get("gsm8k/1", {})) ==
       nul_text and s2["gsm8k/1"].get("verdict", {}).get(
           "exact_match,strict-match") == 1,
       "rescore reads the NUL byte back from the journal", err or se2)

    # -- a HumanEval program holding a NUL byte -----------------------------
    fence = "```python\ndef add(a, b):\n    return a + b\u0000\n```\n"
    code = FakeServer(tmp, {"default": {"text": "no code"}, "rules": [
        {"contains": "def add(a, b)", "text": fence},
        {"contains": "def total(", "text":
         "```python\ndef total(xs):\n    return sum(xs)\n```\n"}]})
    servers.append(code)
    rc, so, se = run(["--model", "m", "--endpoint", code.url, "--tasks",
                      "humaneval_instruct", "--out", out, "--run-id",
                      "code", "-q", "--data-dir", FIX, "--task-opt",
                      "file=humaneval/tiny.jsonl"])
    ok(rc == 0, "humaneval_instruct run exits 0", se)
    cd = os.path.join(out, "code")
    recs, err = strict_lines(os.path.join(cd, "samples",
                                          "humaneval_instruct.jsonl"))
    ok(recs is not None, "samples: strict JSON", err)
    jl, err = strict_lines(os.path.join(cd, "journal"))
    ok(jl is not None and any(
        "return a + b\u0000\n" in (d.get("r") or {}).get("text", "")
        for d in jl), "journal: strict JSON, the answer whole", err)
    c = by_id(recs or [])
    add = c.get("Tiny/0", {})
    detail = ""
    prog = ""
    for x in add.get("exchanges", []):
        if x.get("kind") == "exec":
            detail = x.get("response", {}).get("detail", "")
            prog = (x.get("request") or {}).get("program", "")
    # CPython 3.11.4 and later raise SyntaxError, earlier ones ValueError:
    # the executor's embedded interpreter decides, as python3 would.
    why = ": source code string cannot contain null bytes"
    ok(detail in ("SyntaxError" + why, "ValueError" + why),
       "the program fails as Python fails it: %r" % detail)
    ok("return a + b\u0000\n" in prog, "the program sent to the executor "
       "holds the NUL byte", prog[:300])
    ok(add.get("verdict", {}).get("pass@1") == 0 and
       c.get("Tiny/1", {}).get("verdict", {}).get("pass@1") == 1,
       "it fails; the other sample passes")
    try:
        compile(prog, "<candidate>", "exec")
        py = "compiled"
    except (SyntaxError, ValueError) as e:
        py = "%s: %s" % (type(e).__name__, e)
    ok(py.endswith(why), "this Python's compile() refuses the program "
       "too: %s" % py)

    # -- an exception message holding a NUL byte ---------------------------
    # The program is valid; its AssertionError's message is "x\0y".  The
    # detail crosses from the child to the samples by length: cut as a C
    # string it would read "AssertionError: x".
    fails = ("```python\ndef total(xs):\n"
             "    assert False, 'x\\0y' + 'tail'\n```\n")
    code2 = FakeServer(tmp, {"default": {"text": "no code"}, "rules": [
        {"contains": "def total(", "text": fails}]})
    servers.append(code2)
    rc, so, se = run(["--model", "m", "--endpoint", code2.url, "--tasks",
                      "humaneval_instruct", "--out", out, "--run-id",
                      "codenul", "-q", "--data-dir", FIX, "--task-opt",
                      "file=humaneval/tiny.jsonl"])
    ok(rc == 0, "humaneval_instruct run (NUL in a message) exits 0", se)
    cd = os.path.join(out, "codenul")
    recs, err = strict_lines(os.path.join(cd, "samples",
                                          "humaneval_instruct.jsonl"))
    ok(recs is not None, "samples: strict JSON", err)
    want = "AssertionError: x\u0000ytail"
    tot = by_id(recs or []).get("Tiny/1", {})
    xd = [(x.get("response") or {}).get("detail")
          for x in tot.get("exchanges", []) if x.get("kind") == "exec"]
    ok(xd == [want], "the exec exchange's detail holds the NUL and the "
       "text after it", xd)
    vd = tot.get("detail") or {}
    ok(isinstance(vd, dict) and vd.get("exec_detail") == want and
       tot.get("verdict", {}).get("pass@1") == 0 and
       tot.get("reason", "").startswith("failed: AssertionError: x"),
       "the verdict's detail holds it too; the sample fails",
       json.dumps(tot)[:800])
    with open(os.path.join(cd, "samples", "humaneval_instruct.jsonl"),
              "rb") as f:
        raw = f.read()
    ok(b"x\\u0000ytail" in raw and b"\x00" not in raw,
       "the samples file writes it as \\u0000, never a raw byte")
    jl, err = strict_lines(os.path.join(cd, "journal"))
    ok(jl is not None and any((d.get("r") or {}).get("text") == want
                              for d in jl),
       "journal: the exec record's text holds it", err)

    # -- NaN in log-probabilities ---------------------------------------------
    ad = os.path.join(tmp, "data", "arc")
    os.makedirs(ad)
    with open(os.path.join(FIX, "arc", "mini.jsonl")) as f, \
            open(os.path.join(ad, "ARC-Easy-Test.jsonl"), "w") as g:
        g.write(f.readline())
    arc = FakeServer(tmp, {"default": {"text": "x"}, "rules": [
        {"path": "/v1/completions", "logprob_value": "NaN"}]})
    servers.append(arc)
    rc, so, se = run(["--model", "m", "--endpoint", arc.url, "--tasks",
                      "arc_easy", "--limit", "1", "--out", out,
                      "--run-id", "nan", "-q", "--api", "completions",
                      "--preset-file", preset("nan", 1)], env=env)
    ok(rc != 0 and "NaN or Infinity" in se, "NaN in logprobs: the message "
       "says so", se)

    # -- a NUL byte in letter answers and in MT-Bench's conversation -------
    # lm-eval: " B\x00x".strip() is "B\x00x", which is not "B" even with
    # ignore_punctuation (NUL is not in string.punctuation; numpy drops
    # only trailing NULs): scored 0.  Cut at the NUL, it would read "B".
    with open(os.path.join(FIX, "arc", "mini.jsonl")) as f, \
            open(os.path.join(ad, "ARC-Challenge-Test.jsonl"), "w") as g:
        g.write(f.readline())
    gen = FakeServer(tmp, {"default": {"text": " B\u0000x"}})
    servers.append(gen)
    rc, so, se = run(["--model", "m", "--endpoint", gen.url, "--tasks",
                      "arc_challenge_gen", "--limit", "1", "--out", out,
                      "--run-id", "nulgen", "-q",
                      "--preset-file", preset("nulgen", 1)], env=env)
    r = results(os.path.join(out, "nulgen")) or {}
    em = [m.get("value") for t in r.get("tasks", [])
          for m in t.get("metrics", []) if m.get("name") == "exact_match"]
    ok(rc == 0 and em == [0.0], "arc_challenge_gen: ' B\\x00x' is not "
       "'B' (lm-eval compares the whole stripped answer)", (em, se))
    # qeval's own letter rule reads past the NUL.
    gen2 = FakeServer(tmp, {"default": {
        "text": "Hmm.\u0000 The answer is (B)"}})
    servers.append(gen2)
    rc, so, se = run(["--model", "m", "--endpoint", gen2.url, "--tasks",
                      "arc_challenge_gen", "--limit", "1", "--out", out,
                      "--run-id", "nulgen1", "-q", "--task-opt",
                      "prefill=0", "--preset-file", preset("nulgen1", 1)],
                     env=env)
    r = results(os.path.join(out, "nulgen1")) or {}
    em = [m.get("value") for t in r.get("tasks", [])
          for m in t.get("metrics", []) if m.get("name") == "exact_match"]
    ok(rc == 0 and em == [1.0], "prefill=0: the letter after a NUL byte "
       "is extracted", (em, se))

    # MT-Bench: turn 2 carries turn 1's answer whole, and the judge's
    # rating after a NUL byte is read (FastChat's re.search sees it).
    model = FakeServer(tmp, {"default": {"text": "one\u0000two"}})
    judge = FakeServer(tmp, {"default": {"text": "\u0000Rating: [[7]]"}},
                       extra=["--model", "judge-model"])
    servers += [model, judge]
    rc, so, se = run(["--model", "m", "--endpoint", model.url,
                      "--judge-endpoint", judge.url, "--judge-model",
                      "judge-model", "--tasks", "mtbench", "--limit", "1",
                      "--task-opt", "data_subdir=mtbench/fx",
                      "--data-dir", FIX, "--out", out, "--run-id", "nulmt",
                      "-q", "--preset-file", preset("nulmt", 1)],
                     env={"QEVAL_MANIFEST_DIR": "none"})
    bodies = [q.get("body") or {} for q in model.requests()]
    t2 = [b for b in bodies if len(b.get("messages", [])) >= 3]
    ok(len(t2) == 1 and t2[0]["messages"][-2]["content"] == "one\u0000two",
       "MT-Bench turn 2 carries turn 1's answer with its NUL byte",
       [b.get("messages") for b in bodies])
    jb = [q.get("body") or {} for q in judge.requests()]
    ok(len(jb) == 2 and all("one\u0000two" in b["messages"][-1]["content"]
                            for b in jb),
       "the judge prompt holds the answer with its NUL byte",
       [b.get("messages") for b in jb][:1])
    r = results(os.path.join(out, "nulmt")) or {}
    sc = [m.get("value") for t in r.get("tasks", [])
          for m in t.get("metrics", []) if m.get("name") == "score"]
    ok(rc == 0 and sc == [7.0], "the judge's rating after a NUL byte is "
       "read: score 7", (sc, se))
finally:
    for x in servers:
        x.stop()
    cleanup(tmp)
done()
