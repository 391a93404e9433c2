#!/usr/bin/env bash
# Models of unknown length, saved by Keras (tests/keras/golden*): tf.keras 2's Sequential
# built by fit without input_length (batch_input_shape [None, None]) and Keras 3's Functional
# Input((None,)) graph (Embedding(mask_zero) + GRU) train with clrnn on reviews of one
# length, validate and evaluate on another, score raw text of any length, and keep None
# when clrnn saves them (summary of each file clrnn writes); Keras opens those files with
# load_model's defaults and predicts both lengths as clrnn does. The task: labelled reviews
# whose sentiment is one word among filler words (as test_eval_text.sh), pre-padded by
# clrnn-data labelled to 16 ids (training) and 24 (validation and test).
source "$(dirname "$0")/e2e_common.sh"
require_device
here=$(cd "$(dirname "$0")" && pwd)
reviews() { # reviews SEED N: label<TAB>text lines
  awk -v seed="$1" -v n="$2" 'BEGIN { srand(seed);
    split("the a film movie plot actor scene story was is and of it this", f);
    split("great wonderful superb", p); split("awful boring dreadful", q);
    for (i = 0; i < n; i++) { lab = i % 2; len = 3 + int(rand() * 12); out = "";
      pos = int(rand() * len);
      for (k = 0; k < len; k++) {
        out = out (k ? " " : "") f[int(rand() * 14) + 1];
        if (k == pos) out = out " " (lab ? p[int(rand() * 3) + 1] : q[int(rand() * 3) + 1]) }
      print lab "\t" out } }'
}
reviews 7 400 > "$scratch/train.tsv"
reviews 8 100 > "$scratch/test.tsv"
for T in 16 24; do
  "$build/clrnn-data" labelled --tsv "$scratch/train.tsv" --test-tsv "$scratch/test.tsv" \
    --maxlen $T --max-tokens 30 --out "$scratch/r$T.h5" >/dev/null
done

# train MODEL NAME LOSS: 5 epochs on length 16, validated on length 24
train() {
  "$build/clrnn-train" --model "$1" --data "$scratch/r16.h5" --validation-data "$scratch/r24.h5" \
    --out "$scratch/$2.h5" --epochs 5 --lr 0.02 --loss "$3" --seed 3 \
    --history "$scratch/$2.csv" --quiet
}
for case in "golden-tf2/fit_built_any_length/model.h5 fit_built binary_crossentropy" \
            "golden/functional_gru_any_length/model.keras functional_gru sparse_categorical_crossentropy"; do
  set -- $case
  if ! train "$here/keras/$1" "$2" "$3"; then
    bad "clrnn trains $1 (a model of unknown length)"
    continue
  fi
  # history columns: epoch, accuracy, loss, val_accuracy, val_loss
  first=$(sed -n 2p "$scratch/$2.csv" | cut -d, -f3)
  last=$(tail -1 "$scratch/$2.csv" | cut -d, -f3)
  val=$(tail -1 "$scratch/$2.csv" | cut -d, -f4)
  echo "$2: loss $first -> $last, val_accuracy (length 24) $val"
  check "$2: the loss falls by half ($first -> $last)" at_least "$first" "$(awk -v a="$last" 'BEGIN { print 2 * a }')"
  check "$2: validation accuracy on length 24 ($val)" at_least "$val" 0.9
  acc=$("$build/clrnn-eval" "$scratch/$2.h5" --data "$scratch/r24.h5" --json | json_field accuracy)
  check "$2: test accuracy on length 24 ($acc)" at_least "$acc" 0.9
  acc=$("$build/clrnn-eval" "$scratch/$2.h5" --data "$scratch/r16.h5" --json | json_field accuracy)
  check "$2: test accuracy on length 16 ($acc)" at_least "$acc" 0.9
  # every file clrnn writes keeps the unknown length: (None, None) in, (None, None, 6) out of
  # the Embedding
  for out in "$2.keras" "$2.weights.h5"; do
    "$build/clrnn-train" --model "$scratch/$2.h5" --data "$scratch/r16.h5" --epochs 0 \
      --out "$scratch/$out" --quiet || bad "clrnn converts $2.h5 to $out"
  done
  for f in "$2.h5" "$2.keras"; do
    check "$f keeps None as its length" grep -q "(None, None, 6)" \
      <<< "$("$build/clrnn-info" summary "$scratch/$f")"
  done
