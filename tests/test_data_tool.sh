#!/usr/bin/env bash
# clrnn-data reber and addition (run with the build folder as $1).
# - The generators (--print, no file): every valid Reber string matches the embedded Reber
#   grammar (an ERE derived from the transition graph, and an awk walk of the graph), no
#   invalid one does, and each invalid one is one character away from a valid one; half
#   and half; --max-length bounds every string. Every printed sum is right, the operands
#   have bits-1 bits, no pair repeats, so no test pair occurs in training. The same seed
#   prints the same samples, another seed others.
# - The files (when h5dump, from hdf5-tools, is installed): the four datasets have the
#   documented shapes and are float32; decoding x and y gives back exactly the printed
#   samples (one-hot order B,T,P,S,X,V,E, all-zero padding rows before the string by
#   default and after it with --padding post; addition bits least significant first); the
#   same seed writes identical datasets and another seed other ones; --test-samples 0
#   writes only x_train and y_train.
# - Errors: unknown subcommand or option, missing --out, a bad number: exit 2 with the
#   usage text; an unwritable --out: exit 1 and one line "clrnn-data: error: ..." naming it.
source "$(dirname "$0")/e2e_common.sh"
data="$build/clrnn-data"

# ---- the generators, through --print ----------------------------------------------------

# The inner Reber grammar as an ERE, from the graph (node: symbol -> node; 5 ends with E):
#   0: T->1 P->2   1: S->1 X->3   2: T->2 V->4   3: X->2 S->5   4: P->3 V->5
# From node 2 a walk loops T*VPX back to node 2 any number of times, then leaves through
# T*VV or T*VPS; from node 1 it is S*X, then S (end) or X into node 2.
from2='(T*VPX)*T*V(V|PS)'
inner="B(TS*X(S|X$from2)|P$from2)E"
embedded="^B(T${inner}T|P${inner}P)E\$"

"$data" reber --print-strings --samples 2000 --test-samples 0 --seed 9 > "$scratch/strings.txt"
check "reber --print-strings: exit 0" [ $? = 0 ]
awk '$2 == 1 {print $3}' "$scratch/strings.txt" > "$scratch/valid.txt"
awk '$2 == 0 {print $3}' "$scratch/strings.txt" > "$scratch/invalid.txt"
check "1000 valid and 1000 invalid strings" \
  [ "$(wc -l < "$scratch/valid.txt")" = 1000 -a "$(wc -l < "$scratch/invalid.txt")" = 1000 ]
check "strings are over B,T,P,S,X,V,E" [ "$(awk '$3 !~ /^[BTPSXVE]+$/' "$scratch/strings.txt" | wc -l)" = 0 ]
check "every valid string matches $embedded" [ "$(grep -cvE "$embedded" "$scratch/valid.txt")" = 0 ]
check "no invalid string matches the grammar" [ "$(grep -cE "$embedded" "$scratch/invalid.txt")" = 0 ]
# the regex's own sanity: hand-made strings
check "regex accepts BTBTXSETE, BPBPVVEPE, BTBTSSXXTVPSETE" \
  [ "$(printf 'BTBTXSETE\nBPBPVVEPE\nBTBTSSXXTVPSETE\nBPBPTVPXVVEPE\n' | grep -cE "$embedded")" = 4 ]
check "regex rejects a mismatched wrapper and broken walks" \
  [ "$(printf 'BTBTXSEPE\nBTBTXXEPE\nBTBPVPXETE\nBTBTXSE\n' | grep -cE "$embedded")" = 0 ]
