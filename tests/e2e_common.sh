# Shared by the end-to-end shell tests: tool paths, a scratch folder, checks and the
# closing "N passed, N failed" line. Source it with the build folder as $1.
set -u
build=${1:?usage: test.sh BUILD_DIR}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/clrnn-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok; else bad "$what"; fi
}
# check_all DESCRIPTION 'CONDITION': a whole shell condition in one string (&&, ||, <<<),
# evaluated when checked; `check DESCRIPTION [ a ] && [ b ]` would check only [ a ]
check_all() {
  local what=$1; shift
  if eval "$1"; then ok; else bad "$what"; fi
}
check_not() { # check_not DESCRIPTION COMMAND...: the command must fail
  local what=$1; shift
  if "$@"; then bad "$what"; else ok; fi
}
# expect STATUS PATTERN COMMAND...: exit status and a stderr line matching PATTERN
expect() { # expect STATUS PATTERN COMMAND...
  local want=$1 pattern=$2; shift 2
  local err status
  err=$("$@" 2>&1 >/dev/null)
  status=$?
  if [ "$status" -ne "$want" ]; then
    bad "'$*' exited $status, expected $want; stderr: $err"
  elif ! grep -qE -- "$pattern" <<<"$err"; then
    bad "'$*': stderr does not match '$pattern': $err"
  else
    ok
  fi
}
# Device tests need an OpenCL device; without one they skip (77) unless CI requires it.
require_device() {
  if ! "$build/clrnn-info" devices >/dev/null 2>&1; then
    if [ "${CLRNN_REQUIRE_DEVICE:-0}" = 1 ]; then echo "no OpenCL device" >&2; echo "0 passed, 1 failed"; exit 1; fi
    echo "skipped: no OpenCL device" >&2; exit 77
  fi
}
# Tests that drive a pseudo-terminal from Python need python3: without it they skip (77)
# unless CI requires it.
require_python3() {
  command -v python3 >/dev/null && return
  if [ "${CLRNN_REQUIRE_DEVICE:-0}" = 1 ]; then echo "no python3" >&2; echo "0 passed, 1 failed"; exit 1; fi
  echo "skipped: no python3 to drive a pseudo-terminal" >&2; exit 77
}
# JSON number field from clrnn-eval --json output.
json_field() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p"; }
# 1 when $1 >= $2 (floats)
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
