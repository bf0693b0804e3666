"""The command line and the run record through the real binary (issue 11
items 8-11 and 13): the resolved configuration is what results.json, the
report and the requests show; --task-opt keys and values are checked
against the plugins' declarations; usage errors exit 2 before anything is
created; plugins that clash, crash while loading or crash in a callback;
--resume with nothing to resume; the summary's n/a.

Test plugins come from tests/loader (QEVAL_TEST_DIR), copied one by one
into plugin dirs made here; GSM8K is a synthetic set made here."""

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core import (QEVAL, FakeServer, bail, cleanup, done, metric, ok,
                  results, run, tmpdir)

TESTLIBS = os.environ.get("QEVAL_TEST_DIR")
if not TESTLIBS:
    bail("run through make check (QEVAL_TEST_DIR)")

tmp = tmpdir()
servers = []


def plugdir(name, *plugins):
    """A plugin dir holding copies of the given test plugins."""
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    for p in plugins:
        shutil.copy(os.path.join(TESTLIBS, p + ".so"), d)
    return d


def synthetic_gsm8k():
    d = os.path.join(tmp, "data", "gsm8k")
    os.makedirs(d)
    with open(os.path.join(d, "test.jsonl"), "w") as f:
        for i in range(60):
            f.write(json.dumps({"question": "What is %d plus 1?" % i,
                                "answer": "#### %d" % (i + 1)}) + "\n")
    with open(os.path.join(d, "train.jsonl"), "w") as f:
        for i in range(10):
            f.write(json.dumps({"question": "Train %d?" % i,
                                "answer": "#### %d" % i}) + "\n")
    return os.path.join(tmp, "data")


def preset(name, body):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(body, f)
    return path


def one_message_per_line(text):
    """Every line of stderr is a message of its own ("qeval: ...")."""
    lines = [l for l in text.splitlines() if l.strip()]
    return all(l.startswith("qeval: ") for l in lines)


def printed_files_exist(stdout):
    for m in re.finditer(r"^(results:|report: )\s*(\S+)$", stdout, re.M):
        if not os.path.exists(m.group(2)):
            return False
    return True


data = synthetic_gsm8k()
ENV = {"QEVAL_DATA_DIR": data, "QEVAL_MANIFEST_DIR": "none"}
fast = preset("fast", {"name": "fast",
                       "client": {"concurrency": 4, "timeout_s": 20,
                                  "retries": 0, "backoff_base_s": 0.05,
                                  "backoff_max_s": 0.1},
                       "generation": {"seed": 1234}})

