#!/usr/bin/env bash
# End to end: a character-level language model on the built-in text (clrnn-data text
# --builtin fables, original prose of about 33 KB, 59 distinct characters): windows of 40
# characters every 3, each labelled with the next character (as in Keras's text generation
# example), and embedding(V,32) lstm(128) dense(V,softmax) trained with
# sparse_categorical_crossentropy. The training loss of the last epoch must fall below
# 2.3 nats per character, well under the unigram entropy of the text (3.02 nats: what a
# model that ignores the context reaches at best).
#
# Measured on 2 CPU cores through PoCL (Release build), 2 epochs of 10971 windows, batch 64,
# adam lr 0.01, clipnorm 1: last-epoch loss 1.965 with seed 1 (1.957 with seed 2), the
# first epoch 2.48-2.52; the whole test took 104 s on an otherwise idle machine (214 s with
# other tests running beside it). Unigram entropy 3.021 nats; a bigram model fitted to the
# text itself gets 2.21. The bound 2.3 is 0.33 above the measured loss (room for other
# seeds, devices and summation orders) and 0.7 below the unigram entropy, so passing needs
# a model that uses the context.
source "$(dirname "$0")/e2e_common.sh"
require_device
bound=2.3
"$build/clrnn-data" text --builtin fables --window 40 --step 3 --out "$scratch/fables.h5"
vocab=$(h5dump -H -d vocabulary "$scratch/fables.h5" 2>/dev/null |
  sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
[ -n "$vocab" ] || vocab=$("$build/clrnn-data" text --builtin fables --print | LC_ALL=C awk '
  BEGIN { RS = "\001" } { for (i = 1; i <= length($0); i++) seen[substr($0, i, 1)] = 1 }
  END { n = 0; for (c in seen) n++; print n }')
# unigram entropy in nats: -sum p log p over the characters (the text is ASCII: bytes)
entropy=$("$build/clrnn-data" text --builtin fables --print | LC_ALL=C awk '
  BEGIN { RS = "\001" }
  { for (i = 1; i <= length($0); i++) { count[substr($0, i, 1)]++; n++ } }
  END { for (c in count) { p = count[c] / n; h -= p * log(p) } printf "%.3f\n", h }')
echo "vocabulary $vocab characters, unigram entropy $entropy nats/char, bound $bound"
check "vocabulary read" [ "${vocab:-0}" -gt 30 ]
check "bound $bound is below the unigram entropy $entropy" at_least "$entropy" "$bound"
start=$(date +%s)
"$build/clrnn-train" --layers "embedding($vocab,32) lstm(128) dense($vocab,softmax)" \
  --data "$scratch/fables.h5" --out "$scratch/charlm.h5" --epochs 2 --batch-size 64 \
  --optimizer adam --lr 0.01 --global-clipnorm 1 --loss sparse_categorical_crossentropy \
  --seed 1 --history "$scratch/history.csv" --quiet
echo "training took $(($(date +%s) - start)) s"
check "training ran" [ -s "$scratch/charlm.h5" ]
cat "$scratch/history.csv"
loss=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "loss") col = i }
  NR > 1 { v = $col } END { print v }' "$scratch/history.csv")
check "last training loss ${loss:-none} < $bound nats/char (unigram $entropy)" at_least "$bound" "${loss:-99}"
finish
