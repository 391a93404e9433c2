#!/usr/bin/env bash
# Runs the README's seed-task walk-through with the tools on built-in or generated data and
# prints the figures the README quotes (accuracy, loss, seconds). Minutes on 2 CPU cores.
#   scripts/walkthrough.sh [BUILD_DIR (build/release)] [WORK_DIR (a temporary folder)]
set -euo pipefail
b=${1:-build/release}
w=${2:-$(mktemp -d)}
t() { local start=$SECONDS; "$@"; echo "  ($((SECONDS - start)) s)"; }
acc() { "$b/clrnn-eval" "$1" --data "$2" --json | sed -n 's/.*"accuracy": \([0-9.]*\).*/\1/p'; }

echo "== sentiment on toy reviews in the aclImdb layout"
bash "$(dirname "$0")/toy_reviews.sh" "$w/aclImdb" 2000 500
"$b/clrnn-data" labelled --dir "$w/aclImdb" --maxlen 200 --max-tokens 10000 --out "$w/reviews.h5"
V=$(h5dump -H -d vocabulary "$w/reviews.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
for m in "lstm embedding($V,32) lstm(32) dense(1,sigmoid)" \
         "gru embedding($V,32) gru(32) dense(1,sigmoid)" \
         "stacked embedding($V,32) lstm(32,return_sequences=true) lstm(32) dense(1,sigmoid)" \
         "dropout embedding($V,32,mask_zero=true) lstm(32,dropout=0.2,recurrent_dropout=0.2) dropout(0.5) dense(1,sigmoid)" \
         "bidi embedding($V,32) bidirectional(lstm(32)) dense(1,sigmoid)"; do
  name=${m%% *}
  echo "-- $name: ${m#* }"
  t "$b/clrnn-train" --layers "${m#* }" --data "$w/reviews.h5" --out "$w/$name.h5" --epochs 4 \
    --validation-split 0.2 --seed 1 --quiet
  echo "  test accuracy $(acc "$w/$name.h5" "$w/reviews.h5")"
done
"$b/clrnn-eval" "$w/bidi.h5" --text "a brilliant and moving film" --text "dull, a mess"

echo "== time series: a noisy sine with a trend"
LC_ALL=C awk 'BEGIN { srand(3); print "t,value"; for (i = 0; i < 3000; i++)
  printf "%d,%.5f\n", i, sin(i * 2 * 3.14159265 / 50) + 0.0005 * i + 0.1 * (rand() - 0.5) * 2 }' > "$w/series.csv"
"$b/clrnn-data" series --in "$w/series.csv" --columns value --window 24 --out "$w/series.h5"
t "$b/clrnn-train" --layers "lstm(16) dense(1)" --loss mean_squared_error --data "$w/series.h5" \
  --out "$w/series_model.h5" --epochs 8 --seed 1 --quiet
echo "  test MSE (standardized) $("$b/clrnn-eval" "$w/series_model.h5" --data "$w/series.h5" --json | sed -n 's/.*"loss": \([0-9.e-]*\).*/\1/p')"
echo "work files in $w"
