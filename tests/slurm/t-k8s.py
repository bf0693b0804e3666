"""The Kubernetes example without a cluster: examples/k8s/*.yaml parsed
(python3-yaml) and checked for what makes an Indexed Job of qeval work
(Indexed completion mode, the shard count equal to the completions in
both Jobs, the volume the pods share, the job id from the pod's label);
then the very shell scripts of its pods run here, one per completion
index as Kubernetes would start them, against two fake replicas, and
the merge Job's script joins them into the unsharded run's results.
Also: the Slurm example's scripts parse (bash -n)."""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
from core import FakeServer, QEVAL, SRC, cleanup, done, ok, run, skip  # noqa
from shardlib import (N, data, load, metrics, owned, per_sample,  # noqa
                      question_indices)

K8S = os.path.join(SRC, "examples", "k8s")
SLURM = os.path.join(SRC, "examples", "slurm")
PLAN_YAML = 25          # checks that need python3-yaml


def env_of(container):
    """The container's env entries with a literal value, by name."""
    return {e["name"]: e["value"] for e in container.get("env", [])
            if "value" in e}


def sh(script, env):
    p = subprocess.run(["/bin/sh", "-c", script], env=env, text=True,
                       capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


for f in ("qeval-array.sbatch", "qeval-merge.sbatch", "submit.sh"):
    p = subprocess.run(["bash", "-n", os.path.join(SLURM, f)],
                       capture_output=True, text=True)
    ok(p.returncode == 0, "examples/slurm/%s parses (bash -n)" % f,
       p.stderr)
p = subprocess.run(["sh", "-n", os.path.join(K8S, "run.sh")],
                   capture_output=True, text=True)
ok(p.returncode == 0, "examples/k8s/run.sh parses (sh -n)", p.stderr)

try:
    import yaml
except ImportError:
    yaml = None
if yaml is None:
    for _ in range(PLAN_YAML):
        skip("python3-yaml is not installed: the Kubernetes example is "
             "not checked (apt-get install python3-yaml)")
    done()

tmp = tempfile.mkdtemp(prefix="qeval-k8s-")
servers = []
try:
    with open(os.path.join(K8S, "qeval-indexed-job.yaml")) as f:
        docs = list(yaml.safe_load_all(f))
    with open(os.path.join(K8S, "qeval-merge-job.yaml")) as f:
        mdocs = list(yaml.safe_load_all(f))
    kinds = [(d.get("apiVersion"), d.get("kind")) for d in docs]
    ok(kinds == [("v1", "PersistentVolumeClaim"), ("batch/v1", "Job")],
       "qeval-indexed-job.yaml: a PersistentVolumeClaim and a Job",
       kinds)
    pvc, job = docs
    spec = job["spec"]
    pod = spec["template"]["spec"]
    ctr = pod["containers"][0]
    env = env_of(ctr)
    ok(spec.get("completionMode") == "Indexed",
       "the Job is an Indexed Job (completion index = shard)")
    ok(str(spec.get("completions")) == env.get("QEVAL_SHARD_COUNT"),
       "QEVAL_SHARD_COUNT equals spec.completions (%s, %s)" %
       (env.get("QEVAL_SHARD_COUNT"), spec.get("completions")))
    ok(pod.get("restartPolicy") in ("Never", "OnFailure"),
       "restartPolicy is Never or OnFailure, as a Job needs")
    ok("ReadWriteMany" in pvc["spec"].get("accessModes", []),
       "the volume can be mounted by every shard's pod (ReadWriteMany)")
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = ctr.get("volumeMounts", [])
    ok(mounts and all(m["name"] in vols for m in mounts) and
       [vols[m["name"]].get("persistentVolumeClaim", {}).get("claimName")
        for m in mounts] == [pvc["metadata"]["name"]] and
       mounts[0]["mountPath"] == "/runs",
       "the pods mount the claim at /runs, where the script writes")
    jid = [e for e in ctr["env"] if e["name"] == "QEVAL_JOB_ID"]
    ok(jid and jid[0].get("valueFrom", {}).get("fieldRef", {}).get(
        "fieldPath") == "metadata.labels['job-name']",
       "QEVAL_JOB_ID comes from the pod's job-name label")
    script = ctr["command"] + ctr["args"]
    ok(script[:2] == ["/bin/sh", "-c"] and len(script) == 3 and
       "--shard auto" in script[2],
       "the container runs one sh script with --shard auto")
    ok([d.get("kind") for d in mdocs] == ["Job"] and
       mdocs[0]["spec"].get("completionMode") is None,
       "qeval-merge-job.yaml: one plain Job")
    mctr = mdocs[0]["spec"]["template"]["spec"]["containers"][0]
    menv = env_of(mctr)
    ok(menv.get("QEVAL_SHARD_COUNT") == env.get("QEVAL_SHARD_COUNT") and
       menv.get("QEVAL_RUN") == env.get("QEVAL_RUN") and
       [v.get("persistentVolumeClaim", {}).get("claimName") for v in
        mdocs[0]["spec"]["template"]["spec"]["volumes"]] ==
       [pvc["metadata"]["name"]],
       "the merge Job reads the same run on the same volume, with the "
       "same shard count")

    # -- the pods' scripts, run here ----------------------------------
    count = int(env["QEVAL_SHARD_COUNT"])
    runs = os.path.join(tmp, "runs")
    datadir, fscript, preset = data(tmp)
    qenv = {"QEVAL_DATA_DIR": datadir, "QEVAL_MANIFEST_DIR": "none"}
    common = ["--tasks", "gsm8k", "--limit", str(N), "--preset-file",
              preset]
    base = FakeServer(tmp, fscript)
    a = FakeServer(tmp, fscript)
    b = FakeServer(tmp, fscript)
    servers += [base, a, b]
    out = os.path.join(tmp, "out")
    rc, so, se = run(["--model", "fake-model", "--endpoint", base.url,
                      "--out", out, "--run-id", "whole", "-q"] + common,
                     env=qenv)
    ok(rc == 0, "the unsharded run exits 0", se)
    whole = per_sample(os.path.join(out, "whole"))

    # A pod sees no Slurm (were this test itself run in a Slurm job).
    penv = {k: v for k, v in os.environ.items()
            if not k.startswith("SLURM_")}
    penv.update(env)
    penv.update(qenv, QEVAL=QEVAL, QEVAL_MODEL="fake-model",
                QEVAL_ENDPOINTS=a.url + " " + b.url,
                QEVAL_ARGS=" ".join(common + ["-q"]),
                QEVAL_JOB_ID="qeval-shards")
    pod_script = script[2].replace("/runs/", runs + "/")
    merge_script = (mctr["command"] + mctr["args"])[2].replace(
        "/runs/", runs + "/")
    rundir = os.path.join(runs, env["QEVAL_RUN"])
    last = count - 1
    fails = []
    for i in range(last):       # the last pod comes later
        rc, so, se = sh(pod_script, dict(penv, JOB_COMPLETION_INDEX=str(i)))
        if rc != 0:
            fails.append((i, se))
    ok(not fails, "pods 0..%d: their scripts exit 0" % (last - 1), fails)
    r = load(os.path.join(rundir, "shard-1", "results.json"))
    ok(r.get("scheduler") == {"name": "kubernetes", "job_id":
                              "qeval-shards", "index": 1} and
       r.get("shard") == {"index": 1, "count": count},
       "shard-1's results.json records kubernetes, the Job and index 1",
       r.get("scheduler"))
    rc, so, se = sh(merge_script, penv)
    ok(rc != 0 and "missing: shard %d/%d" % (count, count) in se,
       "the merge Job's script refuses while shard %d/%d is missing" %
       (count, count), se)
    ok(not os.path.exists(os.path.join(rundir, "merged",
                                       "results.json")),
       "and writes no merged results")
    # The last shard comes from a second Job (the first one lost it):
    # the merged results.json names each shard's own Job.
    rc, so, se = sh(pod_script, dict(penv, JOB_COMPLETION_INDEX=str(last),
                                     QEVAL_JOB_ID="qeval-shards-again"))
    ok(rc == 0, "pod %d exits 0" % last, se)
    # A pod started again with the same index (backoffLimit) continues
    # its run directory: asked nothing again.
    asked = len(a.requests()) + len(b.requests())
    rc, so, se = sh(pod_script, dict(penv, JOB_COMPLETION_INDEX="2"))
    ok(rc == 0 and len(a.requests()) + len(b.requests()) == asked,
       "pod 2 started again resumes and asks nothing", se)
    ok(question_indices(a.requests()) == owned(*range(0, count, 2),
                                               count=count) and
       question_indices(b.requests()) == owned(*range(1, count, 2),
                                               count=count),
       "even indices used replica 1, odd ones replica 2")
    rc, so, se = sh(merge_script, penv)
    ok(rc == 0, "the merge Job's script exits 0", se)
    got = per_sample(os.path.join(rundir, "merged"))
    ok(len(got) == N and got == whole,
       "merged results equal the unsharded run's, per sample")
    ok(metrics(os.path.join(rundir, "merged")) ==
       metrics(os.path.join(out, "whole")),
       "and so do the metrics")
    ok(os.path.exists(os.path.join(rundir, "report.md")),
       "the merge Job's script wrote the tracker report")
    mr = load(os.path.join(rundir, "merged", "results.json"))
    want = [{"index": i, "count": count,
             "scheduler": {"name": "kubernetes",
                           "job_id": "qeval-shards-again" if i == last
                           else "qeval-shards", "index": i},
             "run_id": "shard-%d" % i} for i in range(count)]
    ok(mr.get("shards") == want,
       "merged results.json lists every shard with its Job, in index "
       "order", json.dumps(mr.get("shards")))
    wr = load(os.path.join(out, "whole", "results.json"))
    ok(wr.get("model_server") and
       mr.get("model_server") == wr.get("model_server"),
       "and keeps the shards' model_server (%s)" % mr.get("model_server"))
    rc, so, se = run(["rescore", os.path.join(rundir, "merged"), "-q"],
                     env=qenv)
    rr = load(os.path.join(rundir, "merged", "results.json"))
    ok(rc == 0 and rr.get("shards") == want and
       rr.get("model_server") == mr.get("model_server"),
       "a rescore of the merged run keeps both", se)
finally:
    for s in servers:
        s.stop()
    cleanup(tmp)
done()
