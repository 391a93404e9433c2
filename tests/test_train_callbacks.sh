#!/usr/bin/env bash
# clrnn-train's Keras callbacks: EarlyStopping (--early-stopping N, --monitor,
# --restore-best-weights) stops once the monitored metric has not improved for N epochs and
# can end with the best epoch's weights; --plot writes the loss and accuracy per epoch as an
# SVG file; wrong combinations are usage errors (exit 2). And clrnn-eval's confusion matrix
# and throughput on the model trained here.
source "$(dirname "$0")/e2e_common.sh"
require_device
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 200 --test-samples 20 --seed 3 >/dev/null
# a learning rate this high makes validation loss wander early: stopping comes well before 60
out=$("$build/clrnn-train" --layers "lstm(8) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/es.h5" --epochs 60 --lr 0.05 --validation-split 0.3 --seed 2 \
  --early-stopping 2 --restore-best-weights --history "$scratch/h.csv" --plot "$scratch/p.svg")
echo "$out" | tail -3
epochs=$(($(wc -l < "$scratch/h.csv") - 1))
check "early stopping ended training after $epochs of 60 epochs" [ "$epochs" -lt 60 ]
stop=$(grep -o 'Epoch [0-9]*: early stopping' <<< "$out" | grep -o '[0-9]*')
best=$(grep -o 'restored the weights of epoch [0-9]*' <<< "$out" | grep -o '[0-9]*$')
check "it stopped 2 epochs after the best one ($best -> $stop)" [ "$((stop - best))" -eq 2 ]
# the best epoch is the one with the lowest val_loss in the history (columns: epoch,
# accuracy, loss, val_accuracy, val_loss)
lowest=$(tail -n +2 "$scratch/h.csv" | sort -t, -k5,5g | head -1 | cut -d, -f1)
check "the restored epoch $best has the lowest val_loss (epoch $((lowest + 1)))" [ "$best" -eq $((lowest + 1)) ]
check "the plot is an SVG file" grep -q "^<svg xmlns='http://www.w3.org/2000/svg'" "$scratch/p.svg"
check "with loss, val_loss, accuracy and val_accuracy lines" [ "$(grep -c '<polyline' "$scratch/p.svg")" -eq 4 ]
check "and a label for each" grep -q '>val_accuracy<' "$scratch/p.svg"
"$build/clrnn-train" --layers "lstm(4) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/m.h5" --epochs 2 --quiet --plot "$scratch/q.svg"
check "without validation: loss and accuracy lines only" [ "$(grep -c '<polyline' "$scratch/q.svg")" -eq 2 ]
# the plot reads like matplotlib's: round tick values (a step of 1, 2 or 5 times a power of
# ten, no "-0.0343"), a grid, the legend under the axes rather than over the curves, and
# every epoch marked, so that a single epoch shows as a dot
plot_shape() { # SVG -> "round grid legend_below markers"
  python3 - "$1" <<'PY'
import re, sys, math
svg = open(sys.argv[1]).read()
def round_ticks(ticks):
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    step = steps.pop() if len(steps) == 1 else 0
    mantissa = step / 10 ** math.floor(math.log10(step)) if step > 0 else 0
    return any(abs(mantissa - m) < 1e-6 for m in (1, 2, 5)) and \
        all(abs(t / step - round(t / step)) < 1e-6 for t in ticks)
panels = svg.split("font-size='14'")[1:]  # each panel from its title
ticks = [[float(t) for t in re.findall(r"text-anchor='end'>([-0-9.]+)<", p)] for p in panels]
round_ticks = all(round_ticks(t) for t in ticks)
grid = svg.count("stroke='#ddd'") >= sum(map(len, ticks))
boxes = [int(y) + int(h) for y, h in re.findall(r"<rect x='\d+' y='(\d+)' width='\d+' height='(\d+)' fill='none'", svg)]
labels = [float(y) for y in re.findall(r"<text x='\d+' y='([\d.]+)' font-size='11'>(?:loss|accuracy|val_)", svg)]
below = bool(labels) and min(labels) > max(boxes)
print(int(round_ticks), int(grid), int(below), svg.count("<circle"))
PY
}
read -r round grid below markers <<< "$(plot_shape "$scratch/p.svg")"
check_all "the plot's ticks are round values ($round), on a grid ($grid), the legend under the axes ($below)" \
  '[ "$round" = 1 ] && [ "$grid" = 1 ] && [ "$below" = 1 ]'
