#!/usr/bin/env bash
# The GPU forms' kernels under Oclgrind, an OpenCL device simulator that runs a work-group's
# work-items interleaved as a GPU would and reports data races, barrier divergence and
# out-of-bounds or invalid accesses (PoCL, which the rest of the suite runs on, executes them
# one after another and would show none of these):
#
#   tests/oclgrind/run.sh BUILD_DIR            every case below; exit 1 on any failed check
#                                              or any Oclgrind diagnostic
#   tests/oclgrind/run.sh BUILD_DIR --mutant   the proof that it can fail: a copy of cl/ with
#                                              one barrier removed must be reported as a race
#
# Each case runs a kernel test in its small form (CLRNN_TEST_SMALL=1: sizes that still cross
# every branch) with the GPU forms (CLRNN_KERNELS=gpu), nothing tuned (CLRNN_TUNE=0: each
# tuning runs every variant, which the simulator would run too, slowly) and no kernel cache
# (Oclgrind has no binaries), under `oclgrind --data-races --check-api`. Oclgrind's
# --uninitialized plugin is left off: with Debian's LLVM it aborts on `freeze` instructions.
set -euo pipefail
build=$(cd "${1:?usage: tests/oclgrind/run.sh BUILD_DIR [--mutant]}" && pwd)
mode=${2:-}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command -v oclgrind >/dev/null || { echo "oclgrind: not installed (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CLRNN_TEST_DATA="$root/tests" CLRNN_KERNELS=gpu CLRNN_TUNE=0 CLRNN_CACHE=0
export CLRNN_TEST_SMALL=1 CLRNN_REQUIRE_DEVICE=1
unset CLRNN_DEVICE CLRNN_PROGRAM_LOG

# run NAME [VAR=VALUE...] -- PROGRAM [ARGS...]: one case; its output and Oclgrind's report
# in $work/NAME.out and $work/NAME.diag; prints one line; returns non-zero on a failure
run() {
    local name=$1
    shift
    local settings=()
    while [ "$1" != -- ]; do settings+=("$1"); shift; done
    shift
    local start=$SECONDS rc=0
    env "${settings[@]}" oclgrind --data-races --check-api --log "$work/$name.diag" "$@" \
        > "$work/$name.out" 2>&1 || rc=$?
    local diag=0
    [ -s "$work/$name.diag" ] && diag=$(grep -c . "$work/$name.diag")
    printf '%-34s %4ds  exit %d, %d lines of Oclgrind diagnostics: %s\n' "$name" \
        $((SECONDS - start)) "$rc" "$diag" "$(tail -n 1 "$work/$name.out")"
    if [ "$rc" -ne 0 ] || [ "$diag" -ne 0 ]; then
        head -n 40 "$work/$name.diag" 2>/dev/null || true
        grep -E 'FAIL|failed|error' "$work/$name.out" | head -n 20 || true
        return 1
    fi
}

t="$build/tests"
if [ "$mode" = --mutant ]; then
    # the group forward kernels (lstm_fwd here) without the barrier after a step's new state
    # is copied into h: a work-item of the next step reads h[j] that another may still be
    # writing
    cp -r "$root/cl" "$work/cl"
    python3 - "$work/cl/rnn_group.cl" <<'EOF'
import sys
path = sys.argv[1]
src = open(path).read()
copy = "        for (int i = lid; i < n; i += lsz) h[i] = hn[i];\n        barrier(CLK_LOCAL_MEM_FENCE);\n"
assert src.count(copy) >= 1, "the barrier to remove is not in rnn_group.cl any more: update tests/oclgrind/run.sh"
open(path, "w").write(src.replace(copy, "        for (int i = lid; i < n; i += lsz) h[i] = hn[i];\n", 1))
EOF
    "$build/clrnn-data" reber --out "$work/reber.h5" --samples 32 --test-samples 8 --max-length 12 \
        > /dev/null
    train=("$build/clrnn-train" --data "$work/reber.h5" --layers 'lstm(6) dense(1,activation=sigmoid)'
           --epochs 1 --batch-size 16 --out "$work/m.h5")
    # the same run on the kernels as they are is clean: the race below is the mutant's
    run lstm_training CLRNN_CL_DIR="$root/cl" -- "${train[@]}"
    if run mutant_lstm_no_barrier CLRNN_CL_DIR="$work/cl" -- "${train[@]}"; then
        echo "oclgrind: the mutant with a barrier removed was NOT caught" >&2
        exit 1
    fi
    if ! grep -q 'data race' "$work/mutant_lstm_no_barrier.diag"; then
        echo "oclgrind: the mutant failed, but not with a data race report" >&2
        exit 1
    fi
    echo "oclgrind: the mutant with a barrier removed was caught (data race reported)"
    exit 0
fi

failed=0
# every kernel against the reference: Dense, the three cells (R in local memory), the
# Embedding (the segmented sums of an id at 800 positions), the losses and the optimizers
run kernels_r_local CLRNN_R_LOCAL=1 -- "$t/test_kernels" || failed=1
# R read from global memory, 8 batch rows a work-group (rows past the batch's end)
run kernels_r_global_rows8 CLRNN_R_LOCAL=0 CLRNN_GROUP_ROWS=8 -- "$t/test_kernels" || failed=1
# the per-step path: CLBlast's products and the step kernels
run kernels_steps CLRNN_RECURRENCE=steps -- "$t/test_kernels" || failed=1
# a device with 2 KiB of local memory and groups of 64: fewer rows, R global, 64 lanes
run kernels_small_device CLRNN_DEVICE_LIMITS=local=2K,group=64 -- "$t/test_kernels" || failed=1
# Bidirectional pairs (both directions in one launch), masking, go_backwards
run bidirectional CLRNN_R_LOCAL=1 -- "$t/test_bidirectional" || failed=1
# masked losses with the mask reaching the output
run masked_loss -- "$t/test_masked_loss" || failed=1
# return_sequences, go_backwards, masks and zero outputs, dropout and recurrent dropout
run rnn_modes -- "$t/test_rnn_modes" || failed=1
# initial states, returned states and their gradients, stateful layers
run rnn_state -- "$t/test_rnn_state" || failed=1
# the token projection (Embedding fused into the first recurrent layer), its sums by id
run token_projection -- "$t/test_token_projection" || failed=1
[ "$failed" -eq 0 ] || { echo "oclgrind: FAILED (outputs above)" >&2; exit 1; }
echo "oclgrind: every case passed with no diagnostics"
