#!/usr/bin/env bash
# Runs clrnn-bench --json and keras_bench.py (tf.keras 2, CPU) on the same configurations,
# sample counts, batch sizes and T, and prints them side by side with the ratios
# clrnn samples/s / Keras samples/s for training and inference (above 1: clrnn faster).
#   tests/bench/compare.sh BUILD_DIR [--config NAME[,NAME...]] [--samples N] [--device SPEC]
# Each configuration runs in a fresh process on each side (so the peak RSS is its own).
# The raw JSON lines are kept in $BENCH_OUT (default: a temporary folder, printed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build=${1:?usage: compare.sh BUILD_DIR [--config NAME[,NAME...]] [--samples N] [--device SPEC]}
shift
configs="" samples="" device=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config) configs=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    *) echo "compare.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
bench="$build/clrnn-bench"
[ -x "$bench" ] || { echo "compare.sh: $bench not built" >&2; exit 1; }
if [ -z "$configs" ]; then
  configs=$("$bench" --list | awk 'NR > 1 && $1 !~ /^\(/ { printf "%s%s", sep, $1; sep = "," }')
fi
out=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/clrnn-bench.XXXXXX")}
mkdir -p "$out"
: >"$out/clrnn.jsonl"
: >"$out/keras.jsonl"
bash "$here/../keras/keras2.sh" --setup
for c in ${configs//,/ }; do
  args=(--config "$c" --json)
  [ -n "$samples" ] && args+=(--samples "$samples")
  [ -n "$device" ] && args+=(--device "$device")
  echo "running $c: clrnn" >&2
  line=$("$bench" "${args[@]}")
  echo "$line" >>"$out/clrnn.jsonl"
  n=$(echo "$line" | sed -n 's/.*"samples": \([0-9]*\).*/\1/p')
  echo "running $c: keras (N=$n)" >&2
  bash "$here/run_keras.sh" --config "$c" --samples "$n" --json >>"$out/keras.jsonl"
done
echo "raw results: $out" >&2
python3 - "$out/clrnn.jsonl" "$out/keras.jsonl" <<'PY'
import json, sys
cl = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ke = {r["config"]: r for r in (json.loads(l) for l in open(sys.argv[2]) if l.strip())}
print("clrnn device: %s" % (cl[0]["device"] if cl else "-"))
print("keras device: %s" % (next(iter(ke.values()))["device"] if ke else "-"))
h = "%-12s %4s %5s %6s | %10s %10s %6s | %10s %10s %6s | %8s %8s"
print(h % ("config", "T", "batch", "N", "clrnn tr/s", "keras tr/s", "ratio",
           "clrnn in/s", "keras in/s", "ratio", "clrnnMiB", "kerasMiB"))
print("-" * 118)
for c in cl:
    k = ke.get(c["config"])
    if not k:
        continue
    rt = c["train_samples_per_s"] / k["train_samples_per_s"] if k["train_samples_per_s"] else 0
    ri = c["infer_samples_per_s"] / k["infer_samples_per_s"] if k["infer_samples_per_s"] else 0
    print("%-12s %4d %5d %6d | %10.1f %10.1f %6.2f | %10.1f %10.1f %6.2f | %8.0f %8.0f" % (
        c["config"], c["T"], c["batch"], c["samples"], c["train_samples_per_s"],
        k["train_samples_per_s"], rt, c["infer_samples_per_s"], k["infer_samples_per_s"], ri,
        c["peak_rss_mib"], k["peak_rss_mib"]))
print("ratio = clrnn samples/s / Keras samples/s (above 1: clrnn faster); MiB = peak process RSS")
PY
