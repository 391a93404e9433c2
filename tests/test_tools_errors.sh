#!/usr/bin/env bash
# Bad input to the tools: each case ends with one clear line on stderr naming the problem
# and where it is, the exit status of design.md (1 user error, 2 usage error), and no crash
# (the suite also runs this under ASan+UBSan).
source "$(dirname "$0")/e2e_common.sh"
require_device

"$build/clrnn-data" addition --out "$scratch/add.h5" --samples 200 --test-samples 50 >/dev/null
"$build/clrnn-data" reber --out "$scratch/reber.h5" --samples 200 --test-samples 50 >/dev/null
spec="simple_rnn(4,return_sequences=true) dense(1,sigmoid)"

# usage errors: exit 2 with the usage text
expect 2 "unknown option '--bogus'" "$build/clrnn-train" --bogus
expect 2 "--data is required" "$build/clrnn-train" --layers "$spec" --out "$scratch/m.h5"
expect 2 "give exactly one of --model, --layers and --resume" "$build/clrnn-train" --data "$scratch/add.h5" --out "$scratch/m.h5"
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
