#!/usr/bin/env bash
# clrnn-eval predicts where it cannot evaluate, as Keras's predict needs no compile() and no
# labels: a model whose file records no loss (tf.keras 2's to_json + save_weights pair, a
# model saved uncompiled) or data without labels (x but no y) writes --predictions and
# reports no loss, from every model format (Keras 3: .keras, legacy .h5, JSON +
# .weights.h5; tf.keras 2: legacy .h5, JSON + save_weights .h5, .keras), for one input or
# several; the predictions are Keras's (io.h5 y) to 1e-5. Without --predictions it says
# what is missing. A loss the file records (tf.keras 2's "adam"/"binary_crossentropy"
# strings in a .keras) is evaluated.
source "$(dirname "$0")/e2e_common.sh"
require_device
g3="$(dirname "$0")/keras/golden"
g2="$(dirname "$0")/keras/golden-tf2"
x_only() { # x_only IO OUT: IO's inputs without y
  local d
  for d in $(h5ls "$1" | awk '$1 ~ /^x/ {print $1}'); do h5copy -i "$1" -o "$2" -s "$d" -d "$d"; done
}
predicts() { # predicts NAME IO DATA MODEL [--weights W]: predictions only, Keras's to 1e-5
  local name=$1 io=$2 data=$3
  shift 3
  local out
  out=$("$build/clrnn-eval" "$@" --data "$data" --predictions "$scratch/$name.h5" 2>&1)
  check "$name: predicts ($out)" grep -q "predicted to .* (no loss: " <<< "$out"
  check "$name: Keras's predictions to 1e-5" \
    h5diff -q -d 1e-5 "$scratch/$name.h5" "$io" /predictions /y
}
x_only "$g3/lstm/io.h5" "$scratch/lstm_x.h5"
x_only "$g2/lstm/io.h5" "$scratch/lstm2_x.h5"
x_only "$g3/seq2seq_lstm/io.h5" "$scratch/seq2seq_x.h5"
x_only "$g2/compiled_strings/io.h5" "$scratch/compiled_x.h5"
# no labels, every format
predicts k3_keras "$g3/lstm/io.h5" "$scratch/lstm_x.h5" "$g3/lstm/model.keras"
predicts k3_h5 "$g3/lstm/io.h5" "$scratch/lstm_x.h5" "$g3/lstm/model.h5"
predicts k3_json "$g3/lstm/io.h5" "$scratch/lstm_x.h5" "$g3/lstm/model.json" --weights "$g3/lstm/model.weights.h5"
predicts k2_h5 "$g2/lstm/io.h5" "$scratch/lstm2_x.h5" "$g2/lstm/model.h5"
predicts k2_json "$g2/lstm/io.h5" "$scratch/lstm2_x.h5" "$g2/lstm/model.json" --weights "$g2/lstm/weights.h5"
predicts k2_keras "$g2/compiled_strings/io.h5" "$scratch/compiled_x.h5" "$g2/compiled_strings/model.keras"
predicts seq2seq "$g3/seq2seq_lstm/io.h5" "$scratch/seq2seq_x.h5" "$g3/seq2seq_lstm/model.keras"
# labels but no loss recorded: tf.keras 2's to_json + save_weights, its weights found beside
cp "$g2/lstm/model.json" "$scratch/pair.json"
cp "$g2/lstm/weights.h5" "$scratch/pair.h5"
predicts no_loss "$g2/lstm/io.h5" "$g2/lstm/io.h5" "$scratch/pair.json"
json=$("$build/clrnn-eval" "$scratch/pair.json" --data "$g2/lstm/io.h5" --predictions "$scratch/p.h5" --json)
check "--json without a loss: samples, no loss ($json)" \
  bash -c '[[ "$1" == *"\"samples\": 3"* && "$1" != *loss* ]]' _ "$json"
# what is missing, without --predictions
expect 1 "pair.json records none \(--loss NAME evaluates\); give --predictions OUT to predict" \
  "$build/clrnn-eval" "$scratch/pair.json" --data "$g2/lstm/io.h5"
expect 1 "lstm_x.h5 has no labels \(x but no y\); give --predictions OUT to predict" \
  "$build/clrnn-eval" "$g3/lstm/model.keras" --data "$scratch/lstm_x.h5"
cp "$g2/lstm/model.json" "$scratch/lonely.json"
expect 1 "needs its weights file \(--weights FILE; none beside it: .*lonely.weights.h5 or .*lonely.h5\)" \
  "$build/clrnn-eval" "$scratch/lonely.json" --data "$g2/lstm/io.h5"
# --loss evaluates a model that records none; a recorded loss (tf.keras 2's strings) is used
json=$("$build/clrnn-eval" "$scratch/pair.json" --data "$g2/lstm/io.h5" --loss mse --json)
check "--loss evaluates ($json)" grep -q '"loss": ' <<< "$json"
json=$("$build/clrnn-eval" "$g2/compiled_strings/model.keras" --data "$g2/compiled_strings/io.h5" --json)
check "tf.keras 2's .keras: its binary_crossentropy evaluates ($json)" grep -q '"accuracy": ' <<< "$json"
finish
