#!/usr/bin/env bash
# Regenerate tests/keras/golden/ with real Keras 3 (JAX backend, CPU), in the pinned
# virtual environment keras.sh makes. Extra arguments are passed to make_golden.py
# (e.g. --only lstm,bidi_sum  or  --out /tmp/golden).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/keras.sh" make_golden.py "$@"
