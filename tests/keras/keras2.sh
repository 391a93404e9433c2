#!/usr/bin/env bash
# Runs a script of tests/keras/ with real tf.keras 2 (TensorFlow 2.15, Keras 2.15, CPU):
# creates or refreshes the virtual environment tests/keras/.venv-tf2 from
# requirements-tf2.txt (PyPI), then runs
#   tests/keras/keras2.sh SCRIPT.py [args...]
#   tests/keras/keras2.sh --setup          (only make the environment)
# make_golden_tf2.py (the Keras 2 golden files in golden-tf2/) goes through it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-tf2"
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
stamp="$venv/.requirements.installed"
if [ ! -f "$stamp" ] || ! cmp -s "$here/requirements-tf2.txt" "$stamp"; then
    "$venv/bin/pip" install --disable-pip-version-check -q -r "$here/requirements-tf2.txt"
    cp "$here/requirements-tf2.txt" "$stamp"
fi
export TF_CPP_MIN_LOG_LEVEL=3
export CUDA_VISIBLE_DEVICES=""
export PYTHONHASHSEED=0
# With TF 2.15, tf.keras IS Keras 2.15 (package keras==2.15.0). Do NOT set
# TF_USE_LEGACY_KERAS=1 here: TF 2.15 already honours it and then wants the tf_keras
# package (only needed with TF 2.16+, where tf.keras is Keras 3).
unset TF_USE_LEGACY_KERAS
script="$1"
shift
[ "$script" = --setup ] && exit 0
exec "$venv/bin/python" "$here/$script" "$@"
