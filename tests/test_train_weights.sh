#!/usr/bin/env bash
# clrnn-train's --class-weight and the data file's sample_weight, against Keras 3's own
# numbers (tests/keras/golden/train_class_weight and train_sample_weight, made by
# make_golden_weighted.py with fit(epochs=2, batch_size=4, shuffle=False)): the two epochs'
# losses in --history are Keras's history['loss'] to 1e-5; without the weights they are not.
# Bad specs and weights given twice are one clear line.
source "$(dirname "$0")/e2e_common.sh"
require_device
golden="$(cd "$(dirname "$0")" && pwd)/keras/golden"
common=(--epochs 2 --batch-size 4 --no-shuffle --quiet)
# epoch_losses of a golden batches.h5, one a line
keras_losses() { h5dump -m %.9g -d epoch_losses -y -w 0 "$1" | awk '/DATA \{/ { f = 1; next } /\}/ { f = 0 } f' | tr ',' '\n' | tr -d ' ' | grep .; }
# the loss column of a history file, one a line
history_losses() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "loss") c = i; next } { print $c }' "$1"; }
# 1 when the two lists agree to 1e-5
same_losses() { paste -d' ' <(echo "$1") <(echo "$2") | awk 'NF != 2 || ($1 - $2 > 1e-5 || $2 - $1 > 1e-5) { bad = 1 } END { exit bad || NR != 2 }'; }

cw="$golden/train_class_weight"
"$build/clrnn-train" --model "$cw/initial.h5" --data "$cw/batches.h5" --class-weight 0:1,1:3 \
  "${common[@]}" --history "$scratch/cw.csv" --out "$scratch/cw.h5"
want=$(keras_losses "$cw/batches.h5")
check "--class-weight 0:1,1:3: Keras's losses ($(echo $want))" same_losses "$want" "$(history_losses "$scratch/cw.csv")"
"$build/clrnn-train" --model "$cw/initial.h5" --data "$cw/batches.h5" \
  "${common[@]}" --history "$scratch/plain.csv" --out "$scratch/plain.h5"
check_not "without --class-weight the losses differ" same_losses "$want" "$(history_losses "$scratch/plain.csv")"

sw="$golden/train_sample_weight"
"$build/clrnn-train" --model "$sw/initial.h5" --data "$sw/batches.h5" \
  "${common[@]}" --history "$scratch/sw.csv" --out "$scratch/sw.h5"
want=$(keras_losses "$sw/batches.h5")
check "the data file's sample_weight (N, T): Keras's losses ($(echo $want))" same_losses "$want" "$(history_losses "$scratch/sw.csv")"

expect 2 "--class-weight 0=1: give CLASS:WEIGHT pairs" \
  "$build/clrnn-train" --model "$cw/initial.h5" --data "$cw/batches.h5" --class-weight 0=1 --out "$scratch/x.h5"
expect 2 "weight of class 1 must be a number" \
  "$build/clrnn-train" --model "$cw/initial.h5" --data "$cw/batches.h5" --class-weight 0:1,1:-3 --out "$scratch/x.h5"
expect 2 "has sample weights already" \
  "$build/clrnn-train" --model "$sw/initial.h5" --data "$sw/batches.h5" --class-weight 0:2 --out "$scratch/x.h5"
finish
