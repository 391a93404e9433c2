#!/usr/bin/env bash
# End to end: SimpleRNN(16, sigmoid) + Dense(1, sigmoid) learns 8-bit binary addition (bits
# least significant first, a per-timestep target) and adds exactly: every bit of every sum
# right on 1000 held-out pairs (per-bit accuracy exactly 1), after a save and load.
source "$(dirname "$0")/e2e_common.sh"
require_device
"$build/clrnn-data" addition --out "$scratch/add.h5" --samples 5000 --test-samples 1000 --seed 3 >/dev/null
check "train addition" "$build/clrnn-train" \
  --layers "simple_rnn(16,activation=sigmoid,return_sequences=true) dense(1,sigmoid)" \
  --data "$scratch/add.h5" --out "$scratch/add_model.h5" --epochs 40 --batch-size 32 \
  --optimizer adam --lr 0.01 --seed 3 --quiet
out=$("$build/clrnn-eval" "$scratch/add_model.h5" --data "$scratch/add.h5" --json)
echo "$out"
acc=$(echo "$out" | json_field accuracy)
samples=$(echo "$out" | json_field samples)
check "evaluated on the 1000 held-out pairs (got $samples)" [ "$samples" = 1000 ]
check "every bit of every held-out sum is right (per-bit accuracy $acc)" [ "$acc" = 1 ]
finish
