#!/usr/bin/env bash
# clrnn-train under mpirun never hangs (docs/scale-out.md): a process killed mid-epoch ends
# the job within 10 s, leaving no process; a stalled one (test hook) ends it at
# --dist-timeout, naming the batch; an error on one ends it within 3 s naming the rank (both
# timed beyond what a job that ends normally takes to start and train as far, so that a
# loaded machine's slow start is not counted); a
# batch size that differs between processes fails at start naming the rank; Ctrl-C to
# mpirun stops every process after the same batch, rank 0 saving the model, the checkpoint
# whole.
source "$(dirname "$0")/e2e_common.sh"
require_device
source "$(dirname "$0")/mpi_common.sh"
reber 67 "$scratch/small.h5"
reber 2000 "$scratch/big.h5"
args=(--layers "lstm(8) dense(1,sigmoid)" --batch-size 16 --seed 3 --device cpu --quiet)
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
# a long run in the background: $job is mpirun's pid, $ranks its processes' pids
start_long() {
  mpirun --allow-run-as-root --oversubscribe -np 2 "$build/clrnn-train" "${args[@]}" \
    --data "$scratch/big.h5" --epochs 1000 \
    --out "$scratch/long.h5" --checkpoint "$scratch/ckpt.h5" "$@" >"$scratch/long.out" 2>"$scratch/long.err" &
  job=$!
  for _ in $(seq 300); do # until the first checkpoint: every process is training
    [ -s "$scratch/ckpt.h5" ] && break
    sleep 0.1
  done
  ranks=$(pgrep -P "$job" -d ' ') # each a guard (cli_guard.c) of the process that trains
  trainers=$(for p in $ranks; do pgrep -P "$p"; done | tr "\n" " ")
}
# none of the processes runs (a zombie has ended: this container's init may not reap it)
running() {
  local p state
  for p in $ranks $trainers; do
    state=$(ps -o stat= -p "$p" 2>/dev/null) || continue
    case $state in Z*) ;; *) echo "$p"; return ;; esac
  done
}
# ... within $1 seconds of $2 (processes being killed take a moment to go)
gone() {
  while [ -n "$(running)" ]; do
    if ! below "$(took "$2")" "$1"; then
      echo "left: $(ps -o pid=,stat=,args= -p "$(running)")" >&2
      return 1
    fi
    sleep 0.1
  done
}

# a process killed mid-epoch
start_long
t=$(now)
check "two processes train" [ "$(wc -w <<<"$trainers")" -eq 2 ]
kill -9 "$(awk '{ print $2 }' <<<"$trainers")" # mid-epoch
wait "$job"; status=$?
secs=$(took "$t")
echo "killed rank: job ended in $secs s, status $status"
check "killed rank: the job fails" [ "$status" -ne 0 ]
check "killed rank: within 10 s ($secs)" below "$secs" 10
check "killed rank: no process left within 10 s" gone 10 "$t"

# the time a job takes to start and train 2 epochs here: the faults below are timed on top
t=$(now)
check "a job that ends normally" mpi 2 "$build/clrnn-train" "${args[@]}" --data "$scratch/small.h5" \
  --epochs 2 --out "$scratch/m.h5"
base=$(took "$t")
echo "a normal job: $base s"

# a stalled process: the others wait --dist-timeout, then end the job
rm -f "$scratch/ckpt.h5"
t=$(now)
err=$(CLRNN_TEST_DIST_STALL=1:2 mpi 2 "$build/clrnn-train" "${args[@]}" --data "$scratch/small.h5" \
  --epochs 2 --out "$scratch/m.h5" --dist-timeout 5 2>&1 >/dev/null); status=$?
secs=$(took "$t")
echo "stalled rank: ended in $secs s, status $status"
check "stalled rank: the job fails" [ "$status" -ne 0 ]
check "stalled rank: within 8 s, beyond a normal job's $base s ($secs)" below "$secs" "$(awk -v b="$base" 'BEGIN { print b + 8 }')"
check "stalled rank: rank 0 names the timeout and the batch" \
  grep -q "rank 0: error: no answer from the other processes within --dist-timeout 5 s (epoch 1, batch 3)" <<<"$err"

# an error on one process
t=$(now)
err=$(CLRNN_TEST_DIST_FAIL=1:1 mpi 2 "$build/clrnn-train" "${args[@]}" --data "$scratch/small.h5" \
  --epochs 2 --out "$scratch/m.h5" 2>&1 >/dev/null); status=$?
secs=$(took "$t")
echo "failing rank: ended in $secs s, status $status"
check "failing rank: the job fails" [ "$status" -ne 0 ]
check "failing rank: within 3 s, beyond a normal job's $base s ($secs)" below "$secs" "$(awk -v b="$base" 'BEGIN { print b + 3 }')"
check "failing rank: its message names it" grep -q "rank 1: error: CLRNN_TEST_DIST_FAIL" <<<"$err"

# another batch size on rank 1: refused at start
err=$(mpirun --allow-run-as-root --oversubscribe \
  -np 1 "$build/clrnn-train" "${args[@]}" --data "$scratch/small.h5" --out "$scratch/m.h5" : \
  -np 1 "$build/clrnn-train" "${args[@]}" --data "$scratch/small.h5" --out "$scratch/m.h5" \
  --batch-size 8 2>&1 >/dev/null); status=$?
check "another batch size: the job fails" [ "$status" -ne 0 ]
check "another batch size: rank 0 names rank 1 and the setting" \
  grep -q "error: rank 1: its batch size 8 differs from rank 0's 16" <<<"$err"

# Ctrl-C to mpirun: its processes get SIGTERM, then SIGKILL a second later
rm -f "$scratch/ckpt.h5"
start_long
t=$(now)
kill -INT "$job"
wait "$job"; status=$?
echo "Ctrl-C: status $status; $(tail -n 1 "$scratch/long.err")"
check "Ctrl-C: the job fails (mpirun says 1 when interrupted)" [ "$status" -ne 0 ]
check "Ctrl-C: rank 0 saved the model" \
  grep -q "rank 0: interrupted after .* whole epochs; saved the weights so far to $scratch/long.h5" "$scratch/long.err"
check "Ctrl-C: the model is whole" "$build/clrnn-info" file "$scratch/long.h5"
check "Ctrl-C: the checkpoint is whole" "$build/clrnn-info" file "$scratch/ckpt.h5"
check "Ctrl-C: no process left" gone 3 "$t"
finish
