#!/usr/bin/env bash
# clrnn-train's learning-rate callbacks against real Keras 3 (tests/keras/callbacks_check.py):
# --reduce-lr-on-plateau's rate each epoch (the --history column learning_rate) is the one
# Keras's own ReduceLROnPlateau logs when fed the same monitored values (cooldown, min_lr and
# an accuracy monitor included), and the rate clrnn saves the one Keras ends with; a model
# trained with --lr-schedule opens in Keras (load_model's defaults, .keras and .h5) with that
# schedule, its settings and (.keras) its optimizer's iterations, and trains on.
#
# Needs Keras from PyPI: runs when tests/keras/.venv is complete, or when
# CLRNN_KERAS_INTEROP=1 lets keras.sh make it; otherwise it skips. Release build only.
source "$(dirname "$0")/e2e_common.sh"
require_device
here=$(cd "$(dirname "$0")" && pwd)
case "$build" in *asan*) echo "skipped: runs in the release build" >&2; exit 77 ;; esac
if [ ! -f "$here/keras/.venv/.requirements.installed" ] && [ "${CLRNN_KERAS_INTEROP:-0}" != 1 ]; then
  echo "skipped: no tests/keras/.venv (set CLRNN_KERAS_INTEROP=1 to make it from PyPI)" >&2
  exit 77
fi
keras() { bash "$here/keras/keras.sh" callbacks_check.py "$@"; }
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 200 --test-samples 40 --seed 3 >/dev/null
common=(--layers "lstm(8) dense(1,sigmoid)" --data "$scratch/reber.h5" --lr 0.05 --seed 2
        --validation-data "$scratch/reber.h5" --quiet)

# reduce_lr NAME MONITOR FACTOR PATIENCE MIN_DELTA COOLDOWN MIN_LR
reduce_lr() {
  local name=$1 monitor=$2 factor=$3 patience=$4 min_delta=$5 cooldown=$6 min_lr=$7
  "$build/clrnn-train" "${common[@]}" --epochs 16 --out "$scratch/$name.keras" --monitor "$monitor" \
    --reduce-lr-on-plateau "factor=$factor,patience=$patience,min_delta=$min_delta,cooldown=$cooldown,min_lr=$min_lr" \
    --history "$scratch/$name.csv"
  check "ReduceLROnPlateau($monitor, factor=$factor, patience=$patience, min_delta=$min_delta, cooldown=$cooldown, min_lr=$min_lr): Keras's rates" \
    keras reduce-lr "$scratch/$name.csv" "$monitor" "$factor" "$patience" "$min_delta" "$cooldown" "$min_lr" 0.05 "$scratch/$name.keras"
}
reduce_lr plain val_loss 0.5 2 0.001 0 0
reduce_lr cooldown val_loss 0.5 1 0.0001 2 0.02
reduce_lr accuracy val_accuracy 0.2 1 0 0 0

# schedules: 2 epochs of 7 batches (200 samples, batch 32) = 14 optimizer steps (Keras 3
# restores no optimizer state from a legacy .h5: its iterations start again there)
for ext in keras h5; do
  steps=14; [ "$ext" = h5 ] && steps=-
  "$build/clrnn-train" "${common[@]}" --epochs 2 --out "$scratch/cos.$ext" \
    --lr-schedule "cosine_decay(decay_steps=30,alpha=0.1,warmup_target=0.1,warmup_steps=3)"
  check "cosine_decay as CosineDecay in Keras ($ext)" keras schedule "$scratch/cos.$ext" CosineDecay \
    initial_learning_rate=0.05 decay_steps=30 alpha=0.1 warmup_target=0.1 warmup_steps=3 "$steps"
done
"$build/clrnn-train" "${common[@]}" --epochs 2 --out "$scratch/exp.keras" \
  --lr-schedule "exponential_decay(decay_steps=5,decay_rate=0.9,staircase=true,initial_learning_rate=0.02)"
check "exponential_decay as ExponentialDecay in Keras" keras schedule "$scratch/exp.keras" \
  ExponentialDecay initial_learning_rate=0.02 decay_steps=5 decay_rate=0.9 staircase=1 14
finish
