#!/usr/bin/env bash
# Resuming across process counts (docs/scale-out.md): 2 epochs at 2 processes with
# --checkpoint, then --resume at 4 processes to 4 epochs, equals 4 epochs alone with
# --grad-shards 4 bit for bit (weights, optimizer state); only rank 0 writes files (each
# process runs in its own folder, given relative names), and only rank 0 needs the
# checkpoint (the others get it from rank 0).
source "$(dirname "$0")/e2e_common.sh"
require_device
source "$(dirname "$0")/mpi_common.sh"
reber 67 "$scratch/reber.h5"
args=(--layers "lstm(8,dropout=0.2) dense(1,sigmoid)" --data "$scratch/reber.h5"
      --batch-size 16 --grad-shards 4 --seed 3 --device cpu --quiet)
check "4 epochs alone" "$build/clrnn-train" "${args[@]}" --epochs 4 --out "$scratch/alone.h5"
mkdir -p "$scratch"/rank{0,1,2,3}
# each process in folder rank<its rank>
in_rank_folder() {
  mpi "$1" bash -c 'cd "$0/rank$OMPI_COMM_WORLD_RANK" && exec "$@"' "$scratch" "${@:2}"
}
check "2 epochs at 2 processes" in_rank_folder 2 "$build/clrnn-train" "${args[@]}" --epochs 2 --checkpoint ckpt.h5 --out two.h5 \
  --history h.csv
check "rank 0 wrote the checkpoint, the model and the history" \
  [ -s "$scratch/rank0/ckpt.h5" -a -s "$scratch/rank0/two.h5" -a -s "$scratch/rank0/h.csv" ]
check "rank 1 wrote nothing" [ -z "$(ls -A "$scratch/rank1")" ]
check "resumed to 4 epochs at 4 processes" in_rank_folder 4 "$build/clrnn-train" "${args[@]}" --epochs 4 --resume ckpt.h5 \
  --out four.h5 --history h.csv
check "resumed at 4 processes: the model" [ -s "$scratch/rank0/four.h5" ]
check "ranks 1 to 3 wrote nothing" [ -z "$(find "$scratch"/rank[123] -mindepth 1)" ]
check "h5diff finds nothing between 4 epochs alone and 2 + 2 resumed at 2 then 4 processes" \
  h5diff "$scratch/alone.h5" "$scratch/rank0/four.h5"
check "the history has 4 epochs" [ "$(wc -l < "$scratch/rank0/h.csv")" -eq 5 ]
finish
