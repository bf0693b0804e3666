#!/bin/sh
# bench/http-bench.sh [N]: requests/s of qeval's HTTP client (src/http.c,
# driven by bench/http-bench) and of the named peer, a Python asyncio
# client (bench/http-peer.py), against the same fake vLLM server
# (tests/fake/fakeserver.py, instant answers) in the same run, at
# concurrency 1, 8 and 64.  N requests per run (default 2000).
#
# Run it from a build directory, or set QEVAL_BUILDDIR and QEVAL_SRCDIR.
# The fake server is CPython and is the bottleneck at high concurrency:
# the "client CPU" column (user + system time of the client process per
# request) is the fairer comparison of the two clients.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${QEVAL_SRCDIR:-$(dirname "$here")}
builddir=${QEVAL_BUILDDIR:-.}
py=${PYTHON3:-python3}
n=${1:-2000}

if [ ! -x "$builddir/bench/http-bench" ]; then
	make -C "$builddir" bench/http-bench >/dev/null
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qeval-bench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

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

# Warm up both (connections, caches, bytecode).
"$builddir/bench/http-bench" "$url" 200 8 >/dev/null
"$py" "$here/http-peer.py" "$url" 200 8 >/dev/null

for c in 1 8 64; do
	"$builddir/bench/http-bench" "$url" "$n" "$c" >>"$tmp/out"
	"$py" "$here/http-peer.py" "$url" "$n" "$c" >>"$tmp/out"
done
"$builddir/bench/http-bench" "$url" "$n" 8 stream | \
    sed 's/^qeval-c/qeval-c-stream/' >>"$tmp/out"

echo "fake server: tests/fake/fakeserver.py (CPython $("$py" -c \
    'import platform; print(platform.python_version())')), $n requests a run"
awk '
BEGIN {
	printf "%-16s %5s %7s %8s %10s %16s\n", "client", "conc", "ok",
	    "seconds", "req/s", "client CPU us/req"
}
{
	printf "%-16s %5d %7d %8.2f %10d %16.1f\n", $1, $2, $4, $5, $6, $7
	if ($1 == "qeval-c") { q[$2] = $6; qc[$2] = $7 }
	if ($1 == "python-asyncio") { p[$2] = $6; pc[$2] = $7 }
}
END {
	for (c = 1; c <= 64; c *= 8)
		if (p[c] > 0 && qc[c] > 0)
			printf "concurrency %2d: qeval/python req/s %.2fx, " \
			    "client CPU per request %.1fx less\n", c,
			    q[c] / p[c], pc[c] / qc[c]
}' "$tmp/out"
