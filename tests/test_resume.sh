#!/usr/bin/env bash
# Checkpoints, --resume and interruptions of clrnn-train:
#  - a run stopped after 2 epochs and resumed to 4 (--resume: weights, optimizer state,
#    epoch count) ends at exactly the weights of an uninterrupted 4-epoch run with the same
#    seed (dropout and shuffling depend on the seed and the epoch only);
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
  h5diff -q "$scratch/full.h5" "$scratch/resumed.h5" /optimizer_weights /optimizer_weights
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

out=$("$build/clrnn-train" --resume "$scratch/full.h5" "${common[@]}" --epochs 4 --out "$scratch/x.h5" 2>&1)
check "resuming a finished run is refused ($out)" [ $? -ne 0 ] && grep -q "trained 4 epochs already" <<< "$out"
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
