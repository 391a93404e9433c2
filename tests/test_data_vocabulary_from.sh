#!/usr/bin/env bash
# Vocabularies that travel with the model:
#  - clrnn-eval refuses a dataset whose vocabulary is not the model's (a character model on
#    another text's windows), with one line naming both, exit 1;
#  - clrnn-data text --vocabulary-from MODEL numbers a text with the model's vocabulary, its
#    level and case: the model's own corpus gives the very dataset it was trained on, and
#    another text one that clrnn-eval accepts; a character the model lacks is an error;
#    the same for a word model (unknown words [UNK]);
#  - clrnn-data labelled --vocabulary-from MODEL: new reviews in a CSV, scored by a trained
#    sentiment model through that dataset, get the accuracy that clrnn-eval --text-file
#    gives on the same reviews (the same count right), and the training reviews give the
#    training dataset again.
source "$(dirname "$0")/e2e_common.sh"
require_device
vocab_size() { h5dump -H -d vocabulary "$1" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p'; }

# characters, lower-cased (--lower): a model of the fables
"$build/clrnn-data" text --builtin fables --lower --window 10 --step 40 --out "$scratch/fables.h5" >/dev/null
V=$(vocab_size "$scratch/fables.h5")
"$build/clrnn-train" --layers "embedding($V,8) lstm(16) dense($V,softmax)" --data "$scratch/fables.h5" \
  --out "$scratch/charlm.h5" --epochs 1 --seed 1 --quiet
printf 'The Quick brown fox jumps over the lazy dog, and the Dog sleeps.\n%.0s' 1 2 3 4 > "$scratch/other.txt"
"$build/clrnn-data" text --in "$scratch/other.txt" --window 10 --step 3 --out "$scratch/other.h5" >/dev/null
expect 1 "other.h5: its vocabulary \([0-9]+ tokens\) is not the one the model was trained with \(.*charlm.h5, $V tokens\): id [0-9]+ is '.*' there and '.*' in the model" \
  "$build/clrnn-eval" "$scratch/charlm.h5" --data "$scratch/other.h5" --split train
"$build/clrnn-data" text --builtin fables --window 10 --step 40 --vocabulary-from "$scratch/charlm.h5" \
  --out "$scratch/fables_again.h5" >/dev/null
check "the model's corpus through its vocabulary is its training dataset (lower-cased as it was)" \
  h5diff "$scratch/fables.h5" "$scratch/fables_again.h5"
"$build/clrnn-data" text --in "$scratch/other.txt" --window 10 --step 3 --vocabulary-from "$scratch/charlm.h5" \
  --out "$scratch/other_v.h5" >/dev/null
check "another text through the model's vocabulary has the model's $V tokens" [ "$(vocab_size "$scratch/other_v.h5")" = "$V" ]
out=$("$build/clrnn-eval" "$scratch/charlm.h5" --data "$scratch/other_v.h5" --split train --json)
check "clrnn-eval accepts it: $out" grep -q '"samples": 84,' <<<"$out"
printf 'caf\xc3\xa9 au lait\n' > "$scratch/accent.txt"
expect 1 "text: .*accent.txt: the character 'é' \(U\+00E9, character 4\) is not in the model's vocabulary of $V characters" \
  "$build/clrnn-data" text --in "$scratch/accent.txt" --window 3 --vocabulary-from "$scratch/charlm.h5" --out "$scratch/x.h5"
expect 2 "--vocabulary-from tokenizes as the model's vocabulary does" \
  "$build/clrnn-data" text --in "$scratch/other.txt" --level word --vocabulary-from "$scratch/charlm.h5" --out "$scratch/x.h5"

# words: a next-word model of the fables' 60 most frequent words (--max-tokens); the same
# text through its vocabulary (its window taken from the model) is its training dataset,
# the words it left out [UNK] again; clrnn-eval --text names the word it predicts
"$build/clrnn-data" text --builtin fables --level word --max-tokens 60 --window 5 --step 7 \
  --out "$scratch/words.h5" >/dev/null
"$build/clrnn-train" --layers "embedding(60,4) lstm(4) dense(60,softmax)" --data "$scratch/words.h5" \
  --out "$scratch/wordlm.h5" --epochs 1 --seed 1 --quiet
"$build/clrnn-data" text --builtin fables --step 7 --vocabulary-from "$scratch/wordlm.h5" \
  --out "$scratch/words_again.h5" >/dev/null
check "a word model's corpus through its vocabulary is its training dataset" \
  h5diff "$scratch/words.h5" "$scratch/words_again.h5"
out=$("$build/clrnn-eval" "$scratch/wordlm.h5" --text "The Fox and the crow, said")
echo "$out"
word=$(cut -f1 <<<"$out")
check "a word model's prediction is a word of its vocabulary ($word)" \
  grep -qxF -- "$word" <(h5dump -d vocabulary "$scratch/words.h5" | sed -n '/DATA {/,$p' | grep -o '"[^"]*"' | tr -d '"')

# words: a sentiment model of reviews (positive ones say great/wonderful/superb, negative
# ones awful/boring/dreadful, among filler words), then new reviews with words it never saw
reviews() { # reviews SEED COUNT SEPARATOR EXTRA_WORDS
  awk -v seed="$1" -v count="$2" -v sep="$3" -v extra="$4" 'BEGIN { srand(seed);
    n = split("the a film movie plot actor scene story was is and of it this " extra, f);
    split("great wonderful superb", p); split("awful boring dreadful", q);
    for (i = 0; i < count; i++) { lab = i % 2; line = "";
      for (k = 0; k < 10; k++) line = line (k ? " " : "") f[int(rand() * n) + 1];
      if (rand() < 0.8) line = line " " (lab ? p[int(rand() * 3) + 1] : q[int(rand() * 3) + 1]);
      print lab sep line } }'
}
reviews 7 400 '\t' "" > "$scratch/train.tsv"
"$build/clrnn-data" labelled --tsv "$scratch/train.tsv" --maxlen 16 --out "$scratch/reviews.h5" >/dev/null
V=$(vocab_size "$scratch/reviews.h5")
"$build/clrnn-train" --layers "embedding($V,8) lstm(8) dense(1,sigmoid)" --data "$scratch/reviews.h5" \
  --out "$scratch/sentiment.h5" --epochs 4 --lr 0.01 --seed 3 --quiet
