#!/bin/sh
# bench/bfcl_mt/run.sh [REPEATS]: the 600 BFCL multi-turn entries
# (base, miss_func, miss_param) on the reference model: qeval (each
# entry's calls in an executor session, then the checker as a one-shot
# program, all in the sandbox) against the peer, bench/bfcl_mt/peer.py
# (the same driver and the same work with plain python3, no sandbox),
# alternately in the same run.  Reports wall and CPU seconds (user +
# system, children included) of each run and the ratio of the medians.
#
# Needs QEVAL_DATA_DIR (a mirror with bfcl/).  Run it from a build
# directory, or set QEVAL_BUILDDIR; QEVAL_SRCDIR defaults to the
# script's tree.
set -eu
builddir=${QEVAL_BUILDDIR:-.}
here=$(cd "$(dirname "$0")" && pwd)
export QEVAL_SRCDIR=${QEVAL_SRCDIR:-$(cd "$here/../.." && pwd)}
n=${1:-3}
: "${QEVAL_DATA_DIR:?set QEVAL_DATA_DIR to the dataset mirror}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qeval-mtbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/xdg"
tasks=bfcl_multi_turn_base,bfcl_multi_turn_miss_func,bfcl_multi_turn_miss_param

timed() {	# command... -> "wall cpu" seconds, children included
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
w = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f %.2f" % (w, r.ru_utime + r.ru_stime))
PY
}

qw= qc= pw= pc=
i=0
while [ "$i" -lt "$n" ]; do
	set -- $(timed "$builddir/qeval" --model reference --tasks "$tasks" \
	    --out "$tmp/out" --run-id "q$i" -q)
	qw="$qw $1"; qc="$qc $2"
	echo "run $i: qeval wall ${1}s cpu ${2}s"
	set -- $(timed python3 "$here/peer.py")
	pw="$pw $1"; pc="$pc $2"
	echo "run $i: peer  wall ${1}s cpu ${2}s"
	i=$((i + 1))
done
python3 - "$qw" "$qc" "$pw" "$pc" <<'PY'
import statistics as st, sys
q_w, q_c, p_w, p_c = (st.median(float(x) for x in a.split())
                      for a in sys.argv[1:])
print("median: qeval wall %.2fs cpu %.2fs; peer wall %.2fs cpu %.2fs"
      % (q_w, q_c, p_w, p_c))
print("qeval / peer: wall %.2fx, cpu %.2fx" % (q_w / p_w, q_c / p_c))
PY
