#!/usr/bin/env bash
# The tools on a Functional graph of two inputs (the seq2seq encoder-decoder that Keras 3
# saved in tests/keras/golden/seq2seq_lstm, whose io.h5 holds x0, x1 and Keras's
# predictions y): clrnn-info summary in Keras's Functional layout, clrnn-eval and
# clrnn-train on a dataset of several inputs, saving and loading back; and the bad
# combinations, each one line on stderr and exit 1 before any training.
source "$(dirname "$0")/e2e_common.sh"
require_device
golden="${CLRNN_TEST_DATA:-$(dirname "$0")}/keras/golden"
s2s="$golden/seq2seq_lstm"

summary=$("$build/clrnn-info" summary "$s2s/model.keras")
echo "$summary"
check "summary has Keras's Connected to column" grep -q "Connected to" <<<"$summary"
check "the decoder is connected to the encoder's states" grep -q "^ *lstm\[0\]\[2\]$" <<<"$summary"
check "summary counts every parameter" grep -q "^Total params: 763$" <<<"$summary"

# Keras's predictions are the targets: the mean squared error is ~0
out=$("$build/clrnn-eval" "$s2s/model.keras" --data "$s2s/io.h5" --split all \
      --loss mean_squared_error --json)
echo "$out"
loss=$(json_field loss <<<"$out")
check "clrnn-eval on x0, x1 gives Keras's predictions (loss $loss)" awk -v l="$loss" 'BEGIN { exit !(l < 1e-12) }'

# training on x0, x1, y, then the saved model loads back in each format
for f in s2s.keras s2s.h5; do
  if "$build/clrnn-train" --model "$s2s/model.h5" --data "$s2s/io.h5" --epochs 2 --batch-size 2 \
       --loss mean_squared_error --out "$scratch/$f" --quiet &&
     "$build/clrnn-eval" "$scratch/$f" --data "$s2s/io.h5" --split all --json >/dev/null; then
    ok
  else
    bad "clrnn-train and clrnn-eval of $f"
  fi
done

# the wrong data for the model, and the wrong model for the data
expect 1 "holds 2 inputs \(x0\.\.\.\): --layers makes a model of one input" \
  "$build/clrnn-train" --layers "lstm(4) dense(11)" --data "$s2s/io.h5" --out "$scratch/x.h5"
expect 1 "model 'sequential' takes 1 input, but 2 arrays are given" \
  "$build/clrnn-eval" "$golden/lstm/model.keras" --data "$s2s/io.h5" --split all --loss mean_squared_error
expect 1 "takes 2 inputs \(encoder_inputs, decoder_inputs\), but 1 array is given" \
  "$build/clrnn-train" --model "$s2s/model.keras" --data "$golden/lstm/io.h5" --out "$scratch/x.h5"
expect 1 "holds 1 input, but .*io.h5 holds 2" \
  "$build/clrnn-train" --model "$s2s/model.keras" --data "$s2s/io.h5" --validation-data \
  "$golden/lstm/io.h5" --loss mean_squared_error --out "$scratch/x.h5"
check_not "nothing was saved by the refused runs" test -e "$scratch/x.h5"
finish
