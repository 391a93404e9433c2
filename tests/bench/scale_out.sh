#!/usr/bin/env bash
# Step time against gradient-exchange time of clrnn-train under mpirun (docs/scale-out.md):
# two models, a small LSTM (5 K parameters) and an Embedding + LSTM (140 K), at 1, 2 and 4
# processes on PoCL's CPU device, --grad-shards = processes; prints rank 0's
# CLRNN_DIST_STATS line per run. Usage: tests/bench/scale_out.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build/release}
work=$(mktemp -d "${TMPDIR:-/tmp}/clrnn-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$build/clrnn-data" reber --out "$work/reber.h5" --samples 2048 --test-samples 0 --seed 5 >/dev/null
awk 'BEGIN { srand(7); for (i = 0; i < 2048; i++) { printf "%d\t", i % 2;
  for (w = 0; w < 20; w++) printf "w%d ", int(rand() * rand() * 3000); print "" } }' > "$work/t.tsv"
"$build/clrnn-data" labelled --tsv "$work/t.tsv" --maxlen 20 --max-tokens 2000 --out "$work/text.h5" >/dev/null
run() { # NAME DATA SPEC
  for np in 1 2 4; do
    CLRNN_DIST_STATS=1 mpirun --allow-run-as-root --oversubscribe -np $np "$build/clrnn-train" \
      --layers "$3" --data "$2" --epochs 3 --batch-size 64 --device cpu --quiet \
      --out "$work/m.h5" 2>&1 | grep "rank 0:" | sed "s/^/$1, $np processes: /"
  done
}
run "lstm(32) on reber, batch 64" "$work/reber.h5" "lstm(32) dense(1,sigmoid)"
run "embedding(2000,64) lstm(32), batch 64" "$work/text.h5" "embedding(2000,64) lstm(32) dense(1,sigmoid)"