reviews 11 300 ',' "Plot! twist; cinema, popcorn" > "$scratch/new.csv"
cut -d, -f2- "$scratch/new.csv" > "$scratch/new.txt"
"$build/clrnn-data" labelled --csv "$scratch/new.csv" --vocabulary-from "$scratch/sentiment.h5" \
  --out "$scratch/new.h5" >/dev/null
check "the new reviews' dataset has the model's vocabulary" [ "$(vocab_size "$scratch/new.h5")" = "$V" ]
out=$("$build/clrnn-eval" "$scratch/sentiment.h5" --data "$scratch/new.h5" --split train --json)
echo "clrnn-eval --data: $out"
acc=$(json_field accuracy <<<"$out")
right=$("$build/clrnn-eval" "$scratch/sentiment.h5" --text-file "$scratch/new.txt" |
  paste - "$scratch/new.csv" | awk -F'\t' '{ split($3, l, ","); right += (($1 > 0.5) == l[1]) }
  END { print right }')
echo "clrnn-eval --text-file: $right of 300 right"
check "the dataset's accuracy ($acc) is --text-file's ($right / 300)" \
  awk -v a="$acc" -v r="$right" 'BEGIN { d = a * 300 - r; exit !(d < 1e-3 && d > -1e-3) }'
check "not every review is right (so the comparison shows something): $right" [ "$right" -lt 300 ]
"$build/clrnn-data" labelled --tsv "$scratch/train.tsv" --vocabulary-from "$scratch/sentiment.h5" \
  --out "$scratch/reviews_again.h5" >/dev/null
check "the training reviews through the model's vocabulary are its training dataset" \
  h5diff "$scratch/reviews.h5" "$scratch/reviews_again.h5"
expect 2 "--vocabulary-from numbers the words as the model's vocabulary does" \
  "$build/clrnn-data" labelled --csv "$scratch/new.csv" --vocabulary-from "$scratch/sentiment.h5" \
  --max-tokens 10 --out "$scratch/x.h5"
expect 1 "--vocabulary-from .*reviews.h5: .*not a model file|--vocabulary-from .*charlm.h5: the model's vocabulary is of characters" \
  "$build/clrnn-data" labelled --csv "$scratch/new.csv" --vocabulary-from "$scratch/charlm.h5" --out "$scratch/x.h5"
finish
