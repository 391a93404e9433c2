#!/usr/bin/env bash
# Files on which libhdf5 1.10 itself crashes or hangs (tests/fuzz/findings/): clrnn-info,
# clrnn-eval and clrnn-train read them in a child process (tools/cli_guard.c), so each ends in one line naming
# the file and exit 1, not a core dump or a hang. Under the sanitizers the child's report
# comes first; the last line is clrnn's.
source "$(dirname "$0")/e2e_common.sh"
require_device
findings=$(cd "$(dirname "$0")/fuzz/findings" && pwd)
# a crash under ASan aborts (as in scripts/test.sh), so that it is a crash here too
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:abort_on_error=1"

# expect_line DESCRIPTION PATTERN COMMAND...: exit 1, and the last line of stderr matches
expect_line() {
  local what=$1 pattern=$2; shift 2
  local err status
  err=$(timeout 120 "$@" 2>&1 >/dev/null)
  status=$?
  local last
  last=$(tail -n 1 <<<"$err")
  if [ "$status" -ne 1 ]; then
    bad "$what: exit $status, expected 1; stderr ends: $last"
  elif ! grep -qE -- "$pattern" <<<"$last"; then
    bad "$what: last line '$last' does not match '$pattern'"
  else
    ok
  fi
}

crash="reading it crashed \(.*\) inside the HDF5 or zip library: the file is corrupt or hostile$"
for f in H5HG_read-segv.h5 H5HG_read-memcpy-param-overlap.h5; do
  expect_line "clrnn-info file $f" "^clrnn-info: error: .*/$f: $crash" \
    "$build/clrnn-info" file "$findings/fuzz_h5_model/$f"
done
expect_line "clrnn-info summary (with a device)" "^clrnn-info: error: .*/H5HG_read-segv.h5: $crash" \
  "$build/clrnn-info" summary "$findings/fuzz_h5_model/H5HG_read-segv.h5"
expect_line "a hang: killed after the time limit" \
  "^clrnn-info: error: .*/H5HG_protect-hang.h5: reading it did not end in [0-9]+ s \(a hang inside the HDF5 library\)" \
  "$build/clrnn-info" file "$findings/fuzz_h5_model/H5HG_protect-hang.h5"

"$build/clrnn-data" addition --out "$scratch/add.h5" --samples 100 --test-samples 20 >/dev/null
"$build/clrnn-train" --layers "simple_rnn(4,return_sequences=true) dense(1,sigmoid)" \
  --data "$scratch/add.h5" --out "$scratch/m.h5" --epochs 1 --quiet
expect_line "clrnn-eval on a hostile model" "^clrnn-eval: error: .*/H5HG_read-segv.h5: $crash" \
  "$build/clrnn-eval" "$findings/fuzz_h5_model/H5HG_read-segv.h5" --data "$scratch/add.h5"
# clrnn-train too: a hostile model, a hostile checkpoint to resume, nothing written
expect_line "clrnn-train on a hostile model" "^clrnn-train: error: .*/H5HG_read-segv.h5: $crash" \
  "$build/clrnn-train" --model "$findings/fuzz_h5_model/H5HG_read-segv.h5" \
  --data "$scratch/add.h5" --out "$scratch/t.h5" --epochs 1
expect_line "clrnn-train --resume of a hostile checkpoint" \
  "^clrnn-train: error: .*/H5HG_read-memcpy-param-overlap.h5: $crash" \
  "$build/clrnn-train" --resume "$findings/fuzz_h5_model/H5HG_read-memcpy-param-overlap.h5" \
  --data "$scratch/add.h5" --out "$scratch/t.h5" --epochs 1
check_not "nothing saved by the refused runs" test -e "$scratch/t.h5"

# the guard passes everything else through: output, exit status, Ctrl-C
out=$("$build/clrnn-eval" "$scratch/m.h5" --data "$scratch/add.h5" --json)
check "a good run: exit 0 and its output ($out)" grep -q '"samples": 20' <<<"$out"
expect_line "a user error keeps exit 1 and its line" "no such file|cannot open|nothere" \
  "$build/clrnn-eval" "$scratch/m.h5" --data "$scratch/nothere.h5"
"$build/clrnn-eval" 2>/dev/null
check "a usage error keeps exit 2" [ $? -eq 2 ]
finish
