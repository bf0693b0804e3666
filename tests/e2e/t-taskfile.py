"""End to end on task files (docs/TASK_FILES.md) with the real qeval
binary: where tasks come from, one run per kind against the fake server
(generate, code, json, multiple_choice in both modes), selftest over
every shipped task file, and every bad-file error (exit 2, the file and
the place named, nothing sent to the server)."""

import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (DATA, SRC, FakeServer, cleanup, done, metric, ok, results,
                  run, samples, skip, tmpdir)

tmp = tmpdir()
out = os.path.join(tmp, "out")
servers = []
# no user task files of the machine running the tests
ENV = {"XDG_CONFIG_HOME": os.path.join(tmp, "xdg")}


def write(name, doc):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        if isinstance(doc, str):
            f.write(doc)
        else:
            json.dump(doc, f, indent=2)
    return path


def preset():
    p = {"name": "fast", "client": {"concurrency": 4, "timeout_s": 20,
                                    "retries": 1, "backoff_base_s": 0.05,
                                    "backoff_max_s": 0.2}}
    return write("fast.json", p)


def qeval(args):
    return run(args + ["-q", "--preset-file", preset()], env=ENV)


def by_id(run_dir, task):
    return {s["id"]: s for s in samples(run_dir, task)}


GEN = {
    "name": "tf_gen",
    "kind": "generate",
    "data": {"items": [
        {"q": "one", "a": "#### 12"},
        {"q": "two", "a": "#### 1,000"},
        {"q": "three", "a": "#### 7"},
        {"q": "four", "a": "#### 5"},
    ]},
    "fields": {"id": "q", "gold": "a"},
    "gold_filter": [{"op": "regex", "pattern": "#### (.*)"}],
    "prompt": {"system": "Be brief.", "user": "Question {{q}}?"},
    "generation": {"max_tokens": 33, "temperature": 0, "stop": ["Q:"]},
    "filters": [
        {"name": "strict", "steps": [
            {"op": "regex", "pattern": "#### (\\-?[0-9\\.\\,]+)"}]},
        {"name": "flex", "steps": [
            {"op": "regex", "pattern": "(-?[$0-9.,]{2,})|(-?[0-9]+)",
             "select": "last"}]},
    ],
    "metrics": [
        {"type": "exact_match", "filter": "strict", "primary": True},
        {"type": "exact_match", "filter": "flex",
         "regexes_to_ignore": [",", "\\$"]},
        {"type": "numeric", "filter": "flex", "tolerance": 0.01},
    ],
}


