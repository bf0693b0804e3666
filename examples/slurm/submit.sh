#!/bin/bash
# Queues a sharded qeval run on Slurm: the shards as one array job, and
# the merge as a job that starts once every shard has succeeded.
#
#   submit.sh N [INDICES] [-- SBATCH-OPTION...]
#
# N: the number of shards.  INDICES (e.g. 3 or 1,5): submit only those
# array indices again (they continue with --resume) and a new merge
# job.  The run is described by the environment, which the jobs
# inherit: QEVAL_RUN_DIR, QEVAL_MODEL, QEVAL_ENDPOINTS, QEVAL_ARGS and
# QEVAL (see qeval-array.sbatch).  Prints the two job ids.
set -eu

usage() {
	echo "usage: $0 N [INDICES] [-- SBATCH-OPTION...]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
n=$1
shift
case $n in '' | *[!0-9]* | 0) usage ;; esac
indices=0-$((n - 1))
if [ $# -ge 1 ] && [ "$1" != "--" ]; then
	indices=$1
	shift
fi
if [ $# -ge 1 ]; then
	[ "$1" = "--" ] || usage
	shift
fi
: "${QEVAL_RUN_DIR:?set QEVAL_RUN_DIR to a directory on a shared file system}"
here=$(cd "$(dirname "$0")" && pwd)
export QEVAL_SHARD_COUNT=$n
mkdir -p "$QEVAL_RUN_DIR"

# --parsable prints "jobid[;cluster]".
array=$(sbatch --parsable --array="$indices" --export=ALL \
    --output="$QEVAL_RUN_DIR/slurm-shard-%A_%a.out" "$@" \
    "$here/qeval-array.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" \
    --kill-on-invalid-dep=yes --export=ALL \
    --output="$QEVAL_RUN_DIR/slurm-merge-%j.out" "$@" \
    "$here/qeval-merge.sbatch")
merge=${merge%%;*}
echo "array $array merge $merge"
