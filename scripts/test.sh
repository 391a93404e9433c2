#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: once on the Release build, once on the
# ASan+UBSan build (with LeakSanitizer), then a short run of every fuzz target. Device tests
# run on whatever OpenCL device is there (PoCL in CI) and must not be skipped:
# CLRNN_REQUIRE_DEVICE=1 turns a missing device into a failure. Then the GPU checks that need
# no GPU: the GPU forms under Oclgrind (a simulator with race detection), and every program
# the release tests built compiled offline for AMD, NVIDIA and Intel GPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CLRNN_REQUIRE_DEVICE=1
# setup.sh installs Open MPI: the mpirun tests must run, not skip
export CLRNN_REQUIRE_MPI=1
# one private kernel cache per run, so that the suite also tests building the kernels
export CLRNN_CACHE_DIR="$PWD/build/kernel-cache"
# every program the release tests build, for the offline compiles below
programs="$PWD/build/release/programs.txt"
rm -f "$programs"
for kind in release asan; do
  echo "== $kind build"
  bash scripts/build.sh "$kind"
  echo "== $kind tests"
  # The end-to-end learning tests (minutes of training each) assert accuracies in the
  # release run; under the sanitizers the same host code is covered by the shorter tests.
  # LeakSanitizer checks every test program and tool at exit; tests/lsan.supp suppresses
  # what PoCL's kernel compiler keeps, and nothing of clrnn's. intercept_tls_get_addr=0:
  # LeakSanitizer's scan of the dynamic TLS (PoCL loads every kernel as a shared object)
  # read a block at 0x928 and crashed its own tracer at test_gemm's exit ("Tracer caught
  # signal 11", log_threads: "DTLS 10 at 0x000000000928"; in 6 of 10 runs beside other
  # tests, none in 3 with this setting, one the whole ASan suite); the dynamic TLS goes
  # unscanned, every other check stays.
  skip=()
  [ "$kind" = asan ] && skip=(-E '^test_e2e_(sentiment|charlm|reber)$')
  log=()
  [ "$kind" = release ] && log=("CLRNN_PROGRAM_LOG=$programs")
  env "${log[@]}" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "build/$kind" --output-on-failure -j 2 "${skip[@]}"
done
echo "== GPU forms under Oclgrind (tests/oclgrind/run.sh)"
bash tests/oclgrind/run.sh build/release
bash tests/oclgrind/run.sh build/release --mutant
echo "== offline compiles for AMD, NVIDIA and Intel GPUs (tests/offline/run.sh)"
bash tests/offline/run.sh "$programs" build/offline
# every fuzz target replays its regressions, then fuzzes 10 s (tests/fuzz/README.md)
echo "== fuzz (clang, libFuzzer, ASan+UBSan): a short run of each target"
bash tests/fuzz/run.sh 10
