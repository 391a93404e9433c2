#!/usr/bin/env bash
# A text model saved as .keras keeps its vocabulary (as the asset assets/clrnn/vocabulary.json,
# which Keras ignores; docs/keras-format.md): a character model trained with --out lm.keras
# generates and scores text (clrnn-generate, clrnn-eval --text) exactly as the same model
# converted to .h5 does, clrnn-info file shows the vocabulary, and, when the Keras 3
# environment is there (tests/keras/.venv), keras.models.load_model(lm.keras) with its
# defaults opens the file and predicts what clrnn predicts (to 1e-5). The Keras 3 JSON pair
# (lm3.json, lm3.weights.h5) keeps it too, as a dataset of its weights file that Keras's
# load_weights does not read: it generates the same text, and Keras 3 loads the pair.
source "$(dirname "$0")/e2e_common.sh"
require_device
here=$(cd "$(dirname "$0")" && pwd)
"$build/clrnn-data" text --builtin fables --window 16 --step 48 --test-fraction 0.05 \
  --out "$scratch/chars.h5" >/dev/null
vocab=$(h5dump -H -d vocabulary "$scratch/chars.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
spec="embedding($vocab,8) lstm(16) dense($vocab,softmax)"
"$build/clrnn-train" --layers "$spec" --data "$scratch/chars.h5" --out "$scratch/lm.keras" \
  --epochs 1 --batch-size 64 --lr 0.01 --seed 3 --quiet
"$build/clrnn-train" --model "$scratch/lm.keras" --data "$scratch/chars.h5" --epochs 0 \
  --out "$scratch/lm.h5" --quiet
"$build/clrnn-train" --model "$scratch/lm.keras" --data "$scratch/chars.h5" --epochs 0 \
  --out "$scratch/lm3.json" --quiet
info=$("$build/clrnn-info" file "$scratch/lm.keras")
check_all "clrnn-info file shows the vocabulary of lm.keras" \
  'grep -q "^vocabulary $vocab tokens, character level (assets/clrnn/vocabulary.json)" <<< "$info"'
seed="The fox and the"
a=$("$build/clrnn-generate" "$scratch/lm.keras" --seed "$seed" --length 40 --rng-seed 4)
b=$("$build/clrnn-generate" "$scratch/lm.h5" --seed "$seed" --length 40 --rng-seed 4)
check "clrnn-generate lm.keras: seed + 40 characters (got ${#a})" [ "${#a}" -eq $((${#seed} + 40)) ]
check "and the text lm.h5 generates" [ "$a" = "$b" ]
c=$("$build/clrnn-generate" "$scratch/lm3.json" --seed "$seed" --length 40 --rng-seed 4)
check "and the text the JSON pair lm3.json + lm3.weights.h5 generates" [ "$a" = "$c" ]
e=$("$build/clrnn-eval" "$scratch/lm.keras" --text "$seed" --json)
f=$("$build/clrnn-eval" "$scratch/lm.h5" --text "$seed" --json)
check_all "clrnn-eval --text lm.keras scores as lm.h5 does ($e)" '[ -n "$e" ] && [ "$e" = "$f" ]'
if [[ "$build" == *asan* ]]; then
  echo "Keras 3: skipped in the ASan build (the same file)" >&2
elif [ -f "$here/keras/.venv/.requirements.installed" ]; then
  "$build/clrnn-eval" "$scratch/lm.keras" --data "$scratch/chars.h5" \
    --predictions "$scratch/lm.pred.h5" >/dev/null
  out=$(bash "$here/keras/keras.sh" interop.py "$scratch/lm.keras" "$scratch/chars.h5" \
    "$scratch/lm.pred.h5" "$spec" "$scratch/lm3.json" "$scratch/chars.h5" \
    "$scratch/lm.pred.h5" "$spec" 2>&1 | grep -v "^WARNING\|^E0000\|cuda")
  echo "$out"
  check "Keras 3 load_model(lm.keras) predicts as clrnn does" grep -q "^ok.*lm.keras" <<< "$out"
  check "Keras 3 loads the JSON pair lm3.json and predicts as clrnn does" \
    grep -q "^ok.*lm3.json" <<< "$out"
else
  echo "Keras 3: skipped (no tests/keras/.venv)" >&2
fi
finish
