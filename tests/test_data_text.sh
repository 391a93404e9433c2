#!/usr/bin/env bash
# clrnn-data text: a corpus cut into windows of T tokens, each labelled with the next token.
# Checks exact ids on tiny corpora (characters, and words with padding 0, [UNK] 1 and the
# rest by frequency), the stored vocabulary, the shapes of ids, one-hot and test-split
# output, and that every error path exits non-zero with its one-line message. No device.
source "$(dirname "$0")/e2e_common.sh"
data="$build/clrnn-data"
if ! command -v h5dump >/dev/null 2>&1; then echo "skipped: h5dump (hdf5-tools) not installed" >&2; exit 77; fi

# the values of one dataset as one space-separated line (h5dump -y -w0: no indices)
values() { h5dump -y -w 0 -d "$2" "$1" | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr -d '\n' |
  sed 's/^ *//; s/, */ /g; s/ *$//'; echo; }
shape() { h5dump -H -d "$2" "$1" | sed -n 's/.*DATASPACE  SIMPLE { ( \([^)]*\) ).*/(\1)/p'; }
dtype() { h5dump -H -d "$2" "$1" | sed -n 's/.*DATATYPE  *\(H5T_[A-Z0-9_]*\).*/\1/p' | head -n 1; }
same() { [ "$1" = "$2" ] || { echo "  got:      '$1'" >&2; echo "  expected: '$2'" >&2; return 1; }; }
# fails FILE MESSAGE ARGS...: clrnn-data text ARGS exits 1 and stderr contains MESSAGE
fails() {
  local msg=$1; shift
  "$data" text "$@" >/dev/null 2>"$scratch/err"
  local rc=$?
  [ "$rc" -eq 1 ] && grep -qF -- "$msg" "$scratch/err" && [ "$(wc -l <"$scratch/err")" -eq 1 ] ||
    { echo "  exit $rc, stderr: $(cat "$scratch/err")" >&2; return 1; }
}

# characters: "abcabc..." (12 chars), window 3, step 1 -> 9 windows, ids a=0 b=1 c=2
printf 'abcabcabcabc' >"$scratch/abc.txt"
out=$("$data" text --in "$scratch/abc.txt" --out "$scratch/abc.h5" --window 3 --step 1)
echo "$out"
check "summary line" same "$out" "text: 9 training and 0 test windows of 3 characters (step 1), vocabulary of 3, ids -> $scratch/abc.h5"
check "char x_train shape" same "$(shape "$scratch/abc.h5" x_train)" "(9, 3)"
check "char x_train int32" same "$(dtype "$scratch/abc.h5" x_train)" "H5T_STD_I32LE"
check "char y_train shape" same "$(shape "$scratch/abc.h5" y_train)" "(9)"
check "char x ids" same "$(values "$scratch/abc.h5" x_train)" "0 1 2 1 2 0 2 0 1 0 1 2 1 2 0 2 0 1 0 1 2 1 2 0 2 0 1"
check "char next ids" same "$(values "$scratch/abc.h5" y_train)" "0 1 2 0 1 2 0 1 2"
check "char vocabulary" same "$(values "$scratch/abc.h5" vocabulary)" '"a" "b" "c"'
check "vocabulary is vlen UTF-8" grep -q H5T_CSET_UTF8 <(h5dump -H -d vocabulary "$scratch/abc.h5")
check_not "no test split by default" h5dump -H -d x_test "$scratch/abc.h5" >/dev/null 2>&1

# step 2: windows start at 0, 2, ..., < len - T (Keras's range(0, len - maxlen, step))
"$data" text --in "$scratch/abc.txt" --out "$scratch/abc2.h5" --window 3 --step 2 >/dev/null
check "step 2 next ids" same "$(values "$scratch/abc2.h5" y_train)" "0 2 1 0 2"

# characters are code points, sorted: "é" (U+00E9, two bytes) after "b"; --lower folds "A"
# into "a". (h5dump escapes non-ASCII bytes differently across versions, so the "é" entry is
# checked through its id and the vocabulary's length; the " " entry is two cut fields.)
printf 'bA\xc3\xa9 ab' >"$scratch/utf8.txt"
"$data" text --in "$scratch/utf8.txt" --out "$scratch/utf8.h5" --window 2 --step 1 >/dev/null
check "utf-8 vocabulary sorted by code point" same "$(values "$scratch/utf8.h5" vocabulary | cut -d" " -f1-5)" '" " "A" "a" "b"'
check "utf-8 vocabulary length" same "$(shape "$scratch/utf8.h5" vocabulary)" "(5)"
check "utf-8 ids" same "$(values "$scratch/utf8.h5" x_train)" "3 1 1 4 4 0 0 2"
"$data" text --in "$scratch/utf8.txt" --out "$scratch/lower.h5" --window 2 --step 1 --lower >/dev/null
check "--lower vocabulary" same "$(values "$scratch/lower.h5" vocabulary | cut -d" " -f1-4)" '" " "a" "b"'
check "--lower ids" same "$(values "$scratch/lower.h5" y_train)" "3 0 1 2"

# one-hot: x float32 (N, T, V), y float32 (N, V); rows are the ids above
"$data" text --in "$scratch/abc.txt" --out "$scratch/oh.h5" --window 3 --step 1 --encoding onehot >/dev/null
check "onehot x shape" same "$(shape "$scratch/oh.h5" x_train)" "(9, 3, 3)"
check "onehot y shape" same "$(shape "$scratch/oh.h5" y_train)" "(9, 3)"
check "onehot float32" same "$(dtype "$scratch/oh.h5" x_train)" "H5T_IEEE_F32LE"
check "onehot y rows" same "$(values "$scratch/oh.h5" y_train | cut -d' ' -f1-9)" "1 0 0 0 1 0 0 0 1"

