#!/usr/bin/env bash
# Builds clrnn: scripts/build.sh [release|debug|asan] (default release), into build/<kind>.
# CI builds treat warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
case "$kind" in
  release) opts=(-DCMAKE_BUILD_TYPE=Release) ;;
  debug)   opts=(-DCMAKE_BUILD_TYPE=Debug) ;;
  asan)    opts=(-DCMAKE_BUILD_TYPE=Debug -DCLRNN_SANITIZE=ON) ;;
  *) echo "usage: $0 [release|debug|asan]" >&2; exit 2 ;;
esac
cmake -S . -B "build/$kind" -DCLRNN_WERROR=ON "${opts[@]}" >/dev/null
cmake --build "build/$kind" -j "$(nproc)"
