#!/usr/bin/env bash
# clrnn-eval --text / --text-file: raw text scored with the vocabulary a model carries.
#  - a Keras model on raw strings (TextVectorization first, tests/keras/golden-tf2): the
#    scores clrnn gives each text are the ones Keras predicted for it (io.h5 y), to 1e-4 (the
#    printed digits); the same without output_sequence_length (each batch of 32 padded to
#    its longest text, io.h5 y_text);
#  - a sentiment model trained by clrnn on clrnn-data labelled reviews scores new positive
#    text above 0.5 and negative text below;
#  - --json gives one object;
#  - a next-character model reads the text as characters, lower-cased as its training text
#    was, and names the character it predicts (below);
#  - errors: a character not in the vocabulary, a model without vocabulary, --text with --data.
source "$(dirname "$0")/e2e_common.sh"
require_device
tv="$(dirname "$0")/keras/golden-tf2/text_vectorization"
"$build/clrnn-eval" "$tv/model.keras" --text-file "$tv/text.txt" > "$scratch/scores.txt"
cat "$scratch/scores.txt"
h5dump -d y "$tv/io.h5" | sed -n 's/.*(\([0-9]*\),0): \([0-9.e-]*\).*/\2/p' > "$scratch/keras.txt"
check "one score per text" [ "$(wc -l < "$scratch/scores.txt")" -eq "$(wc -l < "$tv/text.txt")" ]
check "the scores are Keras's for the raw texts" awk -F'\t' 'NR == FNR { k[FNR] = $1; next }
  { d = $1 - k[FNR]; if (d < 0) d = -d; if (d > 1e-4) bad = 1 } END { exit bad }' \
  "$scratch/keras.txt" "$scratch/scores.txt"
# TextVectorization without output_sequence_length: Keras's predict pads each batch of 32
# texts to its longest (y_text); padding all 40 to the longest of all is off by 1.3e-3
tv="$(dirname "$0")/keras/golden-tf2/text_vectorization_any_length"
"$build/clrnn-eval" "$tv/model.keras" --text-file "$tv/text.txt" > "$scratch/scores.txt"
h5dump -d y_text "$tv/io.h5" | sed -n 's/.*(\([0-9]*\),0): \([0-9.e-]*\).*/\2/p' > "$scratch/keras.txt"
check "one score per text, any length" [ "$(wc -l < "$scratch/scores.txt")" -eq 40 ]
check "the scores are Keras's, each batch padded to its longest text" awk -F'\t' 'NR == FNR { k[FNR] = $1; next }
  { d = $1 - k[FNR]; if (d < 0) d = -d; if (d > 1e-4) bad = 1 } END { exit bad }' \
  "$scratch/keras.txt" "$scratch/scores.txt"

# reviews: positive ones say great/wonderful/superb, negative ones awful/boring/dreadful,
# among filler words, anywhere in the text
awk 'BEGIN { srand(7); split("the a film movie plot actor scene story was is and of it this", f);
  split("great wonderful superb", p); split("awful boring dreadful", n);
  for (i = 0; i < 400; i++) { lab = i % 2; line = "";
    for (k = 0; k < 10; k++) line = line " " f[int(rand() * 14) + 1];
    w = lab ? p[int(rand() * 3) + 1] : n[int(rand() * 3) + 1];
    pos = int(rand() * 10); split(line, ws, " "); out = "";
    for (k = 1; k <= 10; k++) { out = out (k > 1 ? " " : "") ws[k]; if (k == pos) out = out " " w }
    if (pos == 0) out = w " " out;
    print lab "\t" out } }' > "$scratch/reviews.tsv"
