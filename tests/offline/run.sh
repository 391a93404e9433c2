#!/usr/bin/env bash
# Offline compiles of every program the test suite built, for AMD, NVIDIA and Intel GPUs and
# SPIR-V (tests/offline/compile.py), then the proof that they can fail:
#
#   tests/offline/run.sh PROGRAMS.txt OUT_DIR [TARGETS]
#
# Every GPU-form program, and of the CPU-form ones (the row kernels, built per unit count)
# the widest of each kind. TARGETS: compile.py's --targets; by default one AMD target
# (RDNA 3), NVIDIA and SPIR-V, which CI runs (about 1 s of CPU a program; every target twice
# that;
# `all` compiles for every target whose tools are installed, as for the table in
# docs/performance.md).
#
# PROGRAMS.txt: what the library logged with CLRNN_PROGRAM_LOG while the tests ran
# (scripts/test.sh). A copy of cl/ whose lstm.cl gains a kernel with a warning every
# compiler gives (a pointer of another type) must fail every target.
set -euo pipefail
programs=${1:?usage: tests/offline/run.sh PROGRAMS.txt OUT_DIR}
out=${2:?usage: tests/offline/run.sh PROGRAMS.txt OUT_DIR}
targets=${3:-amd-gfx1100,nvidia-sm90,spirv}
chosen=()
[ "$targets" = all ] || chosen=(--targets "$targets")
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python3 "$here/compile.py" "$programs" "$out" --cpu-forms-widest "${chosen[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/../../cl" "$work/cl"
cat >> "$work/cl/lstm.cl" <<'CL'
__kernel void offline_mutant(__global float *p) {
    __global int *q = p;
    q[0] = 1;
}
CL
# an LSTM program every target builds (not one with R in more local memory than they have)
# (awk reads the whole file: `grep | head` under pipefail failed CI with SIGPIPE, exit 141,
# when head closed the pipe before grep had written all it found)
awk 'index($0, "gpu|common.cl,rnn_common.cl,lstm.cl,rnn_group.cl|") == 1 &&
     index($0, "-DRNN_R_LOCAL=") == 0 { print; exit }' "$programs" > "$work/one.txt"
[ -s "$work/one.txt" ] ||
    { echo "offline: no LSTM program in $programs" >&2; exit 1; }
if python3 "$here/compile.py" "$work/one.txt" "$work/out" --cl-dir "$work/cl" "${chosen[@]}" \
        > "$work/mutant.log" 2>&1; then
    echo "offline: a kernel with a warning compiled cleanly: the check cannot fail" >&2
    exit 1
fi
failed=$(grep -c '^FAILED' "$work/mutant.log" || true)
targets=$(sed -n 's/.* programs x \([0-9]*\) targets.*/\1/p' "$work/mutant.log")
if [ "$failed" != "$targets" ]; then
    echo "offline: the mutant failed $failed of $targets targets" >&2
    cat "$work/mutant.log" >&2
    exit 1
fi
echo "offline: a kernel with a warning fails all $targets targets, as it must"
