#!/usr/bin/env bash
# tests/keras/keras.sh --tf2: a script of tests/keras/ with tf.keras 2.15 (TensorFlow 2.15).
#   tests/keras/keras2.sh SCRIPT.py [args...]   |   tests/keras/keras2.sh --setup
exec bash "$(dirname "${BASH_SOURCE[0]}")/keras.sh" --tf2 "$@"
