#!/usr/bin/env bash
# Times two builds of clrnn against each other on clrnn-bench's configurations, for a change
# that must not cost speed (a refactoring): the builds take turns, --repeat N times each per
# configuration, and each keeps its best training and inference figures. Prints samples/s and
# the ratio after / before (below 1: slower).
#   tests/bench/before_after.sh BEFORE_BUILD AFTER_BUILD [--config NAME[,NAME...]]
#                               [--samples N] [--repeat N] [--device SPEC]
# Make the "before" build from the old commit: git worktree add /tmp/before OLD &&
# (cd /tmp/before && bash scripts/build.sh release), then pass /tmp/before/build/release.
set -euo pipefail
usage="usage: before_after.sh BEFORE_BUILD AFTER_BUILD [--config NAME[,NAME...]] [--samples N] [--repeat N] [--device SPEC]"
before=${1:?$usage}
after=${2:?$usage}
shift 2
configs="seed_lstm,seed_gru,lstm128_b32,bilstm,charlm" repeat=3 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config) configs=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --samples|--device) extra+=("$1" "$2"); shift 2 ;;
    *) echo "before_after.sh: unknown option '$1'" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done
for b in "$before" "$after"; do
  [ -x "$b/clrnn-bench" ] || { echo "before_after.sh: no $b/clrnn-bench (build it first)" >&2; exit 2; }
done
out=$(mktemp -d)
IFS=, read -r -a names <<< "$configs"
for c in "${names[@]}"; do
  for ((i = 0; i < repeat; i++)); do
    for side in before after; do
      dir=$before; [ "$side" = after ] && dir=$after
      "$dir/clrnn-bench" --config "$c" --json "${extra[@]}" 2>/dev/null | tail -1 >> "$out/$side.jsonl"
    done
  done
done
python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
best = {}
for side in ("before", "after"):
    for line in open(os.path.join(out, side + ".jsonl")):
        r = json.loads(line)
        b = best.setdefault((r["config"], side), [0.0, 0.0])
        b[0] = max(b[0], r["train_samples_per_s"]); b[1] = max(b[1], r["infer_samples_per_s"])
configs = []
for c, _ in best:
    if c not in configs: configs.append(c)
print(f"{'config':<14}{'train before':>14}{'after':>10}{'ratio':>8}{'infer before':>15}{'after':>10}{'ratio':>8}")
for c in configs:
    b, a = best[(c, "before")], best[(c, "after")]
    print(f"{c:<14}{b[0]:>14.1f}{a[0]:>10.1f}{a[0]/b[0]:>8.3f}{b[1]:>15.1f}{a[1]:>10.1f}{a[1]/b[1]:>8.3f}")
PY
echo "(best of the runs in $out)"
