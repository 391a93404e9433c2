#!/usr/bin/env bash
# Checkpoints, --resume and interruptions of clrnn-train:
#  - a run stopped after 2 epochs and resumed to 4 (--resume: weights, optimizer state,
#    epoch count) ends at exactly the weights of an uninterrupted 4-epoch run with the same
#    seed (dropout and shuffling depend on the seed and the epoch only), from each format
#    clrnn saves a whole model in: .h5, .keras, and the Keras 2 and Keras 3 JSON pairs;
#  - --checkpoint rewrites the model after every epoch, atomically: SIGKILL at random moments
#    (in training and in checkpoint writes) always leaves the last checkpoint whole, and
#    --resume goes on from it;
#  - Ctrl-C (SIGINT) stops after the current batch, saves the weights so far to --out and
#    exits 130;
#  - a full disk while a checkpoint is written fails with one line and leaves the previous
#    checkpoint as it was;
#  - resuming a model that has trained --epochs already, or from a missing file, is one
#    clear error;
#  - the command that made a checkpoint plus --resume goes on (refused only for another
#    architecture), appending to --history and plotting every epoch.
source "$(dirname "$0")/e2e_common.sh"
require_device
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 600 --test-samples 50 --seed 4 >/dev/null
layers="lstm(12,dropout=0.2,recurrent_dropout=0.1) dropout(0.3) dense(1,sigmoid)"
common=(--data "$scratch/reber.h5" --batch-size 32 --optimizer adam --lr 0.01 --seed 7 --quiet)
"$build/clrnn-train" --layers "$layers" "${common[@]}" --epochs 4 --out "$scratch/full.h5"
"$build/clrnn-train" --layers "$layers" "${common[@]}" --epochs 2 --out "$scratch/half.h5"
"$build/clrnn-train" --resume "$scratch/half.h5" "${common[@]}" --epochs 4 \
  --history "$scratch/resumed.csv" --out "$scratch/resumed.h5"
check "the resumed run trained epochs 3 and 4" [ "$(cut -d, -f1 "$scratch/resumed.csv" | tail -n +2 | tr '\n' ' ')" = "2 3 " ]
check "2 + 2 resumed epochs end at the weights of 4 epochs, bit for bit" \
  h5diff -q "$scratch/full.h5" "$scratch/resumed.h5" /model_weights /model_weights
check "and at the same optimizer state" \
  h5diff -q "$scratch/full.h5" "$scratch/resumed.h5" /clrnn_optimizer_weights /clrnn_optimizer_weights
# without the optimizer state (a fresh Adam) the weights would differ: the check has teeth
"$build/clrnn-train" --resume "$scratch/half.h5" "${common[@]}" --epochs 4 --lr 0.0100001 \
  --out "$scratch/fresh.h5"
check_not "a fresh optimizer state ends elsewhere" \
  h5diff -q "$scratch/full.h5" "$scratch/fresh.h5" /model_weights /model_weights

# the command that made the checkpoint, plus --resume, goes on from it (as Keras users rerun
# a script with initial_epoch); --history appends, as CSVLogger(append=True), and --plot
# draws every epoch, those before the checkpoint too
"$build/clrnn-train" --layers "$layers" "${common[@]}" --epochs 2 --history "$scratch/h.csv" \
  --out "$scratch/half2.h5"
check "the same command plus --resume goes on" "$build/clrnn-train" --layers "$layers" \
  "${common[@]}" --epochs 4 --history "$scratch/h.csv" --plot "$scratch/h.svg" \
  --resume "$scratch/half2.h5" --out "$scratch/resumed2.h5"
check "and ends at the weights of 4 epochs, bit for bit" \
  h5diff -q "$scratch/full.h5" "$scratch/resumed2.h5" /model_weights /model_weights
check "--history appended: one header, epochs 0 to 3 ($(tr '\n' ' ' < "$scratch/h.csv"))" \
  [ "$(cut -d, -f1 "$scratch/h.csv" | tr '\n' ' ')" = "epoch 0 1 2 3 " ]
check "--plot draws the 4 epochs" \
  [ "$(grep -o "points='[^']*'" "$scratch/h.svg" | head -n 1 | grep -o , | wc -l)" -eq 4 ]
expect 1 "^clrnn-train: error: --resume $scratch/half2.h5: its architecture is not the one --layers gives \(the checkpoint has 'lstm \(LSTM\) \(None, 12\) 960' where --layers gives 'lstm \(LSTM\) \(None, 13\) 1092'\)" \
  "$build/clrnn-train" --layers "${layers/lstm(12/lstm(13}" "${common[@]}" --epochs 4 \
  --resume "$scratch/half2.h5" --out "$scratch/x.h5"
