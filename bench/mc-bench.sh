#!/bin/sh
# bench/mc-bench.sh [CONCURRENCY]: the full HellaSwag validation set
# (10042 items, 40168 log-likelihood requests) through
#
#   qeval --tasks hellaswag --api completions --concurrency 64
#
# against the fake vLLM server (tests/fake/fakeserver.py, instant
# answers), then the same task with --model reference (answered in
# process, no network) to separate qeval's own cost.  Prints one table:
# requests/s (results.json system.requests / system.wall_s, the
# evaluation loop), the whole process's elapsed time, qeval's CPU time
# and peak RSS (GNU time's "Maximum resident set size"), and the fake
# server's CPU use over the run (from /proc; ~100% of one core means the
# CPython server, not qeval, is the bottleneck).
#
# Needs QEVAL_DATA_DIR (the shared mirror, with
# hellaswag/hellaswag_val_full.txt.bz2) and GNU time (/usr/bin/time;
# Debian/Ubuntu package `time`).  Run it from a build directory, or set
# QEVAL_BUILDDIR and QEVAL_SRCDIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${QEVAL_SRCDIR:-$(dirname "$here")}
builddir=${QEVAL_BUILDDIR:-.}
py=${PYTHON3:-python3}
conc=${1:-64}
qeval=$builddir/qeval

if [ -z "${QEVAL_DATA_DIR:-}" ]; then
	echo "mc-bench: set QEVAL_DATA_DIR to the dataset mirror" >&2
	exit 2
fi
if [ ! -x /usr/bin/time ] || ! /usr/bin/time -v true >/dev/null 2>&1; then
	echo "mc-bench: needs GNU time as /usr/bin/time (apt-get install" \
	    "time)" >&2
	exit 2
fi
if [ ! -x "$qeval" ]; then
	echo "mc-bench: no $qeval: run it from a build directory or set" \
	    "QEVAL_BUILDDIR" >&2
	exit 2
fi
: "${QEVAL_PLUGIN_PATH:=$builddir/plugins/.libs}"
export QEVAL_PLUGIN_PATH QEVAL_DATA_DIR

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qeval-mcbench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# CPU seconds (user + system) a process has used so far.
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{
		sub(/^.*\) /, "");	# past "pid (comm) "
		print ($12 + $13) / hz	# utime, stime (fields 14, 15)
	}' "/proc/$1/stat"
}

"$py" "$srcdir/tests/fake/fakeserver.py" --port 0 \
    --port-file "$tmp/port" &
pid=$!
i=0
while [ ! -s "$tmp/port" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "fake server did not start" >&2; exit 1; }
	sleep 0.1
done
url="http://127.0.0.1:$(cat "$tmp/port")/v1"

# $1: label; the rest: qeval's arguments.  Appends one line to $tmp/rows.
one() {
	label=$1
	shift
	s0=$(cpu_of "$pid")
	/usr/bin/time -v -o "$tmp/time.$label" "$qeval" "$@" --tasks hellaswag \
	    --out "$tmp/out" --run-id "$label" -q --no-progress \
	    2>"$tmp/err.$label" >/dev/null || {
		echo "mc-bench: qeval failed ($label):" >&2
		cat "$tmp/err.$label" "$tmp/time.$label" >&2
		exit 1
	}
	s1=$(cpu_of "$pid")
	"$py" - "$tmp/out/$label/results.json" "$tmp/time.$label" \
	    "$label" "$s0" "$s1" >>"$tmp/rows" <<'EOF'
import json, sys
res, timef, label, s0, s1 = sys.argv[1:6]
r = json.load(open(res))
sysm = r["system"]
t = r["tasks"][0]
tv = {}
for line in open(timef):
    if ":" in line:
        k, v = line.strip().rsplit(":", 1) if line.count(":") == 1 else \
            (line.strip().split(": ", 1) + [""])[:2]
        tv[k.strip()] = v.strip()
def elapsed(s):
    s = s.split()[-1] if s else "0"
    secs = 0.0
    for part in s.split(":"):
        secs = secs * 60 + float(part)
    return secs
el = elapsed(tv.get("Elapsed (wall clock) time (h:mm:ss or m:ss)", ""))
cpu = float(tv.get("User time (seconds)", 0)) + \
    float(tv.get("System time (seconds)", 0))
rss = int(tv.get("Maximum resident set size (kbytes)", 0))
wall = sysm["wall_s"] or 0.0
reqs = sysm["requests"]
srv = float(s1) - float(s0)
print("\t".join(str(x) for x in (
    label, t["samples"], reqs, "%.2f" % wall,
    "%.0f" % (reqs / wall) if reqs and wall > 0 else "-",
    "%.0f" % (t["samples"] / wall) if wall > 0 else "-",
    "%.2f" % el, "%.2f" % cpu, "%.1f" % (rss / 1024.0),
    "%.0f%%" % (100.0 * srv / el) if reqs and el > 0 else "-",
    "%s/%s" % (t["scored"], t["errors"]))))
EOF
}

one fake --model fake-model --endpoint "$url" --api completions \
    --concurrency "$conc"
one reference --model reference --api completions

echo "HellaSwag validation, full set; qeval $("$qeval" --version 2>/dev/null |
    head -1); fake server: tests/fake/fakeserver.py (CPython $("$py" -c \
    'import platform; print(platform.python_version())')); $(nproc) CPUs;" \
    "concurrency $conc"
awk -F'\t' '
BEGIN {
	printf "%-10s %7s %8s %8s %8s %9s %8s %8s %8s %8s %s\n",
	    "run", "samples", "requests", "loop s", "req/s", "samples/s",
	    "elapsed", "CPU s", "RSS MiB", "srv CPU", "scored/err"
}
{
	printf "%-10s %7s %8s %8s %8s %9s %8s %8s %8s %8s %s\n",
	    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
}' "$tmp/rows"
echo "loop s: results.json system.wall_s (the evaluation loop, after the"
echo "data is loaded and the probe answered); req/s = requests / loop s;"
echo "elapsed, CPU s (user + system) and RSS (peak) from GNU time for the"
echo "whole qeval process; srv CPU: the fake server's CPU time over the"
echo "run / elapsed (100% = one core busy)."
