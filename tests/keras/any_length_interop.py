#!/usr/bin/env python3
"""Models of unknown length saved by clrnn, opened in Keras as users open them.

Usage (through keras.sh, or keras2.sh with CLRNN_INTEROP_KERAS=tf2 for tf.keras 2.15):
  any_length_interop.py MODEL DATA PREDICTIONS [DATA PREDICTIONS ...]
  MODEL        a model file clrnn wrote (.h5, .keras; a .weights.h5 goes into the
               architecture of the .h5 of the same name)
  DATA         a dataset whose x_test clrnn predicted on, PREDICTIONS its predictions
               (clrnn-eval --predictions); the DATA files differ in length
keras.models.load_model(MODEL) with its defaults must give a model whose input length is
None, which predicts every DATA's x_test within 1e-5 of clrnn. Prints one line per model
and length, and exits 1 if any fails.
"""
import os
import sys

import h5py
import numpy as np

if os.environ.get("CLRNN_INTEROP_KERAS") == "tf2":  # run by keras2.sh: tf.keras 2.15
    from tensorflow import keras
else:
    import keras

TOL = 1e-5


def load(path):
    if path.endswith(".weights.h5"):
        model = keras.models.load_model(path[: -len(".weights.h5")] + ".h5")
        model.load_weights(path)
        return model
    return keras.models.load_model(path)


def main(argv):
    if len(argv) < 3 or len(argv) % 2 != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[0]
    try:
        model = load(path)
    except Exception as e:  # one line, as the other failures
        print(f"FAIL {path}: load_model: {type(e).__name__}: {str(e).splitlines()[0][:300]}")
        return 1
    failures = 0
    if model.input_shape[1] is not None:
        print(f"FAIL {path}: input shape {model.input_shape}, not of unknown length")
        failures += 1
    for data, preds in zip(argv[1::2], argv[2::2]):
        with h5py.File(data, "r") as f:
            x = f["x_test"][:]
        with h5py.File(preds, "r") as f:
            want = f["predictions"][:]
        got = model.predict(x, verbose=0)
        d = float(np.abs(got - want).max()) if got.shape == want.shape else float("inf")
        ok = d <= TOL
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {path}: length {x.shape[1]}, input "
              f"{model.input_shape}, max diff {d:.2e}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
