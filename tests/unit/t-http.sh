#!/bin/sh
# TAP: the HTTP client (tests/unit/t-http) against two fake servers, a
# scripted vLLM one and a llama.cpp one that wants an API key.
set -u
srcdir=${QEVAL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${QEVAL_BUILDDIR:-.}
py=${PYTHON3:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qeval-http.XXXXXX") || exit 1
pid1= pid2=
cleanup() {
	[ -n "$pid1" ] && kill "$pid1" 2>/dev/null
	[ -n "$pid2" ] && kill "$pid2" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Markers are substrings of the last user message; keep them distinct.
cat >"$tmp/script.json" <<'JSON'
{"rules": [
 {"contains": "ECHOME", "text": "you said: {echo}"},
 {"contains": "THINK", "text": "42", "reasoning": "let me think"},
 {"contains": "TOOLCALL", "tool_calls": [{"type": "function",
   "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
 {"contains": "SLOW", "delay_ms": 20},
 {"contains": "R429", "times": 1, "status": 429, "retry_after": 1},
 {"contains": "S429", "times": 1, "status": 429, "retry_after": 0},
 {"contains": "E500", "times": 1, "status": 500},
 {"contains": "E503", "status": 503, "message": "engine overloaded"},
 {"contains": "MALFORM1", "times": 1, "malformed": true},
 {"contains": "ALWAYSBAD", "malformed": true},
 {"contains": "STREAMBAD", "malformed": true},
 {"contains": "RESET1", "times": 1, "reset": true},
 {"contains": "HANG1", "times": 1, "hang": true, "hang_s": 30},
 {"contains": "HANGS", "hang": true, "hang_s": 30},
 {"contains": "BADREQ", "status": 400, "message":
   "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens."},
 {"contains": "LEAK", "status": 401, "message": "invalid key sk-SECRET-123"},
 {"contains": "NULBYTE", "text": "a\u0000b #### 42"},
 {"contains": "BADUTF", "raw_bytes": "ff", "text": "x{bytes}y"},
 {"contains": "NOCHOICE", "no_choices": true},
 {"contains": "BIGONE", "size_bytes": 100000},
 {"contains": "R429LONG", "times": 1, "status": 429, "retry_after": 120},
 {"contains": "NANLP", "logprob_value": "NaN"},
 {"contains": "STALLS", "text": "a b c", "token_delay_ms": 4000},
 {"contains": "SAME500", "status": 500,
   "message": "tools param requires --jinja flag"}
]}
JSON

"$py" "$srcdir/tests/fake/fakeserver.py" --port 0 --port-file "$tmp/port1" \
    --script "$tmp/script.json" --log "$tmp/log1.jsonl" &
pid1=$!
"$py" "$srcdir/tests/fake/fakeserver.py" --port 0 --port-file "$tmp/port2" \
    --script "$tmp/script.json" --flavor llamacpp --api-key sk-SECRET-123 &
pid2=$!
i=0
while [ ! -s "$tmp/port1" ] || [ ! -s "$tmp/port2" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "Bail out! the fake servers did not start"
		exit 1
	fi
	sleep 0.1
done

QEVAL_FAKE_URL="http://127.0.0.1:$(cat "$tmp/port1")/v1"
QEVAL_FAKE_URL2="http://127.0.0.1:$(cat "$tmp/port2")/v1"
QEVAL_FAKE_LOG="$tmp/log1.jsonl"
export QEVAL_FAKE_URL QEVAL_FAKE_URL2 QEVAL_FAKE_LOG
"$builddir/tests/wrap.sh" "$builddir/tests/unit/t-http"
