#!/usr/bin/env bash
# Runs a script of tests/keras/ with real Keras 3 (JAX backend, CPU): creates or refreshes
# the virtual environment tests/keras/.venv from requirements.txt (PyPI), then runs
#   tests/keras/keras.sh SCRIPT.py [args...]
#   tests/keras/keras.sh --setup          (only make the environment)
# make_golden.sh (the golden files) and tests/test_keras_interop.sh (clrnn's files loaded
# in Keras) both go through it.
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
script="$1"
shift
[ "$script" = --setup ] && exit 0
exec "$venv/bin/python" "$here/$script" "$@"
