"""Function calling end to end: the real binary, the BFCL plugin and the
fake server returning OpenAI tool_calls (FC mode) or Python-call text
(prompt mode), on the plugin's fixture; a call that is malformed, a
wrong value, and an abstention in the irrelevance category.  BFCL's error
types and messages byte for byte (a text answer in FC mode is the
checker's wrong_count, a call in irrelevance is decoder_success), and
prompt-mode constant arithmetic read as BFCL reads it (radius=9 + 1 is
10)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (SRC, FakeServer, cleanup, done, metric, ok, results, run,
                  samples, tmpdir)

tmp = tmpdir()
servers = []
env = {"QEVAL_DATA_DIR": os.path.join(SRC, "tests", "fixtures", "bfcl"),
       "QEVAL_MANIFEST_DIR": "none"}
common = ["--task-opt", "data_subdir=fx", "--out", os.path.join(tmp, "out"),
          "-q"]


def call(name, args):
    return {"type": "function",
            "function": {"name": name, "arguments": json.dumps(args)}}


try:
    # -- FC mode: tools in, tool_calls out -------------------------------
    fc = FakeServer(tmp, {"default": {"text": "I cannot help."}, "rules": [
        {"contains": "Add 2 and 3.5.",
         "tool_calls": [call("math_add", {"a": 2, "b": 3.5})]},
        {"contains": "New York",
         "tool_calls": [call("find", {"city": "Boston"})]},
        {"contains": "Tell me a joke.", "text": "Why did the GPU..."},
    ]})
    servers.append(fc)
    rc, so, se = run(["--model", "m", "--endpoint", fc.url, "--tasks",
                      "bfcl_simple_python,bfcl_irrelevance", "--run-id",
                      "fc"] + common, env=env)
    ok(rc == 0, "FC-mode run exits 0", se)
    out = os.path.join(tmp, "out", "fc")
    if rc == 0:
        r = results(out)
        ok(metric(r, "bfcl_simple_python", "accuracy") == 0.5,
           "right call scores, wrong value does not (accuracy 0.5)",
           json.dumps(r["tasks"][0]["metrics"]))
        ok(metric(r, "bfcl_irrelevance", "accuracy") == 1.0,
           "no call where no function fits: irrelevance passes")
        rows = samples(out, "bfcl_simple_python")
        bad = [x for x in rows if x["id"] == "simple_python_1"][0]
        ok("value_error" in json.dumps(bad), "the wrong value is named "
           "with BFCL's error type", json.dumps(bad)[:400])
        # ast_checker.py's string_checker: f"Invalid value for parameter
        # {repr(param)}: {repr(model_output)}. Expected one of
        # {possible_answer}. Case insensitive."
        ok(bad.get("reason") ==
           "value_error:string: Invalid value for parameter 'city': "
           "'Boston'. Expected one of ['New York', 'NYC']. Case "
           "insensitive.", "BFCL's message, byte for byte",
           json.dumps(bad)[:400])
    reqs = [q["body"] for q in fc.requests()]
    add = [b for b in reqs if "Add 2 and 3.5." in json.dumps(b)]
    ok(add and add[0].get("tools") and
       add[0]["tools"][0]["function"]["name"] == "math_add",
       "tools sent with BFCL's name mapping (math.add -> math_add)")
    props = add[0]["tools"][0]["function"]["parameters"]["properties"] \
        if add else {}
    ok(props.get("b", {}).get("type") == "number" and
       props.get("a", {}).get("type") == "integer",
       "BFCL types mapped to JSON schema (float -> number)", props)
    ok(add and add[0].get("stream") is False,
       "tool calls are asked for whole (not streamed)")

    # -- FC mode, text answers and an irrelevant call ---------------------
    tx = FakeServer(tmp, {"default": {"text": "I would rather not."},
                          "rules": [{"contains": "Tell me a joke.",
                                     "tool_calls": [call("weather_get",
                                                         {"city": "x"})]}]})
    servers.append(tx)
    rc, so, se = run(["--model", "m", "--endpoint", tx.url, "--tasks",
                      "bfcl_simple_python,bfcl_irrelevance", "--run-id",
                      "fctext"] + common, env=env)
    ok(rc == 0, "FC run with text answers exits 0", se)
    if rc == 0:
        out = os.path.join(tmp, "out", "fctext")
        rows = samples(out, "bfcl_simple_python")
        why = [x.get("reason") for x in rows]
        # BFCL's FC handler keeps vLLM's empty tool_calls list, decode_ast
        # gives [], and ast_checker says wrong_count.
        ok(len(why) == 2 and all(
            w == "simple_function_checker:wrong_count: Wrong number of "
            "functions." for w in why),
           "a text answer in FC mode is BFCL's wrong_count", why)
        rows = samples(out, "bfcl_irrelevance")
        ok(rows and rows[0].get("reason") ==
           "irrelevance_error:decoder_success: Valid syntax. Successfully "
           "decode AST when it should not.",
           "a call in irrelevance is BFCL's decoder_success",
           json.dumps(rows[0] if rows else None)[:300])
        r = results(out)
        t = [x for x in r["tasks"] if x["name"] == "bfcl_simple_python"][0]
        ok(t["counts"]["invalid"] == 2, "answers with no call count as "
           "invalid (%s)" % t["counts"])

    # -- prompt mode: constant arithmetic, as BFCL reads it ---------------
    ar = FakeServer(tmp, {"default": {"text": "[]"}, "rules": [
        {"contains": "Add 2 and 3.5.", "text": "[math.add(a=1 + 1, b=7 / 2)]"},
        {"contains": "New York", "text": "[find(city='New' + ' York')]"},
    ]})
    servers.append(ar)
    rc, so, se = run(["--model", "m", "--endpoint", ar.url, "--tasks",
                      "bfcl_simple_python", "--run-id", "arith",
                      "--task-opt", "mode=prompt"] + common, env=env)
    ok(rc == 0, "prompt-mode arithmetic run exits 0", se)
    if rc == 0:
        r = results(os.path.join(tmp, "out", "arith"))
        rows = samples(os.path.join(tmp, "out", "arith"),
                       "bfcl_simple_python")
        # BFCL: eval(ast.unparse(BinOp)) gives a=2, b=3.5, city='New York'
        ok(metric(r, "bfcl_simple_python", "accuracy") == 1.0,
           "a=1 + 1, b=7 / 2 and 'New' + ' York' are BFCL's 2, 3.5 and "
           "'New York'", json.dumps([x.get("reason") for x in rows])[:600])

    # -- prompt mode: Python-call text, parsed, never evaluated -----------
    pm = FakeServer(tmp, {"default": {"text": "[]"}, "rules": [
        {"contains": "Add 2 and 3.5.", "text": "[math.add(a=2, b=3.5)]"},
        {"contains": "New York",
         "text": "[find(city=__import__('os').system('true'))]"},
        {"contains": "Tell me a joke.", "text": "[weather.get(city='x'"},
    ]})
    servers.append(pm)
    rc, so, se = run(["--model", "m", "--endpoint", pm.url, "--tasks",
                      "bfcl_simple_python,bfcl_irrelevance", "--run-id",
                      "pm", "--task-opt", "mode=prompt"] + common, env=env)
    ok(rc == 0, "prompt-mode run exits 0", se)
    if rc == 0:
        r = results(os.path.join(tmp, "out", "pm"))
        ok(metric(r, "bfcl_simple_python", "accuracy") == 0.5,
           "the Python call is parsed; a call inside an argument is a "
           "decoder error, not code that runs")
        rows = samples(os.path.join(tmp, "out", "pm"), "bfcl_irrelevance")
        ok(metric(r, "bfcl_irrelevance", "accuracy") == 1.0 and
           "malformed" in json.dumps(rows[0]).lower(),
           "a malformed call counts as abstention, as BFCL does, and is "
           "flagged", json.dumps(rows[0])[:400])
    reqs = [q["body"] for q in pm.requests()]
    # the request of the math.add item (requests arrive in any order)
    sysmsg = [b["messages"][0] for b in reqs if b.get("messages") and
              "Add 2 and 3.5." in json.dumps(b)]
    ok(sysmsg and sysmsg[0]["role"] == "system" and
       "math.add" in sysmsg[0]["content"] and
       not any("tools" in b for b in reqs),
       "prompt mode: functions in BFCL's system prompt, no tools field")
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
