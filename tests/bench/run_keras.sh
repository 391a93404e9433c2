#!/usr/bin/env bash
# Runs tests/bench/keras_bench.py with tf.keras 2 (TensorFlow 2.15 CPU) from the virtual
# environment of tests/keras/keras2.sh (made or refreshed first):
#   tests/bench/run_keras.sh [--config NAME[,NAME...]] [--samples N] [--json] [--list]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../keras/keras2.sh" --setup
export TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES="" PYTHONHASHSEED=0
unset TF_USE_LEGACY_KERAS
exec "$here/../keras/.venv-tf2/bin/python" "$here/keras_bench.py" "$@"
