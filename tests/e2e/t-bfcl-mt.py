"""BFCL multi-turn end to end: the real binary, its executor sessions and
the fake server scripting tool-call conversations, on the real data
(QEVAL_DATA_DIR; skipped without it).  Each of the reference's error
types from a constructed conversation, with BFCL's message; the
reference's result text for a refused name, a bad argument and a
malformed name; state kept across turns; the held-out turn; the step
limit; a model call that kills its session (inference_error, the run
goes on); --resume after a kill in the middle of an entry, with the
entry's state rebuilt; the reference and corrupted runs over all 600
entries."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (DATA, QEVAL, FakeServer, cleanup, done, metric, ok,
                  results, run, samples, skip, tmpdir)

if DATA is None or not os.path.exists(os.path.join(
        DATA, "bfcl", "BFCL_v4_multi_turn_base.json")):
    skip("QEVAL_DATA_DIR with the BFCL multi-turn files not set")
    done()

tmp = tmpdir()
servers = []
TASKS = ("bfcl_multi_turn_base", "bfcl_multi_turn_miss_func",
         "bfcl_multi_turn_miss_param")
# multi_turn_base_0: TwitterAPI and GorillaFileSystem, four turns
T0 = "Move 'final_report.pdf' within document directory"
T1 = "Perform a detailed search using grep"
HELD = ("I have updated some more functions you can choose from. What "
        "about now?")
HINT = " Note that the provided function is in Python 3 syntax."


def call(name, args, cid="c1"):
    return {"id": cid, "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)}}


def conversation(name, script, task="bfcl_multi_turn_base", extra=()):
    """One entry (--limit 1) against a scripted server; returns (rc,
    stderr, the sample row, the server's chat requests)."""
    srv = FakeServer(tmp, script)
    servers.append(srv)
    out = os.path.join(tmp, "out")
    rc, so, se = run(["--model", "m", "--endpoint", srv.url, "--tasks", task,
                      "--limit", "1", "--run-id", name, "--out", out, "-q"]
                     + list(extra))
    row = None
    if rc == 0:
        row = samples(os.path.join(out, name), task)[0]
    reqs = [r["body"] for r in srv.requests()
            if r.get("path") == "/v1/chat/completions"]
    srv.stop()
    return rc, se, row, reqs


def detail(row):
    d = row.get("detail") if row else None
    return d if isinstance(d, dict) else json.loads(d or "{}")


def tools_after(reqs, i):
    """The tool messages of request i after its last user message."""
    msgs = reqs[i]["messages"]
    last = max(k for k, m in enumerate(msgs) if m["role"] == "user")
    return [m for m in msgs[last:] if m["role"] == "tool"]


try:
    # -- the four checks, each from a constructed conversation ----------
    rc, se, row, reqs = conversation("empty", {"default": {"text": "ok"}})
    ok(rc == 0 and detail(row).get("error_type") ==
       "multi_turn:empty_turn_model_response" and row["reason"] ==
       "multi_turn:empty_turn_model_response: Model response list is "
       "empty for turn 0", "text answers only: empty_turn_model_response",
       se + json.dumps(row)[:800])
    ok(len(reqs) == 4 and all("tools" in r for r in reqs) and
       not any(m["role"] == "system" for m in reqs[0]["messages"]),
       "one request per turn, tools in each, no system prompt",
       len(reqs))

    cd = call("cd", {"folder": "document"})
    rc, se, row, reqs = conversation("state", {"default": {"text": "ok"},
        "rules": [{"contains": T0, "step": 0, "tool_calls": [cd]}]})
    d = detail(row)
    ok(rc == 0 and d.get("error_type") ==
       "multi_turn:instance_state_mismatch" and
       d.get("checker", {}).get("turn") == 0 and
       "root" in d.get("checker", {}).get("differences", {}) and
       "Attribute \"root\": model" in row["reason"],
       "cd alone in turn 0: instance_state_mismatch, naming the "
       "attribute with both values", se + json.dumps(row)[:800])

    gt0 = [call("cd", {"folder": "document"}, "a"),
           call("mkdir", {"dir_name": "temp"}, "b"),
           call("mv", {"source": "final_report.pdf",
                       "destination": "temp"}, "c")]
    rc, se, row, reqs = conversation("response", {"default": {"text": "ok"},
        "rules": [{"contains": T0, "step": 0, "tool_calls": gt0},
                  {"contains": T1, "step": 0,
                   "tool_calls": [call("cd", {"folder": "temp"})]}]})
    d = detail(row)
    ok(rc == 0 and d.get("error_type") ==
       "multi_turn:execution_response_mismatch" and
       d["checker"].get("turn") == 1 and d["checker"].get("missing_items")
       and row["reason"].startswith(
           "multi_turn:execution_response_mismatch: Model response "
           "execution results so far does not contain all the ground truth "
           "response execution results for turn 1. Missing: "),
       "turn 1 without its grep: execution_response_mismatch with the "
       "missing result", se + json.dumps(row)[:800])

    # -- the step limit ---------------------------------------------------
    rc, se, row, reqs = conversation("loop", {"default": {
        "tool_calls": [call("pwd", {})]}})
    d = detail(row)
    ok(rc == 0 and d.get("error_type") == "multi_turn:force_terminated" and
       d.get("steps") == 21 and len(reqs) == 21 and
       row["reason"] == "multi_turn:force_terminated: Model was "
       "force-terminated during inference phase. The length of the model "
       "result turns (1) does not match the length of the ground truth "
       "turns (4).", "a model that never stops: 21 steps, then "
       "force_terminated", se + json.dumps(row)[:600] + " %d" % len(reqs))
    ok(len(reqs) == 21 and len(tools_after(reqs, 20)) == 20,
       "each executed step's result goes back (20 tool messages before "
       "the 21st answer)")

    # -- refused, bad and malformed calls; state across turns --------------
    odd = [call("kill", {}, "k"), call("cd", {"folder": "document", "x": 1},
                                       "b"),
           call("cd x", {}, "m"), call("mkdir", {"dir_name": "qq"}, "q")]
    rc, se, row, reqs = conversation("calls", {"default": {"text": "ok"},
        "rules": [{"contains": T0, "step": 0, "tool_calls": odd},
                  {"contains": T1, "step": 0,
                   "tool_calls": [call("ls", {}, "l")]}]})
    tm = tools_after(reqs, 1) if len(reqs) > 1 else []
    texts = [m["content"] for m in tm]
    ok(texts[:3] == [
        "Error during execution: Function call kill is not allowed.",
        "Error during execution: GorillaFileSystem.cd() got an unexpected "
        "keyword argument 'x'",
        "Error during execution: invalid syntax (<string>, line 1)"],
       "a refused name, a bad argument and a malformed name: the "
       "reference's result text", texts)
    ok([m.get("tool_call_id") for m in tm] == ["k", "b", "m", "q"],
       "each result carries its call's id")
    tm = tools_after(reqs, 3) if len(reqs) > 3 else []
    ok(len(tm) == 1 and "qq" in tm[0]["content"],
       "state persists across turns: turn 1's ls lists turn 0's mkdir",
       tm)

    # -- a call that kills its session --------------------------------------
    rc, se, row, reqs = conversation("kill", {"default": {"text": "ok"},
        "rules": [{"contains": T0, "step": 0, "tool_calls": [
            call("__import__('os')._exit", {"status": 3})]}]})
    d = detail(row)
    ok(rc == 0 and d.get("error_type") == "multi_turn:inference_error" and
       "tool environment failed" in row["reason"],
       "a call that exits the interpreter ends the entry: "
       "inference_error, and the run goes on", se + json.dumps(row)[:600])

    # -- the held-out turn (miss_func_0: sort at turn 3) ------------------
    rc, se, row, reqs = conversation("held", {"default": {"text": "ok"}},
                                     task="bfcl_multi_turn_miss_func")
    names = [[t["function"]["name"] for t in r["tools"]] for r in reqs]
    held = reqs[3] if len(reqs) > 3 else {"messages": [{}], "tools": []}
    ok(rc == 0 and len(reqs) == 5 and
       held["messages"][-1].get("content") == HELD and
       held["messages"][-1].get("role") == "user",
       "the held-out turn's user message is the reference's fixed text",
       se)
    ok(all("sort" not in n for n in names[:3]) and names[3][-1] == "sort"
       and not held["tools"][-1]["function"]["description"].endswith(HINT)
       and held["tools"][0]["function"]["description"].endswith(HINT)
       and names[4][-1] == "sort" and len(names[3]) == len(names[0]) + 1,
       "the held-out tool joins at its turn, last, without the hint",
       [len(n) for n in names])

    # -- --resume after a kill in the middle of an entry --------------------
    script = {"default": {"text": "ok"}, "rules": [
        {"contains": T0, "step": 0,
         "tool_calls": [call("mkdir", {"dir_name": "qq"}, "q")]},
        {"contains": T1, "step": 0, "hang": True, "hang_s": 120}]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    out = os.path.join(tmp, "out")
    args = ["--model", "m", "--endpoint", srv.url, "--tasks",
            "bfcl_multi_turn_base", "--limit", "1", "--run-id", "resume",
            "--out", out, "-q"]
    p = subprocess.Popen([QEVAL] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    hung = False
    while time.time() < deadline and not hung:
        time.sleep(0.1)
        try:
            with open(srv.log) as f:
                hung = any('"hang"' in line for line in f)
        except OSError:
            pass
    p.send_signal(signal.SIGKILL)
    p.wait()
    srv.stop()
    ok(hung, "the run was killed while turn 1 waited for its answer")
    script["rules"][1] = {"contains": T1, "step": 0,
                          "tool_calls": [call("ls", {}, "l")]}
    srv = FakeServer(tmp, script)
    servers.append(srv)
    args[args.index("--endpoint") + 1] = srv.url
    rc, so, se = run(args + ["--resume"])
    reqs = [r["body"] for r in srv.requests()
            if r.get("path") == "/v1/chat/completions"]
    firsts = [r for r in reqs if T0 in r["messages"][0].get("content", "")
              and len(r["messages"]) <= 3]
    tm = tools_after(reqs, 1) if len(reqs) > 1 else []
    ok(rc == 0 and not firsts and len(reqs) >= 2,
       "--resume asks nothing of turn 0 again", se + " %d" % len(reqs))
    ok(len(tm) == 1 and "qq" in tm[0]["content"],
       "the resumed entry's state was rebuilt: ls lists turn 0's mkdir",
       tm)
    srv.stop()

    # -- the reference model over the 600 entries ---------------------------
    for name, model in (("gold", "reference"),
                        ("corrupt", "reference:corrupt")):
        rc, so, se = run(["--model", model, "--tasks", ",".join(TASKS),
                          "--run-id", name, "--out", out, "-q"],
                         timeout=1800)
        r = results(os.path.join(out, name)) if rc == 0 else None
        vals = [metric(r, t, "accuracy") if r else None for t in TASKS]
        if name == "gold":
            ok(rc == 0 and vals == [1.0, 1.0, 1.0],
               "the reference model: 100% on the 600 entries", se + str(vals))
            agent = {a["name"]: a for a in r.get("agent", [])} if r else {}
            tu = agent.get("Tool Use Success", {})
            ok(tu.get("value") == 1.0 and tu.get("n") == 600,
               "Tool Use Success from the three tasks", tu)
        else:
            ok(rc == 0 and all(v is not None and v <= 0.1 for v in vals),
               "the corrupted one: at most 10%", se + str(vals))
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
