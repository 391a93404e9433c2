#!/usr/bin/env bash
# Regenerate tests/keras/golden/ with real Keras 3 (JAX backend, CPU).
# Creates/refreshes the venv tests/keras/.venv from requirements.txt, then runs
# make_golden.py. Extra arguments are passed to make_golden.py
# (e.g. --only lstm,bidi_sum  or  --out /tmp/golden).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
stamp="$venv/.requirements.installed"
if [ ! -f "$stamp" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
    "$venv/bin/pip" install --disable-pip-version-check -q -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$stamp"
fi
export KERAS_BACKEND=jax
export JAX_PLATFORMS=cpu
export PYTHONHASHSEED=0
export TF_CPP_MIN_LOG_LEVEL=3
exec "$venv/bin/python" "$here/make_golden.py" "$@"
