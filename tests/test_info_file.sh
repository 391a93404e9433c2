#!/usr/bin/env bash
# clrnn-info file: what a model file holds, for every format clrnn reads (files written by
# real Keras 3 in tests/keras/golden, and one written by clrnn-train), and bad files: exit 1
# with one line naming the file. Reading files needs no OpenCL device; only the part that
# trains a model does.
source "$(dirname "$0")/e2e_common.sh"
golden="$(dirname "$0")/keras/golden"

# info_has DESCRIPTION FILE PATTERN...: `clrnn-info file FILE` exits 0 and prints every
# PATTERN (an extended regex) on some line
info_has() {
  local what=$1 file=$2; shift 2
  local out
  if ! out=$("$build/clrnn-info" file "$file" "${extra[@]}" 2>&1); then
    bad "$what: clrnn-info file $file ${extra[*]} failed: $out"; return
  fi
  for pattern in "$@"; do
    if ! grep -qE -- "$pattern" <<<"$out"; then bad "$what: no line matches '$pattern' in:"$'\n'"$out"; return; fi
  done
  ok
}
# info_fails DESCRIPTION PATTERN ARGS...: exit 1 and one stderr line matching PATTERN
info_fails() {
  local what=$1 pattern=$2; shift 2
  local err status
  err=$("$build/clrnn-info" file "$@" 2>&1 >/dev/null)
  status=$?
  if [ "$status" -ne 1 ]; then bad "$what: exited $status, expected 1; stderr: $err"
  elif [ "$(wc -l <<<"$err")" -ne 1 ]; then bad "$what: more than one line on stderr: $err"
  elif ! grep -qE -- "$pattern" <<<"$err"; then bad "$what: stderr does not match '$pattern': $err"
  else ok; fi
}
extra=()

# legacy full-model .h5 written by Keras 3
info_has "seed_imdb_lstm model.h5" "$golden/seed_imdb_lstm/model.h5" \
  '^format +Keras legacy full-model HDF5 \(model_config, model_weights\)' \
  '^keras +3\.15\.1 \(backend jax\)' "^model +Sequential 'sequential', 4 layers" \
  '^weights +6 arrays, 767 parameters' \
  '^  embedding +Embedding +sequential/embedding/embeddings \(50, 8\)$' \
  '^  lstm +LSTM +sequential/lstm/lstm_cell/kernel \(8, 24\)$' \
  '^ +sequential/lstm/lstm_cell/bias \(24,\)$' '^  dense +Dense +sequential/dense/kernel \(6, 1\)$' \
  '^  input_layer +InputLayer +\(no weights\)$'
info_has "train_adam final.h5 (training_config, optimizer_weights)" "$golden/train_adam/final.h5" \
  'training_config, model_weights, optimizer_weights\)$' \
  '^training +loss binary_crossentropy, optimizer Adam \(learning_rate 0\.01\)$'
# the metrics a training_config lists: Keras 3's objects, tf.keras 2's lists of them
info_has "metrics_binary model.h5 (Keras 3)" "$golden/metrics_binary/model.h5" \
  '^training +loss binary_crossentropy, metrics accuracy, precision, recall, optimizer Adam'
info_has "metrics_binary model.h5 (tf.keras 2)" "$golden/../golden-tf2/metrics_binary/model.h5" \
  '^training +loss binary_crossentropy, metrics accuracy, precision, recall, optimizer'
info_has "metrics_top_k3 model.keras" "$golden/metrics_top_k3/model.keras" \
  '^training +loss categorical_crossentropy, metrics accuracy, top_k_categorical_accuracy'

# .keras archive: layers from config.json, weights from the in-memory model.weights.h5
info_has "seed_imdb_lstm model.keras" "$golden/seed_imdb_lstm/model.keras" \
  '^format +Keras 3 \.keras archive' '^keras +3\.15\.1$' "^model +Sequential 'sequential', 4 layers" \
  '^  embedding +Embedding +vars/0 \(50, 8\)$' '^  lstm +LSTM +cell/vars/0 \(8, 24\)$' \
  '^ +cell/vars/2 \(24,\)$' '^  dense +Dense +vars/0 \(6, 1\)$' '^ +vars/1 \(1,\)$'