# --test-fraction: the last windows go to x_test/y_test (9 windows: floor(9 * 0.66) = 5 train, 4 test)
"$data" text --in "$scratch/abc.txt" --out "$scratch/split.h5" --window 3 --step 1 --test-fraction 0.34 >/dev/null
check "train split shape" same "$(shape "$scratch/split.h5" x_train)" "(5, 3)"
check "test split shape" same "$(shape "$scratch/split.h5" x_test)" "(4, 3)"
check "test split is the last windows" same "$(values "$scratch/split.h5" y_test)" "2 0 1 2"

# words: lower-cased, punctuation stripped; 0 "", 1 [UNK], then by count, ties alphabetical.
# counts: the 4; cat, mat, sat 2; a, on 1
printf 'The cat sat. The cat sat on the mat, a "MAT"?\nthe!' >"$scratch/words.txt"
"$data" text --in "$scratch/words.txt" --out "$scratch/words.h5" --level word --window 2 --step 1 >/dev/null
check "word vocabulary by frequency" same "$(values "$scratch/words.h5" vocabulary)" '"" "[UNK]" "the" "cat" "mat" "sat" "a" "on"'
# the cat sat the cat sat on the mat a mat the -> 2 3 5 2 3 5 7 2 4 6 4 2
check "word x ids" same "$(values "$scratch/words.h5" x_train)" "2 3 3 5 5 2 2 3 3 5 5 7 7 2 2 4 4 6 6 4"
check "word next ids" same "$(values "$scratch/words.h5" y_train)" "5 2 3 5 7 2 4 6 4 2"
# --max-tokens 5 keeps "", [UNK], the, cat, mat: sat, on, a become [UNK] (1)
"$data" text --in "$scratch/words.txt" --out "$scratch/unk.h5" --level word --window 2 --step 1 --max-tokens 5 >/dev/null
check "max-tokens vocabulary" same "$(values "$scratch/unk.h5" vocabulary)" '"" "[UNK]" "the" "cat" "mat"'
check "max-tokens ids use [UNK]" same "$(values "$scratch/unk.h5" y_train)" "1 2 3 1 1 2 4 1 4 2"

# the built-in text: printable ASCII prose, and it makes a file
check "builtin fables is 30-40 KB" at_least "$("$data" text --builtin fables --print | wc -c)" 30000
check "builtin fables is ASCII" same "$("$data" text --builtin fables --print | LC_ALL=C tr -d '\n\40-\176' | wc -c)" "0"
out=$("$data" text --builtin fables --out "$scratch/fables.h5" --test-fraction 0.1)
echo "$out"
check "builtin summary" grep -q "^text: [0-9]* training and [0-9]* test windows of 40 characters (step 3), vocabulary of [0-9]*, ids -> " <<<"$out"

# errors: one line, exit 1
check "missing file" fails "$scratch/none.txt: No such file or directory" --in "$scratch/none.txt" --out "$scratch/e.h5"
check "a folder, said as the other tools say it" fails "text: $scratch: Is a directory" --in "$scratch" --out "$scratch/e.h5"
: >"$scratch/empty.txt"
check "empty corpus" fails "empty corpus" --in "$scratch/empty.txt" --out "$scratch/e.h5"
printf '  ...  !' >"$scratch/punct.txt"
check "no words" fails "empty corpus (no words)" --in "$scratch/punct.txt" --out "$scratch/e.h5" --level word
check "too short" fails "has 12 characters, but a window of 12 needs at least 13" --in "$scratch/abc.txt" --out "$scratch/e.h5" --window 12
printf 'abc\xff\xfeabc' >"$scratch/bad.txt"
check "invalid utf-8 names file and offset" fails "$scratch/bad.txt: not valid UTF-8 at byte offset 3" --in "$scratch/bad.txt" --out "$scratch/e.h5"
printf 'ab\xe2\x82' >"$scratch/cut.txt"
check "truncated utf-8" fails "not valid UTF-8 at byte offset 2" --in "$scratch/cut.txt" --out "$scratch/e.h5" --window 1
check "unknown builtin lists names" fails "no built-in text 'nope' (there are: fables)" --builtin nope --out "$scratch/e.h5"
# 700 distinct characters (U+0100.., two UTF-8 bytes each), window 1000, step 1: 1100
# windows x 1000 x 700 float32 is 2.9 GiB
LC_ALL=C awk 'BEGIN { for (r = 0; r < 3; r++) for (i = 256; i < 956; i++)
  printf "%c%c", 192 + int(i / 64), 128 + i % 64 }' >"$scratch/wide.txt"
check "onehot over 2 GiB" fails "GiB (more than 2 GiB); use --encoding ids" --in "$scratch/wide.txt" --out "$scratch/e.h5" --window 1000 --step 1 --encoding onehot
check_not "failed runs leave no file" [ -e "$scratch/e.h5" ]
"$data" text --out "$scratch/e.h5" >/dev/null 2>&1
check "no corpus is a usage error (2)" [ $? -eq 2 ]
"$data" text --builtin fables --out "$scratch/e.h5" --encoding utf8 >/dev/null 2>&1
check "bad --encoding is a usage error (2)" [ $? -eq 2 ]
finish
