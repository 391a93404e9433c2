#!/usr/bin/env bash
# Runs clrnn-bench --json and reference benchmarks on the same configurations, sample counts,
# batch sizes and T, and prints one table: clrnn's samples/s for training and inference, each
# reference's, and the ratios clrnn / reference (above 1: clrnn faster).
#   tests/bench/compare.sh BUILD_DIR [--config NAME[,NAME...]] [--samples N] [--device SPEC]
#                          [--ref REF[,REF...]]... [--threads N] [--repeat N]
# References (--ref, repeatable or a comma list; default: all three, so that one run shows
# clrnn against each):
#   keras2  tf.keras 2.15 on TensorFlow 2.15, CPU   (tests/keras/.venv-tf2)
#   keras3  Keras 3 on TensorFlow 2.21, CPU         (tests/bench/.venv-k3tf)
#   torch   PyTorch 2.15, CPU                       (tests/bench/.venv-torch, ~5 GiB)
# run_ref.sh makes each environment from its pinned requirements on PyPI the first time.
# Each configuration runs in a fresh process on each side (so the peak RSS is its own), under
# proc_watch.py, which records the threads and cores each process used. Everyone uses every
# core it may run on (PoCL: one thread per compute unit; TensorFlow and PyTorch: their
# default pools, as large as the cores); the "cores" columns show what each got: a busy
# machine, or load from elsewhere, shows there as less than the core count. --threads N
# gives every side N threads instead (PoCL: POCL_MAX_PTHREAD_COUNT and POCL_CPU_MAX_CU_NUM;
# TensorFlow: intra- and inter-op pools; PyTorch: set_num_threads, set_num_interop_threads):
# on a machine that other work keeps busy, PyTorch's OpenMP threads (and others') can wait on
# each other far longer than they compute, and --threads 1 is the fairer comparison.
# The raw JSON lines are kept in $BENCH_OUT (default: a temporary folder, printed).
# On a CUDA machine, run tests/bench/torch_bench.py --device cuda with its python3 instead
# (PyTorch with cuDNN); clrnn-bench --device gpu is its counterpart.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: compare.sh BUILD_DIR [--config NAME[,NAME...]] [--samples N] [--device SPEC] [--ref keras2|keras3|torch[,...]]... [--threads N] [--repeat N]"
build=${1:?$usage}
shift
configs="" samples="" device="" refs="" threads=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config) configs=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --ref) refs="$refs${refs:+,}$2"; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "compare.sh: unknown option '$1'" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done
refs=${refs:-keras2,keras3,torch}
reflist=()
for r in ${refs//,/ }; do
  case "$r" in
    keras2|keras3|torch) [[ " ${reflist[*]} " == *" $r "* ]] || reflist+=("$r") ;;
    *) echo "compare.sh: unknown reference '$r' (keras2, keras3, torch)" >&2; exit 2 ;;
  esac
done
bench="$build/clrnn-bench"
[ -x "$bench" ] || { echo "compare.sh: $bench not built" >&2; exit 1; }
if [ -z "$configs" ]; then
  configs=$("$bench" --list | awk 'NR > 1 && $1 !~ /^\(/ { printf "%s%s", sep, $1; sep = "," }')
fi
out=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/clrnn-bench.XXXXXX")}
mkdir -p "$out"
for side in clrnn "${reflist[@]}"; do : >"$out/$side.jsonl"; : >"$out/$side.proc.jsonl"; done
for r in "${reflist[@]}"; do
  echo "setting up $r" >&2
  bash "$here/run_ref.sh" "$r" --setup
