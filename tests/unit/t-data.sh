#!/bin/sh
# Runs tests/unit/t-data (TAP) with the compressed fixtures made by
# mkfixtures.py and a loopback HTTP server (python3 -m http.server on
# 127.0.0.1, any free port) that serves a temporary directory the test
# writes into.  Everything lives in one temporary directory, removed on
# exit; the server is stopped by its process id.
set -u
: "${QEVAL_SRCDIR:?run through make check}"
: "${QEVAL_BUILDDIR:?run through make check}"
PYTHON3=${PYTHON3:-python3}

T=$(mktemp -d "${TMPDIR:-/tmp}/qeval-t-data.XXXXXX") || {
	echo "Bail out! mktemp failed"
	exit 1
}
srv=
cleanup() {
	if [ -n "$srv" ]; then
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir "$T/fx" "$T/www" || exit 1
if ! "$PYTHON3" "$QEVAL_SRCDIR/tests/fixtures/data/mkfixtures.py" \
    "$QEVAL_SRCDIR/tests/fixtures/data/small.jsonl" "$T/fx"; then
	echo "Bail out! mkfixtures.py failed"
	exit 1
fi

(cd "$T/www" && exec "$PYTHON3" -u -m http.server 0 --bind 127.0.0.1) \
    >"$T/server.log" 2>&1 &
srv=$!
port=
i=0
while [ $i -lt 200 ]; do
	port=$(sed -n 's/^Serving HTTP on .* port \([0-9][0-9]*\).*/\1/p' \
	    "$T/server.log")
	[ -n "$port" ] && break
	kill -0 "$srv" 2>/dev/null || break
	sleep 0.05
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "# the loopback HTTP server did not start:"
	sed 's/^/# /' "$T/server.log"
	echo "Bail out! no HTTP server"
	exit 1
fi

# Loopback only: never through a proxy.
no_proxy=127.0.0.1,localhost
NO_PROXY=$no_proxy
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
QEVAL_T_FIX=$T/fx
QEVAL_T_WWW=$T/www
QEVAL_T_URL=http://127.0.0.1:$port
QEVAL_T_TMP=$T
export no_proxy NO_PROXY QEVAL_T_FIX QEVAL_T_WWW QEVAL_T_URL QEVAL_T_TMP
"$QEVAL_BUILDDIR/tests/wrap.sh" "$QEVAL_BUILDDIR/tests/unit/t-data"
exit $?