done
# Keras opens clrnn's files as users do (load_model with its defaults) and predicts both
# lengths as clrnn does: Keras 3 every format, tf.keras 2 the Keras 2 model's .h5 (the
# Keras 3 graph is written in Keras 3's Functional layout). The .keras files are
# conversions (--epochs 0) of the Keras files: one written after training records
# clrnn_epochs_done in its compile_config, which Keras's compile() refuses (issue 19 item
# 4, fixed apart). Runs in the release build where tests/keras/.venv is
# (tests/keras/README.md).
in_keras() { # in_keras RUNNER FLAVOUR MODEL PREDICTED: MODEL against PREDICTED's predictions
  local out
  out=$(CLRNN_INTEROP_KERAS=$2 bash "$here/keras/$1" any_length_interop.py "$scratch/$3" \
    "$scratch/r16.h5" "$scratch/$4.p16.h5" "$scratch/r24.h5" "$scratch/$4.p24.h5" 2>&1 |
    grep -v "^WARNING\|^E0000\|cuda\|UserWarning\|load_own_variables")
  echo "$out"
  check "$2 loads $3 and predicts both lengths as clrnn ($out)" [ "$(grep -c '^ok' <<< "$out")" -eq 2 ]
}
predict() { # predict MODEL: its predictions for both lengths, MODEL.p16.h5 and .p24.h5
  for T in 16 24; do
    "$build/clrnn-eval" "$scratch/$1" --data "$scratch/r$T.h5" \
      --predictions "$scratch/$1.p$T.h5" >/dev/null || bad "clrnn-eval --predictions $1 r$T"
  done
}
if [[ "$build" == *asan* ]]; then
  echo "Keras: skipped (runs in the release build, the same files)" >&2
elif [ -f "$here/keras/.venv/.requirements.installed" ]; then
  for case in "golden-tf2/fit_built_any_length/model.h5 fit_built binary_crossentropy" \
              "golden/functional_gru_any_length/model.keras functional_gru sparse_categorical_crossentropy"; do
    set -- $case
    "$build/clrnn-train" --model "$here/keras/$1" --data "$scratch/r16.h5" --epochs 0 \
      --loss "$3" --out "$scratch/$2.0.keras" --quiet || bad "clrnn converts $1"
    predict "$2.h5"
    predict "$2.0.keras"
    in_keras keras.sh keras3 "$2.h5" "$2.h5"
    in_keras keras.sh keras3 "$2.weights.h5" "$2.h5"
    in_keras keras.sh keras3 "$2.0.keras" "$2.0.keras"
  done
  if [ -f "$here/keras/.venv-tf2/.requirements.installed" ]; then
    in_keras keras2.sh tf2 fit_built.h5 fit_built.h5
  fi
else
  echo "Keras: skipped (no tests/keras/.venv)" >&2
fi

# raw text of any length, pre-padded to the longest text of its batch
out=$("$build/clrnn-eval" "$scratch/fit_built.h5" --text "superb" \
  --text "the plot of this film was a great story and the actor is wonderful in it" \
  --text "a dreadful movie" --text "this is the story of an actor in a film that was awful and boring")
echo "$out"
check "four texts, four scores" [ "$(wc -l <<< "$out")" -eq 4 ]
check "positive texts above 0.5" awk -F'\t' 'NR == 1 || NR == 2 { if ($1 <= 0.5) bad = 1 } END { exit bad }' <<< "$out"
check "negative texts below 0.5" awk -F'\t' 'NR == 3 || NR == 4 { if ($1 >= 0.5) bad = 1 } END { exit bad }' <<< "$out"
finish