info_has "time_distributed_dense model.keras" "$golden/time_distributed_dense/model.keras" \
  '^  time_distributed +TimeDistributed\(Dense\) +layer/vars/0 \(4, 2\)$'
info_has "functional_lstm model.keras (repeated class: lstm, lstm_1)" "$golden/functional_lstm/model.keras" \
  "^model +Functional 'functional', 4 layers" '^  lstm +LSTM +cell/vars/0 \(3, 16\)$' \
  '^  lstm_1 +LSTM +cell/vars/0 \(4, 12\)$' '^ +cell/vars/2 \(12,\)$'

# Keras 3 .weights.h5: no version, layer keys and dataset paths in natural order
info_has "bidi_concat model.weights.h5" "$golden/bidi_concat/model.weights.h5" \
  '^format +Keras 3 weights HDF5' '^keras +\(version not recorded\)' \
  '^  bidirectional +backward_layer/cell/vars/0 \(3, 16\)$' '^ +forward_layer/cell/vars/2 \(16,\)$'
out=$("$build/clrnn-info" file "$golden/bidi_concat/model.weights.h5")
check "backward_layer before forward_layer, vars/0 1 2 in order" \
  [ "$(grep -oE '(backward|forward)_layer/cell/vars/[0-9]+' <<<"$out" | tr '\n' ' ')" = \
    "backward_layer/cell/vars/0 backward_layer/cell/vars/1 backward_layer/cell/vars/2 forward_layer/cell/vars/0 forward_layer/cell/vars/1 forward_layer/cell/vars/2 " ]

# a JSON architecture, alone and with --weights in either HDF5 layout
info_has "functional_lstm model.json" "$golden/functional_lstm/model.json" \
  '^format +Keras 3 architecture JSON' '^weights +none' '^  lstm_1 +LSTM$'
extra=(--weights "$golden/functional_lstm/model.weights.h5")
info_has "model.json --weights model.weights.h5" "$golden/functional_lstm/model.json" \
  '^weights +.*model\.weights\.h5 \(Keras 3 weights HDF5\): 8 arrays, 232 parameters$' \
  '^  lstm_1 +LSTM +cell/vars/0 \(4, 12\)$' '^ +cell/vars/1 \(3, 12\)$' '^  dense +Dense +vars/0 \(3, 2\)$'
extra=(--weights "$golden/functional_lstm/model.h5")
info_has "model.json --weights model.h5" "$golden/functional_lstm/model.json" \
  '^  lstm_1 +LSTM +lstm_1/lstm_cell/kernel \(4, 12\)$'
extra=()

