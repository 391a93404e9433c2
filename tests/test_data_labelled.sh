#!/usr/bin/env bash
# clrnn-data labelled: labelled texts (the aclImdb folder layout, TSV, CSV) to padded token
# ids. Checks exact ids on a tiny corpus under both conventions (TextVectorization: 0
# padding, 1 [UNK], words by frequency; keras.datasets.imdb: start 1, out-of-vocabulary 2,
# rank + index_from, num_words, skip_top), pad_sequences' pre/post padding and truncating,
# the stored vocabulary, TSV and quoted CSV input, and every error path. Then end to end:
# 400 synthetic reviews in the aclImdb layout, an Embedding + LSTM classifier trained on
# them must reach 0.9 test accuracy (that part needs an OpenCL device).
source "$(dirname "$0")/e2e_common.sh"
data="$build/clrnn-data"
if ! command -v h5dump >/dev/null 2>&1; then echo "skipped: h5dump (hdf5-tools) not installed" >&2; exit 77; fi

# the values of one dataset as one space-separated line
values() { h5dump -y -w 0 -d "$2" "$1" | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr -d '\n' |
  sed 's/^ *//; s/, */ /g; s/ *$//'; echo; }
shape() { h5dump -H -d "$2" "$1" | sed -n 's/.*DATASPACE  SIMPLE { ( \([^)]*\) ).*/(\1)/p'; }
dtype() { h5dump -H -d "$2" "$1" | sed -n 's/.*DATATYPE  *\(H5T_[A-Z0-9_]*\).*/\1/p' | head -n 1; }
same() { [ "$1" = "$2" ] || { echo "  got:      '$1'" >&2; echo "  expected: '$2'" >&2; return 1; }; }
# rows FILE SPLIT T: each row of x_SPLIT then ": label", sorted, joined with " | " (the
# aclImdb splits are shuffled, so rows are compared as a set, each with its label)
rows() {
  paste -d: <(values "$1" "x_$2" | tr ' ' '\n' | paste -d' ' $(printf -- '- %.0s' $(seq "$3"))) \
    <(values "$1" "y_$2" | tr ' ' '\n') | sed 's/:/: /' | LC_ALL=C sort | paste -sd'|' | sed 's/|/ | /g'
}
# fails MESSAGE ARGS...: clrnn-data labelled ARGS exits 1, one line on stderr containing MESSAGE
fails() {
  local msg=$1; shift
  "$data" labelled "$@" >/dev/null 2>"$scratch/err"
  local rc=$?
  [ "$rc" -eq 1 ] && grep -qF -- "$msg" "$scratch/err" && [ "$(wc -l <"$scratch/err")" -eq 1 ] ||
    { echo "  exit $rc, stderr: $(cat "$scratch/err")" >&2; return 1; }
}
usage_error() { # usage_error ARGS...: exits 2
  "$data" labelled "$@" >/dev/null 2>"$scratch/err"
  local rc=$?
  [ "$rc" -eq 2 ] || { echo "  exit $rc, stderr: $(cat "$scratch/err")" >&2; return 1; }
}

# ---- a tiny aclImdb tree ----
# training words: awful 2, great 2, movie 2, wonderful 2, then a, acting, an, film, plot 1
# textvectorization ids: awful 2 great 3 movie 4 wonderful 5 a 6 acting 7 an 8 film 9 plot 10
# imdb ids (rank + 3): awful 4 great 5 movie 6 wonderful 7 a 8 acting 9 an 10 film 11 plot 12
acl="$scratch/aclImdb"
mkdir -p "$acl/train/pos" "$acl/train/neg" "$acl/test/pos" "$acl/test/neg"
printf 'A great movie.<br /><br />Great acting!\n' >"$acl/train/pos/0_9.txt"
printf 'Wonderful, wonderful film.' >"$acl/train/pos/1_7.txt"
printf 'An awful movie... awful<br />plot' >"$acl/train/neg/0_2.txt"
printf 'GREAT film -- new words' >"$acl/test/pos/0_8.txt"
printf '"Awful."' >"$acl/test/neg/0_3.txt"
printf 'not a review' >"$acl/train/pos/urls_pos.list" # only *.txt are read