done
# watch SIDE COMMAND...: runs it under proc_watch.py, its JSON line to SIDE.jsonl
watch() {
  local side=$1; shift
  python3 "$here/proc_watch.py" "$out/proc.json" "$@" >"$out/line.json"
  grep -v '^\s*$' "$out/line.json" | tail -n 1 >>"$out/$side.jsonl"
  cat "$out/proc.json" >>"$out/$side.proc.jsonl"
}
# --repeat N: every side runs each configuration N times, taking turns, and the table keeps
# each side's best (on a shared machine single runs of either side vary by up to 2x)
for round in $(seq "${repeat:-1}"); do
for c in ${configs//,/ }; do
  args=(--config "$c" --json)
  [ -n "$samples" ] && args+=(--samples "$samples")
  [ -n "$device" ] && args+=(--device "$device")
  echo "running $c: clrnn (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  if [ -n "$threads" ]; then
    watch clrnn env POCL_MAX_PTHREAD_COUNT="$threads" POCL_CPU_MAX_CU_NUM="$threads" "$bench" "${args[@]}"
  else
    watch clrnn "$bench" "${args[@]}"
  fi
  n=$(tail -n 1 "$out/clrnn.jsonl" | sed -n 's/.*"samples": \([0-9]*\).*/\1/p')
  for r in "${reflist[@]}"; do
    echo "running $c: $r (N=$n, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    watch "$r" bash "$here/run_ref.sh" "$r" --config "$c" --samples "$n" --json ${threads:+--threads "$threads"}
  done
done
done
rm -f "$out/line.json" "$out/proc.json"
echo "raw results: $out" >&2
python3 - "$out" "${threads:-0}" clrnn "${reflist[@]}" <<'PY'
import json, os, sys
out, threads, sides = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def lines(p):
    return [json.loads(l) for l in open(p) if l.strip()]
def best(rows):  # each configuration's best run (--repeat): its highest samples/s
    merged = {}
    for r in rows:
        m = merged.setdefault(r["config"], dict(r))
        for k in ("train_samples_per_s", "infer_samples_per_s"):
            m[k] = max(m[k], r[k])
    return merged
res, proc = {}, {}
for s in sides:
    rows, procs = lines(os.path.join(out, s + ".jsonl")), lines(os.path.join(out, s + ".proc.jsonl"))
    res[s] = best(rows)
    proc[s] = {r["config"]: p for r, p in zip(rows, procs)}
cl = list(res["clrnn"].values())
refs = sides[1:]
print("threads: " + ("%d on every side (--threads)" % threads if threads else
                     "each side's default: as many as the cores it may use"))
for s in sides:
    some = next(iter(res[s].values()), None)
    print("%-6s %s" % (s + ":", some["device"] if some else "-"))
    if some and s != "clrnn":
        print("%-6s threads: %s" % ("", some.get("threads", "-")))
for c in cl:  # the reference must have run the model clrnn-bench ran
    for s in refs:
        r = res[s].get(c["config"])
        if r and r.get("layers") != c.get("layers"):
            sys.exit("compare.sh: %s ran '%s' for %s, clrnn-bench '%s': bench_common.py's CONFIGS "
                     "and tools/bench.c differ" % (s, r.get("layers"), c["config"], c.get("layers")))
def ratio(a, b):
    return "%6.3f" % (a / b) if b else "     -"
head = "%-12s %4s %5s %6s | %10s" % ("config", "T", "batch", "N", "clrnn")
for s in refs:
    head += " | %10s %6s" % (s, "ratio")
for key, title in (("train_samples_per_s", "training, samples/s"),
                   ("infer_samples_per_s", "inference, samples/s")):
    print()
    print(title)
    print(head)
    print("-" * len(head))
    for c in cl:
        row = "%-12s %4d %5d %6d | %10.1f" % (c["config"], c["T"], c["batch"], c["samples"], c[key])
        for s in refs:
            r = res[s].get(c["config"])
            row += (" | %10.1f %s" % (r[key], ratio(c[key], r[key]))) if r else " | %10s %6s" % ("-", "-")
        print(row)
print()
print("process: peak RSS MiB / most threads / cores busy (mean over the process; peak over 1-2 s)")
head = "%-12s | %20s" % ("config", "clrnn")
for s in refs:
    head += " | %20s" % s
print(head)
print("-" * len(head))
for c in cl:
    row = "%-12s" % c["config"]
    for s in sides:
        r, p = res[s].get(c["config"]), proc[s].get(c["config"])
        row += (" | %5.0f %3d %4.2f %4.2f" % (r["peak_rss_mib"], p["max_threads"], p["cores_mean"],
                                             p["cores_peak"])) if r and p else " | %20s" % "-"
    print(row)
tr = [(s, r["config"], r.get("train_cpu_cores"), r.get("infer_cpu_cores")) for s in refs for r in res[s].values()]
if tr:
    print("references' own count of cores busy in the timed training / inference: " +
          ", ".join("%s %s %s/%s" % t for t in tr))
print("ratio = clrnn samples/s / reference samples/s (above 1: clrnn faster)")
PY
