#!/bin/sh
# bench/exec: qeval's executor against a human-eval-style peer on 1640
# HumanEval programs (164 tasks x 10 candidates, canonical and corrupted
# mixed).  See README.
#
#   sh bench/exec/run.sh [BUILDDIR] [DATASET]
#
# BUILDDIR defaults to ./build-exec (bench-exec is built by "make check"
# or "make bench/exec/bench-exec"); DATASET to
# ../shared/datasets/humaneval/HumanEval.jsonl.gz (or
# $QEVAL_DATA_DIR/humaneval/HumanEval.jsonl.gz).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build-exec}
data=${2:-${QEVAL_DATA_DIR:-$top/../shared/datasets}/humaneval/HumanEval.jsonl.gz}
py=${PYTHON3:-python3}
work=$(mktemp -d /tmp/qeval-bench-exec.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

"$py" "$here/gen.py" gen "$data" "$work/programs.jsonl" 10
echo "machine: $(nproc) cores, $(uname -sr), $("$py" -V 2>&1)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/exec/bench-exec" "$work/programs.jsonl" "$work/qeval.tsv" \
    | tee "$work/qeval.out"
"$py" "$here/peer.py" "$work/programs.jsonl" "$work/peer.tsv" 3 4 \
    | tee "$work/peer.out"
qwall=$(awk '/^wall /{print $2}' "$work/qeval.out")
pwall=$(awk '/^wall /{print $2}' "$work/peer.out")
qcpu=$(awk '/^cpu /{print $2}' "$work/qeval.out")
pcpu=$(awk '/^cpu /{print $2}' "$work/peer.out")
echo "load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" "$here/gen.py" report "$work/programs.jsonl" "$work/qeval.tsv" \
    "$work/peer.tsv" "$qwall" "$pwall" "$qcpu" "$pcpu"