out=$("$data" labelled --dir "$acl" --out "$scratch/tv.h5" --maxlen 6)
echo "$out"
check "summary line" same "$out" "labelled: 3 training and 2 test samples, maxlen 6 (pre padding, pre truncating), vocabulary of 11 (textvectorization, 9 distinct training words), 0/1 float32 labels -> $scratch/tv.h5"
check "x_train shape" same "$(shape "$scratch/tv.h5" x_train)" "(3, 6)"
check "x_train int32" same "$(dtype "$scratch/tv.h5" x_train)" "H5T_STD_I32LE"
check "y_train (N, 1)" same "$(shape "$scratch/tv.h5" y_train)" "(3, 1)"
check "y_train float32" same "$(dtype "$scratch/tv.h5" y_train)" "H5T_IEEE_F32LE"
check "x_test shape" same "$(shape "$scratch/tv.h5" x_test)" "(2, 6)"
check "textvectorization vocabulary" same "$(values "$scratch/tv.h5" vocabulary)" \
  '"" "[UNK]" "awful" "great" "movie" "wonderful" "a" "acting" "an" "film" "plot"'
check "vocabulary is vlen UTF-8" grep -q H5T_CSET_UTF8 <(h5dump -H -d vocabulary "$scratch/tv.h5")
# a great movie great acting (5) / wonderful wonderful film / an awful movie awful plot
check "textvectorization train ids" same "$(rows "$scratch/tv.h5" train 6)" \
  "0 0 0 5 5 9: 1 | 0 6 3 4 3 7: 1 | 0 8 2 4 2 10: 0"
# great film new words: "new", "words" are not in the training split -> [UNK]
check "textvectorization test ids (test-only words are [UNK])" same "$(rows "$scratch/tv.h5" test 6)" \
  "0 0 0 0 0 2: 0 | 0 0 3 9 1 1: 1"

"$data" labelled --dir "$acl" --out "$scratch/imdb.h5" --maxlen 7 --conventions imdb >/dev/null
check "imdb vocabulary" same "$(values "$scratch/imdb.h5" vocabulary)" \
  '"" "[START]" "[UNK]" "[UNUSED]" "awful" "great" "movie" "wonderful" "a" "acting" "an" "film" "plot"'
check "imdb train ids" same "$(rows "$scratch/imdb.h5" train 7)" \
  "0 0 0 1 7 7 11: 1 | 0 1 10 4 6 4 12: 0 | 0 1 8 5 6 5 9: 1"
check "imdb test ids" same "$(rows "$scratch/imdb.h5" test 7)" \
  "0 0 0 0 0 1 4: 0 | 0 0 1 5 11 2 2: 1"
# num_words 7: ids >= 7 become 2; the vocabulary stops at id 6
"$data" labelled --dir "$acl" --out "$scratch/nw.h5" --maxlen 7 --conventions imdb --num-words 7 >/dev/null
check "imdb --num-words ids" same "$(rows "$scratch/nw.h5" train 7)" \
  "0 0 0 1 2 2 2: 1 | 0 1 2 4 6 4 2: 0 | 0 1 2 5 6 5 2: 1"
check "imdb --num-words vocabulary" same "$(values "$scratch/nw.h5" vocabulary)" \
  '"" "[START]" "[UNK]" "[UNUSED]" "awful" "great" "movie"'
# skip_top 5: ids < 5 become 2, the start id 1 and awful (4) too (Keras's test is on the id)
"$data" labelled --dir "$acl" --out "$scratch/st.h5" --maxlen 7 --conventions imdb --skip-top 5 >/dev/null
check "imdb --skip-top ids" same "$(rows "$scratch/st.h5" train 7)" \
  "0 0 0 2 7 7 11: 1 | 0 2 10 2 6 2 12: 0 | 0 2 8 5 6 5 9: 1"
# index_from 2: the most frequent word is 3, no [UNUSED]
"$data" labelled --dir "$acl" --out "$scratch/if.h5" --maxlen 7 --conventions imdb --index-from 2 >/dev/null
check "imdb --index-from 2 vocabulary" same "$(values "$scratch/if.h5" vocabulary | cut -d' ' -f1-5)" \
  '"" "[START]" "[UNK]" "awful" "great"'
check "imdb --index-from 2 ids" same "$(rows "$scratch/if.h5" test 7)" \
  "0 0 0 0 0 1 3: 0 | 0 0 1 4 10 2 2: 1"

# --max-tokens 5: "", [UNK], awful, great, movie; the rest is [UNK]
"$data" labelled --dir "$acl" --out "$scratch/mt.h5" --maxlen 6 --max-tokens 5 >/dev/null
check "max-tokens vocabulary" same "$(values "$scratch/mt.h5" vocabulary)" '"" "[UNK]" "awful" "great" "movie"'
check "max-tokens ids map to [UNK]" same "$(rows "$scratch/mt.h5" train 6)" \
  "0 0 0 1 1 1: 1 | 0 1 2 4 2 1: 0 | 0 1 3 4 3 1: 1"

