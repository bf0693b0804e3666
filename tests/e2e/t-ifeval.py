"""End to end on IFEval with the real qeval binary: a run against the fake
vLLM server on the 33-prompt fixture (tests/fixtures/ifeval), with scripted
answers whose strict and loose verdicts are worked out by hand below;
the four metrics (instruction-level pooled over instructions, as lm-eval
does), the not-scorable share, results.json's agent block, the
per-sample verdict of each instruction, the request sent, and `qeval
rescore` giving the same numbers.  Where the langdetect package is
installed, qeval's language detection against it on texts in a dozen
scripts.  With QEVAL_DATA_DIR, the reference model on the 541 prompts
(gold and corrupted, with and without langdetect's data) and `qeval
selftest`'s figures."""

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


# Short texts in many scripts, mixed, capitals, a URL, nothing at all:
# what the comparison with the langdetect package runs on.
LD_TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Le renard brun saute par-dessus le chien paresseux pr\u00e8s de la "
    "rivi\u00e8re.",
    "Der schnelle braune Fuchs springt \u00fcber den faulen Hund.",
    "El r\u00e1pido zorro marr\u00f3n salta sobre el perro perezoso.",
    "La volpe marrone veloce salta sopra il cane pigro.",
    "A r\u00e1pida raposa marrom pula sobre o c\u00e3o pregui\u00e7oso.",
    "\u0411\u044b\u0441\u0442\u0440\u0430\u044f \u043a\u043e\u0440"
    "\u0438\u0447\u043d\u0435\u0432\u0430\u044f \u043b\u0438\u0441"
    "\u0430 \u043f\u0440\u044b\u0433\u0430\u0435\u0442.",
    "\u0628\u0633\u0631\u0639\u0629 \u0642\u0641\u0632 \u0627\u0644"
    "\u062b\u0639\u0644\u0628 \u0641\u0648\u0642 \u0627\u0644\u0643"
    "\u0644\u0628",
    "\u0924\u0947\u091c \u092d\u0942\u0930\u0940 \u0932\u094b\u092e"
    "\u0921\u093c\u0940 \u0906\u0932\u0938\u0940 \u0915\u0941\u0924"
    "\u094d\u0924\u0947 \u0915\u0947 \u090a\u092a\u0930",
    "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c\u3002\u4eca\u65e5"
    "\u306f\u3044\u3044\u5929\u6c17\u3067\u3059\u306d\u3002",
    "\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4. \uc624\ub298\uc740 "
    "\ub0a0\uc528\uac00 \uc88b\ub124\uc694.",
    "\u4f60\u597d\uff0c\u4e16\u754c\u3002\u4eca\u5929\u5929\u6c14"
    "\u5f88\u597d\u3002",
    "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u r\u1ea5t \u0111\u1eb9p.",
    "Tie\u0302\u0301ng Vie\u0323\u0302t",
    "Hyv\u00e4\u00e4 huomenta, mit\u00e4 kuuluu t\u00e4n\u00e4\u00e4n?",
    "Habari za asubuhi, rafiki yangu mpendwa.",
    "HELLO THERE MY FRIEND, HOW ARE YOU TODAY?",
    "BONJOUR TOUT LE MONDE ET MERCI BEAUCOUP",
    "hello there my friend, how are you today?",
    "Visit https://example.com/a?b=c or mail me at someone@example.org",
    "Ciao come stai? I am fine, thank you very much.",
    "OK", "12345 !!!", "der die das", "\u00dcBER ALLES",
]


def langdetect_module():
    """The langdetect package (Debian's python3-langdetect), or None."""
    for extra in ([], ["/usr/lib/python3/dist-packages"]):
        sys.path[:0] = extra
        try:
            import langdetect
            return langdetect
        except ImportError:
            pass
        finally:
            for e in extra:
                sys.path.remove(e)
    return None


