#!/usr/bin/env bash
# Runs a script of tests/keras/ with real Keras, in a virtual environment made (or refreshed)
# from pinned requirements on PyPI:
#   tests/keras/keras.sh [--tf2] SCRIPT.py [args...]
#   tests/keras/keras.sh [--tf2] --setup          (only make the environment)
# Keras 3 on JAX (CPU) in .venv from requirements.txt; with --tf2, tf.keras 2.15 (TensorFlow
# 2.15, CPU) in .venv-tf2 from requirements-tf2.txt (keras2.sh is the short form).
# make_golden.sh, make_golden_tf2.py, tests/test_keras_interop.sh and tests/bench go
# through it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
requirements="$here/requirements.txt"
if [ "${1:-}" = --tf2 ]; then
    shift
    venv="$here/.venv-tf2"
    requirements="$here/requirements-tf2.txt"
    export CUDA_VISIBLE_DEVICES=""
    # With TF 2.15, tf.keras IS Keras 2.15; TF_USE_LEGACY_KERAS=1 would make it look for the
    # tf_keras package (needed only with TF 2.16+, where tf.keras is Keras 3).
    unset TF_USE_LEGACY_KERAS
else
    export KERAS_BACKEND=jax
    export JAX_PLATFORMS=cpu
fi
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
stamp="$venv/.requirements.installed"
if [ ! -f "$stamp" ] || ! cmp -s "$requirements" "$stamp"; then
    "$venv/bin/pip" install --disable-pip-version-check -q -r "$requirements"
    cp "$requirements" "$stamp"
fi
export PYTHONHASHSEED=0
export TF_CPP_MIN_LOG_LEVEL=3
script="$1"
shift
[ "$script" = --setup ] && exit 0
exec "$venv/bin/python" "$here/$script" "$@"