# a model clrnn-train wrote (needs a device to train)
if "$build/clrnn-info" devices >/dev/null 2>&1; then
  "$build/clrnn-data" reber --out "$scratch/r.h5" --samples 100 --test-samples 20 >/dev/null
  "$build/clrnn-train" --layers "lstm(8) dense(1,sigmoid)" --data "$scratch/r.h5" --out "$scratch/m.h5" --epochs 1 --quiet
  info_has "clrnn-written m.h5" "$scratch/m.h5" \
    '^format +Keras legacy full-model HDF5 \(model_config, training_config, model_weights' \
    '^keras +[0-9.]+ \(backend ' '^training +loss binary_crossentropy, metrics accuracy, optimizer Adam' \
    '^  lstm +LSTM +lstm/lstm_cell/kernel:0 \(7, 32\)$' '^ +lstm/lstm_cell/recurrent_kernel:0 \(8, 32\)$' \
    '^  dense +Dense +dense/kernel:0 \(8, 1\)$'
  # the epochs it trained and the vocabulary it carries (a text model)
  "$build/clrnn-train" --resume "$scratch/m.h5" --data "$scratch/r.h5" --out "$scratch/m3.h5" --epochs 3 --quiet
  info_has "epochs trained" "$scratch/m3.h5" '^epochs +3 trained$'
  "$build/clrnn-data" text --builtin fables --window 8 --step 400 --out "$scratch/c.h5" >/dev/null
  "$build/clrnn-train" --layers "embedding(59,4) lstm(4) dense(59,softmax)" --data "$scratch/c.h5" --out "$scratch/c.model.h5" --epochs 1 --quiet
  info_has "a character model's vocabulary" "$scratch/c.model.h5" '^vocabulary 59 tokens, character level \(clrnn_vocabulary\)$' '^epochs +1 trained$'
  "$build/clrnn-data" text --builtin fables --level word --max-tokens 40 --window 8 --step 100 --out "$scratch/w.h5" >/dev/null
  "$build/clrnn-train" --layers "embedding(40,4) lstm(4) dense(40,softmax)" --data "$scratch/w.h5" --out "$scratch/w.model.h5" --epochs 1 --quiet
  info_has "a word model's vocabulary" "$scratch/w.model.h5" '^vocabulary 40 tokens, word level, 0 padding, 1 \[UNK\] \(clrnn_vocabulary\)$'
  # a Keras 2 to_json architecture, its weights from that file
  echo '{"class_name": "Sequential", "config": {"name": "sequential", "layers": [{"class_name": "LSTM", "config": {"name": "lstm", "units": 8}}, {"class_name": "Dense", "config": {"name": "dense", "units": 1}}]}, "keras_version": "2.15.0", "backend": "tensorflow"}' > "$scratch/k2.json"
  extra=(--weights "$scratch/m.h5")
  info_has "Keras 2 JSON --weights m.h5" "$scratch/k2.json" '^format +Keras architecture JSON' \
    '^keras +2\.15\.0 \(backend tensorflow\)' "^model +Sequential 'sequential', 2 layers" \
    '^  lstm +LSTM +lstm/lstm_cell/kernel:0 \(7, 32\)$'
  extra=()
  # clrnn-info verify: the test vector saved with the model, recomputed on this device
  out=$("$build/clrnn-info" verify "$scratch/m.h5")
  check "verify recomputes the test vector ($out)" grep -q 'test vector recomputed on .*: ok$' <<< "$out"
  out=$("$build/clrnn-info" verify "$golden/lstm/model.h5")
  check "a Keras file has no test vector ($out)" grep -q 'no test vector' <<< "$out"
else
  echo "no OpenCL device: skipping the clrnn-trained model" >&2
fi

# bad files: one line naming the file, exit 1
info_fails "a missing file" "^clrnn-info: error: .*nothere\.h5: No such file" "$scratch/nothere.h5"
echo "just some text" > "$scratch/notes.txt"
info_fails "a text file" "^clrnn-info: error: .*notes\.txt: not a Keras model file" "$scratch/notes.txt"
head -c 1000 "$golden/seed_imdb_lstm/model.h5" > "$scratch/cut.h5"
info_fails "a truncated .h5" "^clrnn-info: error: .*cut\.h5" "$scratch/cut.h5"
head -c 1000 "$golden/seed_imdb_lstm/model.keras" > "$scratch/cut.keras"
info_fails "a truncated .keras" "^clrnn-info: error: .*cut\.keras" "$scratch/cut.keras"
echo '{"class_name": "Sequential", "config": ' > "$scratch/broken.json"
info_fails "broken JSON" "^clrnn-info: error: .*broken\.json: not valid JSON" "$scratch/broken.json"
echo '{"a": 1}' > "$scratch/other.json"
info_fails "JSON that is not a model" "^clrnn-info: error: .*other\.json: .*not a Keras model" "$scratch/other.json"
info_fails "data file, not a model" "^clrnn-info: error: .*" "$golden/seed_imdb_lstm/io.h5"
info_fails "missing --weights file" "^clrnn-info: error: .*nothere\.weights\.h5" \
  "$golden/functional_lstm/model.json" --weights "$scratch/nothere.weights.h5"
"$build/clrnn-info" file "$golden/lstm/model.h5" --weights x.h5 >/dev/null 2>&1
check "--weights with an .h5 model is a usage error (exit 2)" [ $? -eq 2 ]
finish
