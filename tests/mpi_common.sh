# Shared by the tests of clrnn-train under mpirun (tests/test_mpi_*.sh), after
# e2e_common.sh: skips (77) where mpirun or a build with CLRNN_MPI is missing, unless CI
# requires them (CLRNN_REQUIRE_MPI=1); mpi NP COMMAND... runs NP processes on this machine,
# more than its cores allowed.
if ! command -v mpirun >/dev/null || ! grep -q '^CLRNN_MPI:BOOL=ON' "$build/CMakeCache.txt"; then
  if [ "${CLRNN_REQUIRE_MPI:-0}" = 1 ]; then echo "no mpirun or no CLRNN_MPI" >&2; echo "0 passed, 1 failed"; exit 1; fi
  echo "skipped: no mpirun (Open MPI) or a build without CLRNN_MPI" >&2
  exit 77
fi
# Sanitized builds: Open MPI's own allocations, in components it unloads at MPI_Finalize,
# leave stacks that name no module, which tests/lsan.supp cannot match; leaks are not looked
# for under mpirun (the same code is leak-checked by the tests without it), ASan's other checks
# stay.
if grep -q '^CLRNN_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
fi
mpi() {
  local np=$1; shift
  mpirun --allow-run-as-root --oversubscribe -np "$np" "$@"
}
# reber data of $1 samples: 16-row batches leave a last batch of 3 rows at 67
reber() { "$build/clrnn-data" reber --out "$2" --samples "$1" --test-samples 0 --seed 5 --max-length 12 >/dev/null; }