def check_langdetect(ld, model):
    from langdetect import DetectorFactory, LangDetectException
    DetectorFactory.seed = 0
    data = os.path.join(tmp, "ld")
    os.makedirs(os.path.join(data, "ifeval"))
    with open(os.path.join(data, "ifeval", "input_data.jsonl"), "w") as f:
        for i, t in enumerate(LD_TEXTS):
            f.write(json.dumps({"key": i, "prompt": "LD %03d." % i,
                                "instruction_id_list":
                                    ["language:response_language"],
                                "kwargs": [{"language": "en"}]}) + "\n")
    srv = FakeServer(tmp, {"default": {"text": "zz"}, "rules": [
        {"contains": "LD %03d." % i, "text": t}
        for i, t in enumerate(LD_TEXTS)]})
    servers.append(srv)
    rc, so, se = run(["--model", "fake-model", "--endpoint", srv.url,
                      "--tasks", "ifeval", "--data-dir", data, "--out",
                      out, "--run-id", "ld", "-q", "--preset-file",
                      preset()], env=env)
    ok(rc == 0 and "langdetect's profiles found" in se,
       "a run with langdetect's data", se)
    bad = []
    for s in samples(os.path.join(out, "ld"), "ifeval"):
        i = int(s["id"].split("/")[1])
        why = s["detail"]["instructions"][0]["why"]
        try:
            ref = ld.detect(LD_TEXTS[i])
        except LangDetectException:
            ref = None
        mine = None if "no language features" in why else \
            why.split("langdetect says ")[1].split(" ")[0]
        if ref != mine:
            bad.append((i, ref, mine))
    ok(not bad, "%d texts: qeval's language detection equals langdetect "
       "1.0.9's with DetectorFactory.seed = 0" % len(LD_TEXTS), bad)


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
                      preset(), "--task-opt", "langdetect=off"], env=env)
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

    rc, so, se = run(["rescore", run_dir, "--data-dir", fixtures, "-q",
                      "--task-opt", "langdetect=off"], env=env)
    ok(rc == 0, "rescore exits 0", se)
    check_metrics(results(run_dir), "rescore")

    # langdetect: qeval's port against the package itself, seeded 0
    ld = langdetect_module()
    if ld is None:
        skip("no langdetect package: the language-detection comparison")
    else:
        check_langdetect(ld, model)

    if DATA:
        ref = os.path.join(tmp, "ref")
        for opt, scorable in (("langdetect=off", 405),
                              ("langdetect=on", 495)):
            if opt == "langdetect=on" and ld is None:
                skip("no langdetect: the 541-prompt runs with it")
                continue
            for model_name in ("reference", "reference:corrupt"):
                rid = model_name.replace(":", "-") + "-" + opt[11:]
                want = (scorable - 5) / scorable if model_name == \
                    "reference" else 0.0
                rc, so, se = run(["--model", model_name, "--tasks",
                                  "ifeval", "--data-dir", DATA, "--out", ref,
                                  "--run-id", rid, "-q", "--task-opt", opt])
                r = results(os.path.join(ref, rid))
                v = metric(r, "ifeval", "prompt_level_strict_acc")
                n = [m for t in r["tasks"] for m in t["metrics"]
                     if m["name"] == "prompt_level_strict_acc"][0]["n"]
                ok(rc == 0 and n == scorable and close(v, want),
                   "%s, %s: prompt-level strict %d/%d (5 prompts cannot "
                   "be followed strictly)" % (model_name, opt,
                                              round(want * scorable),
                                              scorable), (v, n, se))
                lv = metric(r, "ifeval", "prompt_level_loose_acc")
                ok(close(lv, 1.0 if want else 0.0),
                   "%s, %s: prompt-level loose %s" % (
                       model_name, opt, "1" if want else "0"), lv)
        rc, so, se = run(["selftest", "--tasks", "ifeval", "--data-dir",
                          DATA, "--task-opt", "langdetect=off"])
        line = [x for x in so.splitlines() if x.startswith("ifeval ")]
        ok(len(line) == 1 and "98.8%" in line[0] and "0.0%" in line[0]
           and line[0].rstrip().endswith(" ok") and rc == 0,
           "qeval selftest: gold 98.8% (400/405), corrupted 0.0%: ok",
           so + se)
    else:
        skip("QEVAL_DATA_DIR not set: the 541-prompt runs")
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
