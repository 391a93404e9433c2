#!/usr/bin/env bash
# The former name of run_ref.sh keras2: keras_bench.py with tf.keras 2 (TensorFlow 2.15 CPU).
#   tests/bench/run_keras.sh [--config NAME[,NAME...]] [--samples N] [--json] [--list]
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_ref.sh" keras2 "$@"