# the same --seed writes the same file; the order is a shuffle of the folders
"$data" labelled --dir "$acl" --out "$scratch/tv2.h5" --maxlen 6 >/dev/null
check "same seed, same rows" same "$(values "$scratch/tv2.h5" x_train)" "$(values "$scratch/tv.h5" x_train)"
mkdir -p "$scratch/many/train/pos" "$scratch/many/train/neg"
for i in $(seq 10 29); do echo "review $i" >"$scratch/many/train/pos/$i.txt"; echo "review $i" >"$scratch/many/train/neg/$i.txt"; done
"$data" labelled --dir "$scratch/many" --out "$scratch/s1.h5" --maxlen 2 >/dev/null
"$data" labelled --dir "$scratch/many" --out "$scratch/s2.h5" --maxlen 2 --seed 2 >/dev/null
check "no test folder: no test split" same "$(h5dump -H -d x_test "$scratch/s1.h5" >/dev/null 2>&1; echo $?)" "1"
check_not "the classes are shuffled" same "$(values "$scratch/s1.h5" y_train)" "$(printf '0 %.0s' $(seq 20); printf '1 %.0s' $(seq 19); echo 1)" 2>/dev/null
check_not "another seed, another order" same "$(values "$scratch/s1.h5" y_train)" "$(values "$scratch/s2.h5" y_train)" 2>/dev/null

# ---- TSV: file order; pad_sequences' padding and truncating ----
# words: the 4, cat 2, sat 2, a 1, mat 1, on 1 -> the 2 cat 3 sat 4 a 5 mat 6 on 7
printf '1\tThe cat sat on the mat.\n\n0\tThe CAT sat, a...\r\n1\tthe\n' >"$scratch/a.tsv"
"$data" labelled --tsv "$scratch/a.tsv" --out "$scratch/pp.h5" --maxlen 4 >/dev/null
check "tsv labels in file order" same "$(values "$scratch/pp.h5" y_train)" "1 0 1"
check "pre padding, pre truncating (keeps the end)" same "$(values "$scratch/pp.h5" x_train)" \
  "4 7 2 6 2 3 4 5 0 0 0 2"
"$data" labelled --tsv "$scratch/a.tsv" --out "$scratch/pp.h5" --maxlen 4 --padding post --truncating post >/dev/null
check "post padding, post truncating (keeps the start)" same "$(values "$scratch/pp.h5" x_train)" \
  "2 3 4 7 2 3 4 5 2 0 0 0"
"$data" labelled --tsv "$scratch/a.tsv" --out "$scratch/pp.h5" --maxlen 5 --padding post >/dev/null
check "post padding, pre truncating" same "$(values "$scratch/pp.h5" x_train)" \
  "3 4 7 2 6 2 3 4 5 0 2 0 0 0 0"
"$data" labelled --tsv "$scratch/a.tsv" --out "$scratch/pp.h5" --maxlen 5 --truncating post >/dev/null
check "pre padding, post truncating" same "$(values "$scratch/pp.h5" x_train)" \
  "2 3 4 7 2 0 2 3 4 5 0 0 0 0 2"
"$data" labelled --tsv "$scratch/a.tsv" --out "$scratch/pp.h5" --maxlen 0 --conventions imdb >/dev/null
check "--maxlen 0 is the longest (imdb: with the start id)" same "$(shape "$scratch/pp.h5" x_train)" "(3, 7)"
check "imdb start id kept by post truncating" same \
  "$("$data" labelled --tsv "$scratch/a.tsv" --out "$scratch/pp.h5" --maxlen 2 --conventions imdb --truncating post >/dev/null; values "$scratch/pp.h5" x_train)" \
  "1 4 1 4 1 4"
# a test split from --test-tsv: words it alone has are [UNK]
printf '0\tthe dog sat\n' >"$scratch/t.tsv"
"$data" labelled --tsv "$scratch/a.tsv" --test-tsv "$scratch/t.tsv" --out "$scratch/tt.h5" --maxlen 3 >/dev/null
check "--test-tsv ids" same "$(values "$scratch/tt.h5" x_test)" "2 1 4"
# class indices (a label above 1): y int32 (N,)
printf '0\tx\n2\ty\n1\tz\n' >"$scratch/multi.tsv"
"$data" labelled --tsv "$scratch/multi.tsv" --out "$scratch/multi.h5" --maxlen 1 >/dev/null
check "class labels int32" same "$(dtype "$scratch/multi.h5" y_train)" "H5T_STD_I32LE"
check "class labels (N,)" same "$(shape "$scratch/multi.h5" y_train)" "(3)"
check "class labels" same "$(values "$scratch/multi.h5" y_train)" "0 2 1"