"$build/clrnn-data" labelled --tsv "$scratch/reviews.tsv" --maxlen 16 --out "$scratch/reviews.h5" >/dev/null
vocab=$(h5dump -H -d vocabulary "$scratch/reviews.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
"$build/clrnn-train" --layers "embedding($vocab,8) lstm(8) dense(1,sigmoid)" --data "$scratch/reviews.h5" \
  --out "$scratch/sentiment.h5" --epochs 8 --lr 0.01 --seed 3 --quiet
out=$("$build/clrnn-eval" "$scratch/sentiment.h5" --text "What a superb film, the story is great!" \
  --text "A dreadful, boring movie." --text "unknownword")
echo "$out"
pos=$(sed -n 1p <<< "$out" | cut -f1)
neg=$(sed -n 2p <<< "$out" | cut -f1)
check "positive text scores above 0.5 ($pos)" at_least "$pos" 0.5
check "negative text scores below 0.5 ($neg)" at_least 0.5 "$neg"
check "three texts, three lines" [ "$(wc -l <<< "$out")" -eq 3 ]

check "--json: one object, a score a text" python3 -c 'import json, sys
d = json.load(sys.stdin); p = d["predictions"]
assert d["level"] == "word" and len(p) == 2 and p[0]["text"] == "great" and p[0]["score"] > 0.5' \
  < <("$build/clrnn-eval" "$scratch/sentiment.h5" --text "great" --text "awful" --json)

# characters: next-character models of the fables, lower-cased (--lower), reading ids
# (an embedding) and one-hot rows. A text of the window's 12 characters, in capitals, gets
# the prediction that clrnn-eval --predictions gives for the same window in a dataset made
# with the model's vocabulary, window and encoding (the most likely next character, its id
# and probability); a shorter text is read a character at a time, and "wise" and "zzzz"
# differ.
printf 'the fox said.' > "$scratch/window.txt"
for encoding in ids onehot; do
  "$build/clrnn-data" text --builtin fables --lower --window 12 --step 20 --encoding $encoding \
    --out "$scratch/fables_$encoding.h5" >/dev/null
  V=$(h5dump -H -d vocabulary "$scratch/fables_$encoding.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
  layers="lstm(16) dense($V,softmax)"
  [ $encoding = ids ] && layers="embedding($V,8) $layers"
  "$build/clrnn-train" --layers "$layers" --data "$scratch/fables_$encoding.h5" \
    --out "$scratch/charlm_$encoding.h5" --epochs 2 --lr 0.01 --seed 2 --quiet
  "$build/clrnn-data" text --in "$scratch/window.txt" --step 1 \
    --vocabulary-from "$scratch/charlm_$encoding.h5" --out "$scratch/window_$encoding.h5" >/dev/null
  "$build/clrnn-eval" "$scratch/charlm_$encoding.h5" --data "$scratch/window_$encoding.h5" --split train \
    --predictions "$scratch/window_$encoding.csv" >/dev/null
  want=$(awk -F, '{ b = 1; for (i = 2; i <= NF; i++) if ($i > $b) b = i; print b - 1, $b }' "$scratch/window_$encoding.csv")
  json=$("$build/clrnn-eval" "$scratch/charlm_$encoding.h5" --text "THE FOX SAID" --json)
  echo "$encoding: --predictions: $want; --text: $json"
  check "$encoding: --text is --predictions for the same window" python3 -c 'import json, sys
d = json.loads(sys.argv[1]); p = d["predictions"][0]; want = sys.argv[2].split()
assert d["level"] == "char" and p["id"] == int(want[0]), (p, want)
assert abs(p["probability"] - float(want[1])) < 1e-6, (p, want)' "$json" "$want"
  out=$("$build/clrnn-eval" "$scratch/charlm_$encoding.h5" --text "THE FOX SAID" --text "wise" --text "zzzz")
  echo "$out"
  token=$(python3 -c 'import json, sys; t = json.loads(sys.argv[1])["predictions"][0]["token"]
print({"\n": "\\n", "\t": "\\t"}.get(t, t))' "$json")
  check "$encoding: the line names the predicted character '$token'" \
    [ "$(sed -n 1p <<<"$out" | cut -f1)" = "$token" ]
  check "$encoding: 'wise' and 'zzzz' are read as their characters" \
    [ "$(sed -n 2p <<<"$out" | cut -f1,2)" != "$(sed -n 3p <<<"$out" | cut -f1,2)" ]
  check "$encoding: a short text in capitals is the lower-case one" [ "$("$build/clrnn-eval" \
    "$scratch/charlm_$encoding.h5" --text "WISE" | cut -f1,2)" = "$(sed -n 2p <<<"$out" | cut -f1,2)" ]
done
expect 1 "--text: 'caf.*': the character '.*' \(U\+00E9, character 4\) is not in the model's vocabulary" \
  "$build/clrnn-eval" "$scratch/charlm_ids.h5" --text "$(printf 'caf\xc3\xa9')"

"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 64 --test-samples 8 >/dev/null
"$build/clrnn-train" --layers "lstm(4) dense(1,sigmoid)" --data "$scratch/reber.h5" --out "$scratch/plain.h5" --epochs 1 --quiet
err=$("$build/clrnn-eval" "$scratch/plain.h5" --text "hello" 2>&1)
status=$?
check_all "a model without vocabulary: exit 1 and why ($err)" '[ $status -eq 1 ] && grep -q "carries no vocabulary" <<< "$err"'
err=$("$build/clrnn-eval" "$scratch/sentiment.h5" --text "hello" --data "$scratch/reviews.h5" 2>&1)
check "--text with --data: usage error ($err)" [ $? -eq 2 ]
finish
