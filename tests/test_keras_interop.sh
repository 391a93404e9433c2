#!/usr/bin/env bash
# Interop: models trained and saved by clrnn open in real Keras the way users open them
# (tests/keras/interop.py): keras.models.load_model(path) with its defaults, which compiles
# them with the loss and optimizer clrnn trained with (and its optimizer's variables) and
# fit()s one batch; model_from_json + load_weights; load_weights into the model built in
# Keras code. Keras 3 (tests/keras/keras.sh, JAX backend) gets every format clrnn writes:
# the legacy .h5, the .keras archive, .weights.h5 and the architecture JSON pairs of --out
# NAME.json; tf.keras 2.15 (tests/keras/keras2.sh) the Keras 2 ones: legacy .h5 (Keras 2's
# hard_sigmoid included) and the Keras 2 JSON pairs. Predictions must match clrnn's to
# 1e-5. One model per layer kind and option: Embedding with mask_zero, LSTM, GRU both ways
# (reset_after), SimpleRNN, go_backwards, the RNN wrapper, Bidirectional with each merge
# mode, TimeDistributed, Dropout, RepeatVector, Masking, the global poolings, MaxPooling1D,
# Flatten, SpatialDropout1D, Conv1D, LayerNormalization, stacked layers, hard_sigmoid; and
# Keras 3 Functional graphs (seq2seq, two inputs; keras.io's lstm_seq2seq, two inputs of
# unknown length; the merge layers; initial_state into Bidirectional), and graphs from
# tf.keras 2's files, which clrnn writes back in tf.keras 2's Functional layout for it.
#
# Needs Keras from PyPI. It runs when tests/keras/.venv is complete, or when
# CLRNN_KERAS_INTEROP=1 lets keras.sh make the environment (.ci/run makes it first when PyPI
# is reachable); otherwise it skips. It runs on the release build only.
source "$(dirname "$0")/e2e_common.sh"
require_device
here=$(cd "$(dirname "$0")" && pwd)
case "$build" in *asan*) echo "skipped: runs in the release build (the same files)" >&2; exit 77 ;; esac
if [ ! -f "$here/keras/.venv/.requirements.installed" ] && [ "${CLRNN_KERAS_INTEROP:-0}" != 1 ]; then
  echo "skipped: no tests/keras/.venv (set CLRNN_KERAS_INTEROP=1 to make it from PyPI)" >&2
  exit 77
fi
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 300 --test-samples 40 --seed 2 >/dev/null
"$build/clrnn-data" text --builtin fables --window 12 --step 40 --test-fraction 0.05 \
  --out "$scratch/text.h5" >/dev/null
"$build/clrnn-data" addition-decimal --out "$scratch/sums.h5" --samples 300 --test-samples 40 \
  >/dev/null
vocab=$(h5dump -H -d vocabulary "$scratch/text.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
args=()     # files for Keras 3: every format
args_k2=()  # files for tf.keras 2: the Keras 2 ones
only=""     # k3 or k2: the next model goes to that Keras only
train() { # train NAME DATA LOSS [--model ARCH.json | LAYERS]
  local name=$1 data=$2 loss=$3
  shift 3
  local arch=(--layers "$1") spec=$1
  [ "$1" = --model ] && arch=("$@") && spec=$2
  if "$build/clrnn-train" "${arch[@]}" --data "$scratch/$data.h5" --out "$scratch/$name.h5" \
       --epochs 1 --batch-size 32 --optimizer adam --lr 0.01 --loss "$loss" --seed 3 --quiet &&
     "$build/clrnn-eval" "$scratch/$name.h5" --data "$scratch/$data.h5" \
       --predictions "$scratch/$name.pred.h5" >/dev/null; then
    ok
    local files=("$name.h5")
    # the same model in every other format (no training: a conversion); the JSON pair is
    # Keras 2's for a --layers model (NAME.pair.h5 beside it), else Keras 3's
    local outs=("$name.keras" "$name.weights.h5" "$name.pair.json")
    [ "$only" = k2 ] && outs=("$name.pair.json") # Keras 2's hard_sigmoid: no Keras 3 file
    for out in "${outs[@]}"; do
      if "$build/clrnn-train" --model "$scratch/$name.h5" --data "$scratch/$data.h5" \
           --epochs 0 --out "$scratch/$out" --quiet; then
        ok
        files+=("$out")
      else
        bad "clrnn converts $name.h5 to $out"
      fi
    done
    # each Keras gets the files it reads: Keras 3 every one but Keras 2's JSON (which has no
    # "module" for Keras 3 to find its classes by), tf.keras 2 the legacy .h5 and Keras 2's
    # JSON pair (not Keras 3's .keras, whose configuration it does not read)
    for f in "${files[@]}"; do
      local set=("$scratch/$f" "$scratch/$data.h5" "$scratch/$name.pred.h5" "$spec") k2=0 k3=1
      case "$f" in
        *.pair.json) [ -e "$scratch/$name.pair.h5" ] && k2=1 k3=0 ;;
        "$name.h5") k2=1 ;;
      esac
      [ $k2 = 1 ] && [ "$only" != k3 ] && args_k2+=("${set[@]}")
      [ $k3 = 1 ] && [ "$only" != k2 ] && args+=("${set[@]}")
    done
  else
    bad "clrnn trains and saves $name (${arch[*]})"
  fi
}
bce=binary_crossentropy
sce=sparse_categorical_crossentropy
train lstm reber $bce "lstm(8) dense(1,sigmoid)"
train gru_after reber $bce "gru(6,return_sequences=true) gru(5) dense(1,sigmoid)"
train gru_before reber $bce "gru(6,reset_after=false,go_backwards=true) dense(1,sigmoid)"
train simple reber $bce "simple_rnn(7,activation=relu) dense(1,sigmoid)"
train rnn_cell reber $bce "rnn(lstm_cell,5) dense(1,sigmoid)"
# hard_sigmoid: --layers means Keras 2's (slope 0.2, files marked 2.15.0), which only
# tf.keras 2 has; a Keras 3 architecture (its layers carry a "module") means Keras 3's (slope
# 1/6), and clrnn marks the file 3.x so that Keras 3 reads it the same way.
only=k2
train hard_sigmoid_keras2 reber $bce "lstm(6,recurrent_activation=hard_sigmoid) dense(1,sigmoid)"
only=k3
cat > "$scratch/hard_sigmoid.json" <<'JSON'
{"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, null, 7]}},
 {"module": "keras.layers", "class_name": "LSTM", "config": {"name": "lstm", "units": 6,
  "recurrent_activation": "hard_sigmoid"}},
 {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 1,
  "activation": "sigmoid"}}]}}
