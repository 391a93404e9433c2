#!/usr/bin/env bash
# --metrics in clrnn-train and clrnn-eval, by Keras's names: precision and recall for a
# binary model (shown on the epoch lines, in --history's columns sorted as CSVLogger sorts
# them, in clrnn-eval's line and --json), sparse_top_k_categorical_accuracy for a character
# model; --monitor on such a metric; kept in the files clrnn saves (clrnn-eval reads them back without --metrics,
# clrnn-info file lists them); a metric that does not fit the loss is a usage error. When
# the Keras 3 environment is there (tests/keras/.venv), keras.models.load_model opens the
# binary .keras and .h5 files with their defaults and its evaluate() reports the same
# metrics with the same values (to 1e-6).
source "$(dirname "$0")/e2e_common.sh"
require_device
here=$(cd "$(dirname "$0")" && pwd)
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 300 --test-samples 64 --seed 2 >/dev/null
out=$("$build/clrnn-train" --layers "lstm(8) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/bin.keras" --epochs 2 --batch-size 32 --seed 3 --metrics precision,recall \
  --validation-split 0.2 --history "$scratch/h.csv")
check_all "the epoch line shows precision, recall, val_precision, val_recall" \
  'grep -qE "^Epoch 2/2 .* - accuracy: [0-9.]+ - precision: [0-9.]+ - recall: [0-9.]+ - val_loss: .*'\
' - val_precision: [0-9.]+ - val_recall: [0-9.]+" <<< "$out"'
check "--history has Keras's columns, sorted" \
  [ "$(head -1 "$scratch/h.csv")" = "epoch,accuracy,loss,precision,recall,val_accuracy,val_loss,val_precision,val_recall" ]
# --monitor watches a metric of --metrics as Keras's callbacks do (mode "auto": higher is
# better for precision and recall): each epoch's message agrees with --history's column
out=$("$build/clrnn-train" --layers "lstm(8) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/mon.h5" --epochs 3 --batch-size 32 --seed 3 --metrics recall \
  --validation-split 0.2 --history "$scratch/mon.csv" --checkpoint "$scratch/mon.ckpt.h5" \
  --save-best-only --monitor val_recall)
check_all "higher is better: the first epoch improves from -inf" \
  'grep -q "^Epoch 1: val_recall improved from -inf to" <<< "$out"'
col=$(head -1 "$scratch/mon.csv" | tr , '\n' | grep -n '^val_recall$' | cut -d: -f1)
best=-inf
for e in 1 2 3; do
  v=$(sed -n "$((e + 1))p" "$scratch/mon.csv" | cut -d, -f"$col")
  if [ "$best" = -inf ] || awk -v v="$v" -v b="$best" 'BEGIN { exit !(v > b) }'; then
    check_all "epoch $e: val_recall $v improved on $best" \
      'grep -q "^Epoch $e: val_recall improved from" <<< "$out"'
    best=$v
  else
    check_all "epoch $e: val_recall $v did not improve on $best" \
      'grep -q "^Epoch $e: val_recall did not improve from" <<< "$out"'
  fi
done
expect 2 "monitor val_precision: the model does not compute precision .give --metrics precision." \
  "$build/clrnn-train" --layers "lstm(8) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/mon.h5" --validation-split 0.2 --early-stopping 2 --monitor val_precision
expect 2 "monitor f1_score: give loss, accuracy" \
  "$build/clrnn-train" --layers "lstm(8) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/mon.h5" --early-stopping 2 --monitor f1_score
"$build/clrnn-train" --model "$scratch/bin.keras" --data "$scratch/reber.h5" --epochs 0 \
  --out "$scratch/bin.h5" --quiet
e=$("$build/clrnn-eval" "$scratch/bin.h5" --data "$scratch/reber.h5")
check_all "clrnn-eval reads the metrics back from the .h5 ($e)" \
  'grep -qE " - accuracy: [0-9.]+ - precision: [0-9.]+ - recall: [0-9.]+" <<< "$e"'
j=$("$build/clrnn-eval" "$scratch/bin.keras" --data "$scratch/reber.h5" --json)
check_all "and from the .keras, in --json" 'grep -q "\"precision\": .*\"recall\": " <<< "$j"'
info=$("$build/clrnn-info" file "$scratch/bin.h5")
check_all "clrnn-info file lists them" \
  'grep -q "^training  loss binary_crossentropy, metrics accuracy, precision, recall, optimizer" <<< "$info"'
expect 2 "metric top_k_categorical_accuracy needs a categorical loss" \
  "$build/clrnn-eval" "$scratch/bin.h5" --data "$scratch/reber.h5" --metrics top_k_categorical_accuracy

"$build/clrnn-data" text --builtin fables --window 12 --step 64 --test-fraction 0.1 \
  --out "$scratch/chars.h5" >/dev/null
vocab=$(h5dump -H -d vocabulary "$scratch/chars.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
expect 2 "with the loss sparse_categorical_crossentropy use sparse_top_k_categorical_accuracy" \
  "$build/clrnn-train" --layers "embedding($vocab,8) lstm(8) dense($vocab,softmax)" \
  --data "$scratch/chars.h5" --out "$scratch/lm.h5" --metrics top_k_categorical_accuracy
out=$("$build/clrnn-train" --layers "embedding($vocab,8) lstm(8) dense($vocab,softmax)" \
  --data "$scratch/chars.h5" --out "$scratch/lm.h5" --epochs 1 --batch-size 64 \
  --metrics sparse_top_k_categorical_accuracy)
check_all "a character model shows sparse_top_k_categorical_accuracy" \
  'grep -qE "^Epoch 1/1 .* - sparse_top_k_categorical_accuracy: [0-9.]+" <<< "$out"'

if [[ "$build" == *asan* ]]; then
  echo "Keras 3: skipped in the ASan build (the same files)" >&2
elif [ -f "$here/keras/.venv/.requirements.installed" ]; then
  for f in bin.keras bin.h5; do
    ours=$("$build/clrnn-eval" "$scratch/$f" --data "$scratch/reber.h5" --json)
    keras=$(bash "$here/keras/keras.sh" metrics_check.py "$scratch/$f" "$scratch/reber.h5" 2>/dev/null | tail -1)
    echo "$f: clrnn $ours"
    echo "$f: Keras $keras"
    for name in precision recall sparse_top_k_categorical_accuracy accuracy; do
      a=$(json_field "$name" <<< "$ours"); b=$(json_field "$name" <<< "$keras")
      [ -z "$a" ] && [ -z "$b" ] && continue
      check "$f: Keras's $name ($b) is clrnn's ($a)" \
        awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; exit !(a != "" && b != "" && d < 1e-6 && d > -1e-6) }'
    done
  done
else
  echo "Keras 3: skipped (no tests/keras/.venv)" >&2
fi
finish
