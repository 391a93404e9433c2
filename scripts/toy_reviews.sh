#!/usr/bin/env bash
# Writes a toy review corpus in the aclImdb layout (DIR/{train,test}/{pos,neg}/N_R.txt) for
# trying clrnn's sentiment walk-through without the real IMDB download: reviews of 40 to 400
# words from a vocabulary of about 3000 made-up words, each carrying 1 to 4 words of its
# sentiment anywhere in the text (and, one time in five, one word of the other), in
# sentences with punctuation and <br /> breaks as real reviews have. The same arguments
# always write the same files.
#   scripts/toy_reviews.sh DIR [TRAIN_PER_CLASS (2000)] [TEST_PER_CLASS (500)]
set -euo pipefail
dir=${1:?usage: toy_reviews.sh DIR [TRAIN_PER_CLASS] [TEST_PER_CLASS]}
train=${2:-2000}
test=${3:-500}
LC_ALL=C awk -v root="$dir" -v ntrain="$train" -v ntest="$test" 'BEGIN {
  srand(11)
  split("ka lo mi re tu sa ne vo pi da fe gu bo ri", syl, " ")
  for (i = 1; i <= 3000; i++) {   # made-up words of two to four syllables
    nw = ""; k = 2 + int(rand() * 3)
    for (j = 0; j < k; j++) nw = nw syl[1 + int(rand() * 14)]
    word[i] = nw
  }
  np = split("great wonderful excellent superb loved brilliant moving delightful", pos, " ")
  nn = split("awful boring terrible worst hated dull mess disappointing", neg, " ")
  for (s = 0; s < 2; s++) for (c = 0; c < 2; c++) {
    d = sprintf("%s/%s/%s", root, s ? "test" : "train", c ? "pos" : "neg")
    system("mkdir -p \"" d "\"")
    for (i = 0; i < (s ? ntest : ntrain); i++) {
      n = 40 + int(rand() * 361)
      for (t = 1; t <= n; t++) w[t] = word[1 + int(rand() * rand() * 3000)]  # common words more often
      k = 1 + int(rand() * 4)
      for (j = 0; j < k; j++) w[1 + int(rand() * n)] = c ? pos[1 + int(rand() * np)] : neg[1 + int(rand() * nn)]
      if (rand() < 0.2) w[1 + int(rand() * n)] = c ? neg[1 + int(rand() * nn)] : pos[1 + int(rand() * np)]
      line = toupper(substr(w[1], 1, 1)) substr(w[1], 2)
      for (t = 2; t <= n; t++) line = line (rand() < 0.08 ? ". <br /><br />" : rand() < 0.05 ? ", " : " ") w[t]
      f = sprintf("%s/%d_%d.txt", d, i, c ? 7 + int(rand() * 4) : 1 + int(rand() * 4))
      print line "." > f
      close(f)
    }
  } }'
echo "toy reviews: $((2 * train)) training and $((2 * test)) test reviews in $dir"
