"""End to end, executor sessions through the real qeval binary, the real
executor and a test plugin (tests/exec/sessplug.c): each sample is three
model turns whose code runs in the sample's session, and a checker
("journal": false) that re-runs all of it from scratch.

- The model's answers build state across turns (acc = 1, += 10, *= 2):
  the samples are right only if the session kept it.
- Three samples, concurrency 4, one worker slot: sessions wait idle
  while others run, and none sees another's state.
- The checker's exchange is not in the journal; `rescore` runs it again
  and asks the model nothing.
- kill -9 while the third turn waits for the model, then --resume: the
  two journaled session programs run again before the live one, so the
  samples are still right (without that, acc is undefined: a NameError).
- --no-exec does not refuse the task (QEVAL_TF_EXEC_OPT); its samples
  fail with "code execution is not available in this run".
- The reference model drives the same plugin to 100%.
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
from core import (QEVAL, FakeServer, cleanup, done, metric, ok,  # noqa: E402
                  results, run, samples, tmpdir, bail)

BUILD = os.environ.get("QEVAL_BUILDDIR", ".")
PLUGDIR = os.path.join(BUILD, "tests", "exec", ".libs")

CODE = [
    "import sesslib.tools\nacc = sesslib.tools.start()\nprint(acc)\n",
    "acc += 10\nprint(acc)\n",
    "acc *= 2\nprint(acc)\n",
]


def script(delay_last=False):
    rules = []
    for k, code in enumerate(CODE):
        r = {"contains": "turn %d:" % k, "text": code}
        if delay_last and k == 2:
            r["delay_ms"] = 120000
        rules.append(r)
    return {"rules": rules}


tmp = tmpdir()
servers = []
try:
    if not os.path.exists(os.path.join(PLUGDIR, "sessplug.so")):
        bail("no %s/sessplug.so" % PLUGDIR)
    data = os.path.join(tmp, "data")
    os.makedirs(os.path.join(data, "sessplug"))
    with open(os.path.join(data, "sessplug", "tools.py"), "w") as f:
        f.write("def start():\n    return 1\n")
    env = {"QEVAL_DATA_DIR": data, "QEVAL_MANIFEST_DIR": "none"}
    out = os.path.join(tmp, "out")
    base = ["--plugin-dir", PLUGDIR, "--tasks", "sessplug", "--out", out,
            "--no-progress", "--workers", "1", "--concurrency", "4"]

    # -- a plain run ---------------------------------------------------
    srv = FakeServer(tmp, script=script())
    servers.append(srv)
    rc, so, se = run(base + ["--model", "m", "--endpoint", srv.url,
                             "--run-id", "plain"], env=env)
    ok(rc == 0, "a run of the session task", se[-2000:])
    rd = os.path.join(out, "plain")
    res = results(rd)
    ok(metric(res, "sessplug", "acc") == 1.0,
       "every sample right: state persisted across turns, and no "
       "session saw another's", res["tasks"][0])
    smp = samples(rd, "sessplug")
    ok(all(s.get("reason") == "session 22, checker 22" for s in smp),
       "the last output of each session is 22",
       [s.get("reason") for s in smp])
    asked = len(srv.requests())
    ok(asked == 9, "three turns asked per sample (%d)" % asked)
    with open(os.path.join(rd, "journal")) as f:
        journal = [json.loads(x) for x in f if x.strip()]
    ks = sorted({r.get("k") for r in journal if "k" in r})
    ok(ks == [0, 1, 2, 3, 4, 5],
       "the journal holds the turns and the session requests, not the "
       "checker (k %s)" % ks)

    # -- rescore runs the checker again and asks nothing ----------------
    srv.stop()
    rc, so, se = run(["rescore", rd, "-q", "--plugin-dir", PLUGDIR],
                     env=env)
    ok(rc == 0, "rescore of the run", se[-2000:])
    res = results(rd)
    ok(metric(res, "sessplug", "acc") == 1.0 and
       res["tasks"][0].get("errors", 0) == 0,
       "rescore re-ran the checker (journal: false) with no model",
       res["tasks"][0])

    # -- kill -9 in the middle of a sample, then --resume ---------------
    srv2 = FakeServer(tmp, script=script(delay_last=True))
    servers.append(srv2)
    args = base + ["--model", "m", "--endpoint", srv2.url, "--run-id",
                   "killed"]
    e = dict(os.environ)
    e.update(env)
    p = subprocess.Popen([QEVAL] + args, env=e, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    seen = False
    while time.time() < deadline and not seen:
        time.sleep(0.1)
        if os.path.exists(srv2.log):
            pass
        try:
            import urllib.request
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/stats" % srv2.port,
                    timeout=2) as r:
                st = json.load(r)
            seen = st.get("inflight", 0) >= 3
        except OSError:
            pass
    ok(seen, "every sample waits for its third turn")
    p.send_signal(signal.SIGKILL)
    p.wait()
    srv2.stop()
    srv3 = FakeServer(tmp, script=script())
    servers.append(srv3)
    args3 = base + ["--model", "m", "--endpoint", srv3.url, "--run-id",
                    "killed", "--resume"]
    rc, so, se = run(args3, env=env)
    ok(rc == 0, "--resume of the killed run", se[-2000:])
    res = results(os.path.join(out, "killed"))
    ok(metric(res, "sessplug", "acc") == 1.0,
       "after --resume every sample is right: the journaled session "
       "programs ran again before the live one", res["tasks"][0])
    smp = samples(os.path.join(out, "killed"), "sessplug")
    ok(all(s.get("reason") == "session 22, checker 22" for s in smp),
       "the resumed sessions printed 22",
       [s.get("reason") or s.get("error") for s in smp])
    asked = [r for r in srv3.requests()]
    ok(len(asked) == 3, "only the third turns were asked again (%d)" %
       len(asked))

    # -- the reference model, and --no-exec ------------------------------
    rc, so, se = run(base + ["--model", "reference", "--run-id", "ref"],
                     env=env)
    res = results(os.path.join(out, "ref"))
    ok(rc == 0 and metric(res, "sessplug", "acc") == 1.0,
       "the reference model through sessions", se[-2000:])
    rc, so, se = run(base + ["--model", "reference", "--run-id", "noexec",
                             "--no-exec"], env=env)
    ok("runs model-written code" not in se,
       "--no-exec does not refuse a task that runs code only with some "
       "options", se[-2000:])
    smp = samples(os.path.join(out, "noexec"), "sessplug")
    ok(len(smp) == 3 and all("code execution is not available in this "
                             "run" in (s.get("error") or "") for s in smp),
       "its code requests fail the samples, saying why",
       [s.get("error") for s in smp])
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
