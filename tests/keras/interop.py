#!/usr/bin/env python3
"""Loads models saved by clrnn in Keras 3 and checks Keras predicts what clrnn predicted.

Usage (through keras.sh, or keras2.sh with CLRNN_INTEROP_KERAS=tf2 for tf.keras 2.15, which
then checks the legacy .h5 files only):
  interop.py MODEL DATA PREDICTIONS [MODEL DATA PREDICTIONS ...]
  MODEL        a model file clrnn wrote: legacy .h5, .keras, or .weights.h5 (then the
               architecture comes from the .h5 of the same name)
  DATA         the dataset file whose x_test clrnn predicted on (x0_test, x1_test, ... for
               a model of several inputs)
  PREDICTIONS  clrnn-eval --predictions output (dataset "predictions")
For each model: keras.models.load_model(MODEL) (or load_weights of a .weights.h5), and a
fresh model built from the same configuration with load_weights(MODEL); both must predict
within 1e-5 of clrnn. Prints
one line per model and exits 1 if any fails.
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


def read_x(data_path):
    with h5py.File(data_path, "r") as f:
        if "x_test" in f:
            return f["x_test"][:]
        xs = []
        while "x%d_test" % len(xs) in f:
            xs.append(f["x%d_test" % len(xs)][:])
        return xs


def check(model_path, data_path, pred_path):
    x = read_x(data_path)
    with h5py.File(pred_path, "r") as f:
        want = f["predictions"][:]
    if model_path.endswith(".weights.h5"):
        # Keras 3 weights only: into the architecture of the legacy file beside it
        loaded = keras.models.load_model(model_path[: -len(".weights.h5")] + ".h5", compile=False)
        loaded.load_weights(model_path)
    else:
        loaded = keras.models.load_model(model_path, compile=False)
    got = loaded.predict(x, verbose=0)
    fresh = type(loaded).from_config(loaded.get_config())  # Sequential or Functional
    fresh.load_weights(model_path)
    got_fresh = fresh.predict(x, verbose=0)
    d1 = float(np.abs(got - want).max())
    d2 = float(np.abs(got_fresh - want).max())
    ok = got.shape == want.shape and d1 <= TOL and d2 <= TOL
    print(f"{'ok  ' if ok else 'FAIL'} {model_path}: load_model max diff {d1:.2e}, "
          f"load_weights max diff {d2:.2e}, output {got.shape}")
    return ok


def main(argv):
    if len(argv) % 3 != 0 or not argv:
        print(__doc__, file=sys.stderr)
        return 2
    version = getattr(keras, "__version__", None) or keras.backend.__dict__.get("__version__", "2 (tf.keras)")
    print(f"keras {version}, backend {keras.backend.backend()}")
    if os.environ.get("CLRNN_INTEROP_KERAS") == "tf2":
        # Keras 2 reads the Keras 2 formats only
        argv = [a for i in range(0, len(argv), 3) for a in argv[i:i + 3]
                if argv[i].endswith(".h5") and not argv[i].endswith(".weights.h5")]
    failures = 0
    for i in range(0, len(argv), 3):
        try:
            failures += not check(*argv[i:i + 3])
        except Exception as e:  # one line per model, and go on with the others
            print(f"FAIL {argv[i]}: {type(e).__name__}: {str(e).splitlines()[0][:300]}")
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
