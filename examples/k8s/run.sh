#!/bin/sh
# Runs the sharded evaluation on the current kubectl context: the shard
# Job, a wait until every index has succeeded, then the merge Job.
# Edit the env blocks of both YAML files first (same QEVAL_RUN and
# QEVAL_SHARD_COUNT = spec.completions in both).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kubectl apply -f "$here/qeval-indexed-job.yaml"
kubectl wait --for=condition=complete job/qeval-shards --timeout=24h
kubectl delete job qeval-merge --ignore-not-found
kubectl apply -f "$here/qeval-merge-job.yaml"
kubectl wait --for=condition=complete job/qeval-merge --timeout=2h
kubectl logs job/qeval-merge