# an independent check: walk the graph in awk
walk_awk='
function ok(s,   n, i, c, e) {
  if (substr(s,1,1) != "B" || length(s) < 9) return 0
  e = substr(s,2,1)
  if ((e != "T" && e != "P") || substr(s,length(s)-1,1) != e || substr(s,length(s),1) != "E") return 0
  s = substr(s,3,length(s)-4)
  if (substr(s,1,1) != "B" || substr(s,length(s),1) != "E") return 0
  n = 0
  for (i = 2; i < length(s); i++) {
    c = substr(s,i,1)
    if (n==0) n = c=="T" ? 1 : c=="P" ? 2 : -1
    else if (n==1) n = c=="S" ? 1 : c=="X" ? 3 : -1
    else if (n==2) n = c=="T" ? 2 : c=="V" ? 4 : -1
    else if (n==3) n = c=="X" ? 2 : c=="S" ? 5 : -1
    else if (n==4) n = c=="P" ? 3 : c=="V" ? 5 : -1
    else n = -1
    if (n < 0) return 0
  }
  return n == 5
}
{ if (ok($0) != want) bad++ } END { print bad+0 }'
check "graph walk: every valid string accepted" [ "$(awk -v want=1 "$walk_awk" "$scratch/valid.txt")" = 0 ]
check "graph walk: every invalid string rejected" [ "$(awk -v want=0 "$walk_awk" "$scratch/invalid.txt")" = 0 ]
# each invalid string becomes valid again by changing one character back
one_away=$(awk -v re="$embedded" '{
  found = 0
  for (i = 1; i <= length($0) && !found; i++)
    for (k = 1; k <= 7 && !found; k++) {
      t = substr($0, 1, i - 1) substr("BTPSXVE", k, 1) substr($0, i + 1)
      if (t != $0 && t ~ re) found = 1
    }
  if (!found) n++
} END { print n + 0 }' "$scratch/invalid.txt")
check "every invalid string is one character away from a valid one" [ "$one_away" = 0 ]

"$data" reber --print --samples 500 --test-samples 100 --max-length 12 --seed 3 > "$scratch/short.txt"
check "--max-length 12: no string longer" [ "$(awk 'length($3) > 12' "$scratch/short.txt" | wc -l)" = 0 ]
check "--max-length 12: 500 train + 100 test" \
  [ "$(grep -c '^train ' "$scratch/short.txt")" = 500 -a "$(grep -c '^test ' "$scratch/short.txt")" = 100 ]
check "--max-length 12: still valid strings" \
  [ "$(awk '$2 == 1 {print $3}' "$scratch/short.txt" | grep -cvE "$embedded")" = 0 ]

"$data" reber --print --samples 300 --test-samples 100 --seed 4 > "$scratch/p4a.txt"
"$data" reber --print --samples 300 --test-samples 100 --seed 4 > "$scratch/p4b.txt"
"$data" reber --print --samples 300 --test-samples 100 --seed 5 > "$scratch/p5.txt"
check "reber: same seed, same strings" cmp -s "$scratch/p4a.txt" "$scratch/p4b.txt"
check_not "reber: other seed, other strings" cmp -s "$scratch/p4a.txt" "$scratch/p5.txt"

"$data" addition --print --samples 3000 --test-samples 1000 --seed 2 > "$scratch/sums.txt"
check "addition --print: 3000 + 1000 rows" \
  [ "$(grep -c '^train ' "$scratch/sums.txt")" = 3000 -a "$(grep -c '^test ' "$scratch/sums.txt")" = 1000 ]
check "every sum is right" [ "$(awk '$2 + $3 != $4 {n++} END {print n+0}' "$scratch/sums.txt")" = 0 ]
check "operands are 7-bit" \
  [ "$(awk '$2 > 127 || $3 > 127 || $2 < 0 || $3 < 0 {n++} END {print n+0}' "$scratch/sums.txt")" = 0 ]
check "operands use the whole range" \
  [ "$(awk '$2 >= 120 || $3 >= 120 {n++} END {print (n > 0)}' "$scratch/sums.txt")" = 1 ]
