#!/usr/bin/env bash
# clrnn-bench: --list names the configurations; a tiny run of one prints one JSON object
# with positive throughputs; an unknown configuration is a user error naming the known ones.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/e2e_common.sh"
bench="$build/clrnn-bench"

list=$("$bench" --list)
for c in seed_lstm seed_gru lstm32 lstm128_b32 lstm128_b80 bilstm lstm512x2 charlm; do
  check "--list names $c" grep -q "^$c " <<<"$list"
done

"$bench" --config nosuch >"$scratch/out" 2>"$scratch/err"
rc=$?
check "unknown configuration exits 1 (got $rc)" test "$rc" -eq 1
check "unknown configuration is named" grep -q "unknown configuration 'nosuch'" "$scratch/err"
check "the known ones are listed" grep -q "known: .*charlm" "$scratch/err"
"$bench" --samples 0 >/dev/null 2>&1
rc=$?
check "--samples 0 is a usage error (got $rc)" test "$rc" -eq 2

require_device
json=$("$bench" --config charlm --samples 64 --json)
check "one JSON line" test "$(printf '%s\n' "$json" | wc -l)" -eq 1
check "config field" grep -q '"config": "charlm"' <<<"$json"
check "samples 64" grep -q '"samples": 64,' <<<"$json"
train=$(json_field train_samples_per_s <<<"$json")
infer=$(json_field infer_samples_per_s <<<"$json")
check "train_samples_per_s > 0 ($train)" awk -v a="$train" 'BEGIN { exit !(a + 0 > 0) }'
check "infer_samples_per_s > 0 ($infer)" awk -v a="$infer" 'BEGIN { exit !(a + 0 > 0) }'
check "device named" grep -q '"device": "[^"]' <<<"$json"
# the LSTM's input projection alone is 64 x 40 x 512 floats = 5 MiB of device memory
mem=$(json_field peak_device_memory <<<"$json")
check "peak_device_memory counts the buffers: $mem MiB > 5" awk -v a="$mem" 'BEGIN { exit !(a + 0 > 5) }'
if command -v python3 >/dev/null; then
  check "valid JSON" python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$json"
fi
finish
