#!/usr/bin/env bash
# Device faults through clrnn-train: a batch too big for the device is refused before
# anything is allocated, in one line with the bytes asked for, the bytes the device has and
# a --batch-size that fits; a device lost mid-run (simulated with the test hook
# CLRNN_TEST_DEVICE_LOST of host/ctx.c) ends in one line and a non-zero exit, never a hang,
# with the last checkpoint whole and resumable. The kernel build failure is in
# test_tools_errors.sh, the NaN loss in test_train_callbacks.sh.
source "$(dirname "$0")/e2e_common.sh"
require_device

# --- a batch too big for the device ---
# The device's memory, as clrnn-info reports it for the device the tools pick.
dev=${CLRNN_DEVICE:-}
info=$("$build/clrnn-info" devices)
gib=$(sed -n 's/.*memory \([0-9.]*\) GiB.*/\1/p' <<<"$info" | sort -g | tail -1)
# Eight LSTM(64) layers with sequences over 12 steps need more than 8 * 5 * 12 * 64 * 4 bytes
# per sample (the input projection, the gradients of the gates and the outputs alone), so
# this many samples in one batch need more memory than the device has.
samples=$(awk -v g="$gib" 'BEGIN { n = int(g * 1073741824 / (8 * 5 * 12 * 64 * 4)) + 1000;
  print n < 2000 ? 2000 : n }')
if [ "$samples" -gt 600000 ]; then
  echo "device memory $gib GiB: a batch that big takes too long to make; that check skipped"
else
  "$build/clrnn-data" addition --out "$scratch/big.h5" --samples "$samples" --test-samples 10 \
    --bits 12 >/dev/null
  l="lstm(64,return_sequences=true)"
  # GNU time, where it is installed, gives the peak memory of the run
  timer=(); [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "rss %M")
  err=$("${timer[@]}" "$build/clrnn-train" --layers "$l $l $l $l $l $l $l $l dense(1,sigmoid)" \
    --data "$scratch/big.h5" --out "$scratch/big_model.h5" --batch-size "$samples" --epochs 1 \
    --quiet ${dev:+--device "$dev"} 2>&1)
  status=$?
  line=$(grep -vE '^(rss |Command exited with)' <<<"$err")
  check "a huge batch: exit 1 (exit $status: $line)" [ "$status" -eq 1 ]
  check "one line" [ "$(wc -l <<<"$line")" -eq 1 ]
  check "it says the bytes asked for and the bytes the device has: $line" grep -qE \
    "^clrnn-train: error: a batch of $samples needs [0-9]+ bytes .* of device memory, its largest buffer [0-9]+ bytes .* has [0-9]+ bytes .* buffers of at most [0-9]+ bytes" <<<"$line"
  hint=$(sed -n 's/.*try --batch-size \([0-9]*\)$/\1/p' <<<"$line")
  check_all "with a smaller --batch-size as the hint ($hint)" '[ -n "$hint" ] && [ "$hint" -lt "$samples" ]'
  # checked before anything was allocated: the process stayed small (under 2 GiB with the
  # sanitizers' shadow memory, where the batch needs more than the device's whole memory)
  rss=$(sed -n 's/^rss \([0-9]*\)$/\1/p' <<<"$err")
  [ ${#timer[@]} -eq 0 ] || check "refused before allocating (peak RSS ${rss} KiB)" [ -n "$rss" ] && [ "$rss" -lt 2097152 ]
  check "no model written" [ ! -e "$scratch/big_model.h5" ]
fi

# --- a device lost mid-run ---
"$build/clrnn-data" addition --out "$scratch/add.h5" --samples 200 --test-samples 20 >/dev/null
spec="simple_rnn(4,return_sequences=true) dense(1,sigmoid)"
# The waits for the device: one before the first batch, one at the end of each epoch; the
# third is at the end of epoch 2, after the checkpoint of epoch 1 was written. (The tuning of
# the first forward pass waits too, and only where no choice is cached: off here.)
export CLRNN_TUNE=0
for code in "" ":-5" ":-36"; do
  rm -f "$scratch/ck.h5" "$scratch/lost.h5"
  err=$(CLRNN_TEST_DEVICE_LOST="3$code" timeout 120 "$build/clrnn-train" --layers "$spec" \
    --data "$scratch/add.h5" --out "$scratch/lost.h5" --checkpoint "$scratch/ck.h5" --epochs 4 \
    --quiet ${dev:+--device "$dev"} 2>&1)
  status=$?
  check_all "lost device$code: a non-zero exit, no hang (exit $status)" '[ "$status" -ne 0 ] && [ "$status" -ne 124 ]'
  check "lost device$code: one line: $err" [ "$(wc -l <<<"$err")" -eq 1 ]
  check "lost device$code: it says where and what to do: $err" grep -qE \
    "^clrnn-train: error: end of epoch 2: OpenCL call clFinish failed: CL_[A-Z_]+ \(-[0-9]+\) at .*; the device (was lost|ran out)" <<<"$err"
  check "lost device$code: no model written" [ ! -e "$scratch/lost.h5" ]
done
# the checkpoint of epoch 1 is whole: training resumes from it
out=$("$build/clrnn-train" --resume "$scratch/ck.h5" --data "$scratch/add.h5" \
  --out "$scratch/resumed.h5" --epochs 2 ${dev:+--device "$dev"} 2>&1)
check "the last checkpoint resumes after epoch 1: $out" grep -q "resuming .*ck.h5 after epoch 1" <<<"$out"
check "and finishes" [ -s "$scratch/resumed.h5" ]
finish