try:
    # -- item 8: one resolved configuration, used and recorded --------
    srv = FakeServer(tmp, extra=["--latency-ms", "150"])
    servers.append(srv)
    out = os.path.join(tmp, "out8")
    rc, so, se = run(["--model", "m", "--endpoint", srv.url, "--tasks",
                      "gsm8k", "--limit", "40", "--preset-file", fast,
                      "--concurrency", "12", "--seed", "7",
                      "--max-tokens", "77", "--out", out, "--run-id", "r",
                      "--no-progress"], env=ENV)
    ok(rc == 0, "a run with --concurrency 12 --seed 7 exits 0", se)
    res = results(os.path.join(out, "r"))
    ok(res["preset"]["client"]["concurrency"] == 12 and
       res["preset"]["generation"]["seed"] == 7 and res["seed"] == 7,
       "results.json's preset holds the command line's concurrency and "
       "seed", res["preset"])
    ov = res.get("overrides", {})
    ok(ov.get("client.concurrency") == {"value": 12, "preset": 4} and
       ov.get("generation.seed") == {"value": 7, "preset": 1234} and
       ov.get("generation.max_tokens", {}).get("value") == 77 and
       "client.retries" not in ov,
       "results.json says which values came from the command line", ov)
    with open(os.path.join(out, "r", "run.json")) as f:
        plan = json.load(f)
    ok(plan["preset"]["client"]["concurrency"] == 12 and
       plan["overrides"] == ov, "run.json records the same", plan)
    with open(os.path.join(out, "r", "report.md")) as f:
        rep = f.read()
    conf = rep[rep.find("Configuration Used"):]
    ok('"concurrency": 12' in conf and '"seed": 7' in conf and
       "`client.concurrency` = 12 (preset: 4)" in conf and
       "`generation.seed` = 7 (preset: 1234)" in conf,
       "the report's Configuration Used shows them and their source",
       conf[:1500])
    reqs = srv.requests()
    # (max_tokens is a default: GSM8K's recipe sets its own)
    ok(len(reqs) == 40 and all(r["body"].get("seed") == 7 for r in reqs),
       "every request carried seed 7",
       [r["body"].get("seed") for r in reqs][:5])
    with urllib.request.urlopen("http://127.0.0.1:%d/stats" % srv.port) as r:
        st = json.load(r)
    rc, so, se = run(["rescore", os.path.join(out, "r"), "-q"], env=ENV)
    res2 = results(os.path.join(out, "r"))
    ok(rc == 0 and res2["overrides"] == ov and
       res2["preset"]["client"]["concurrency"] == 12,
       "rescore keeps the resolved configuration and its sources", se)
    # the preset comes from run.json in memory, not a temporary file
    ok(res2["preset"].get("source") == res["preset"].get("source") and
       "qeval-preset" not in res2["preset"].get("source", ""),
       "rescore keeps where the run's preset came from",
       (res["preset"].get("source"), res2["preset"].get("source")))
    ok(4 < st["max_inflight"] <= 12,
       "the run used the command line's concurrency (%d in flight at "
       "most; preset 4, asked 12)" % st["max_inflight"])

    # -- item 10: usage errors exit 2 and create nothing ----------------
    nothing = os.path.join(tmp, "nothing")

    def usage_error(args, desc, needle=None, raw_env=None):
        rc, so, se = run(args + ["--out", nothing], env=raw_env or ENV)
        good = rc == 2 and not os.path.exists(nothing)
        if needle is not None:
            good = good and needle in se
        ok(good and one_message_per_line(se),
           desc + ": exit 2, nothing created", "rc=%d\n%s" % (rc, se))
        return se

    usage_error(["--model", "m", "--preset", "nope", "--tasks", "gsm8k"],
                "an unknown preset name", "no preset named 'nope'")
    usage_error(["--model", "m", "--preset-file", "/nonexistent.json",
                 "--tasks", "gsm8k"], "a missing preset file",
                "/nonexistent.json")
    bad = preset("bad", {"name": "bad", "client": {"concurency": 3}})
    usage_error(["--model", "m", "--preset-file", bad, "--tasks", "gsm8k"],
                "a preset with an unknown key", "concurency")
    se = usage_error(["--model", "m", "--endpoint",
                      "http://127.0.0.1:8000/v1\r\nX-Evil: 1",
                      "--tasks", "gsm8k"], "a URL with a CRLF",
                     "\\x0d\\x0a")
    ok("\r" not in se, "the CR is escaped, never echoed raw", repr(se))
    for url, why in (("ftp://h/v1", "scheme"), ("http:///v1", "no host"),
                     ("http://h:0/v1", "port"),
                     ("http://h:99999/v1", "port"),
                     ("https://h:8x/v1", "port")):
        usage_error(["--model", "m", "--endpoint", url, "--tasks",
                     "gsm8k"], "endpoint %s" % url, why)
    usage_error(["--model", "m", "--endpoint", "http://[::1:8000/v1",
                 "--tasks", "gsm8k"], "an IPv6 host without ']'", "IPv6")
    for url in ("http://[::1]:8000/v1", "HTTPS://user:pw@host.example/v1",
                "http://h:65535"):
        rc, so, se = run(["--model", "reference", "--endpoint", url,
                          "--tasks", "gsm8k", "--limit", "1", "--out",
                          os.path.join(tmp, "okurl"), "-q"], env=ENV)
        ok(rc == 0, "endpoint %s is accepted" % url, se)
    usage_error(["--model", "m", "--judge-endpoint", "localhost:8000",
                 "--tasks", "gsm8k"], "a judge URL without scheme",
                "scheme")
    usage_error(["--model", "m", "--endpoint", srv.url, "--tasks",
                 "gsm8k", "--baseline", os.path.join(tmp, "no-such-run")],
                "a missing --baseline run", "no-such-run")
    usage_error(["--model", "m\x1b[31m", "--endpoint", srv.url,
                 "--tasks", "gsm8k"], "a model name with an escape",
                "\\x1b")
    p = subprocess.run([QEVAL.encode(), b"--model", b"m\xff\xfe",
                        b"--tasks", b"gsm8k", b"--out",
                        nothing.encode()], capture_output=True,
                       env=dict(os.environ, **ENV))
    ok(p.returncode == 2 and b"\\xff\\xfe" in p.stderr and
       b"\xff" not in p.stderr and not os.path.exists(nothing),
       "a model name that is not UTF-8: exit 2, escaped, nothing created",
       p.stderr)
    before = len(srv.requests())
    usage_error(["--model", "m", "--endpoint", srv.url, "--tasks",
                 "gsm8k", "--task-opt", "fewshot_as_multiturm=1"],
                "a misspelt task option",
                "did you mean 'fewshot_as_multiturn'?")
    ok(len(srv.requests()) == before, "no request was sent")
    for args, desc in ((["-v", "list", "plugins"], "-v before the command"),
                       (["list", "-v", "plugins"], "-v inside"),
                       (["list", "plugins", "-v"], "-v after")):
        rc, so, se = run(args, env=ENV)
        ok(rc == 0 and "gsm8k" in so, "qeval %s: %s" % (" ".join(args),
                                                       desc), se)

    # -- item 9: declared task options --------------------------------
    optd = plugdir("opts", "withopts", "old_abi")
    common = ["--plugin-dir", optd, "--model", "reference", "--out",
              nothing, "-q"]
    usage_error(common + ["--tasks", "opt_task", "--task-opt",
                          "timout=10"], "timout=10",
                "did you mean 'timeout'?")
    usage_error(common + ["--tasks", "opt_task", "--task-opt", "bogus=1"],
                "bogus=1", "no selected task has an option 'bogus'")
    usage_error(common + ["--tasks", "opt_task", "--task-opt",
                          "mode=chat"], "an enum value outside its choices",
                "fc|prompt")
    usage_error(common + ["--tasks", "opt_task", "--task-opt",
                          "count=1.5"], "a fraction for an int",
                "--task-opt count=1.5: option 'count' of task opt_task "
                "takes an integer")
    usage_error(common + ["--tasks", "opt_task", "--task-opt",
                          "timeout=soon"], "a word for a number",
                "a number")
    usage_error(common + ["--tasks", "opt_task", "--task-opt",
                          "prefill=maybe"], "a word for a bool", "0 or 1")
    usage_error(common + ["--tasks", "opt_task", "--task-opt", "label=x"],
                "an option of another task of the plugin",
                "no selected task has an option 'label'")
    out9 = os.path.join(tmp, "out9")
    rc, so, se = run(["--plugin-dir", optd, "--model", "reference",
                      "--tasks", "opt_task,opt_task2", "--task-opt",
                      "label=x", "--task-opt", "timeout=2.5",
                      "--task-opt", "mode=prompt", "--out", out9, "-q"],
                     env=ENV)
    ok(rc == 0, "declared keys with good values run", se)
    rc, so, se = run(["--plugin-dir", optd, "--model", "reference",
                      "--tasks", "old_task", "--task-opt", "anything=1",
                      "--out", out9, "-q"], env=ENV)
    ok(rc == 0 and "declares no options (ABI 1.0)" in se and
       "anything" in se,
       "an ABI 1.0 plugin loads; its keys pass with a warning", se)
    rc, so, se = run(["list", "tasks", "-v", "--plugin-dir", optd],
                     env=ENV)
    ok(rc == 0 and re.search(r"opt_task .*\n\s+timeout\s+double\s+default "
                             r"3\.0\s+seconds per program", so) and
       re.search(r"old_task .*\n\s+options: not declared", so) and
       re.search(r"\n\s+mode\s+enum\s+default fc .*\(fc\|prompt\)", so),
       "list tasks -v shows each task's options", so)
    ok(re.search(r"gsm8k .*\n\s+fewshot_as_multiturn\s+enum", so),
       "the built-in plugins declare theirs", so)

    # -- item 11: plugins that clash or crash -------------------------
    dupd = plugdir("dup", "dup_task")
    rc, so, se = run(["list", "plugins", "--plugin-dir", dupd], env=ENV)
    ok(rc == 0 and "refused:" in so and
       re.search(r"dup_task\.so' provides task 'gsm8k', which '\S*"
                 r"gsm8k\.so' already provides", so),
       "a plugin providing a taken task name is refused, naming both "
       "files (list plugins, no -v)", so)
    rc, so, se = run(["list", "tasks", "--plugin-dir", dupd], env=ENV)
    ok(rc == 0 and len(re.findall(r"^gsm8k ", so, re.M)) == 1,
       "list tasks shows gsm8k once", so)
    out11 = os.path.join(tmp, "out11")
    rc, so, se = run(["--plugin-dir", dupd, "--model", "reference",
                      "--tasks", "gsm8k", "--limit", "3", "--out", out11,
                      "--run-id", "dup", "-q"], env=ENV)
    ok(rc == 0 and results(os.path.join(out11, "dup"))["tasks"][0]
       ["plugin"] == "gsm8k" and "dup_task.so" in se,
       "the built-in gsm8k runs, with a warning about the other", se)

    brokend = plugdir("broken", "withopts", "loadcrash")
    rc, so, se = run(["list", "plugins", "--plugin-dir", brokend], env=ENV)
    ok(rc == 0 and re.search(r"loadcrash\.so' crashed while loading "
                             r"\(SIGSEGV\)", so) and "withopts" in so,
       "a plugin that crashes while loading is refused, and shown", so)
    env = dict(ENV, LD_DEBUG="files")
    rc, so, se = run(["--plugin-dir", brokend, "--model", "reference",
                      "--tasks", "opt_task", "--out", out11, "--run-id",
                      "broken", "-q"], env=env)
    ok(rc == 0, "a run of another task is not killed by it", se[-2000:])
    loaded = {}
    for m in re.finditer(r"^\s*(\d+):\s+file=(\S+)\s+\[0\];\s+dynamically "
                         r"loaded by", se, re.M):
        loaded.setdefault(m.group(1), set()).add(
            os.path.basename(m.group(2)))
    ok(any("withopts.so" in s and "gsm8k.so" not in s and
           "loadcrash.so" not in s for s in loaded.values()) and
       any("gsm8k.so" in s for s in loaded.values()),
       "the run's process loads only the selected task's plugin (the "
       "probe looked at all)", loaded)

    crashd = plugdir("crash", "crashplug")
    srv2 = FakeServer(tmp, script={"rules": [
        {"contains": "Q%d" % i, "text": "A%d" % i} for i in range(4)]})
    servers.append(srv2)
    args = ["--plugin-dir", crashd, "--model", "m", "--endpoint", srv2.url,
            "--tasks", "crash_task", "--concurrency", "1", "--out", out11,
            "--run-id", "crash", "--no-progress"]
    rc, so, se = run(args, env=dict(ENV, QEVAL_TEST_CRASH="1"))
    ok(rc < 0 or rc >= 128, "a fault in the plugin ends qeval (rc %d)" % rc)
    ok("plugin 'crashplug'" in se and "crashplug.so" in se and
       "score() callback (SIGSEGV)" in se and "--resume" in se,
       "it says which plugin and which callback", se)
    first = len(srv2.requests())
    rc, so, se = run(args + ["--resume"], env=ENV)
    ok(rc == 0, "--resume continues the run", se)
    res = results(os.path.join(out11, "crash"))
    ok(res["tasks"][0]["scored"] == 4 and
       metric(res, "crash_task", "acc") == 1.0,
       "every sample scored", res["tasks"][0])
    again = len(srv2.requests()) - first
    ok(1 <= again < 4 and first + again == 4,
       "answers journaled before the crash were not asked again "
       "(%d then %d)" % (first, again))

    # -- item 13 ---------------------------------------------------------
    out13 = os.path.join(tmp, "out13")
    rc, so, se = run(["--model", "reference", "--tasks", "gsm8k",
                      "--limit", "2", "--out", out13, "--run-id", "new",
                      "--resume"], env=ENV)
    ok(rc == 0 and os.path.exists(os.path.join(out13, "new",
                                               "results.json")),
       "--resume of a run that never got its directory starts it", se)
    rc, so, se = run(["--model", "reference", "--tasks", "gsm8k",
                      "--limit", "2", "--out", os.path.join(tmp, "none13"),
                      "--resume"], env=ENV)
    ok(rc == 0 and printed_files_exist(so) and "results:" in so,
       "--resume with no --out dir yet starts the run", so + se)
    srv3 = FakeServer(tmp, script={"default": {"status": 400,
                                               "message": "nope"}})
    servers.append(srv3)
    rc, so, se = run(["--model", "m", "--endpoint", srv3.url, "--tasks",
                      "gsm8k", "--limit", "3", "--preset-file", fast,
                      "--out", out13, "--run-id", "allfail",
                      "--no-progress"], env=ENV)
    ok(rc == 1 and "nan" not in so.lower() and
       re.search(r"gsm8k .* n/a\s+\(0 scored, 3 errors\)", so),
       "no sample scored: the summary says n/a, never nan%", so)
    ok(printed_files_exist(so), "results:/report: name files that exist",
       so)
    ok(one_message_per_line(se), "one message per line on stderr", se)
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