expect 1 "its layers are those --layers gives, but with other settings" \
  "$build/clrnn-train" --layers "${layers/sigmoid/tanh}" "${common[@]}" --epochs 4 \
  --resume "$scratch/half2.h5" --out "$scratch/x.h5"
expect 2 "give --model or --layers, not both" "$build/clrnn-train" --layers "$layers" \
  --model "$scratch/half2.h5" "${common[@]}" --epochs 4 --out "$scratch/x.h5"
# every other format clrnn writes a whole model in resumes exactly too: the .keras archive
# (the optimizer's variables in model.weights.h5's optimizer/vars as Keras 3 keeps them,
# the epochs in metadata.json) and the architecture JSON pairs (Keras 2's: NAME.h5 as
# save_weights plus clrnn's training_config and clrnn_optimizer_weights; Keras 3's: NAME.weights.h5
# with optimizer/vars). Compared by what clrnn loads back: every weight and every
# optimizer variable, bit for bit.
k3_arch="$scratch/k3_arch.json"  # a Keras 3 architecture: its JSON pair is Keras 3's
cat > "$k3_arch" <<'JSON'
{"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, null, 7]}},
 {"module": "keras.layers", "class_name": "LSTM", "config": {"name": "lstm", "units": 12,
  "dropout": 0.2, "recurrent_dropout": 0.1}},
 {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "dropout", "rate": 0.3}},
 {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 1,
  "activation": "sigmoid"}}]}}
JSON
as_h5() { # as_h5 MODEL OUT: converted by clrnn-train --epochs 0, which keeps the weights and
  # the optimizer's state (a JSON with the weights clrnn wrote beside it)
  local weights=()
  case "$1" in
    *.json) weights=(--weights "${1%.json}.weights.h5")
            [ -e "${weights[1]}" ] || weights=(--weights "${1%.json}.h5") ;;
  esac
  "$build/clrnn-train" --model "$1" "${weights[@]}" --data "$scratch/reber.h5" --epochs 0 \
    --out "$2" --quiet
}
same_state() { # same_state A B: the weights and optimizer variables clrnn loads from each
  as_h5 "$1" "$scratch/a.h5" && as_h5 "$2" "$scratch/b.h5" &&
    h5diff -q "$scratch/a.h5" "$scratch/b.h5" /model_weights /model_weights &&
    h5diff -q "$scratch/a.h5" "$scratch/b.h5" /clrnn_optimizer_weights /clrnn_optimizer_weights
}
for kind in keras k2json k3json; do
  case $kind in
    keras) ext=keras; model=(--layers "$layers") ;;
    k2json) ext=json; model=(--layers "$layers") ;;
    k3json) ext=json; model=(--model "$k3_arch") ;;
  esac
  "$build/clrnn-train" "${model[@]}" "${common[@]}" --epochs 4 --out "$scratch/$kind-full.$ext"
  "$build/clrnn-train" "${model[@]}" "${common[@]}" --epochs 2 --out "$scratch/$kind-half.$ext"
  "$build/clrnn-train" --resume "$scratch/$kind-half.$ext" "${common[@]}" --epochs 4 \
    --history "$scratch/$kind.csv" --out "$scratch/$kind-resumed.$ext"
  check "$kind: the resumed run trained epochs 3 and 4" \
    [ "$(cut -d, -f1 "$scratch/$kind.csv" | tail -n +2 | tr '\n' ' ')" = "2 3 " ]
  check "$kind: 2 + 2 resumed epochs end at the weights and optimizer state of 4, bit for bit" \
    same_state "$scratch/$kind-full.$ext" "$scratch/$kind-resumed.$ext"
  "$build/clrnn-train" --resume "$scratch/$kind-half.$ext" "${common[@]}" --epochs 4 \
    --lr 0.0100001 --out "$scratch/$kind-fresh.$ext"
  check_not "$kind: another optimizer state ends elsewhere" \
    same_state "$scratch/$kind-full.$ext" "$scratch/$kind-fresh.$ext"
done
# a .keras written by clrnn before its epoch count moved to metadata.json kept it in
# compile_config: such a file still resumes after its epochs
mkdir "$scratch/old"
(cd "$scratch/old" && unzip -q ../keras-half.keras && rm metadata.json &&
  sed -i 's/"compile_config":{/"compile_config":{"clrnn_epochs_done":2,/' config.json &&
  zip -q ../old.keras config.json model.weights.h5)
