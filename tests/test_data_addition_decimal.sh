#!/usr/bin/env bash
# clrnn-data addition-decimal, the data of keras.io's number addition example (run with the
# build folder as $1):
# - --print: every answer is the sum of the query read back to front; queries are 7
#   characters and answers 4 (spaces after); the numbers have 1 to 3 digits, each count
#   drawn; no pair repeats in either order, so no test pair occurs in training; --no-reverse
#   prints the same pairs front to back; the same seed prints the same pairs.
# - The file (with h5dump): x (N, 7, 12) and y (N, 4, 12), float32, one-hot over
#   " +0123456789", decoding to exactly the printed texts.
# - Errors: more samples than half of the distinct pairs: exit 1 naming the limit.
source "$(dirname "$0")/e2e_common.sh"
data="$build/clrnn-data"

"$data" addition-decimal --print --samples 3000 --test-samples 500 --seed 3 > "$scratch/p.txt"
check "3000 + 500 rows" \
  [ "$(grep -c '^train ' "$scratch/p.txt")" = 3000 -a "$(grep -c '^test ' "$scratch/p.txt")" = 500 ]
# "<split> <query>|<answer>": the query is the 8 characters after the split's space
texts() { sed 's/^[a-z]* //' "$scratch/p.txt"; }
check "queries of 7 characters, answers of 4" \
  [ "$(texts | awk -F'|' 'length($1) != 7 || length($2) != 4 {n++} END {print n+0}')" = 0 ]
check "each answer is the sum of the reversed query" [ "$(texts | awk -F'|' '{
    q = ""; for (i = 7; i >= 1; i--) q = q substr($1, i, 1)
    split(q, ab, "+"); if (ab[1] + ab[2] != $2 + 0 || $2 !~ /^[0-9]+ *$/) n++
  } END {print n+0}')" = 0 ]
pairs() { texts | awk -F'|' '{ q = ""; for (i = 7; i >= 1; i--) q = q substr($1, i, 1)
  split(q, ab, "+"); a = ab[1] + 0; b = ab[2] + 0; print (a < b ? a " " b : b " " a) }'; }
check "no pair repeats, in either order" [ "$(pairs | sort | uniq -d | wc -l)" = 0 ]
check "numbers of 1, 2 and 3 digits" [ "$(texts | awk -F'|' '{ q = ""
    for (i = 7; i >= 1; i--) q = q substr($1, i, 1); sub(/ *$/, "", q); split(q, ab, "+")
    seen[length(ab[1])] = 1 } END {print seen[1] + seen[2] + seen[3], length(seen)}')" = "3 3" ]
"$data" addition-decimal --print --samples 3000 --test-samples 500 --seed 3 --no-reverse \
  > "$scratch/f.txt"
check "--no-reverse: the same pairs front to back" cmp -s \
  <(awk -F'|' '{ q = ""; for (i = 7; i >= 1; i--) q = q substr($1, length($1) - 7 + i, 1); print q "|" $2 }' "$scratch/p.txt") \
  <(sed 's/^[a-z]* \(.*\)|/\1|/' "$scratch/f.txt" | awk -F'|' '{print $1 "|" $2}')
"$data" addition-decimal --print --samples 3000 --test-samples 500 --seed 3 > "$scratch/p2.txt"
check "same seed, same pairs" cmp -s "$scratch/p.txt" "$scratch/p2.txt"

out=$("$data" addition-decimal --out "$scratch/a.h5" --samples 3000 --test-samples 500 --seed 3)
check "--out: a file and one summary line naming it" \
  [ -s "$scratch/a.h5" -a -n "$(printf '%s' "$out" | grep -F "$scratch/a.h5")" ]
if command -v h5dump >/dev/null; then
  shape() { h5dump -H -d "$2" "$1" | sed -n 's/.*DATASPACE *SIMPLE { ( \([0-9, ]*\) ).*/\1/p' | tr -d ' '; }
  values() {
    h5dump -y -w 0 -d "$2" "$1" | awk '/DATA \{/ {on = 1; next} on && /^ *\}/ {on = 0} on' |
      tr ', ' '\n\n' | grep -v '^$'
  }
  # one-hot rows of 12 back to characters, L characters a line
  decode() { values "$scratch/a.h5" "$1" | awk -v L="$2" '{
      if ($1 == 1) c = substr(" +0123456789", (NR - 1) % 12 + 1, 1)
      if (NR % 12 == 0) { s = s c; if (length(s) == L) { print s; s = "" } }
    }'; }
  check "x_train (3000, 7, 12), y_test (500, 4, 12)" \
    [ "$(shape "$scratch/a.h5" x_train) $(shape "$scratch/a.h5" y_test)" = "3000,7,12 500,4,12" ]
  check "x_test decodes to the printed queries" cmp -s <(decode x_test 7) \
    <(awk '/^test/' "$scratch/p.txt" | sed 's/^test //; s/|.*//')
  check "y_test decodes to the printed answers" cmp -s <(decode y_test 4) \
    <(awk '/^test/' "$scratch/p.txt" | sed 's/.*|//')
else
  echo "note: h5dump (hdf5-tools) not found; the checks of the written file were skipped" >&2
fi

err=$("$data" addition-decimal --digits 1 --samples 40 --out "$scratch/x.h5" 2>&1); status=$?
check "too many samples for 1 digit: exit 1 ($status), one line: $err" \
  [ "$status" = 1 -a "$(printf '%s\n' "$err" | wc -l)" = 1 ]
check_all "...naming the limit" 'grep -q "only 55 different pairs" <<<"$err"'
finish
