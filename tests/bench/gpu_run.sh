#!/usr/bin/env bash
# The GPU machine's checks in one run, for the device tool's few minutes (docs/gpu.md of the
# shared docs): the kernel tests on the GPU's OpenCL driver, clrnn-bench on every
# configuration with gpu.md's sample counts, the switches whose effect is for a GPU to show
# (both directions of a Bidirectional in one launch, transfers that do not wait, R in local
# memory, the per-step path), and PyTorch/cuDNN on the same configurations when python3 has torch.
#
# Here, first (the programs travel with their libraries; .gpu is git-ignored):
#   echo /.gpu/ >> .git/info/exclude
#   ../shared/gpu/bundle.sh .gpu build/release/clrnn-bench build/release/clrnn-info \
#       build/release/tests/test_{kernels,rnn_modes,rnn_state,bidirectional,token_projection,predict_pass,gemm,rnn_steps}
# There (device tool, carry [".gpu"]):
#   bash tests/bench/gpu_run.sh            # results under $OUT (or /tmp/gpu_run)
# Options through the environment: DEVICE (default gpu), SCALE (divides the sample counts,
# default 1; e.g. 20 to try the script on a CPU), SKIP_TESTS=1, SKIP_TORCH=1.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out=${OUT:-/tmp/gpu_run}
device=${DEVICE:-gpu}
scale=${SCALE:-1}
mkdir -p "$out"
log="$out/summary.txt"
: > "$log"
say() { echo "$*" | tee -a "$log"; }

# python3 with torch must not see the bundled libraries: run it before env.sh
if [ "${SKIP_TORCH:-0}" != 1 ] && python3 -c "import torch" 2>/dev/null; then
  torch_ok=1
else
  torch_ok=0
fi
torch_env=$(env)
[ -f "$root/.gpu/env.sh" ] && . "$root/.gpu/env.sh"

say "== devices"
clrnn-info devices 2>&1 | tee -a "$log"

# Kernel tests on the GPU's driver: the same numbers as the reference there too
if [ "${SKIP_TESTS:-0}" != 1 ]; then
  say "== kernel tests on $device"
  for t in test_kernels test_rnn_modes test_rnn_state test_bidirectional test_token_projection \
           test_predict_pass test_gemm test_rnn_steps; do
    command -v "$t" >/dev/null || continue
    (cd "$out" && CLRNN_DEVICE=$device CLRNN_TEST_DATA="$root/tests" timeout 240 "$t" \
      > "$out/$t.log" 2>&1)
    say "$t: exit $? ($(tail -1 "$out/$t.log"))"
  done
fi

# gpu.md's sample counts (a full epoch after a warm-up one), divided by SCALE
samples_of() {
  case $1 in
    seed_lstm|seed_gru|lstm32) echo $((20000 / scale)) ;;
    lstm128_b32|lstm128_b80) echo $((25000 / scale)) ;;
    bilstm) echo $((4000 / scale)) ;;
    lstm512x2) echo $((8192 / scale)) ;;
    *) echo $((4096 / scale)) ;;
  esac
}
bench() { # NAME CONFIG [ENV...]: one clrnn-bench --json line into $out/clrnn.jsonl
  local name=$1 config=$2; shift 2
  local line
  line=$(env "$@" clrnn-bench --device "$device" --config "$config" \
    --samples "$(samples_of "$config")" --json 2>"$out/bench_$name.err" | tail -1)
  echo "{\"run\": \"$name\", \"env\": \"$*\", \"result\": ${line:-null}}" >> "$out/clrnn.jsonl"
  say "$name: $(rates "$line" || echo "failed, see bench_$name.err")"
}
rates() { # the samples/s and memory of a --json line
  [ -n "$1" ] || return 1
  grep -oE '"(train|infer)_samples_per_s": [0-9.]+|"peak_device_memory": [0-9.]+' <<<"$1" |
    tr -d '"' | tr '\n' ' '
}
say "== clrnn-bench on $device"
for c in seed_lstm seed_gru lstm32 lstm128_b32 lstm128_b80 bilstm lstm512x2 charlm; do
  bench "$c" "$c"
done
say "== switches"
bench bilstm_separate bilstm CLRNN_BIDIRECTIONAL=separate
bench seed_lstm_blocking seed_lstm CLRNN_TRANSFERS=blocking
bench seed_lstm_r_global seed_lstm CLRNN_R_LOCAL=0
bench seed_lstm_r_local seed_lstm CLRNN_R_LOCAL=1
bench seed_gru_r_global seed_gru CLRNN_R_LOCAL=0
bench seed_gru_r_local seed_gru CLRNN_R_LOCAL=1
bench lstm512x2_persistent lstm512x2 CLRNN_RECURRENCE=persistent
bench lstm512x2_steps lstm512x2 CLRNN_RECURRENCE=steps
bench lstm128_b80_steps lstm128_b80 CLRNN_RECURRENCE=steps
CLRNN_PROFILE="$out/profile_bilstm.txt" bench bilstm_profile bilstm
CLRNN_PROFILE="$out/profile_seed_lstm.txt" bench seed_lstm_profile seed_lstm

if [ "$torch_ok" = 1 ]; then
  say "== PyTorch (cuDNN) on cuda"
  for c in seed_lstm seed_gru lstm32 lstm128_b32 lstm128_b80 bilstm lstm512x2 charlm; do
    line=$(env -i $(printf '%s\n' "$torch_env" | grep -E '^(PATH|HOME|LD_LIBRARY_PATH)=' ) \
      python3 "$here/torch_bench.py" --device cuda --config "$c" --samples "$(samples_of "$c")" \
      --json 2>"$out/torch_$c.err" | tail -1)
    echo "${line:-null}" >> "$out/torch.jsonl"
    say "torch $c: $(rates "$line" || echo "failed, see torch_$c.err")"
  done
else
  say "== PyTorch: not available here"
fi
say "tuning drops (a variant whose outputs differed, or that failed):"
grep -h "dropped" "$out"/bench_*.err 2>/dev/null | sort | uniq -c | sed 's/^/  /' | tee -a "$log"
say "results in $out"
