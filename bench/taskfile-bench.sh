#!/bin/sh
# bench/taskfile-bench.sh [REPEATS]: CPU time (user + system, of qeval
# and its children) of tasks/gsm8k.json against the C gsm8k plugin, both
# over the 1319 GSM8K test items on the reference model (no server: the
# cost is the plugin's prompt building, few-shot draw, extraction and
# scoring, plus the core's journal and outputs), in the same run.
# Reports each run and the ratio of the medians (goal: <= 1.5).
#
# Needs QEVAL_DATA_DIR (a mirror with gsm8k/test.jsonl, train.jsonl).
# Run it from a build directory, or set QEVAL_BUILDDIR.
set -eu
builddir=${QEVAL_BUILDDIR:-.}
n=${1:-5}
: "${QEVAL_DATA_DIR:?set QEVAL_DATA_DIR to the dataset mirror}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qeval-tfbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/xdg"

cpu() {	# task run -> CPU seconds of qeval and its children
	python3 - "$builddir/qeval" "$1" "$tmp/out" "$2" <<'PY'
import os, resource, subprocess, sys
q, task, out, rid = sys.argv[1:]
subprocess.run([q, "--model", "reference", "--tasks", task, "--out", out,
                "--run-id", rid, "-q"], check=True,
               stdout=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime))
PY
}

c_all= f_all=
i=0
while [ "$i" -lt "$n" ]; do
	c=$(cpu gsm8k "c$i")
	f=$(cpu gsm8k_file "f$i")
	echo "run $i: gsm8k (C) ${c}s  gsm8k_file (task file) ${f}s"
	c_all="$c_all $c"
	f_all="$f_all $f"
	i=$((i + 1))
done
python3 - "$c_all" "$f_all" <<'PY'
import statistics, sys
c = statistics.median(map(float, sys.argv[1].split()))
f = statistics.median(map(float, sys.argv[2].split()))
print("median CPU: C plugin %.3fs, task file %.3fs, ratio %.2f (goal <= 1.5)"
      % (c, f, f / c))
PY
