#!/usr/bin/env bash
# clrnn-train under mpirun (docs/scale-out.md): for a fixed --grad-shards 4, the model
# (weights and optimizer state) and the history are the same bit for bit alone and at 1, 2
# and 4 processes, for an LSTM with dropout and recurrent dropout whose last batch of 3 rows
# leaves a shard empty (its validation batches shared by the processes), a masked Embedding
# model and a Bidirectional GRU; against the
# unsharded run (S = 1) only rounding differs: the first epoch's loss within 1e-4.
source "$(dirname "$0")/e2e_common.sh"
require_device
source "$(dirname "$0")/mpi_common.sh"
reber 67 "$scratch/reber.h5"
reber 84 "$scratch/reber84.h5" # --validation-split 0.2: 67 to train, 17 (2 batches) to validate
line=0
while IFS= read -r text; do # 43 texts of 1 to 6 words, pre-padded to 6 with the id 0
  line=$((line + 1))
  printf '%d\t%s\n' $((line % 2)) "$text"
done < <(for i in 1 2 3 4 5 6; do printf '%s\n' "the cat sat on the mat" "bad dog" \
  "a very good day" "no" "good cat good dog" "the worst day of all" "fine"; done; echo "not good") \
  > "$scratch/texts.tsv"
"$build/clrnn-data" labelled --tsv "$scratch/texts.tsv" --maxlen 6 --out "$scratch/text.h5" >/dev/null

# same NAME DATA SPEC [options]: alone, then 1, 2 and 4 processes, --grad-shards 4
same() {
  local name=$1 data=$2 spec=$3; shift 3
  local args=(--layers "$spec" --data "$data" --epochs 2 --batch-size 16 --grad-shards 4
              --seed 3 --device cpu --quiet "$@")
  check "$name: alone" "$build/clrnn-train" "${args[@]}" --out "$scratch/$name.alone.h5" \
    --history "$scratch/$name.alone.csv"
  for np in 1 2 4; do
    check "$name: $np processes" mpi $np "$build/clrnn-train" "${args[@]}" \
      --out "$scratch/$name.$np.h5" --history "$scratch/$name.$np.csv"
    check "$name: $np processes write the model" [ -s "$scratch/$name.$np.h5" ]
    check "$name: h5diff finds nothing between alone and $np processes" \
      h5diff "$scratch/$name.alone.h5" "$scratch/$name.$np.h5"
    check "$name: the same history alone and at $np processes" \
      cmp "$scratch/$name.alone.csv" "$scratch/$name.$np.csv"
  done
}
same lstm "$scratch/reber84.h5" "lstm(8,dropout=0.2,recurrent_dropout=0.1) dense(1,sigmoid)" \
  --validation-split 0.2
same masked "$scratch/text.h5" "embedding(40,4,mask_zero=true) lstm(6,dropout=0.3) dense(1,sigmoid)"
same bigru "$scratch/reber.h5" "bidirectional(gru(4)) dense(1,sigmoid)"
check "the history has the validation columns" grep -q val_loss "$scratch/lstm.alone.csv"

# against the unsharded run: the same masks, the sums in another order
once=(--layers "lstm(8,dropout=0.2,recurrent_dropout=0.1) dense(1,sigmoid)" --epochs 1
      --data "$scratch/reber.h5" --batch-size 16 --seed 3 --device cpu --quiet --validation-split 0.1)
check "unsharded alone" "$build/clrnn-train" "${once[@]}" --out "$scratch/plain.h5" \
  --history "$scratch/plain.csv"
check "at 2 processes" mpi 2 "$build/clrnn-train" "${once[@]}" --out "$scratch/two.h5" \
  --history "$scratch/two.csv"
a=$(sed -n 2p "$scratch/plain.csv" | cut -d, -f3)
b=$(sed -n 2p "$scratch/two.csv" | cut -d, -f3)
echo "first-epoch loss: $a alone unsharded, $b at 2 processes"
check "first-epoch loss within 1e-4 relative ($a, $b)" \
  awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-4 * a) }'
finish