"$build/clrnn-train" --layers "lstm(4) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/m.h5" --epochs 1 --quiet --plot "$scratch/one.svg"
read -r round grid below markers <<< "$(plot_shape "$scratch/one.svg")"
check_all "one epoch: a dot for the loss and one for the accuracy ($markers), round ticks ($round)" \
  '[ "$markers" -eq 2 ] && [ "$round" = 1 ]'
# --save-best-only: ModelCheckpoint(save_best_only=True): the checkpoint is written only when
# val_loss improves, saying so as Keras's verbose ModelCheckpoint does, so it ends holding
# the best epoch's model (the last one is in --out)
out=$("$build/clrnn-train" --layers "lstm(8) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/last.h5" --epochs 15 --lr 0.05 --seed 2 --validation-data "$scratch/reber.h5" \
  --checkpoint "$scratch/best.h5" --save-best-only --history "$scratch/hb.csv")
improved=$(grep -c "^Epoch [0-9]*: val_loss improved from .* saving model to $scratch/best.h5$" <<< "$out" || true)
kept=$(grep -c "^Epoch [0-9]*: val_loss did not improve from" <<< "$out" || true)
# the epochs whose val_loss is below every earlier one's, and the lowest
read -r minima lowest <<< "$(tail -n +2 "$scratch/hb.csv" | awk -F, \
  'NR == 1 || $5 < best { best = $5; n++ } END { printf "%d %.9f", n, best }')"
check_all "saved at the $improved epochs that improved val_loss (history: $minima), not at $kept others" \
  '[ "$improved" -eq "$minima" ] && [ "$kept" -eq $((15 - minima)) ] && [ "$kept" -gt 0 ]'
best_loss=$("$build/clrnn-eval" "$scratch/best.h5" --data "$scratch/reber.h5" --json | \
  sed -n 's/^{"loss": \([0-9.e-]*\),.*/\1/p')
# the same data and model: only the order of the batch sums differs (float32)
check "the checkpoint is the best epoch's model: its loss $best_loss is the lowest val_loss $lowest" \
  awk -v a="$best_loss" -v b="$lowest" 'BEGIN { exit !(a != "" && a - b < 1e-6 && b - a < 1e-6) }'
# clrnn-eval's confusion matrix: its cells add up to the test samples, its diagonal is the
# accuracy
json=$("$build/clrnn-eval" "$scratch/es.h5" --data "$scratch/reber.h5" --json)
echo "$json"
cells=$(sed -n 's/.*"confusion_matrix": \[\[\([0-9]*\), \([0-9]*\)\], \[\([0-9]*\), \([0-9]*\)\]\].*/\1 \2 \3 \4/p' <<< "$json")
read -r tn fp fn tp <<< "$cells"
check "the confusion matrix covers the 20 test samples ($cells)" [ "$((tn + fp + fn + tp))" -eq 20 ]
check "its diagonal is the accuracy" awk -v a="$(json_field accuracy <<< "$json")" -v d="$((tn + tp))" 'BEGIN { exit !(a * 20 == d) }'
check "throughput is reported" grep -q '"samples_per_second": [0-9]' <<< "$json"
# --validation-data: the validation set is another file's test split; after the last epoch
# its val_loss is what clrnn-eval computes on that split with the saved model
"$build/clrnn-train" --layers "lstm(4) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --validation-data "$scratch/reber.h5" --out "$scratch/vd.h5" --epochs 2 --quiet \
  --history "$scratch/vd.csv"
val_loss=$(tail -n 1 "$scratch/vd.csv" | cut -d, -f5)
eval_loss=$("$build/clrnn-eval" "$scratch/vd.h5" --data "$scratch/reber.h5" --json | json_field loss)
check "--validation-data: val_loss $val_loss is clrnn-eval's test loss $eval_loss" \
  awk -v a="$val_loss" -v b="$eval_loss" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
# a loss that becomes NaN stops training with the epoch, and no checkpoint of it is written
err=$("$build/clrnn-train" --layers "simple_rnn(4,activation=relu) dense(1)" --loss mean_squared_error \
  --data "$scratch/reber.h5" --out "$scratch/nan.h5" --checkpoint "$scratch/nan_ck.h5" --epochs 3 \
  --lr 1e6 --optimizer sgd --quiet 2>&1)
status=$?
check_all "a NaN loss: exit 1 naming the epoch and batch (exit $status: $err)" '[ "$status" -eq 1 ] &&
  grep -qE "the training loss became .*nan in epoch 1 \(first in batch [1-9][0-9]* of [0-9]+\)" <<< "$err"'