# ---- CSV: double-quoted text with "" escapes, over lines; a quoted label ----
printf '1,"Say ""hi"", then,\nbye"\n"0",plain, text\r\n1,"caf\xc3\xa9 CAF\xc3\x89"\n' >"$scratch/q.csv"
"$data" labelled --csv "$scratch/q.csv" --out "$scratch/q.h5" --maxlen 4 >/dev/null
# words: café 2, then bye hi plain say text then 1 each
check "csv vocabulary" same "$(shape "$scratch/q.h5" vocabulary)" "(9)"
check "csv vocabulary words" same "$(values "$scratch/q.h5" vocabulary | cut -d' ' -f4-)" '"bye" "hi" "plain" "say" "text" "then"'
check "csv ids" same "$(values "$scratch/q.h5" x_train)" "6 4 8 3 0 0 5 7 0 0 2 2"
check "csv labels" same "$(values "$scratch/q.h5" y_train)" "1 0 1"
printf '0,x\n' >"$scratch/t.csv"
"$data" labelled --csv "$scratch/q.csv" --test-csv "$scratch/t.csv" --out "$scratch/q.h5" --maxlen 2 >/dev/null
check "--test-csv" same "$(values "$scratch/q.h5" x_test)" "0 1"

# ---- errors: one line, exit 1, no file left ----
check "missing dir" fails "$scratch/none: No such file or directory" --dir "$scratch/none" --out "$scratch/e.h5"
mkdir -p "$scratch/half/train/pos"
check "missing train/neg" fails "$scratch/half/train/neg: No such file or directory (expected the aclImdb layout" --dir "$scratch/half" --out "$scratch/e.h5"
mkdir -p "$scratch/half/train/neg" "$scratch/half/test/neg"
check "missing test/pos" fails "$scratch/half/test/pos: No such file or directory" --dir "$scratch/half" --out "$scratch/e.h5"
rm -r "$scratch/half/test"
check "empty corpus (no reviews)" fails "empty corpus (no training samples in train/neg and train/pos)" --dir "$scratch/half" --out "$scratch/e.h5"
printf '...!' >"$scratch/half/train/pos/0_7.txt"
check "empty corpus (no words)" fails "empty corpus (no words)" --dir "$scratch/half" --out "$scratch/e.h5"
printf 'ok \xc3\x28 bad' >"$scratch/half/train/neg/0_1.txt"
check "invalid utf-8 names file and offset" fails "$scratch/half/train/neg/0_1.txt: not valid UTF-8 at byte offset 3 (byte 0xc3)" --dir "$scratch/half" --out "$scratch/e.h5"
: >"$scratch/empty.tsv"
check "empty tsv" fails "$scratch/empty.tsv: empty corpus (no training samples)" --tsv "$scratch/empty.tsv" --out "$scratch/e.h5"
printf '1\tgood\n\npos\tbad label\n' >"$scratch/badlabel.tsv"
check "bad label names file:line" fails "$scratch/badlabel.tsv:3: bad label 'pos'" --tsv "$scratch/badlabel.tsv" --out "$scratch/e.h5"
printf '1\tgood\n-1\tnegative\n' >"$scratch/neg.tsv"
check "negative label" fails "$scratch/neg.tsv:2: bad label '-1'" --tsv "$scratch/neg.tsv" --out "$scratch/e.h5"
printf '1 no tab here\n' >"$scratch/notab.tsv"
check "tsv line without a tab" fails "$scratch/notab.tsv:1: expected label<TAB>text" --tsv "$scratch/notab.tsv" --out "$scratch/e.h5"
printf '1,"open\nnever closed\n' >"$scratch/open.csv"
check "unclosed csv quote" fails "$scratch/open.csv:1: a quoted field is not closed" --csv "$scratch/open.csv" --out "$scratch/e.h5"
printf '1,"a" b\n' >"$scratch/after.csv"
check "text after a closing quote" fails "$scratch/after.csv:1: text after a closing quote" --csv "$scratch/after.csv" --out "$scratch/e.h5"
printf '1\tgood\n0\tb\xffd\n' >"$scratch/bad.tsv"
check "invalid utf-8 in tsv (file offset)" fails "$scratch/bad.tsv: not valid UTF-8 at byte offset 10 (byte 0xff)" --tsv "$scratch/bad.tsv" --out "$scratch/e.h5"
check "bad label in --test-tsv" fails "$scratch/badlabel.tsv:3: bad label" --tsv "$scratch/a.tsv" --test-tsv "$scratch/badlabel.tsv" --out "$scratch/e.h5"
check_not "failed runs leave no file" [ -e "$scratch/e.h5" ]
# usage errors: exit 2
check "unknown flag" usage_error --tsv "$scratch/a.tsv" --out "$scratch/e.h5" --bogus
check "unknown flag points at the labelled help" grep -q "^Try 'clrnn-data labelled --help'" "$scratch/err"
check "no input" usage_error --out "$scratch/e.h5"
check "two inputs" usage_error --tsv "$scratch/a.tsv" --dir "$acl" --out "$scratch/e.h5"
check "no --out" usage_error --tsv "$scratch/a.tsv"
check "--dir with --test-tsv" usage_error --dir "$acl" --test-tsv "$scratch/t.tsv" --out "$scratch/e.h5"
check "bad --padding" usage_error --tsv "$scratch/a.tsv" --out "$scratch/e.h5" --padding middle
check "bad --truncating" usage_error --tsv "$scratch/a.tsv" --out "$scratch/e.h5" --truncating both
check "bad --conventions" usage_error --tsv "$scratch/a.tsv" --out "$scratch/e.h5" --conventions nltk
check "--max-tokens with imdb" usage_error --tsv "$scratch/a.tsv" --out "$scratch/e.h5" --conventions imdb --max-tokens 10
check "--num-words without imdb" usage_error --tsv "$scratch/a.tsv" --out "$scratch/e.h5" --num-words 10
check "--max-tokens below 3" usage_error --tsv "$scratch/a.tsv" --out "$scratch/e.h5" --max-tokens 2
check_not "usage errors leave no file" [ -e "$scratch/e.h5" ]
check "listed in clrnn-data --help" grep -q "^  labelled --out" <("$data" --help)

