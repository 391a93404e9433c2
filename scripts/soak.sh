#!/usr/bin/env bash
# Soak test (not in CI): trains one model with clrnn-train on the OpenCL device for MINUTES
# (default 30) in one long run, samples the process's resident memory (VmRSS) every
# INTERVAL seconds, then stops it with Ctrl-C (SIGINT: it saves after the batch and exits 130)
# and reports the growth. Usage:
#   bash scripts/soak.sh [MINUTES] [INTERVAL_SECONDS]      (build/release is built if needed)
# Environment: BUILD (default build/release), CLRNN_DEVICE as for the tools.
#
# The bound: clrnn allocates its activations once per batch size and nothing inside the
# training loop, so after the first epoch (kernels built, buffers allocated, first checkpoint
# written) the memory should stay flat. What may still move is the C library's allocator and
# the driver's bookkeeping (PoCL's command and event pools), which settle in a few MiB; so the
# run fails when the resident memory at the end exceeds the one after the first epoch by more
# than 16 MiB plus 2 %. A leak of one small allocation per batch (thousands of batches in
# 30 minutes) or of one buffer per epoch goes over it.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
interval=${2:-10}
build=${BUILD:-build/release}
[ -x "$build/clrnn-train" ] || bash scripts/build.sh release
work=$(mktemp -d "${TMPDIR:-/tmp}/clrnn-soak.XXXXXX")
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# Character-level text with an Embedding, a stacked LSTM with dropout, a softmax over the
# characters and Adam: most of the library runs every batch. Epochs of a few seconds, so
# that the run also writes many checkpoints.
"$build/clrnn-data" text --builtin fables --window 40 --step 7 --out "$work/text.h5" >/dev/null
"$build/clrnn-train" --layers "embedding(64,16) lstm(64,return_sequences=true,dropout=0.1) \
lstm(64) dense(64,softmax)" --loss sparse_categorical_crossentropy --data "$work/text.h5" \
  --out "$work/model.h5" --checkpoint "$work/checkpoint.h5" --validation-split 0.1 \
  --epochs 1000000 --batch-size 32 --history "$work/history.csv" > "$work/out.txt" 2>&1 &
pid=$!

# clrnn-train reads its files and trains in a child process (tools/cli_guard.c): the memory
# is that of the process and its children
rss() {
  local total=0 p v
  for p in "$pid" $(pgrep -P "$pid"); do
    v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
epochs() { grep -c '^Epoch ' "$work/out.txt" || true; }
start_s=$(date +%s)
end_s=$((start_s + minutes * 60))
echo "soak: clrnn-train (pid $pid) for $minutes minutes, RSS every ${interval}s"
printf '%8s %7s %12s\n' seconds epochs "RSS KiB"
first_rss=$(rss)
printf '%8d %7d %12d\n' 0 0 "$first_rss"
base_rss=""
base_s=0
last_rss=$first_rss
peak_rss=$first_rss
while [ "$(date +%s)" -lt "$end_s" ]; do
  sleep "$interval"
  kill -0 "$pid" 2>/dev/null || { echo "soak: clrnn-train ended early:"; tail -5 "$work/out.txt"; exit 1; }
  now=$(( $(date +%s) - start_s ))
  r=$(rss)
  e=$(epochs)
  printf '%8d %7d %12d\n' "$now" "$e" "$r"
  last_rss=$r
  [ "$r" -gt "$peak_rss" ] && peak_rss=$r
  # the reference: the first sample after the first whole epoch (and its checkpoint)
  if [ -z "$base_rss" ] && [ "$e" -ge 1 ]; then base_rss=$r; base_s=$now; fi
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
pid=""
e=$(epochs)
[ "$status" -eq 130 ] || { echo "soak: clrnn-train exited $status after Ctrl-C, not 130"; tail -5 "$work/out.txt"; exit 1; }
[ -n "$base_rss" ] || { echo "soak: not one epoch in $minutes minutes; run longer"; exit 1; }
growth=$((last_rss - base_rss))
bound=$((16384 + base_rss / 50))
span=$(( $(date +%s) - start_s - base_s ))
echo "soak: $e epochs; RSS at the start $first_rss KiB, after the first epoch $base_rss KiB, at the end $last_rss KiB (peak $peak_rss KiB)"
echo "soak: growth after the first epoch $growth KiB over ${span}s ($(awk -v g="$growth" -v s="$span" 'BEGIN { printf "%.1f", (s > 0 ? g * 60 / s : 0) }') KiB/min); bound $bound KiB"
tail -1 "$work/history.csv" | sed 's/^/soak: last epoch (epoch,accuracy,loss,val_accuracy,val_loss): /'
if [ "$growth" -gt "$bound" ]; then
  echo "soak: FAIL: memory grew by more than the bound"
  exit 1
fi
echo "soak: ok"
