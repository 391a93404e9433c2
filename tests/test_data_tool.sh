#!/usr/bin/env bash
# clrnn-data reber and addition: the files hold what they say (shapes via h5dump), the same
# seed writes the same data and another seed other data, every valid Reber string matches
# the embedded Reber grammar and no invalid one does, every sum is right, held-out addition
# pairs never occur in training, and bad options fail as usage errors.
source "$(dirname "$0")/e2e_common.sh"
data="$build/clrnn-data"

check "reber writes a file" "$data" reber --out "$scratch/r1.h5" --samples 300 --test-samples 100 --seed 4
check "addition writes a file" "$data" addition --out "$scratch/a1.h5" --samples 300 --test-samples 100 --seed 4
if command -v h5dump >/dev/null; then
  shapes=$(h5dump -H "$scratch/a1.h5" | grep -o 'DATASPACE  SIMPLE { ( [0-9, ]* )' | tr -s ' ')
  check "addition shapes: $shapes" grep -q "( 300, 8, 2 ).*( 100, 8, 2 )\|( 100, 8, 2 ).*( 300, 8, 2 )" <<<"$(echo $shapes)"
  check "addition y per timestep" grep -q "( 300, 8, 1 )" <<<"$shapes"
  rshapes=$(h5dump -H "$scratch/r1.h5" | grep -o 'DATASPACE  SIMPLE { ( [0-9, ]* )' | tr -s ' ')
  check "reber shapes: $rshapes" grep -qE "\( 300, [0-9]+, 7 \)" <<<"$rshapes"
  check "reber labels (300, 1)" grep -q "( 300, 1 )" <<<"$rshapes"
  "$data" reber --out "$scratch/r2.h5" --samples 300 --test-samples 100 --seed 4 >/dev/null
  "$data" reber --out "$scratch/r3.h5" --samples 300 --test-samples 100 --seed 5 >/dev/null
  check "same seed, same data" cmp -s <(h5dump -d x_train "$scratch/r1.h5" | tail -n +3) <(h5dump -d x_train "$scratch/r2.h5" | tail -n +3)
  check_not "other seed, other data" cmp -s <(h5dump -d x_train "$scratch/r1.h5" | tail -n +3) <(h5dump -d x_train "$scratch/r3.h5" | tail -n +3)
fi

"$data" reber --print --samples 2000 --test-samples 0 --seed 9 > "$scratch/strings.txt"
awk '$2 == 1 {print $3}' "$scratch/strings.txt" > "$scratch/valid.txt"
awk '$2 == 0 {print $3}' "$scratch/strings.txt" > "$scratch/invalid.txt"
check "1000 valid and 1000 invalid strings" [ "$(wc -l < "$scratch/valid.txt")" = 1000 -a "$(wc -l < "$scratch/invalid.txt")" = 1000 ]
# the embedded symbol must repeat at the end
check "valid strings repeat their second symbol" [ "$(awk '{ if (substr($0,2,1) != substr($0,length($0)-1,1)) n++ } END {print n+0}' "$scratch/valid.txt")" = 0 ]
# simulate the Reber graph in awk for the inner string
grammar_awk='
function ok(s,   n, i, c) {
  if (substr(s,1,1) != "B" || length(s) < 6) return 0
  e = substr(s,2,1); if ((e != "T" && e != "P") || substr(s,length(s)-1,1) != e || substr(s,length(s),1) != "E") return 0
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
check "every valid string is in the grammar" [ "$(awk -v want=1 "$grammar_awk" "$scratch/valid.txt")" = 0 ]
check "no invalid string is in the grammar" [ "$(awk -v want=0 "$grammar_awk" "$scratch/invalid.txt")" = 0 ]

"$data" addition --print --samples 3000 --test-samples 1000 --seed 2 > "$scratch/sums.txt"
check "every sum is right" [ "$(awk '$2 + $3 != $4 {n++} END {print n+0}' "$scratch/sums.txt")" = 0 ]
check "operands are 7-bit" [ "$(awk '$2 > 127 || $3 > 127 {n++} END {print n+0}' "$scratch/sums.txt")" = 0 ]
check "test pairs never occur in training" [ "$(awk '$1 == "train" {seen[$2" "$3] = 1} $1 == "test" && ($2" "$3) in seen {n++} END {print n+0}' "$scratch/sums.txt")" = 0 ]

err=$("$data" reber --bogus 2>&1); status=$?
check "unknown option: exit 2 ($status)" [ "$status" = 2 ]
check "unknown option: says so" grep -q "unknown option '--bogus'" <<<"$err"
"$data" addition --samples 10 >/dev/null 2>&1; status=$?
check "missing --out: exit 2 ($status)" [ "$status" = 2 ]
"$data" frobnicate >/dev/null 2>&1; status=$?
check "unknown subcommand: exit 2 ($status)" [ "$status" = 2 ]
err=$("$data" addition --out /no/such/dir/a.h5 2>&1); status=$?
check "unwritable path: exit 1 ($status)" [ "$status" = 1 ]
check "unwritable path: one line naming it" grep -q "^clrnn-data: error: .*/no/such/dir/a.h5" <<<"$err"
err=$("$data" addition --out "$scratch/x.h5" --bits 3 --samples 20 2>&1); status=$?
check "more pairs than exist: exit 1 ($status)" [ "$status" = 1 ]
finish