# ---- end to end: 400 synthetic reviews, the sentiment in a few words placed anywhere ----
if ! "$build/clrnn-info" devices >/dev/null 2>&1 && [ "${CLRNN_REQUIRE_DEVICE:-0}" != 1 ]; then
  echo "end to end skipped: no OpenCL device" >&2
  finish
  exit
fi
LC_ALL=C awk -v root="$scratch/reviews" 'BEGIN {
  srand(7)
  nf = split("the a movie film plot actor scene story it was is and of to in this that with " \
             "for as but on at by his her they one all very just some", filler, " ")
  np = split("great wonderful excellent superb loved", pos, " ")
  nn = split("awful boring terrible worst hated", neg, " ")
  for (s = 0; s < 2; s++) for (c = 0; c < 2; c++) {
    dir = sprintf("%s/%s/%s", root, s ? "test" : "train", c ? "pos" : "neg")
    system("mkdir -p \"" dir "\"")
    for (i = 0; i < (s ? 50 : 150); i++) {
      n = 12 + int(rand() * 18)
      for (t = 1; t <= n; t++) w[t] = filler[1 + int(rand() * nf)]
      k = 2 + int(rand() * 2)
      for (j = 0; j < k; j++) w[1 + int(rand() * n)] = c ? pos[1 + int(rand() * np)] : neg[1 + int(rand() * nn)]
      line = toupper(substr(w[1], 1, 1)) substr(w[1], 2)
      for (t = 2; t <= n; t++) line = line (rand() < 0.1 ? ". <br /><br />" : " ") w[t]
      f = sprintf("%s/%d_%d.txt", dir, i, c ? 7 + int(rand() * 4) : 1 + int(rand() * 4))
      print line "!" >f
      close(f)
    }
  } }'
out=$("$data" labelled --dir "$scratch/reviews" --out "$scratch/reviews.h5" --maxlen 40)
echo "$out"
check "400 reviews" grep -q "^labelled: 300 training and 100 test samples, maxlen 40" <<<"$out"
V=$(shape "$scratch/reviews.h5" vocabulary | tr -d '()')
check "no <br /> tokens" same "$(values "$scratch/reviews.h5" vocabulary | grep -c '"br"')" "0"
"$build/clrnn-train" --layers "embedding($V,16) lstm(16) dense(1,sigmoid)" --data "$scratch/reviews.h5" \
  --out "$scratch/reviews_model.h5" --epochs 5 --lr 0.01 --seed 1 --quiet
out=$("$build/clrnn-eval" "$scratch/reviews_model.h5" --data "$scratch/reviews.h5" --json)
echo "$out"
acc=$(echo "$out" | json_field accuracy)
check "test accuracy $acc >= 0.9" at_least "$acc" 0.9
finish
