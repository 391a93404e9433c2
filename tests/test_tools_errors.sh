#!/usr/bin/env bash
# Bad input to the tools: each case ends with one clear line on stderr naming the problem
# and where it is, the exit status of design.md (1 user error, 2 usage error), and no crash
# (the suite also runs this under ASan+UBSan).
source "$(dirname "$0")/e2e_common.sh"
require_device

"$build/clrnn-data" addition --out "$scratch/add.h5" --samples 200 --test-samples 50 >/dev/null
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 200 --test-samples 50 >/dev/null
spec="simple_rnn(4,return_sequences=true) dense(1,sigmoid)"

# usage errors: exit 2 with the cause and where help is, not the whole usage (GNU style);
# --version in every tool
for tool in clrnn-train clrnn-eval clrnn-generate clrnn-info clrnn-data clrnn-bench; do
  err=$("$build/$tool" --bogus-flag 2>&1 >/dev/null); status=$?
  check "$tool: a usage error exits 2 ($status)" [ "$status" -eq 2 ]
  check "$tool: the cause ($err)" grep -q "^$tool: ." <<<"$(head -n 1 <<<"$err")"
  check "$tool: then where help is ($err)" \
    [ "$(tail -n 1 <<<"$err")" = "Try '$tool --help' for more information." ]
  check "$tool: two lines, not the usage ($err)" [ "$(wc -l <<<"$err")" -eq 2 ]
  out=$("$build/$tool" --version); status=$?
  check_all "$tool --version ($out)" '[ "$status" -eq 0 ] && grep -qE "^$tool \(clrnn\) [0-9]+\.[0-9]+\.[0-9]+$" <<<"$out"'
done
expect 2 "unknown option '--bogus'" "$build/clrnn-train" --bogus
expect 2 "--data is required" "$build/clrnn-train" --layers "$spec" --out "$scratch/m.h5"
expect 2 "give --model or --layers \\(and --resume to go on from a checkpoint\\)" "$build/clrnn-train" --data "$scratch/add.h5" --out "$scratch/m.h5"
expect 2 "--epochs: 'ten' is not an integer" "$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --out "$scratch/m.h5" --epochs ten
expect 2 "unknown command 'bogus'" "$build/clrnn-info" bogus
expect 2 "MODEL is required" "$build/clrnn-eval" --data "$scratch/add.h5"

# a missing or unreadable dataset, a file that is not HDF5
expect 1 "^clrnn-train: error: .*nothere.h5" "$build/clrnn-train" --layers "$spec" --data "$scratch/nothere.h5" --out "$scratch/m.h5"
echo "not hdf5" > "$scratch/text.h5"
expect 1 "^clrnn-train: error: .*text.h5.*not an HDF5 file" "$build/clrnn-train" --layers "$spec" --data "$scratch/text.h5" --out "$scratch/m.h5"
if [ "$(id -u)" -ne 0 ]; then
  cp "$scratch/add.h5" "$scratch/locked.h5"; chmod 000 "$scratch/locked.h5"
  expect 1 "locked.h5" "$build/clrnn-train" --layers "$spec" --data "$scratch/locked.h5" --out "$scratch/m.h5"
fi

# a layer list that does not parse, or does not chain
expect 1 "^clrnn-train: error: --layers: item 1 \(simple_rnn\): missing '\)'" "$build/clrnn-train" --layers "simple_rnn(4" --data "$scratch/add.h5" --out "$scratch/m.h5"
expect 1 "unknown layer 'lstmm'" "$build/clrnn-train" --layers "lstmm(4)" --data "$scratch/add.h5" --out "$scratch/m.h5"
expect 1 "layer 'simple_rnn_1' \(SimpleRNN\) expects input \(batch, steps, features\), found \(None, 4\)" \
  "$build/clrnn-train" --layers "simple_rnn(4) simple_rnn(4)" --data "$scratch/add.h5" --out "$scratch/m.h5"

# an unknown keyword is refused, as Keras refuses it, naming the layer, the keys it takes
# and the closest one
expect 1 "^clrnn-train: error: --layers: simple_rnn\(...\): unknown keyword 'retrun_sequences' \(did you mean 'return_sequences'\? simple_rnn takes: .*units, activation, use_bias" \
  "$build/clrnn-train" --layers "simple_rnn(16,retrun_sequences=true) dense(1)" --data "$scratch/add.h5" --out "$scratch/m.h5"
expect 1 "dense\(...\): unknown keyword 'use_bais' \(did you mean 'use_bias'\? dense takes: name, units, activation, use_bias, kernel_initializer, bias_initializer\)" \
  "$build/clrnn-train" --layers "simple_rnn(4,return_sequences=true) dense(1,use_bais=false)" --data "$scratch/add.h5" --out "$scratch/m.h5"
