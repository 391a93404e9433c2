#!/usr/bin/env bash
# clrnn-generate on a small character-level model trained here (one quick epoch on the
# built-in text; the quality is not the point, the behaviour is): the output starts with the
# seed and holds exactly --length more characters, all from the model's vocabulary; the same
# --rng-seed gives the same text and another one other text; temperature 0 and --top-k 1
# both take the most likely token every time (and so ignore the seed of the sampler);
# word-level models generate words, from a seed normalized as clrnn-data normalized the
# corpus, and --no-oov keeps [UNK] out of them; and the error paths: a model without vocabulary, a seed
# character outside it, training on data whose vocabulary is not the model's, a
# Bidirectional model, a missing --seed (usage, exit 2).
source "$(dirname "$0")/e2e_common.sh"
require_device
gen="$build/clrnn-generate"
"$build/clrnn-data" text --builtin fables --window 16 --step 24 --out "$scratch/chars.h5" >/dev/null
vocab=$(h5dump -H -d vocabulary "$scratch/chars.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
"$build/clrnn-train" --layers "embedding($vocab,16) lstm(32) dense($vocab,softmax)" \
  --data "$scratch/chars.h5" --out "$scratch/lm.h5" --epochs 1 --batch-size 64 --lr 0.01 --quiet
seed="The fox and the river"
a=$("$gen" "$scratch/lm.h5" --seed "$seed" --length 60 --rng-seed 4)
b=$("$gen" "$scratch/lm.h5" --seed "$seed" --length 60 --rng-seed 4)
c=$("$gen" "$scratch/lm.h5" --seed "$seed" --length 60 --rng-seed 5)
echo "$a"
check "the output starts with the seed" [ "${a#"$seed"}" != "$a" ]
check "seed + 60 characters (got ${#a})" [ "${#a}" -eq $((${#seed} + 60)) ]
check "the same --rng-seed gives the same text" [ "$a" = "$b" ]
check "another --rng-seed gives other text" [ "$a" != "$c" ]
"$build/clrnn-data" text --builtin fables --print | LC_ALL=C fold -w1 | sort -u > "$scratch/chars.txt"
check "every generated character is in the vocabulary" \
  [ -z "$(printf '%s' "${a#"$seed"}" | LC_ALL=C fold -w1 | sort -u | comm -23 - "$scratch/chars.txt")" ]
g1=$("$gen" "$scratch/lm.h5" --seed "$seed" --length 40 --temperature 0 --rng-seed 1)
g2=$("$gen" "$scratch/lm.h5" --seed "$seed" --length 40 --temperature 0 --rng-seed 9)
k1=$("$gen" "$scratch/lm.h5" --seed "$seed" --length 40 --top-k 1 --rng-seed 3)
check "temperature 0 is greedy: the sampler's seed does not matter" [ "$g1" = "$g2" ]
check "--top-k 1 is greedy too" [ "$g1" = "$k1" ]

"$build/clrnn-data" text --builtin fables --level word --window 6 --step 4 --out "$scratch/words.h5" >/dev/null
wv=$(h5dump -H -d vocabulary "$scratch/words.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
"$build/clrnn-train" --layers "embedding($wv,16) gru(32) dense($wv,softmax)" \
  --data "$scratch/words.h5" --out "$scratch/wlm.h5" --epochs 1 --batch-size 64 --lr 0.01 --quiet
w=$("$gen" "$scratch/wlm.h5" --seed "the keeper of the" --length 12 --rng-seed 2)
echo "$w"
check "a word-level model generates 12 words after the 4 of the seed" [ "$(wc -w <<< "$w")" -eq 16 ]
# the seed is read as clrnn-data read the corpus: lower-cased, punctuation stripped
raw="The Keeper, of THE"
w2=$("$gen" "$scratch/wlm.h5" --seed "$raw" --length 12 --rng-seed 2)
check "a seed with capitals and punctuation goes on as its normalized form does ($w2)" \
  [ "${w2#"$raw"}" = "${w#the keeper of the}" ]
# --no-oov keeps [UNK] out: a vocabulary of 12 ids leaves most words [UNK], which greedy
# generation then repeats
"$build/clrnn-data" text --builtin fables --level word --window 6 --step 4 --max-tokens 12 \
  --out "$scratch/few.h5" >/dev/null
"$build/clrnn-train" --layers "embedding(12,8) gru(16) dense(12,softmax)" \
  --data "$scratch/few.h5" --out "$scratch/few.h5.model.h5" --epochs 1 --batch-size 64 --lr 0.01 --quiet
u=$("$gen" "$scratch/few.h5.model.h5" --seed "the fox" --length 30 --temperature 0)
check "without --no-oov [UNK] is sampled ($u)" grep -qF "[UNK]" <<< "$u"
u=$("$gen" "$scratch/few.h5.model.h5" --seed "the fox" --length 30 --temperature 0 --no-oov)
check "--no-oov: 30 words ($u)" [ "$(wc -w <<< "$u")" -eq 32 ]
check_not "--no-oov: none [UNK]" grep -qF "[UNK]" <<< "$u"
u=$("$gen" "$scratch/few.h5.model.h5" --seed "the fox" --length 200 --rng-seed 3)
check "sampling without --no-oov draws [UNK]" grep -qF "[UNK]" <<< "$u"
u=$("$gen" "$scratch/few.h5.model.h5" --seed "the fox" --length 200 --rng-seed 3 --no-oov)
check_not "--no-oov when sampling: none [UNK]" grep -qF "[UNK]" <<< "$u"

expect_error() { # expect_error STATUS TEXT COMMAND...
  local want=$1 text=$2; shift 2
  local out status
  out=$("$@" 2>&1 >/dev/null)
  status=$?
  check_all "'$text' with exit $want (got $status: $out)" '[ "$status" -eq "$want" ] && grep -q -- "$text" <<< "$out"'
}
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 64 --test-samples 8 >/dev/null
"$build/clrnn-train" --layers "lstm(4) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/plain.h5" --epochs 1 --quiet
expect_error 1 "carries no vocabulary" "$gen" "$scratch/plain.h5" --seed "BT"
expect_error 1 "is not the one the model was trained with" "$build/clrnn-train" \
  --resume "$scratch/lm.h5" --data "$scratch/words.h5" --epochs 2 --out "$scratch/x.h5" --quiet
expect_error 1 "is not in the model's vocabulary" "$gen" "$scratch/lm.h5" --seed "The fox ~"
expect_error 1 "--no-oov: .* is a character-level model" "$gen" "$scratch/lm.h5" --seed "The" --no-oov
expect_error 2 "--seed TEXT is needed" "$gen" "$scratch/lm.h5"
"$build/clrnn-train" --layers "embedding($vocab,8) bidirectional(lstm(4)) dense($vocab,softmax)" \
  --data "$scratch/chars.h5" --out "$scratch/bidi.h5" --epochs 1 --batch-size 64 --quiet
expect_error 1 "cannot generate one step at a time" "$gen" "$scratch/bidi.h5" --seed "The"
finish
