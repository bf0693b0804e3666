#!/bin/sh
# The three shipped presets with `qeval --serve --engine llama.cpp` on one
# GGUF model, then one tracker over the three runs (docs/PERFORMANCE.md,
# "Presets on llama.cpp").  Run by hand from a build directory:
#
#   bench/llamacpp-presets.sh OUT [MODEL.gguf] [LIMIT]
#
# MODEL defaults to ../shared/peers/llamacpp/tiny-random-chatml.gguf,
# LIMIT (gsm8k samples per run) to 40.  llama-server: QEVAL_LLAMA_SERVER,
# else /var/cache/qeval/llama/bin/llama-server, else PATH.  Data:
# QEVAL_DATA_DIR (e.g. ../shared/datasets).  Writes OUT/<preset>/ (each
# run) and OUT/tracker.md.
set -eu
out=${1:?usage: $0 OUT [MODEL.gguf] [LIMIT]}
src=$(cd "$(dirname "$0")/.." && pwd)
model=${2:-$src/../shared/peers/llamacpp/tiny-random-chatml.gguf}
limit=${3:-40}
qeval=${QEVAL_BIN:-./qeval}
if [ -z "${QEVAL_LLAMA_SERVER:-}" ] &&
    [ -x /var/cache/qeval/llama/bin/llama-server ]; then
	QEVAL_LLAMA_SERVER=/var/cache/qeval/llama/bin/llama-server
	export QEVAL_LLAMA_SERVER
fi
mkdir -p "$out"
for p in performance balanced memory; do
	"$qeval" --serve --engine llama.cpp --model "$model" --preset "$p" \
	    --tasks gsm8k --limit "$limit" --out "$out" --run-id "$p" -q
done
"$qeval" report "$out/performance" "$out/balanced" "$out/memory" \
    -o "$out/tracker.md"
echo "tracker: $out/tracker.md"
