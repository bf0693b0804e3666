"""The Slurm example on a real Slurm: a one-node cluster on loopback
(munged, slurmctld, slurmd; a slurm.conf written here into a temporary
directory), examples/slurm/submit.sh submitting the 4-shard array job
and its dependent merge job against two fake replicas, and the merged
results compared with an unsharded run's, sample by sample.  Then a
replica that is down: its shards fail, the merge job never runs and
`qeval merge` refuses the unfinished shards by name; the replica comes
up, the two indices are submitted again, continue with --resume (the
other replica is asked nothing more), and the merge matches again.

Needs root and Debian's slurm-wlm and munge (installed here with
apt-get when missing).  Where that cannot be had, every check is
reported as SKIP with the reason: never a silent pass.  The daemons are
stopped, and the directory removed, however the test ends."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
from core import FakeServer, QEVAL, SRC, done, ok, run, skip  # noqa
from shardlib import (N, SHARDS, data, load, metrics, owned,  # noqa
                      per_sample, question_indices)
from onenode import (FINAL, cluster, install, job_state, procs,  # noqa
                     stop_all, tail, wait_done, wait_for)

PLAN = 25               # checks after the cluster is up
tmp = None


def sigterm(signum, frame):
    raise SystemExit(1)


def skip_all(why):
    for _ in range(PLAN):
        skip(why)
    done()


def submit(env, *args):
    p = subprocess.run([os.path.join(SRC, "examples", "slurm", "submit.sh"),
                        str(SHARDS)] + list(args), env=env,
                       capture_output=True, text=True, timeout=60)
    words = p.stdout.split()
    if p.returncode != 0 or len(words) != 4:
        return None, None, p.stderr + p.stdout
    return words[1], words[3], None


def main():
    global tmp
    signal.signal(signal.SIGTERM, sigterm)
    why = install()
    if why is None and os.geteuid() != 0:
        why = "not root: slurmd must run as root to start jobs"
    if why is not None:
        return skip_all(why)
    tmp = tempfile.mkdtemp(prefix="qeval-slurm-")
    env = None
    servers = []
    try:
        env = cluster(tmp, cpus=2 * (SHARDS + 1), mem=4096 * (SHARDS + 1))
        if isinstance(env, str):
            why, env = env, None
            return skip_all(why)
        datadir, script, preset = data(tmp)
        qenv = {"QEVAL_DATA_DIR": datadir, "QEVAL_MANIFEST_DIR": "none"}
        common = ["--tasks", "gsm8k", "--limit", str(N), "--preset-file",
                  preset]

        # -- the unsharded run, the reference for every comparison ----
        base = FakeServer(tmp, script)
        servers.append(base)
        out = os.path.join(tmp, "out")
        rc, so, se = run(["--model", "fake-model", "--endpoint", base.url,
                          "--out", out, "--run-id", "whole", "-q"] + common,
                         env=qenv)
        ok(rc == 0, "the unsharded run exits 0", se)
        whole = per_sample(os.path.join(out, "whole")) if rc == 0 else {}

        # -- four shards on two replicas, and the merge job -----------
        a = FakeServer(tmp, script)
        b = FakeServer(tmp, script)
        servers += [a, b]
        rundir = os.path.join(tmp, "eval1")
        jenv = dict(env, **qenv)
        jenv.update(QEVAL=QEVAL, QEVAL_RUN_DIR=rundir,
                    QEVAL_MODEL="fake-model",
                    QEVAL_ENDPOINTS=a.url + " " + b.url,
                    QEVAL_ARGS=" ".join(common))
        t0 = time.monotonic()
        array, merge, err = submit(jenv)
        ok(array is not None, "submit.sh queues the array and the merge "
           "job", err)
        states = wait_done(env, merge) if merge else None
        wall = time.monotonic() - t0
        ok(states == ["COMPLETED"], "the merge job ran after the shards "
           "and completed (%s, %.1f s)" % (states, wall),
           tail(os.path.join(rundir, "slurm-merge-%s.out" % merge)))
        print("# 4 shards + merge on the one-node cluster: %.1f s" % wall)
        ok(job_state(env, array) == ["COMPLETED"] * SHARDS,
           "all four array tasks completed",
           tail(os.path.join(rundir, "slurm-shard-%s_0.out" % array)))
        merged = os.path.join(rundir, "merged")
        got = per_sample(merged) if os.path.exists(
            os.path.join(merged, "samples", "gsm8k.jsonl")) else {}
        ok(len(got) == N and got == whole,
           "merged results equal the unsharded run's, per sample "
           "(%d of %d)" % (sum(1 for k in got if got[k] == whole.get(k)),
                           N))
        ok(metrics(merged) == metrics(os.path.join(out, "whole")) and
           metrics(merged) != [], "and so do the metrics",
           json.dumps(metrics(merged)))
        r0 = load(os.path.join(rundir, "shard-2", "results.json"))
        ok(r0.get("scheduler") == {"name": "slurm", "job_id": array,
                                   "index": 2} and
           r0.get("shard") == {"index": 2, "count": SHARDS},
           "shard 3's results.json records slurm, the array's job id "
           "and index 2", json.dumps(r0.get("scheduler")))
        ok(os.path.exists(os.path.join(rundir, "report.md")),
           "the merge job wrote the tracker report")
        ok(question_indices(a.requests()) == owned(0, 2) and
           question_indices(b.requests()) == owned(1, 3),
           "replica 1 served shards 1 and 3, replica 2 shards 2 and 4")

        # -- two samples fail for good: their shards fail, no merge ---
        # Replica 2 answers questions 5 and 7 (shards 2 and 4) with
        # HTTP 500 on the try and the retry, and rightly afterwards.
        flaky = {"rules": [dict(r, status=500, times=2) for r in
                           script["rules"] if "question 5:" in
                           r["contains"] or "question 7:" in
                           r["contains"]] + script["rules"],
                 "default": script["default"]}
        c = FakeServer(tmp, script)
        e = FakeServer(tmp, flaky)
        servers += [c, e]
        rundir2 = os.path.join(tmp, "eval2")
        jenv.update(QEVAL_RUN_DIR=rundir2,
                    QEVAL_ENDPOINTS=c.url + " " + e.url)
        array, merge, err = submit(jenv)
        ok(array is not None, "second run queued", err)
        states = wait_done(env, array) if array else None
        ok(states is not None and sorted(states) ==
           ["COMPLETED", "COMPLETED", "FAILED", "FAILED"],
           "the two shards with a failed sample fail (%s)" % states)
        mstate = wait_for(lambda: [s for s in job_state(env, merge)
                                   if s in FINAL], 30, 0.5)
        ok(mstate == ["CANCELLED"], "the merge job is cancelled, never run "
           "(%s)" % mstate)
        ok(not os.path.exists(os.path.join(rundir2, "merged")),
           "no merged run was made")
        shard_dirs = [os.path.join(rundir2, "shard-%d" % i)
                      for i in range(SHARDS)]
        rc, so, se = run(["merge"] + shard_dirs + ["--out", rundir2,
                                                   "--run-id", "byhand"],
                         env=qenv)
        ok(rc != 0 and "shard 2/4" in se and "shard 4/4" in se and
           "incomplete" in se and "shard 1/4" not in se and
           "shard 3/4" not in se,
           "qeval merge refuses, naming the unfinished shards 2/4 and "
           "4/4 only", se)
        ok(not os.path.exists(os.path.join(rundir2, "byhand",
                                           "results.json")),
           "and writes no merged results")

        # -- indices 1 and 3 submitted again: --resume ----------------
        asked_c, asked_e = len(c.requests()), len(e.requests())
        array, merge, err = submit(jenv, "1,3")
        ok(array is not None, "submit.sh 4 1,3 queues the two indices and "
           "a new merge job", err)
        states = wait_done(env, merge) if merge else None
        ok(states == ["COMPLETED"], "the new merge job completed (%s)" %
           states, tail(os.path.join(rundir2, "slurm-merge-%s.out" %
                                     merge)))
        ok(job_state(env, array) == ["COMPLETED"] * 2,
           "both resubmitted shards completed")
        ok(len(c.requests()) == asked_c,
           "replica 1 (shards 1 and 3, not resubmitted) was asked nothing "
           "more")
        again = question_indices(e.requests()[asked_e:])
        ok(again == {5, 7}, "the resubmitted shards continued with "
           "--resume: only the two failed questions were asked again "
           "(%s)" % sorted(again))
        got = per_sample(os.path.join(rundir2, "merged")) if \
            os.path.exists(os.path.join(rundir2, "merged", "samples",
                                        "gsm8k.jsonl")) else {}
        ok(len(got) == N and got == whole,
           "after the resubmission the merged results equal the "
           "unsharded run's, per sample")
        r1 = load(os.path.join(rundir2, "shard-1", "results.json"))
        ok(r1.get("scheduler", {}).get("job_id") == array and
           r1.get("shard") == {"index": 1, "count": SHARDS},
           "the resubmitted shard records the new job and shard 2/4",
           json.dumps(r1.get("scheduler")))

        # -- bad use ---------------------------------------------------
        rc, so, se = run(["--model", "m", "--shard", "auto"] + common,
                         env=dict(qenv, SLURM_ARRAY_TASK_ID=""))
        ok(rc == 2 and "SLURM_ARRAY_TASK_ID" in se,
           "--shard auto outside an array job: usage error naming the "
           "variable", se)
        rc, so, se = run(["merge", shard_dirs[0], shard_dirs[2],
                          "--out", rundir2, "--run-id", "two"], env=qenv)
        ok(rc != 0 and "missing: shard 2/4, 4/4" in se,
           "merging two of four shards is refused, naming the missing "
           "ones", se)
    finally:
        for s in servers:
            s.stop()
        stop_all(env)
        if tmp and os.environ.get("QEVAL_KEEP_TMP") is None:
            shutil.rmtree(tmp, ignore_errors=True)
    left = [p.pid for p in procs if p.poll() is None]
    ok(not left, "every daemon the test started has exited", left)
    done()


if __name__ == "__main__":
    main()