check "no pair repeats" [ "$(awk '{print $2, $3}' "$scratch/sums.txt" | sort | uniq -d | wc -l)" = 0 ]
check "test pairs never occur in training" \
  [ "$(awk '$1 == "train" {seen[$2" "$3] = 1}
           $1 == "test" && ($2" "$3) in seen {n++} END {print n+0}' "$scratch/sums.txt")" = 0 ]
"$data" addition --print --bits 5 --samples 200 --test-samples 56 --seed 1 > "$scratch/sums5.txt"
check "--bits 5: all 256 pairs of 4-bit numbers, each once" \
  [ "$(awk '$2 < 16 && $3 < 16 {print $2, $3}' "$scratch/sums5.txt" | sort -u | wc -l)" = 256 ]
"$data" addition --print --samples 100 --test-samples 10 --seed 7 > "$scratch/s7a.txt"
"$data" addition --print --samples 100 --test-samples 10 --seed 7 > "$scratch/s7b.txt"
"$data" addition --print --samples 100 --test-samples 10 --seed 8 > "$scratch/s8.txt"
check "addition: same seed, same pairs" cmp -s "$scratch/s7a.txt" "$scratch/s7b.txt"
check_not "addition: other seed, other pairs" cmp -s "$scratch/s7a.txt" "$scratch/s8.txt"

# ---- the files ----------------------------------------------------------------------------

out=$("$data" reber --out "$scratch/r4.h5" --samples 300 --test-samples 100 --seed 4); status=$?
check "reber --out: exit 0 ($status)" [ "$status" = 0 ]
check "reber --out: a file" [ -s "$scratch/r4.h5" ]
check "reber: one summary line naming the file: $out" \
  [ "$(printf '%s\n' "$out" | wc -l)" = 1 -a -n "$(printf '%s' "$out" | grep -F "$scratch/r4.h5")" ]
out=$("$data" addition --out "$scratch/a7.h5" --samples 100 --test-samples 10 --seed 7); status=$?
check "addition --out: exit 0 ($status)" [ "$status" = 0 ]
check "addition --out: a file" [ -s "$scratch/a7.h5" ]
check "addition: one summary line naming the file: $out" \
  [ "$(printf '%s\n' "$out" | wc -l)" = 1 -a -n "$(printf '%s' "$out" | grep -F "$scratch/a7.h5")" ]

if command -v h5dump >/dev/null; then
  # "300,28,7"
  shape() { h5dump -H -d "$2" "$1" | sed -n 's/.*DATASPACE *SIMPLE { ( \([0-9, ]*\) ).*/\1/p' | tr -d ' '; }
  dtype() { h5dump -H -d "$2" "$1" | sed -n 's/.*DATATYPE *\([A-Z0-9_]*\).*/\1/p'; }
  # the values of a dataset, one per line
  values() {
    h5dump -y -w 0 -d "$2" "$1" | awk '/DATA \{/ {on = 1; next} on && /^ *\}/ {on = 0} on' |
      tr ', ' '\n\n' | grep -v '^$'
  }
  # the data of a dataset without the file name line, for comparing two files
  body() { h5dump -d "$2" "$1" | tail -n +2; }
  # x (N, T, 7) back to strings: '.' for an all-zero row, '?' for a row that is not one-hot
  decode_reber() {
    values "$1" "$2" | awk -v T="$3" '{
      v[i++ % 7] = $1
      if (i % 7 == 0) {
        ones = 0; c = "."
        for (k = 0; k < 7; k++) if (v[k] == 1) { ones++; c = substr("BTPSXVE", k + 1, 1) } else if (v[k] != 0) ones = 9
        s = s (ones == 0 ? "." : ones == 1 ? c : "?")
        if (++steps == T) { print s; s = ""; steps = 0 }
      }
    }'
  }
  # what the printed strings should look like in x, padded to T on the given side
  expect_reber() {
    awk -v want="$2" -v T="$3" -v pad="$4" '$1 == want {
      p = ""; for (i = length($3); i < T; i++) p = p "."
      print (pad == "pre" ? p $3 : $3 p)
    }' "$1"
  }
  # x (N, B, 2) and y (N, B, 1) back to "a b a+b" lines
  decode_addition() {
    paste -d ' ' <(values "$1" "x_$2" | paste -d ' ' - -) <(values "$1" "y_$2") | awk -v B="$3" '{
      a += $1 * 2 ^ t; b += $2 * 2 ^ t; c += $3 * 2 ^ t
      if (++t == B) { print a, b, c; a = b = c = t = 0 }
    }'
  }

  longest=$(awk '{ if (length($3) > n) n = length($3) } END {print n}' "$scratch/p4a.txt")
  check "reber x_train shape $(shape "$scratch/r4.h5" x_train) = (300, $longest, 7)" \
    [ "$(shape "$scratch/r4.h5" x_train)" = "300,$longest,7" ]
  check "reber y_train shape (300, 1)" [ "$(shape "$scratch/r4.h5" y_train)" = "300,1" ]
  check "reber x_test shape (100, $longest, 7)" [ "$(shape "$scratch/r4.h5" x_test)" = "100,$longest,7" ]
  check "reber y_test shape (100, 1)" [ "$(shape "$scratch/r4.h5" y_test)" = "100,1" ]
  check "reber x and y are float32" \
    [ "$(dtype "$scratch/r4.h5" x_train) $(dtype "$scratch/r4.h5" y_test)" = "H5T_IEEE_F32LE H5T_IEEE_F32LE" ]
  for split in train test; do
    check "reber x_$split decodes to the printed strings, pre-padded" cmp -s \
      <(decode_reber "$scratch/r4.h5" "x_$split" "$longest") \
      <(expect_reber "$scratch/p4a.txt" "$split" "$longest" pre)
    check "reber y_$split holds the printed labels" cmp -s \
      <(values "$scratch/r4.h5" "y_$split") <(awk -v s="$split" '$1 == s {print $2}' "$scratch/p4a.txt")
  done
  "$data" reber --out "$scratch/r4post.h5" --samples 300 --test-samples 100 --seed 4 --padding post >/dev/null
  check "--padding post: padding rows after the string" cmp -s \
    <(decode_reber "$scratch/r4post.h5" x_train "$longest") \
    <(expect_reber "$scratch/p4a.txt" train "$longest" post)
  "$data" reber --out "$scratch/r3.h5" --samples 500 --test-samples 100 --max-length 12 --seed 3 >/dev/null
  check "--max-length 12: x_train (500, 12, 7)" [ "$(shape "$scratch/r3.h5" x_train)" = "500,12,7" ]
  check "--max-length 12: the printed strings" cmp -s \
    <(decode_reber "$scratch/r3.h5" x_test 12) <(expect_reber "$scratch/short.txt" test 12 pre)

  "$data" reber --out "$scratch/r4b.h5" --samples 300 --test-samples 100 --seed 4 >/dev/null
  "$data" reber --out "$scratch/r5.h5" --samples 300 --test-samples 100 --seed 5 >/dev/null
  for d in x_train y_train x_test y_test; do
    check "reber: same seed, same $d" cmp -s <(body "$scratch/r4.h5" $d) <(body "$scratch/r4b.h5" $d)
  done
  check_not "reber: other seed, other x_train" \
    cmp -s <(body "$scratch/r4.h5" x_train) <(body "$scratch/r5.h5" x_train)

  check "addition x_train shape (100, 8, 2)" [ "$(shape "$scratch/a7.h5" x_train)" = "100,8,2" ]
  check "addition y_train shape (100, 8, 1)" [ "$(shape "$scratch/a7.h5" y_train)" = "100,8,1" ]
  check "addition x_test shape (10, 8, 2)" [ "$(shape "$scratch/a7.h5" x_test)" = "10,8,2" ]
  check "addition y_test shape (10, 8, 1)" [ "$(shape "$scratch/a7.h5" y_test)" = "10,8,1" ]
  check "addition x and y are float32" \
    [ "$(dtype "$scratch/a7.h5" x_test) $(dtype "$scratch/a7.h5" y_train)" = "H5T_IEEE_F32LE H5T_IEEE_F32LE" ]
  for split in train test; do
    check "addition x_$split, y_$split decode (LSB first) to the printed sums" cmp -s \
      <(decode_addition "$scratch/a7.h5" "$split" 8) \
      <(awk -v s="$split" '$1 == s {print $2, $3, $4}' "$scratch/s7a.txt")
  done
  "$data" addition --out "$scratch/a7b.h5" --samples 100 --test-samples 10 --seed 7 >/dev/null
  "$data" addition --out "$scratch/a8.h5" --samples 100 --test-samples 10 --seed 8 >/dev/null
  for d in x_train y_train x_test y_test; do
    check "addition: same seed, same $d" cmp -s <(body "$scratch/a7.h5" $d) <(body "$scratch/a7b.h5" $d)
  done
  check_not "addition: other seed, other x_train" \
    cmp -s <(body "$scratch/a7.h5" x_train) <(body "$scratch/a8.h5" x_train)
  "$data" addition --out "$scratch/a12.h5" --bits 12 --samples 50 --test-samples 5 >/dev/null
  check "--bits 12: x_train (50, 12, 2)" [ "$(shape "$scratch/a12.h5" x_train)" = "50,12,2" ]
  check "--bits 12: y_test (5, 12, 1)" [ "$(shape "$scratch/a12.h5" y_test)" = "5,12,1" ]
  "$data" addition --out "$scratch/a0.h5" --samples 50 --test-samples 0 >/dev/null
  check "--test-samples 0: only x_train and y_train" \
    [ "$(h5dump -n "$scratch/a0.h5" | awk '$1 == "dataset" {print $2}' | tr '\n' ' ')" = "/x_train /y_train " ]