check_all "no checkpoint or model of the NaN epoch" '[ ! -e "$scratch/nan_ck.h5" ] && [ ! -e "$scratch/nan.h5" ]'
# NaN after a good epoch: the last good checkpoint stays as it was
"$build/clrnn-train" --layers "simple_rnn(4,activation=relu) dense(1)" --loss mean_squared_error \
  --data "$scratch/reber.h5" --out "$scratch/good.h5" --checkpoint "$scratch/good_ck.h5" --epochs 1 \
  --optimizer sgd --quiet
cp "$scratch/good_ck.h5" "$scratch/good_ck.before"
err=$("$build/clrnn-train" --resume "$scratch/good_ck.h5" --data "$scratch/reber.h5" \
  --out "$scratch/nan2.h5" --checkpoint "$scratch/good_ck.h5" --epochs 3 --lr 1e6 --quiet 2>&1)
status=$?
check_all "NaN in epoch 2: exit 1 naming it (exit $status: $err)" '[ "$status" -eq 1 ] &&
  grep -qE "became .*nan in epoch 2 \(first in batch" <<< "$err"'
check "the checkpoint of epoch 1 is unchanged" cmp -s "$scratch/good_ck.h5" "$scratch/good_ck.before"
# a plot whose folder does not exist: refused before training, one line, exit 1
err=$("$build/clrnn-train" --layers "lstm(4) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/never.h5" --epochs 1 --quiet --plot "$scratch/no/such/dir/p.svg" 2>&1)
status=$?
check_all "an unwritable --plot: exit 1 naming it (exit $status: $err)" '[ "$status" -eq 1 ] &&
  grep -q "^clrnn-train: error: --plot .*no/such/dir/p.svg: folder .*: No such file or directory" <<< "$err"'
check_not "before training: no model" [ -e "$scratch/never.h5" ]
# a plot that fails when it is written after training (its temporary name is taken by a
# folder): one line, exit 1, and the trained model is saved all the same
mkdir -p "$scratch/p.svg.tmp"
err=$("$build/clrnn-train" --layers "lstm(4) dense(1,sigmoid)" --data "$scratch/reber.h5" \
  --out "$scratch/kept.h5" --epochs 1 --quiet --plot "$scratch/p.svg" 2>&1)
status=$?
check_all "a plot that cannot be written: exit 1 naming it (exit $status: $err)" '[ "$status" -eq 1 ] &&
  grep -q "p.svg: cannot write the plot" <<< "$err"'
check "and the model was saved first" [ -s "$scratch/kept.h5" ]
usage() { # usage TEXT ARGS...: exit 2 and TEXT on stderr, before anything on stdout
  local text=$1; shift
  local err out status
  out=$("$build/clrnn-train" --layers "lstm(4) dense(1,sigmoid)" --data "$scratch/reber.h5" --out "$scratch/x.h5" "$@" 2>"$scratch/usage.err")
  status=$?
  err=$(cat "$scratch/usage.err")
  check_all "usage error '$text' (exit $status: $err), nothing printed before it ($out)" \
    '[ "$status" -eq 2 ] && grep -q -- "$text" <<< "$err" && [ -z "$out" ]'
}
usage "restore-best-weights goes with --early-stopping" --restore-best-weights
usage "save-best-only goes with --checkpoint" --save-best-only
usage "monitor goes with --early-stopping N, --save-best-only or --reduce-lr-on-plateau" --monitor loss
usage "needs validation data" --early-stopping 2 --monitor val_loss
usage "monitor speed: give loss, accuracy, .*precision or recall, or one of them with val_ before it" --early-stopping 2 --monitor speed
usage "not both" --validation-split 0.2 --validation-data "$scratch/reber.h5"
usage "cannot change a rate that --lr-schedule sets" --reduce-lr-on-plateau "" \
  --lr-schedule "exponential_decay(decay_steps=5,decay_rate=0.5)"
usage "unknown key 'decay'" --lr-schedule "exponential_decay(decay=5)"
usage "give exponential_decay(...) or cosine_decay(...)" --lr-schedule "step_decay(decay_steps=5)"
usage "warmup_target and warmup_steps go together" --lr-schedule "cosine_decay(decay_steps=5,warmup_steps=2)"
usage "give a factor below 1" --reduce-lr-on-plateau "factor=2"
usage "unknown key 'patient'" --reduce-lr-on-plateau "patient=3"
finish