def test_generate():
    import hashlib
    lines = "".join(json.dumps(x) + "\n" for x in GEN["data"]["items"])
    write("gen.jsonl", lines)
    doc = dict(GEN, data={"path": "gen.jsonl", "sha256":
                          hashlib.sha256(lines.encode()).hexdigest()})
    path = write("gen.json", doc)
    script = {"default": {"text": "no idea"}, "rules": [
        {"contains": "Question one", "text": "so #### 12"},
        {"contains": "Question two", "text": "it is $1,000 in total"},
        {"contains": "Question three", "text": "#### 7.0"},
    ]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    rc, so, se = qeval(["--task-file", path, "--model", "fake-model",
                        "--endpoint", srv.url, "--tasks", "tf_gen",
                        "--out", out, "--run-id", "gen"])
    ok(rc == 0, "generate: a run against the fake server exits 0", se)
    if rc != 0:
        return
    s = by_id(os.path.join(out, "gen"), "tf_gen")
    v = {k: s[k]["verdict"] for k in s}
    ok(v["one"] == {"exact_match,strict": 1, "exact_match,flex": 1,
                    "numeric,flex": 1, "invalid": 0},
       "generate: '#### 12' passes every metric", v["one"])
    # lm-eval: the strict regex finds nothing -> [invalid]; the flexible
    # one's tuple gives "$1,000", equal once ',' and '$' are ignored
    ok(v["two"] == {"exact_match,strict": 0, "exact_match,flex": 1,
                    "numeric,flex": 1, "invalid": 1},
       "generate: regexes_to_ignore and the fallback", v["two"])
    ok(v["three"]["exact_match,strict"] == 0 and
       v["three"]["numeric,flex"] == 1,
       "generate: 7.0 is not exactly 7 but numerically so", v["three"])
    ok(v["four"]["exact_match,strict"] == 0 and v["four"]["invalid"] == 1,
       "generate: no number is invalid", v["four"])
    ok(s["two"]["detail"].get("strict") == "[invalid]" and
       s["two"]["detail"].get("flex") == "$1,000",
       "generate: the detail holds each pipeline's extraction",
       s["two"]["detail"])
    reqs = srv.requests()
    body = reqs[0]["body"] if reqs else {}
    ok(len(reqs) == 4 and body.get("max_tokens") == 33 and
       body.get("stop") == ["Q:"] and
       body.get("messages", [{}])[0].get("content") == "Be brief.",
       "generate: the request carries system prompt, stop, max_tokens",
       body)
    m = metric(results(os.path.join(out, "gen")), "tf_gen",
               "exact_match,strict")
    ok(m is not None and abs(m - 0.25) < 1e-9,
       "generate: the primary metric is the mean (1 of 4)", m)
    # rescore replays the journal through the task file: no request
    before = len(srv.requests())
    rc, so, se = run(["rescore", os.path.join(out, "gen"), "--task-file",
                      path, "-q"], env=ENV)
    m2 = metric(results(os.path.join(out, "gen")), "tf_gen",
                "exact_match,flex") if rc == 0 else None
    ok(rc == 0 and m2 is not None and abs(m2 - 0.5) < 1e-9 and
       len(srv.requests()) == before,
       "generate: rescore with the same --task-file asks nothing", se)


def test_code():
    f18 = os.path.join(SRC, "tasks", "functions18.json")
    script = {"default": {"text": "I cannot help."}, "rules": [
        # the seeds' failures
        {"contains": "`count_words`", "text":
         "```python\ndef count_words(text):\n    n = len(text.split())\n```"},
        {"contains": "`find_index`", "text":
         "```python\ndef find_index(items, target):\n"
         "    for i in range(1, len(items)):\n"
         "        if items[i] == target:\n            return i\n"
         "    return -1\n```"},
        # a name mismatch, resolved
        {"contains": "`letter_grade`", "text":
         "```python\ndef grade(score):\n    if score >= 90: return 'A'\n"
         "    if score >= 80: return 'B'\n    if score >= 70: return 'C'\n"
         "    if score >= 60: return 'D'\n    return 'F'\n```"},
        {"contains": "`filter_even`", "text":
         "```python\ndef filter_even(numbers):\n"
         "    return [n for n in numbers if n % 2 == 0]\n```"},
    ]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    rc, so, se = qeval(["--model", "fake-model", "--endpoint", srv.url,
                        "--tasks", "functions18", "--out", out,
                        "--run-id", "code", "--gpu-price", "3.6"])
    ok(rc == 0, "code: functions18 against the fake server exits 0", se)
    if rc != 0:
        return
    d = os.path.join(out, "code")
    s = by_id(d, "functions18")
    ok(s["filter_even"]["verdict"]["pass@1"] == 1 and
       s["filter_even"]["verdict"]["visible"] == 1,
       "code: a right answer passes hidden and visible tests")
    ok(s["letter_grade"]["verdict"]["pass@1"] == 1 and
       s["letter_grade"]["detail"].get("renamed_from") == "grade",
       "code: a function name mismatch is auto-resolved",
       s["letter_grade"]["detail"])
    ok(s["count_words"]["verdict"]["pass@1"] == 0 and
       s["count_words"]["verdict"]["visible"] == 0 and
       s["find_index"]["verdict"]["pass@1"] == 0,
       "code: returning None and an off-by-one fail")
    # the off-by-one passes the visible examples: only hidden tests see it
    ok(s["find_index"]["verdict"]["visible"] == 1,
       "code: the visible examples are run and reported apart",
       s["find_index"]["verdict"])
    ok(s["count_words"]["category"] == "string_manipulation" and
       s["count_words"]["detail"].get("complexity") == "easy",
       "code: category and complexity come from the file",
       s["count_words"]["detail"])
    r = results(d)
    m = metric(r, "functions18", "pass@1")
    ok(m is not None and abs(m - 2 / 18) < 1e-9, "code: pass@1 is 2/18", m)
    rep = open(os.path.join(d, "report.md")).read()
    ok("Category Breakdown" in rep and "string_manipulation" in rep,
       "code: the report has the category breakdown")
    # the seeds' per-test table
    t = [x for x in r["tasks"] if x["name"] == "functions18"][0]
    rows = {x["id"]: x for x in t.get("tests", [])}
    lg = rows.get("letter_grade", {})
    ok(len(rows) == 18 and lg.get("groups") == {
        "category": "control_flow", "complexity": "medium"} and
       isinstance(lg.get("time_s"), (int, float)) and
       abs(lg.get("cost", -1) - lg["time_s"] / 1000) < 1e-12 and
       lg.get("value") == 1,
       "code: results.json has a row per test (groups, time, cost)", lg)
    line = [x for x in rep.splitlines()
            if x.startswith("| letter_grade |")]
    ok("Per Test: Functions-18" in rep and line and
       "| control_flow | medium |" in line[0] and "pass" in line[0] and
       "function name mismatch (auto-resolved)" in line[0],
       "code: the report's per-test table (Test, Category, Complexity, "
       "Time, Cost, Notes)", line)
    cw = [x for x in rep.splitlines() if x.startswith("| count_words |")]
    ok(cw and "| string_manipulation | easy |" in cw[0] and
       "fail" in cw[0] and "Cost per test: $" in rep and
       "per passing test: $" in rep,
       "code: a failing test's row and the cost per (passing) test", cw)


SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"], "additionalProperties": False}


def test_json():
    doc = {"name": "tf_json", "kind": "json",
           "data": {"items": [{"id": "a", "p": "alpha",
                               "gold": {"name": "A", "age": 1}},
                              {"id": "b", "p": "beta",
                               "gold": {"name": "B", "age": 2}},
                              {"id": "c", "p": "gamma",
                               "gold": {"name": "C", "age": 3}}]},
           "fields": {"id": "id", "gold": "gold"},
           "prompt": {"user": "Person {{p}} as JSON."},
           "json": {"schema": SCHEMA, "constrained": True}}
    path = write("json.json", doc)
    script = {"default": {"text": "sure: {not json"}, "rules": [
        {"contains": "alpha", "text":
         "```json\n{\"name\": \"A\", \"age\": 5}\n```"},
        {"contains": "beta", "text": "{\"name\": \"B\", \"age\": -1}"},
    ]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    rc, so, se = qeval(["--task-file", path, "--model", "fake-model",
                        "--endpoint", srv.url, "--tasks", "tf_json",
                        "--out", out, "--run-id", "json"])
    ok(rc == 0, "json: a run against the fake server exits 0", se)
    if rc != 0:
        return
    s = by_id(os.path.join(out, "json"), "tf_json")
    ok(s["a"]["verdict"] == {"json_schema_valid": 1, "json_valid": 1},
       "json: fenced valid JSON that fits the schema", s["a"]["verdict"])
    ok(s["b"]["verdict"] == {"json_schema_valid": 0, "json_valid": 1} and
       "minimum" in s["b"]["reason"],
       "json: valid JSON below the minimum fails the schema",
       s["b"]["reason"])
    ok(s["c"]["verdict"] == {"json_schema_valid": 0, "json_valid": 0},
       "json: text that is not JSON is invalid", s["c"]["verdict"])
    reqs = srv.requests()
    rf = reqs[0]["body"].get("response_format") if reqs else None
    ok(rf is not None and rf.get("type") == "json_schema" and
       rf["json_schema"]["schema"] == SCHEMA,
       "json: constrained decoding sends the schema as response_format",
       rf)
    rc, so, se = qeval(["--model", "reference", "--tasks",
                        "structured_output", "--out", out, "--run-id",
                        "so"])
    r = results(os.path.join(out, "so")) if rc == 0 else None
    ok(r is not None and metric(r, "structured_output", "json_valid") == 1,
       "json: the shipped suite reports JSON validity (reference: 100%)",
       se)


MC = {"name": "tf_mc", "kind": "multiple_choice",
      "data": {"items": [
          {"id": "m1", "q": "Sky?", "choices": ["blue", "green"],
           "label": 0},
          {"id": "m2", "q": "Grass?", "choices": ["red", "green"],
           "label": "B"}]},
      "fields": {"id": "id"},
      "prompt": {"completion": "Question: {{q}}\nAnswer:"}}


def test_mc():
    path = write("mc.json", MC)
    script = {"rules": [
        {"loglik": {" blue": -1.0, " green": -3.0}, "contains": "Sky?"},
        {"loglik": {" red": -1.0, " green": -2.0}, "contains": "Grass?"},
    ]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    rc, so, se = qeval(["--task-file", path, "--model", "fake-model",
                        "--endpoint", srv.url, "--tasks", "tf_mc",
                        "--api", "completions", "--out", out,
                        "--run-id", "mc"])
    ok(rc == 0, "multiple_choice: a log-likelihood run exits 0", se)
    if rc == 0:
        s = by_id(os.path.join(out, "mc"), "tf_mc")
        ok(s["m1"]["verdict"]["acc"] == 1 and s["m2"]["verdict"]["acc"] == 0,
           "multiple_choice: acc picks the most likely choice",
           [s[k]["verdict"] for k in s])
    let = dict(MC, name="tf_mc_gen", multiple_choice={"mode": "letter"},
               prompt={"user": "{{q}}"})
    path = write("mcgen.json", let)
    script = {"rules": [{"contains": "Sky?", "text": "The best answer is A"},
                        {"contains": "Grass?", "text": "A"}]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    rc, so, se = qeval(["--task-file", path, "--model", "fake-model",
                        "--endpoint", srv.url, "--tasks", "tf_mc_gen",
                        "--out", out, "--run-id", "mcgen"])
    ok(rc == 0, "multiple_choice: the lettered variant exits 0", se)
    if rc == 0:
        s = by_id(os.path.join(out, "mcgen"), "tf_mc_gen")
        ok(s["m1"]["verdict"]["exact_match"] == 1 and
           s["m2"]["verdict"]["exact_match"] == 0,
           "multiple_choice: the letter is extracted and scored",
           [s[k]["verdict"] for k in s])


def test_selftest():
    files = sorted(glob.glob(os.path.join(SRC, "tasks", "*.json")))
    ok(len(files) >= 3, "the shipped task files are found", files)
    rc, so, se = run(["list", "tasks"], env=ENV)
    for f in files:
        name = json.load(open(f))["name"]
        line = [x for x in so.splitlines() if x.split()[:1] == [name]]
        ok(line and os.path.realpath(f) in line[0],
           "list tasks shows %s with its file" % name, so)
        if "file" in json.load(open(f))["data"] and not DATA:
            skip("selftest on %s needs QEVAL_DATA_DIR" % name)
            continue
        env = dict(ENV, QEVAL_DATA_DIR=DATA) if DATA else ENV
        rc, so2, se2 = run(["selftest", "--tasks", name, "--limit",
                            "300"], env=env)
        ok(rc == 0 and " ok" in so2,
           "selftest passes on %s (gold 100%%, corrupt low)" % name,
           so2 + se2)


def bad(label, doc, want, extra=(), data=None):
    """A bad task file: exit 2, `want` (all of them) in stderr, and the
    server untouched."""
    path = write(label + ".json", doc)
    if data is not None:
        write(label + ".jsonl", data)
    srv = FakeServer(tmp)
    servers.append(srv)
    rc, so, se = qeval(["--task-file", path] + list(extra) +
                       ["--model", "fake-model", "--endpoint", srv.url,
                        "--tasks", "capitals_file", "--out", out])
    missing = [w for w in want if w not in se]
    ok(rc == 2 and not missing and not srv.requests(),
       "bad file (%s): exit 2 naming %s" % (label, ", ".join(want)),
       "rc=%d missing=%r\n%s" % (rc, missing, se))
    return path


def test_bad_files():
    # the task selected is a shipped one: a bad file stops everything
    base = dict(GEN, name="tf_bad")
    bad("syntax", '{\n  "name": "x",\n  "kind": "generate",,\n}\n',
        ["syntax.json:3:", "JSON syntax error"])
    d = dict(base, prompt={"user": "Question {{questio}}?"})
    # open() errors need the task selected
    path = write("tmpl.json", d)
    srv = FakeServer(tmp)
    servers.append(srv)
    for label, doc, want in [
        ("unknown", dict(base, generation={"max_token": 5}),
         ["unknown.json", "$.generation.max_token",
          "did you mean \"max_tokens\""]),
        ("tmpl", d, ["tmpl.json", "{{questio}}", "items[0]"]),
        ("regex", dict(base, filters=[{"name": "s", "steps": [
            {"op": "regex", "pattern": "(unclosed"}]}], metrics=[
            {"type": "exact_match"}]),
         ["regex.json", "$.filters[0].steps[0].pattern", "offset",
          "missing closing parenthesis"]),
        ("nodata", dict(base, data={"path": "absent.jsonl"}),
         ["nodata.json", "absent.jsonl"]),
        ("nogold", dict(base, data={"path": "nogold.jsonl"}),
         ["nogold.json", "nogold.jsonl:2", "no gold field"]),
        ("sha", dict(base, data={"path": "nogold.jsonl",
                                 "sha256": "0" * 64}),
         ["sha.json", "nogold.jsonl has sha256 ", "the file says 000"]),
    ]:
        path = write(label + ".json", doc)
        if label == "nogold":
            write("nogold.jsonl", '{"q": "x", "a": "#### 1"}\n'
                  '{"q": "y"}\n')
        rc, so, se = qeval(["--task-file", path, "--model", "fake-model",
                            "--endpoint", srv.url, "--tasks", "tf_bad",
                            "--out", out])
        missing = [w for w in want if w not in se]
        ok(rc == 2 and not missing and not srv.requests(),
           "bad file (%s): exit 2 naming %s" % (label, ", ".join(want)),
           "rc=%d missing=%r\n%s" % (rc, missing, se))
    # a broken file does not stop a run that does not select it, and
    # `qeval list tasks` says why it is broken
    path = write("unknown.json", dict(base, generation={"max_token": 5}))
    rc, so, se = run(["--task-file", path, "list", "tasks"], env=ENV)
    ok(rc == 0 and "BROKEN" in so and "max_token" in so,
       "list tasks shows a broken task file and why", so + se)
    bad("builtin", dict(base, name="gsm8k"),
        ["builtin.json", "\"gsm8k\" is already provided"])
    p1 = write("dup1.json", dict(base, name="tf_dup"))
    bad("dup2", dict(base, name="tf_dup"), ["dup2.json", "dup1.json"],
        extra=["--task-file", p1])


def test_best_of_n():
    """--samples 3 on code: pass@1, pass@3, best_of_n (the first
    candidate that passes the visible examples), identical share."""
    right_lg = ("```python\ndef letter_grade(s):\n    if s >= 90: return 'A'"
                "\n    if s >= 80: return 'B'\n    if s >= 70: return 'C'\n"
                "    if s >= 60: return 'D'\n    return 'F'\n```")
    wrong = "```python\ndef %s(*a):\n    return 42\n```"
    script = {"default": {"text": "no"}, "rules": [
        {"contains": "`letter_grade`", "times": 1,
         "text": wrong % "letter_grade"},
        {"contains": "`letter_grade`", "times": 1, "text": right_lg},
        {"contains": "`letter_grade`", "text": wrong % "letter_grade"},
        {"contains": "`filter_even`", "text": wrong % "filter_even"},
        # passes the visible examples, fails a hidden test ([0, 1])
        {"contains": "`first_or_none`", "times": 1, "text":
         "```python\ndef first_or_none(items):\n"
         "    if not items or not items[0]:\n        return None\n"
         "    return items[0]\n```"},
        {"contains": "`first_or_none`", "text":
         "```python\ndef first_or_none(items):\n"
         "    return items[0] if items else None\n```"},
    ]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    rc, so, se = qeval(["--model", "fake-model", "--endpoint", srv.url,
                        "--tasks", "functions18", "--limit", "3",
                        "--samples", "3", "--concurrency", "1",
                        "--out", out, "--run-id", "bon"])
    ok(rc == 0, "best-of-N: --samples 3 runs", se)
    if rc != 0:
        return
    r = results(os.path.join(out, "bon"))
    t = [x for x in r["tasks"] if x["name"] == "functions18"][0]
    pk = {x["metric"]: x["value"] for x in t.get("passk", [])}
    ok(abs(pk.get("pass@1", -1) - 1 / 3) < 1e-9 and
       abs(pk.get("pass@3", -1) - 2 / 3) < 1e-9,
       "best-of-N: pass@1 1/3 and pass@3 (oracle) 2/3", pk)
    # letter_grade: the 2nd candidate is picked and passes; filter_even:
    # none passes; first_or_none: the 1st passes the examples only
    ok(abs(pk.get("best_of_n", -1) - 1 / 3) < 1e-9,
       "best-of-N: the selector keeps the first candidate passing the "
       "visible examples (1/3)", pk)
    ok(abs(t.get("identical_candidates", -1) - 1 / 3) < 1e-9,
       "best-of-N: the identical-candidate share (1/3)",
       t.get("identical_candidates"))
    rep = open(os.path.join(out, "bon", "report.md")).read()
    ok("best_of_n 33.3%" in rep and "pass@3 66.7%" in rep,
       "best-of-N: the report shows best_of_n next to pass@3",
       [l for l in rep.splitlines() if "Functions" in l])


try:
    test_generate()
    test_code()
    test_best_of_n()
    test_json()
    test_mc()
    test_selftest()
    test_bad_files()
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