JSON
train hard_sigmoid_keras3 reber $bce --model "$scratch/hard_sigmoid.json"
only=""
for merge in concat sum ave mul; do
  train "bidi_$merge" reber $bce "bidirectional(lstm(5,return_sequences=true),merge_mode=$merge) lstm(4) dense(1,sigmoid)"
done
train td_dropout reber $bce "lstm(8,return_sequences=true) time_distributed(dense(4,relu)) dropout(0.3) gru(5) dense(1,sigmoid)"
train embed_mask text $sce "embedding($vocab,8,mask_zero=true) lstm(16) dense($vocab,softmax)"
# keras.io's number addition example, smaller: RepeatVector between the encoder and decoder
train addition sums categorical_crossentropy "lstm(16) repeat_vector(4) lstm(16,return_sequences=true) dense(12,softmax)"
# the pooling, masking and reshaping layers around the recurrent ones in keras.io's examples
# (Reber strings are pre-padded with all-zero steps: Masking(0.0) masks them)
train mask_avg_pool reber $bce "masking(0.0) lstm(8,return_sequences=true) global_average_pooling1d() dense(1,sigmoid)"
train pools reber $bce "spatial_dropout1d(0.2) max_pooling1d(3,strides=2,padding=same) lstm(6,return_sequences=true) global_max_pooling1d(keepdims=true) flatten() dense(1,sigmoid)"
train embed_avg_pool text $sce "embedding($vocab,8,mask_zero=true) global_average_pooling1d() dense($vocab,softmax)"
train cnn_lstm text $sce "embedding($vocab,8) conv1d(6,3,padding=same,activation=relu) max_pooling1d(2) layer_normalization() lstm(8) dense($vocab,softmax)"
train embed_bidi_gru text $sce "embedding($vocab,8,mask_zero=true) bidirectional(gru(6)) dropout(0.2) dense($vocab,softmax)"
# the encoder-decoder of Keras's seq2seq tutorial (return_state into initial_state, two
# inputs, a masked GRU encoder), its architecture made by Keras 3: a graph is written in the
# Functional layout of the Keras it came from (Keras 3's, which tf.keras 2 does not read)
only=k3
if bash "$here/keras/keras.sh" seq2seq_data.py "$scratch" >/dev/null 2>&1; then
  train seq2seq_lstm seq2seq $sce --model "$scratch/seq2seq_lstm.json"
  train seq2seq_gru seq2seq $sce --model "$scratch/seq2seq_gru.json"
  # keras.io's lstm_seq2seq: both inputs of unknown length, test sequences longer than the
  # training ones
  train lstm_seq2seq lstm_seq2seq_data categorical_crossentropy --model "$scratch/lstm_seq2seq.json"
  # every merge layer; a Bidirectional encoder's states joined by Concatenate and given to a
  # Bidirectional decoder (initial_state)
  train merges merges_data mean_squared_error --model "$scratch/merges.json"
  train bidi_states bidi_states_data categorical_crossentropy --model "$scratch/bidi_states.json"
  # the same two as tf.keras 2.15 saved them (golden-tf2): clrnn writes them in tf.keras 2's
  # Functional layout, which tf.keras 2 reads
  only=k2
  train merges_k2 merges_data mean_squared_error --model "$here/keras/golden-tf2/merges/model.json"
  train bidi_states_k2 bidi_states_data categorical_crossentropy \
    --model "$here/keras/golden-tf2/seq2seq_bidi_states/model.json"
else
  bad "Keras writes the seq2seq data and architectures"
fi
only=""
in_keras() { # in_keras RUNNER FLAVOUR MODEL DATA PREDICTIONS...: each file loaded there
  local runner=$1 flavour=$2; shift 2
  local out
  out=$(CLRNN_INTEROP_KERAS=$flavour bash "$here/keras/$runner" interop.py "$@" 2>&1 |
    grep -v "^WARNING\|^E0000\|cuda")
  echo "$out"
  while read -r line; do
    case "$line" in
      ok*) ok ;;
      FAIL*) bad "$line" ;;
    esac
  done <<< "$out"
  check "every model was checked in $flavour" [ "$(grep -c '^ok\|^FAIL' <<< "$out")" -eq $(($# / 4)) ]
}
in_keras keras.sh keras3 "${args[@]}"
# tf.keras 2.15 (tests/keras/keras2.sh) reads the Keras 2 format, when its environment is
# there or CLRNN_KERAS_INTEROP=1 lets it be made
if [ -f "$here/keras/.venv-tf2/.requirements.installed" ] || [ "${CLRNN_KERAS_INTEROP:-0}" = 1 ]; then
  in_keras keras2.sh tf2 "${args_k2[@]}"
else
  echo "tf.keras 2: skipped (no tests/keras/.venv-tf2)" >&2
fi
finish
