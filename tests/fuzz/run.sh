#!/bin/bash
# run.sh [SECONDS [TARGET...]] - a short fuzzing run for CI: builds build/fuzz (clang,
# libFuzzer, ASan and UBSan) when clang is present, replays tests/fuzz/regressions, then runs
# each target (or those named) for SECONDS (default 10) over a scratch copy of its seed corpus
# (tests/fuzz/corpus/<target>).
# A crash or leak whose first non-runtime frame is inside libhdf5 or libzip (or PoCL) is a
# warning (an upstream bug on a hostile file; see findings/README.md), and so are out-of-memory
# and timeout inputs, also those that time out when replayed alone, and inputs that do not fail
# alone in three tries (state left by earlier inputs in libhdf5); any other crash, leak or UB
# fails. Inputs are kept in build/fuzz/findings with the fuzzing log and the replay's output.
# Exit 0 ok, 1 findings, 77 skipped (no clang).
set -u
secs=${1:-10}
shift $(($# > 0 ? 1 : 0))
targets=("$@")
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build/fuzz
command -v clang > /dev/null || { echo "run.sh: clang not found; skipped"; exit 77; }
if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=clang cmake -S "$root" -B "$build" -DCLRNN_FUZZ=ON -DCLRNN_SANITIZE=ON \
        -DCMAKE_BUILD_TYPE=Debug -DCLRNN_BUILD_TESTS=OFF > "$build.configure.log" 2>&1 ||
        { cat "$build.configure.log"; exit 1; }
fi
cmake --build "$build" --target fuzz -j"$(nproc)" > "$build/build.log" 2>&1 ||
    { tail -40 "$build/build.log"; exit 1; }
export HDF5_USE_FILE_LOCKING=FALSE UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# what PoCL's kernel compiler keeps is not a leak of clrnn's (as in the ASan pass)
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp"
status=0
bash "$root/tests/fuzz/replay.sh" "$build" || status=1
for seeds in "$root"/tests/fuzz/corpus/*/; do
    t=$(basename "$seeds")
    [ ${#targets[@]} -eq 0 ] || [[ " ${targets[*]} " == *" $t "* ]] || continue
    work=$(mktemp -d)
    mkdir -p "$work/corpus" "$work/artifacts"
    # per-input timeout below the run's length; `timeout` catches a hang libFuzzer misses
    dict=(); [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
    timeout -k 5 $((secs + 60)) "$build/tests/fuzz/$t" -max_total_time="$secs" \
        -rss_limit_mb=2048 -timeout=10 -max_len=65536 -fork=1 -ignore_crashes=1 \
        -ignore_timeouts=1 -ignore_ooms=1 "${dict[@]}" -artifact_prefix="$work/artifacts/" \
        "$work/corpus" "$seeds" > "$work/log" 2>&1
    runs=$(grep -o '^#[0-9]*' "$work/log" | tail -1)
    line="$t: ${runs:-#0} runs in ${secs}s"
    for a in "$work"/artifacts/*; do
        # fork mode can leave an empty crash file for a job that died without an input
        [ -s "$a" ] || continue
        keep=$build/findings/$t
        mkdir -p "$keep"
        cp "$a" "$keep/"
        case $(basename "$a") in
        oom-* | timeout-* | slow-unit-*)
            # hostile sizes and loops (mostly inside libhdf5): reported, not failed
            line="$line; warning $(basename "$a") kept in $keep"
            continue ;;
        esac
        # Replayed alone, it is classified by the first frame of its report outside the
        # sanitizer runtime, the C and C++ allocators and libc (whose frames name libc.so,
        # or glibc's source, sysdeps/..., where its debug symbols are installed). The fuzzing log (fork mode
        # keeps only the error line of each job) and the replay are kept beside the input.
        name=$(basename "$a")
        cp "$work/log" "$keep/$name.fuzz.log"
        replay=$keep/$name.replay.txt
        # An input can fail only after what earlier inputs of the same job left in libhdf5's
        # global state (open objects, caches): up to three tries to see it fail alone.
        for _ in 1 2 3; do
            "$build/tests/fuzz/$t" -timeout=10 "$a" > "$replay" 2>&1 && continue
            break
        done
        frame=$(grep -E '^ +#[0-9]+ 0x' "$replay" |
            grep -vE 'in (__interceptor_|__sanitizer|__asan|__lsan|__ubsan|fuzzer::)|in (malloc|calloc|realloc|free|strdup) |in operator (new|delete)|libc\.so|libstdc\+\+| sysdeps/|string/\.\./sysdeps' |
            head -1)
        if grep -qE 'ERROR: libFuzzer: (timeout|out-of-memory)' "$replay"; then
            # slower alone than while fuzzing (a loaded machine), or a hostile size: as above
            line="$line; warning $name kept in $keep (replayed: $(grep -oE 'libFuzzer: (timeout|out-of-memory)' "$replay" | head -1))"
        elif ! grep -qE '==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer' "$replay"; then
            # nothing to classify or to turn into a regression; the input and logs are kept
            line="$line; warning $name did not fail alone (in 3 tries), kept in $keep"
        elif echo "$frame" | grep -qE 'libhdf5|libzip|libz\.so|libpocl|libLLVM'; then
            line="$line; upstream $name kept in $keep (${frame##* in })"
        else
            line="$line; FINDING $name kept in $keep: $frame"
            status=1
        fi
    done
    echo "$line"
    rm -rf "$work"
done
# a crashed target leaves its temporary input (clrnn-fuzz-<pid>.*) behind
for f in /dev/shm/clrnn-fuzz-* /tmp/clrnn-fuzz-*; do
    [ -e "$f" ] || continue
    pid=${f##*/clrnn-fuzz-}
    pid=${pid%%.*}
    kill -0 "$pid" 2> /dev/null || rm -f "$f"
done
exit $status