expect 1 "lstm\(...\): unknown keyword 'colour' \(lstm takes: " \
  "$build/clrnn-train" --layers "bidirectional(lstm(4,colour=red),merge_mode=sum) dense(1)" --data "$scratch/add.h5" --out "$scratch/m.h5"
expect 1 "bidirectional\(...\): unknown keyword 'merge' \(did you mean 'merge_mode'\?" \
  "$build/clrnn-train" --layers "bidirectional(lstm(4),merge=sum) dense(1)" --data "$scratch/add.h5" --out "$scratch/m.h5"

# where the results go is checked before training, not after it
mkdir -p "$scratch/folder"
expect 1 "^clrnn-train: error: --out $scratch/folder: Is a directory" \
  "$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --epochs 500 --out "$scratch/folder"
expect 1 "^clrnn-train: error: --out /nonexistent/a.h5: folder /nonexistent: No such file or directory" \
  "$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --epochs 500 --out /nonexistent/a.h5
expect 1 "^clrnn-train: error: --checkpoint $scratch/add.h5/c.h5: $scratch/add.h5 is not a folder" \
  "$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --epochs 500 --out "$scratch/m.h5" --checkpoint "$scratch/add.h5/c.h5"
expect 1 "^clrnn-train: error: --plot $scratch/folder: Is a directory" \
  "$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --epochs 500 --out "$scratch/m.h5" --plot "$scratch/folder"
if [ "$(id -u)" -ne 0 ]; then
  mkdir -p "$scratch/readonly"; chmod 555 "$scratch/readonly"
  expect 1 "--out $scratch/readonly/m.h5: cannot write in folder $scratch/readonly: Permission denied" \
    "$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --epochs 500 --out "$scratch/readonly/m.h5"
fi

# targets that do not fit the model
expect 1 "targets y have shape \(None, 8, 1\) but the model output is \(None, 3\)" \
  "$build/clrnn-train" --layers "simple_rnn(4) dense(3,softmax)" --loss categorical_crossentropy --data "$scratch/add.h5" --out "$scratch/m.h5"

# a model file that is not one; a model and data that do not fit together
expect 1 "^clrnn-eval: error: .*text.h5.*not an HDF5 file|not a model file" "$build/clrnn-eval" "$scratch/text.h5" --data "$scratch/add.h5"
expect 1 "^clrnn-eval: error: .*add.h5.*not a Keras model" "$build/clrnn-eval" "$scratch/add.h5" --data "$scratch/add.h5"
"$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --out "$scratch/add_model.h5" --epochs 1 --quiet
check "a one-epoch model was saved" [ -s "$scratch/add_model.h5" ]
expect 1 "has shape \(None, [0-9]+, 7\) per batch, but the model expects input \(None, 8, 2\)" \
  "$build/clrnn-eval" "$scratch/add_model.h5" --data "$scratch/reber.h5"

# a save that cannot happen leaves nothing behind and says where
expect 1 "^clrnn-train: error: .*/no/such/dir/m.h5" "$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --out /no/such/dir/m.h5 --epochs 1 --quiet

# devices: a spec that matches nothing; a machine with no OpenCL platform
expect 1 "--device 'no-such-gpu' matches no OpenCL device" "$build/clrnn-train" --layers "$spec" --data "$scratch/add.h5" --out "$scratch/m.h5" --device no-such-gpu
mkdir -p "$scratch/no-icd"
expect 1 "no OpenCL platform found" env OCL_ICD_VENDORS="$scratch/no-icd" "$build/clrnn-info" devices

# a kernel that fails to build: the message shows the build log
mkdir -p "$scratch/cl"
cp "$(dirname "$0")/../cl/"*.cl "$scratch/cl/"
echo "__kernel void broken_here(void) { this is not C; }" >> "$scratch/cl/dense.cl"
expect 1 "building kernels \{common.cl, dense.cl\}.*failed" env CLRNN_CL_DIR="$scratch/cl" CLRNN_CACHE=0 \
  "$build/clrnn-eval" "$scratch/add_model.h5" --data "$scratch/add.h5"
err=$(env CLRNN_CL_DIR="$scratch/cl" CLRNN_CACHE=0 "$build/clrnn-eval" "$scratch/add_model.h5" --data "$scratch/add.h5" 2>&1)
check "the build log is shown" grep -q "build log" <<<"$err"
check "with the compiler's error in it" grep -qE "error.*(this|not)" <<<"${err#*build log}"
finish
