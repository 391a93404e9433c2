#!/usr/bin/env bash
# End to end: embedded Reber grammar strings (valid, or with one character changed). A
# SimpleRNN classifies them with at least 0.97 validation accuracy (the last 20% of the
# training file, as Keras's validation_split takes it) and an LSTM with at least 0.99; the
# saved models do as well on the test split.
source "$(dirname "$0")/e2e_common.sh"
require_device
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 8000 --test-samples 1000 --seed 5 >/dev/null
"$build/clrnn-train" --layers "simple_rnn(32) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/reber_model.h5" --epochs 30 --batch-size 32 --optimizer adam --lr 0.001 \
  --global-clipnorm 1 --validation-split 0.2 --seed 5 --history "$scratch/history.csv" --quiet
check "training ran" [ -s "$scratch/reber_model.h5" ]
val_acc=$(tail -n 1 "$scratch/history.csv" | cut -d, -f4)
echo "last epoch: $(tail -n 1 "$scratch/history.csv")"
check "validation accuracy $val_acc >= 0.97" at_least "$val_acc" 0.97
out=$("$build/clrnn-eval" "$scratch/reber_model.h5" --data "$scratch/reber.h5" --json)
echo "$out"
check "test accuracy $(echo "$out" | json_field accuracy) >= 0.97" at_least "$(echo "$out" | json_field accuracy)" 0.97

# an LSTM solves it: at least 0.99 on validation and on the test split
"$build/clrnn-train" --layers "lstm(32) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/reber_lstm.h5" --epochs 30 --batch-size 32 --optimizer adam --lr 0.003 \
  --global-clipnorm 1 --validation-split 0.2 --seed 5 --history "$scratch/lstm.csv" --quiet
val_acc=$(tail -n 1 "$scratch/lstm.csv" | cut -d, -f4)
echo "LSTM last epoch: $(tail -n 1 "$scratch/lstm.csv")"
check "LSTM validation accuracy $val_acc >= 0.99" at_least "$val_acc" 0.99
out=$("$build/clrnn-eval" "$scratch/reber_lstm.h5" --data "$scratch/reber.h5" --json)
echo "$out"
check "LSTM test accuracy $(echo "$out" | json_field accuracy) >= 0.99" at_least "$(echo "$out" | json_field accuracy)" 0.99
finish