else
  echo "note: h5dump (hdf5-tools) not found; the checks of the written files were skipped" >&2
fi

# ---- errors -------------------------------------------------------------------------------

usage_error() { # usage_error DESCRIPTION ARGS...: exit 2, the cause and where help is
  local what=$1; shift
  local err status
  err=$("$data" "$@" 2>&1 >/dev/null); status=$?
  check "$what: exit 2 ($status)" [ "$status" = 2 ]
  check "$what: the cause ($err)" grep -q "^clrnn-data: ." <<<"$(head -n 1 <<<"$err")"
  check "$what: then where help is ($err)" \
    grep -qxE "Try 'clrnn-data( [a-z]+)? --help' for more information." <<<"$(tail -n 1 <<<"$err")"
  check "$what: not the whole usage" [ "$(wc -l <<<"$err")" -eq 2 ]
}
usage_error "no subcommand"
usage_error "unknown subcommand" frobnicate --out "$scratch/f.h5"
usage_error "reber: unknown option" reber --out "$scratch/u.h5" --bogus
usage_error "addition: unknown option" addition --out "$scratch/u.h5" --bogus 3
usage_error "reber: missing --out" reber --samples 10
usage_error "addition: missing --out" addition --samples 10
usage_error "--samples not a number" reber --out "$scratch/u.h5" --samples ten
usage_error "--samples 0" addition --out "$scratch/u.h5" --samples 0
usage_error "--seed -1" reber --out "$scratch/u.h5" --seed -1
usage_error "--bits 40" addition --out "$scratch/u.h5" --bits 40
usage_error "--max-length 5 (shorter than any string)" reber --out "$scratch/u.h5" --max-length 5
usage_error "--padding sideways" reber --out "$scratch/u.h5" --padding sideways
usage_error "--out without a value" addition --out
check "no file left by usage errors" [ ! -e "$scratch/u.h5" ]
err=$("$data" reber --bogus 2>&1); status=$?
check "unknown option: says which" grep -q "unknown option '--bogus'" <<<"$err"
err=$("$data" frobnicate 2>&1)
check "unknown subcommand: says which" grep -q "unknown subcommand 'frobnicate'" <<<"$err"
out=$("$data" --help); status=$?
check "--help: exit 0, usage on stdout" [ "$status" = 0 -a -n "$(grep '^usage: clrnn-data' <<<"$out")" ]
out=$("$data" addition --help); status=$?
check "addition --help: exit 0" [ "$status" = 0 -a -n "$(grep 'addition --out' <<<"$out")" ]

for task in reber addition; do
  err=$("$data" $task --out /nonexistent/dir/x.h5 --samples 20 --test-samples 4 2>&1 >/dev/null); status=$?
  check "$task, unwritable --out: exit 1 ($status)" [ "$status" = 1 ]
  check "$task, unwritable --out: one line: $err" [ "$(printf '%s\n' "$err" | wc -l)" = 1 ]
  check "$task, unwritable --out: names the path" grep -q "^clrnn-data: error: .*/nonexistent/dir/x.h5" <<<"$err"
done
out=$("$data" addition --out "$scratch/x8.h5" --samples 20 --test-samples 5)
check "the summary says 8-bit addition, as the demo and README do ($out)" \
  grep -q "8-bit binary addition (numbers below 128, so that each sum fits in 8 bits)" <<<"$out"
check_not "and not 7-bit" grep -q "7-bit" <<<"$out"
err=$("$data" addition --out "$scratch/x.h5" --bits 3 --samples 20 2>&1); status=$?
check "more pairs than exist: exit 1 ($status)" [ "$status" = 1 ]
check "more pairs than exist: says so" grep -q "^clrnn-data: error: addition: .*only 16 different pairs" <<<"$err"
finish