out=$("$build/clrnn-train" --resume "$scratch/old.keras" "${common[@]}" --epochs 4 \
      --out "$scratch/old-resumed.keras" --history "$scratch/old.csv" 2>&1)
check "an older .keras (epochs in compile_config) resumes after epoch 2 ($out)" \
  [ "$(cut -d, -f1 "$scratch/old.csv" | tail -n +2 | tr '\n' ' ')" = "2 3 " ]
check "the Keras 3 pair is NAME.json + NAME.weights.h5" [ -e "$scratch/k3json-full.weights.h5" ]
check "the Keras 2 pair is NAME.json + NAME.h5" [ -e "$scratch/k2json-full.h5" ]

out=$("$build/clrnn-train" --resume "$scratch/full.h5" "${common[@]}" --epochs 4 --out "$scratch/x.h5" 2>&1)
status=$?
check_all "resuming a finished run is refused ($out)" '[ $status -ne 0 ] && grep -q "trained 4 epochs already" <<< "$out"'
out=$("$build/clrnn-train" --resume "$scratch/missing.h5" "${common[@]}" --epochs 4 --out "$scratch/x.h5" 2>&1)
check "resuming from a missing file is one clear line ($out)" [ "$(wc -l <<< "$out")" -eq 1 ]

# SIGKILL at random moments: the checkpoint is always a whole model that --resume takes
kills=0
for delay in 0.9 1.3 1.7 2.1 2.6 3.2; do
  "$build/clrnn-train" --layers "$layers" "${common[@]}" --epochs 200 --batch-size 8 \
    --checkpoint "$scratch/ck.h5" --out "$scratch/never.h5" &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  if [ -e "$scratch/ck.h5" ]; then
    check "after SIGKILL at ${delay}s the checkpoint opens" "$build/clrnn-info" file "$scratch/ck.h5" >/dev/null
  fi
done
check "training was killed ($kills times)" [ "$kills" -ge 4 ]
check "a checkpoint was written before the kills" [ -e "$scratch/ck.h5" ]
done_epochs=$("$build/clrnn-info" file "$scratch/ck.h5" >/dev/null && h5dump -a training_config "$scratch/ck.h5" | grep -o 'clrnn_epochs_done[^0-9]*[0-9]*' | grep -o '[0-9]*$')
echo "last checkpoint after $done_epochs epochs"
check "the last checkpoint resumes" "$build/clrnn-train" --resume "$scratch/ck.h5" "${common[@]}" \
  --batch-size 8 --epochs $((done_epochs + 1)) --out "$scratch/after_kill.h5"
check "no temporary files are left beside it but the killed run's" \
  [ "$(ls "$scratch" | grep -c '\.tmp-')" -le "$kills" ]

# a full disk while saving (simulated with a file size limit, SIGXFSZ ignored so writes
# fail with EFBIG as they would with ENOSPC): one clear line, exit 1, the previous
# checkpoint unchanged and no temporary file left
"$build/clrnn-train" --layers "lstm(200) dense(1,sigmoid)" "${common[@]}" --epochs 1 \
  --checkpoint "$scratch/big.h5" --out "$scratch/big_out.h5"
cp "$scratch/big.h5" "$scratch/big_before.h5"
err=$(trap '' XFSZ; ulimit -f 1024
      "$build/clrnn-train" --resume "$scratch/big.h5" "${common[@]}" --epochs 3 \
        --checkpoint "$scratch/big.h5" --out "$scratch/big_out2.h5" 2>&1)
status=$?
echo "$err"
check "a full disk while checkpointing: exit 1 (got $status)" [ "$status" -eq 1 ]
check "one line saying so" grep -q "writing .* bytes failed: File too large (is the disk full?)" <<< "$err"
check "the previous checkpoint is unchanged" cmp -s "$scratch/big.h5" "$scratch/big_before.h5"
check "no temporary file is left" [ -z "$(ls "$scratch" | grep 'big.*\.tmp-')" ]

# Ctrl-C: stop after the current batch, save, exit 130
"$build/clrnn-train" --layers "$layers" "${common[@]}" --epochs 500 --batch-size 8 \
  --out "$scratch/interrupted.h5" 2> "$scratch/sigint.txt" &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
status=$?
cat "$scratch/sigint.txt"
check "SIGINT exits 130 (got $status)" [ "$status" -eq 130 ]
check "SIGINT saves the weights so far" "$build/clrnn-eval" "$scratch/interrupted.h5" --data "$scratch/reber.h5" --json
finish
