"""The BFCL multi-turn driver (plugins/bfcl_mt.py) with plain python3,
outside qeval, on the real data (QEVAL_DATA_DIR; skipped without it):
every ground truth through the checker scores 100%; each of the
reference's error types from a constructed model result, with its exact
message; the reference's result text for a refused name, a bad argument
and a malformed name; state kept from one step to the next; a corrupted
answer fails."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from core import DATA, done, ok, skip  # noqa: E402
import qmt_local as q  # noqa: E402

if DATA is None or not os.path.exists(os.path.join(
        DATA, "bfcl", "BFCL_v4_multi_turn_base.json")):
    skip("QEVAL_DATA_DIR with bfcl/ multi-turn files not set")
    done()

q.install(DATA)
q.preload()
fdocs = q.docs(DATA)

# -- every ground truth, as the reference model answers, is valid ------
bad = []
total = 0
data = {}
for cat in q.CATS:
    entries, truth = q.load(DATA, cat)
    data[cat] = (entries, truth)
    for e in entries:
        total += 1
        v = q.check(e, truth[e["id"]], q.gold_turns(e, truth[e["id"]],
                                                     fdocs))
        if not v or not v.get("valid"):
            bad.append((e["id"], v))
ok(total == 600 and not bad, "all 600 ground truths pass the checker",
   "%d entries, failures: %s" % (total, json.dumps(bad[:5])))

entries, truth = data["base"]
e0, t0 = entries[0], truth[entries[0]["id"]]
gold = q.gold_turns(e0, t0, fdocs)

# -- multi_turn_runner: result not a list, turn count differs ---------
v = q.check(e0, t0, "not a list")
ok(v.get("error_type") == "multi_turn:inference_error" and
   v.get("error_message") == "Error during inference phase. Model did not "
   "output a list of model responses.", "a result that is not a list: "
   "inference_error", v)
v = q.check(e0, t0, gold[:2])
ok(v.get("error_type") == "multi_turn:force_terminated" and
   v.get("error_message") == "Model was force-terminated during inference "
   "phase. The length of the model result turns (2) does not match the "
   "length of the ground truth turns (4).", "fewer turns than the ground "
   "truth: force_terminated", v)

# -- multi_turn_checker, in its order ---------------------------------
turns = [list(x) for x in gold]
turns[1] = []
v = q.check(e0, t0, turns)
ok(v.get("error_type") == "multi_turn:empty_turn_model_response" and
   v.get("turn") == 1 and v.get("error_message") ==
   "Model response list is empty for turn 1", "no call in a turn that "
   "needs some: empty_turn_model_response", v)
# steps that do not decode are dropped, so a turn of only those is empty
turns[1] = [[["cd", "{not json"]]]
v = q.check(e0, t0, turns)
ok(v.get("error_type") == "multi_turn:empty_turn_model_response",
   "a step whose arguments are not JSON is dropped", v)

# turn 0 of base_0: cd document, mkdir temp, mv final_report.pdf temp;
# without the mkdir the file system differs
turns = [list(x) for x in gold]
turns[0] = [[c for c in gold[0][0] if c[0] != "mkdir"]]
v = q.check(e0, t0, turns)
ok(v.get("error_type") == "multi_turn:instance_state_mismatch" and
   v.get("turn") == 0 and v.get("class") == "GorillaFileSystem" and
   "root" in v.get("differences", {}) and
   v.get("error_message") == "Model instance for GorillaFileSystem does "
   "not match the state with ground truth instance.",
   "a missing mkdir: instance_state_mismatch names the class and the "
   "differing attribute", v)
d = v.get("differences", {}).get("root", {})
ok("model" in d and "ground_truth" in d and d["model"] != d["ground_truth"],
   "the differing attribute carries both values", d)

# turn 1: cd temp, grep; a grep with another pattern leaves the state
# equal but its result is missing
turns = [list(x) for x in gold]
turns[1] = [[c if c[0] != "grep" else
             ["grep", json.dumps({"file_name": "final_report.pdf",
                                  "pattern": "no such text"})]
             for c in gold[1][0]]]
v = q.check(e0, t0, turns)
ok(v.get("error_type") == "multi_turn:execution_response_mismatch" and
   v.get("turn") == 1 and v.get("missing_items") and
   v.get("error_message") == "Model response execution results so far "
   "does not contain all the ground truth response execution results for "
   "turn 1.", "a wrong grep pattern: execution_response_mismatch with the "
   "missing result", v)

# a result produced in an earlier turn counts for a later one
turns = [list(x) for x in gold]
turns[0] = [gold[0][0] + gold[1][0]]
v = q.check(e0, t0, turns)
ok(v.get("error_type") != "multi_turn:execution_response_mismatch" or
   v.get("turn") != 1, "responses are matched against all turns so far", v)

# the ground truth of an empty turn is not checked (miss_param)
me, mt = data["miss_param"]
empty = [(e, mt[e["id"]]) for e in me
         if any(len(t) == 0 for t in mt[e["id"]])]
e1, t1 = empty[0]
g1 = q.gold_turns(e1, t1, fdocs)
k = [i for i, t in enumerate(t1) if not t][0]
g1[k] = [[["pwd", "{}"]]] if "GorillaFileSystem" in e1[
    "involved_classes"] else g1[k]
v = q.check(e1, t1, g1)
ok(v.get("valid") is True, "calls in a turn whose ground truth is empty "
   "are executed but not checked (%s turn %d)" % (e1["id"], k), v)

# -- executing calls (inference session) ------------------------------
a = q.session(e0, [
    [["kill", "{}"]],
    [["cd", json.dumps({"folder": "document", "x": 1})]],
    [["cd x", "{}"]],
    [["mkdir", json.dumps({"dir_name": "qq"})]],
    [["ls", "{}"]],
    [["cd", "[1]"]],
    [["nosuch", "{}"]],
])
ok(a[0]["results"] == ["Error during execution: Function call kill is not "
                       "allowed."], "a refused name: the reference's text",
   a[0])
ok(a[1]["results"] == ["Error during execution: GorillaFileSystem.cd() got "
                       "an unexpected keyword argument 'x'"],
   "a bad argument: the exception's text", a[1])
ok(a[2]["results"] == ["Error during execution: invalid syntax (<string>, "
                       "line 1)"], "a malformed name: the SyntaxError's "
   "text", a[2])
ok(a[3]["calls"] == ["mkdir(dir_name='qq')"] and a[3]["results"] == ["None"],
   "the call text is name(k=repr(v)); None is str()'d", a[3])
ok(a[4]["results"] == ['{"current_directory_content": ["document", '
                       '"archive", "qq"]}'], "state persists across steps; "
   "a dict is json.dumps'd", a[4])
ok("decode_error" in a[5], "arguments that are not an object do not "
   "decode", a[5])
ok(a[6]["results"] == ["Error during execution: name 'nosuch' is not "
                       "defined"], "an unknown name", a[6])

# -- a corrupted answer fails -------------------------------------------
fails = 0
for i, e in enumerate(entries[:40]):
    t = truth[e["id"]]
    g = q.gold_turns(e, t, fdocs)
    first = [j for j, x in enumerate(t) if x][0]
    g[first] = [g[first][0][:-1]] if len(g[first][0]) > 1 else []
    v = q.check(e, t, g)
    fails += not v.get("valid")
ok(fails == 40, "a skipped call fails every entry (%d/40)" % fails)
done()
