"""Measures the worked example of docs/DISTRIBUTED.md (not a test):
GSM8K's 1319 test questions against fake replicas that take a fixed
time per answer, once unsharded and then as Slurm arrays of 4 and 8
shards with their merge jobs on the one-node cluster of t-slurm.py.

    QEVAL_BIN=./qeval QEVAL_SRCDIR=. QEVAL_DATA_DIR=../shared/datasets \\
        python3 tests/slurm/bench-shards.py [LATENCY_MS]

Needs root and slurm-wlm/munge, like the test.  Prints a markdown
table: wall time from submission to the merged run, and the merged
metrics against the unsharded run's."""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
from core import DATA, FakeServer, QEVAL, SRC, cleanup, run  # noqa
from onenode import cluster, install, job_state, stop_all, wait_done  # noqa


def metrics(d):
    with open(os.path.join(d, "results.json")) as f:
        r = json.load(f)
    return [(t["name"], t["scored"], [(m["name"], m["value"]) for m in
                                      t["metrics"]]) for t in r["tasks"]]


def main():
    lat = sys.argv[1] if len(sys.argv) > 1 else "200"
    if DATA is None:
        sys.exit("set QEVAL_DATA_DIR to the datasets mirror")
    why = install()
    if why:
        sys.exit(why)
    tmp = tempfile.mkdtemp(prefix="qeval-bench-shards-")
    env, servers, rows = None, [], []
    try:
        env = cluster(tmp, cpus=32, mem=65536)
        if isinstance(env, str):
            sys.exit(env)
        reps = [FakeServer(tmp, {"default": {"text": "So.\n#### 7"}},
                           extra=["--latency-ms", lat]) for _ in range(2)]
        servers += reps
        args = ["--tasks", "gsm8k", "--preset", "balanced", "-q"]
        t0 = time.monotonic()
        rc, so, se = run(["--model", "fake-model", "--endpoint",
                          reps[0].url, "--out", tmp, "--run-id",
                          "whole"] + args)
        whole_s = time.monotonic() - t0
        if rc != 0:
            sys.exit(se)
        want = metrics(os.path.join(tmp, "whole"))
        rows.append(("unsharded, 1 client, 8 in flight", whole_s, "-",
                     "-"))
        t0 = time.monotonic()
        rc, so, se = run(["--model", "fake-model", "--endpoint",
                          reps[0].url, "--endpoint", reps[1].url,
                          "--concurrency", "32", "--out", tmp, "--run-id",
                          "wide"] + args)
        if rc != 0:
            sys.exit(se)
        rows.append(("unsharded, 1 client on 2 replicas, 32 in flight",
                     time.monotonic() - t0, "-", "-"))
        for n in (4, 8):
            rundir = os.path.join(tmp, "eval%d" % n)
            jenv = dict(env, QEVAL=QEVAL, QEVAL_RUN_DIR=rundir,
                        QEVAL_MODEL="fake-model",
                        QEVAL_ENDPOINTS=" ".join(r.url for r in reps),
                        QEVAL_ARGS=" ".join(args))
            t0 = time.monotonic()
            p = subprocess.run([os.path.join(SRC, "examples", "slurm",
                                             "submit.sh"), str(n)],
                               env=jenv, capture_output=True, text=True)
            words = p.stdout.split()
            if p.returncode != 0 or len(words) != 4:
                sys.exit(p.stderr)
            states = wait_done(env, words[3])
            total = time.monotonic() - t0
            if states != ["COMPLETED"]:
                sys.exit("merge job: %s %s" % (states,
                                               job_state(env, words[1])))
            # Where the time went, from Slurm's own (1 s) timestamps.
            tl = {}
            for job in (words[1], words[3]):
                q = subprocess.run(["scontrol", "-o", "show", "job", job],
                                   env=env, capture_output=True, text=True)
                for line in q.stdout.splitlines():
                    f = dict(x.split("=", 1) for x in line.split()
                             if "=" in x)
                    for k in ("SubmitTime", "StartTime", "EndTime"):
                        tl.setdefault((job, k), []).append(f.get(k))
            print("# %d shards: array submit %s, starts %s..%s, ends "
                  "%s..%s; merge starts %s, ends %s" % (
                      n, min(tl[(words[1], "SubmitTime")]),
                      min(tl[(words[1], "StartTime")]),
                      max(tl[(words[1], "StartTime")]),
                      min(tl[(words[1], "EndTime")]),
                      max(tl[(words[1], "EndTime")]),
                      tl[(words[3], "StartTime")][0],
                      tl[(words[3], "EndTime")][0]))
            shard_s = []
            for i in range(n):
                with open(os.path.join(rundir, "shard-%d" % i,
                                       "results.json")) as f:
                    shard_s.append(json.load(f)["system"]["wall_s"])
            t0 = time.monotonic()
            rc, so, se = run(["merge"] + [os.path.join(rundir, "shard-%d"
                                                       % i)
                                          for i in range(n)] +
                             ["--out", rundir, "--run-id", "again", "-q"])
            merge_s = time.monotonic() - t0
            same = rc == 0 and metrics(os.path.join(rundir, "merged")) == \
                want
            rows.append(("%d shards on 2 replicas, 8 in flight each" % n,
                         total, "%.1f-%.1f" % (min(shard_s), max(shard_s)),
                         "%.1f%s" % (merge_s, "" if same else
                                     " (METRICS DIFFER)")))
    finally:
        for s in servers:
            s.stop()
        stop_all(env if isinstance(env, dict) else None)
        cleanup(tmp)
    print("GSM8K test (1319 questions), %s ms per answer\n" % lat)
    print("| run | wall, submit to merged (s) | one shard (s) | "
          "merge alone (s) |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %.1f | %s | %s |" % r)


if __name__ == "__main__":
    main()
