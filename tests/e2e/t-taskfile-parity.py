"""tasks/gsm8k.json and tasks/arc_easy.json against the built-in gsm8k
and arc_easy plugins: the same requests and the same per-sample verdicts
on the reference model, on reference:corrupt and on a fake-server run
with varied answers.  This is the proof that the task-file format can
say what the C plugins say.

With QEVAL_DATA_DIR the real files are used (first 150 items); without
it the repository's fixtures (read unverified)."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (DATA, SRC, FakeServer, cleanup, done, ok, run, samples,
                  tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
servers = []
ENV = {"XDG_CONFIG_HOME": os.path.join(tmp, "xdg")}
LIMIT = "150"

if DATA:
    data = DATA
else:
    data = os.path.join(tmp, "data")
    shutil.copytree(os.path.join(SRC, "tests", "fixtures", "gsm8k",
                                 "gsm8k"), os.path.join(data, "gsm8k"))
    os.makedirs(os.path.join(data, "arc"))
    # the fixture mixes layouts; arc_easy.json reads AI2's, as the
    # official files are
    with open(os.path.join(SRC, "tests", "fixtures", "arc",
                           "mini.jsonl")) as f, \
            open(os.path.join(data, "arc", "ARC-Easy-Test.jsonl"),
                 "w") as g:
        for line in f:
            if isinstance(json.loads(line).get("question"), dict):
                g.write(line)
    ENV["QEVAL_MANIFEST_DIR"] = "none"
ENV["QEVAL_DATA_DIR"] = data

PAIRS = [("gsm8k", "gsm8k_file", ["exact_match,strict-match",
                                  "exact_match,flexible-extract"]),
         ("arc_easy", "arc_easy_file", ["acc", "acc_norm"])]


def by_index(run_id, task):
    return {s["index"]: s for s in
            samples(os.path.join(out, run_id), task)}


def compare(label, c_run, f_run, c_task, f_task, names):
    a = by_index(c_run, c_task)
    b = by_index(f_run, f_task)
    vd = [i for i in a if i not in b or
          [a[i]["verdict"].get(n) for n in names] !=
          [b[i]["verdict"].get(n) for n in names]]
    rd = [i for i in a if i in b and a[i]["exchanges"][0]["request"] !=
          b[i]["exchanges"][0]["request"]]
    seen = sorted(set(tuple(a[i]["verdict"].get(n) for n in names)
                      for i in a))
    ok(len(a) > 0 and len(a) == len(b) and not vd and not rd,
       "%s: %s and %s agree on %d samples (requests and verdicts)"
       % (label, c_task, f_task, len(a)),
       "verdict diffs %r, request diffs %r" % (vd[:5], rd[:5]))
    return seen


def gsm8k_script():
    rules = []
    path = os.path.join(data, "gsm8k", "test.jsonl")
    with open(path) as f:
        for k, line in enumerate(f):
            if k >= 40:
                break
            d = json.loads(line)
            gold = d["answer"].split("####")[-1].strip()
            q = d["question"][-60:]
            if k % 4 == 0:
                text = "so #### " + gold
            elif k % 4 == 1:
                text = "The total is $" + gold + "."
            elif k % 4 == 2:
                text = "#### " + gold + "1"
            else:
                text = "I think it is %s, no wait, 7." % gold
            rules.append({"contains": q, "text": text})
    return {"default": {"text": "{echo}"}, "rules": rules}


try:
    for model in ("reference", "reference:corrupt"):
        for c_task, f_task, names in PAIRS:
            for t in (c_task, f_task):
                rc, so, se = run(["--model", model, "--tasks", t, "--limit",
                                  LIMIT, "--out", out, "--run-id",
                                  "%s-%s" % (t, model), "-q"], env=ENV)
                ok(rc == 0, "%s on %s exits 0" % (t, model), se)
            compare(model, "%s-%s" % (c_task, model),
                    "%s-%s" % (f_task, model), c_task, f_task, names)
    srv = FakeServer(tmp, gsm8k_script())
    servers.append(srv)
    for c_task, f_task, names in PAIRS:
        extra = ["--api", "completions"] if c_task == "arc_easy" else []
        for t in (c_task, f_task):
            rc, so, se = run(["--model", "fake-model", "--endpoint",
                              srv.url, "--tasks", t, "--limit", LIMIT,
                              "--out", out, "--run-id", "fake-" + t, "-q"]
                             + extra, env=ENV)
            ok(rc == 0, "%s against the fake server exits 0" % t, se)
        seen = compare("fake server", "fake-" + c_task, "fake-" + f_task,
                       c_task, f_task, names)
        ok(len(seen) >= 2, "fake server: %s's verdicts vary (%r)"
           % (c_task, seen))
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
