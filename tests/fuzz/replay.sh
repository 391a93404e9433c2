#!/bin/bash
# replay.sh BUILD_DIR - runs every fuzz target of BUILD_DIR (a CLRNN_FUZZ=ON build, e.g.
# build/fuzz) once over each input in tests/fuzz/regressions/<target>/: inputs that once
# crashed a clrnn reader and must not again. Exit 0 when all pass, 77 when the targets are
# not built, 1 on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build/fuzz}
bins=$build/tests/fuzz
[ -d "$bins" ] || { echo "replay.sh: no fuzz targets in $bins (configure with -DCLRNN_FUZZ=ON)"; exit 77; }
export HDF5_USE_FILE_LOCKING=FALSE
status=0
for dir in "$here"/regressions/*/; do
    t=$(basename "$dir")
    inputs=("$dir"*)
    [ -e "${inputs[0]}" ] || continue
    if [ ! -x "$bins/$t" ]; then
        echo "replay.sh: $t not built"; status=1; continue
    fi
    if "$bins/$t" -runs=1 "${inputs[@]}" > "$build/replay-$t.log" 2>&1; then
        echo "ok   $t (${#inputs[@]} inputs)"
    else
        echo "FAIL $t: see $build/replay-$t.log"; tail -30 "$build/replay-$t.log"; status=1
    fi
done
exit $status
