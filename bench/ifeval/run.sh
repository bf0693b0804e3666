#!/bin/sh
# Times IFEval's scoring: `qeval selftest --tasks ifeval` scores the 541
# gold and the 541 corrupted answers (every instruction, strict and
# loose) with no network.  Usage: sh bench/ifeval/run.sh BUILDDIR
# (QEVAL_DATA_DIR must point at the dataset mirror).  Prints the best of
# five wall times; docs/IFEVAL.md gives CPU times.  There is no peer to
# compare with on this machine (the reference's checkers need NLTK's
# Punkt model).
set -eu
b=${1:-.}
: "${QEVAL_DATA_DIR:?set QEVAL_DATA_DIR to the dataset mirror}"
best=
for i in 1 2 3 4 5; do
	t0=$(date +%s.%N)
	QEVAL_PLUGIN_PATH="$b/plugins/.libs" "$b/qeval" selftest \
	    --tasks ifeval >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	t=$(echo "$t1 - $t0" | bc)
	if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then
		best=$t
	fi
done
echo "ifeval: 1082 answers scored (541 gold + 541 corrupted) in ${best}s"
