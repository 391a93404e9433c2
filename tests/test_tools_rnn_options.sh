#!/usr/bin/env bash
# The recurrent options through the tools: a model with go_backwards, dropout and
# recurrent_dropout, and one with Keras's RNN wrapper, trained by clrnn-train, saved, shown by
# clrnn-info summary with Keras's parameter counts, and evaluated by clrnn-eval from the file.
source "$(dirname "$0")/e2e_common.sh"
require_device

"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 300 --test-samples 100 >/dev/null

# LSTM(8) on 7 features: 4 * 8 * (7 + 8 + 1) = 512, Dense(1): 9; GRU cell (reset_after):
# 3 * 8 * (7 + 8 + 2) = 408
train_and_show() { # NAME LAYERS PARAMS
  local name=$1 layers=$2 params=$3
  if ! "$build/clrnn-train" --layers "$layers" --data "$scratch/reber.h5" --out "$scratch/$name.h5" \
      --epochs 1 --batch-size 32 --seed 3 >"$scratch/$name.log" 2>&1; then
    bad "$name: clrnn-train failed: $(tail -1 "$scratch/$name.log")"
    return
  fi
  ok
  local text
  text=$("$build/clrnn-info" summary "$scratch/$name.h5" 2>&1)
  check "$name: summary says Total params: $params; got: $text" grep -q "Total params: $params" <<<"$text"
  local json
  json=$("$build/clrnn-eval" "$scratch/$name.h5" --data "$scratch/reber.h5" --json 2>&1)
  check "$name: clrnn-eval gives an accuracy: $json" grep -q '"accuracy"' <<<"$json"
}

train_and_show lstm "lstm(8,go_backwards=true,dropout=0.2,recurrent_dropout=0.2) dense(1,sigmoid)" 521
train_and_show rnn_gru "rnn(gru_cell,8) dense(1,sigmoid)" 417
check "the RNN wrapper is summarised as RNN" grep -q "(RNN)" <("$build/clrnn-info" summary "$scratch/rnn_gru.h5")
finish
