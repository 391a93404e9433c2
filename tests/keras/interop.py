#!/usr/bin/env python3
"""Opens models saved by clrnn in Keras the way users do, and checks Keras predicts what
clrnn predicted (to 1e-5) and can train them on.

Usage (through keras.sh for Keras 3, or keras2.sh with CLRNN_INTEROP_KERAS=tf2 for tf.keras
2.15, which then checks the files it reads: legacy .h5 and Keras 2 JSON pairs):
  interop.py MODEL DATA PREDICTIONS ARCH [MODEL DATA PREDICTIONS ARCH ...]
  MODEL        a file clrnn wrote: legacy .h5, .keras, .weights.h5, or an architecture
               .json (its weights beside it: NAME.weights.h5 or NAME.h5)
  DATA         the dataset file whose x_test clrnn predicted on (x0_test, x1_test, ... for
               a model of several inputs), and y_test
  PREDICTIONS  clrnn-eval --predictions output (dataset "predictions")
  ARCH         the model in Keras code: clrnn's --layers spec ("lstm(8) dense(1,sigmoid)"),
               built here with keras.layers, or the architecture JSON Keras wrote from its
               code (an existing file)
For each model:
  1. load_model(MODEL) with its defaults (compile=True), or for a .json
     model_from_json(MODEL) + load_weights(its weights): predicts what clrnn did; a model
     clrnn saved compiled comes back compiled, with its optimizer's saved variables (a
     "Skipping variable loading for optimizer" warning fails), and fit() trains it one
     batch to a finite loss;
  2. model_from_json(to_json()) of it + load_weights(weights file);
  3. the model built in Keras code (ARCH) + load_weights(weights file).
A .weights.h5 (weights only) skips 1 and 2. Prints one line per model; exits 1 if any fails.
"""
import json
import os
import sys
import warnings

import h5py
import numpy as np

TF2 = os.environ.get("CLRNN_INTEROP_KERAS") == "tf2"
if TF2:  # run by keras2.sh: tf.keras 2.15
    from tensorflow import keras
else:
    import keras

L = keras.layers
TOL = 1e-5


def read_xy(data_path):
    with h5py.File(data_path, "r") as f:
        y = f["y_test"][:]
        if "x_test" in f:
            return f["x_test"][:], y
        xs = []
        while "x%d_test" % len(xs) in f:
            xs.append(f["x%d_test" % len(xs)][:])
        return xs, y


class Names(dict):
    """eval namespace for a layer spec: clrnn's layer names are Keras layers, true/false
    Python's, and any other bare word (sigmoid, concat, ...) is that string."""

    def __missing__(self, key):
        return {"true": True, "false": False}.get(key, key)


def spec_layers(spec):
    ns = Names(lstm=L.LSTM, gru=L.GRU, simple_rnn=L.SimpleRNN, dropout=L.Dropout,
               embedding=L.Embedding, bidirectional=L.Bidirectional,
               time_distributed=L.TimeDistributed, lstm_cell=L.LSTMCell, gru_cell=L.GRUCell,
               simple_rnn_cell=L.SimpleRNNCell, repeat_vector=L.RepeatVector,
               masking=L.Masking, flatten=L.Flatten,
               global_average_pooling1d=L.GlobalAveragePooling1D,
               global_max_pooling1d=L.GlobalMaxPooling1D, max_pooling1d=L.MaxPooling1D,
               spatial_dropout1d=L.SpatialDropout1D, layer_normalization=L.LayerNormalization,
               conv1d=L.Conv1D,
               dense=lambda units, activation=None, **k: L.Dense(units, activation, **k),
               rnn=lambda cell, units, **k: L.RNN(cell(units), **k))
    return [eval(part, {"__builtins__": {}}, ns) for part in spec.split()]


def keras_code_model(arch, x):
    """The model as its Keras code builds it."""
    if os.path.exists(arch):  # written by Keras from its code (seq2seq_data.py, ...)
        with open(arch) as f:
            return keras.models.model_from_json(f.read())
    dtype = "int32" if np.issubdtype(x.dtype, np.integer) else "float32"
    return keras.Sequential([keras.Input(shape=x.shape[1:], dtype=dtype), *spec_layers(arch)])


def weights_of(model_path):
    """The file load_weights takes for MODEL."""
    if model_path.endswith(".json"):
        base = model_path[:-len(".json")]
        return base + ".weights.h5" if os.path.exists(base + ".weights.h5") else base + ".h5"
    return model_path


def load_as_user(model_path):
    """load_model with its defaults, or model_from_json + load_weights for a .json; the
    warnings Keras gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if model_path.endswith(".json"):
            with open(model_path) as f:
                model = keras.models.model_from_json(f.read())
            model.load_weights(weights_of(model_path))
        else:
            model = keras.models.load_model(model_path)
    return model, [str(w.message) for w in caught]


def records_loss(model_path):
    """Whether Keras finds the loss in the file: every file clrnn saves of a trained model,
    but a Keras 2 JSON (to_json in Keras 2 has no compile configuration)."""
    if not model_path.endswith(".json"):
        return True
    with open(model_path) as f:
        return "compile_config" in json.load(f)


def maxdiff(got, want):
    got = np.asarray(got)
    return float(np.abs(got - want).max()) if got.shape == want.shape else float("inf")


def check(model_path, data_path, pred_path, arch):
    x, y = read_xy(data_path)
    with h5py.File(pred_path, "r") as f:
        want = f["predictions"][:]
    notes, ok = [], True
    weights = weights_of(model_path)
    if not model_path.endswith(".weights.h5"):
        loaded, caught = load_as_user(model_path)
        d = maxdiff(loaded.predict(x, verbose=0), want)
        ok &= d <= TOL
        notes.append("%s %.1e" % ("load_model" if not model_path.endswith(".json")
                                  else "model_from_json+load_weights", d))
        skipped = [w for w in caught if "optimizer" in w and ("Skipping" in w or "Error" in w)]
        if skipped:
            ok = False
            notes.append("optimizer variables not loaded: " + skipped[0][:160])
        if getattr(loaded, "optimizer", None) is not None and getattr(loaded, "loss", None):
            n = 16
            xb = [xi[:n] for xi in x] if isinstance(x, list) else x[:n]
            hist = loaded.fit(xb, y[:n], batch_size=n, epochs=1, verbose=0)
            loss = float(hist.history["loss"][-1])
            ok &= bool(np.isfinite(loss))
            notes.append("fit %s loss %.4f (after %d steps)" % (
                type(loaded.optimizer).__name__, loss, int(np.asarray(loaded.optimizer.iterations)) - 1))
        elif records_loss(model_path):  # what clrnn trained it with: Keras must compile it
            ok = False
            notes.append("not compiled")
        again = keras.models.model_from_json(loaded.to_json())
        again.load_weights(weights)
        d = maxdiff(again.predict(x, verbose=0), want)
        ok &= d <= TOL
        notes.append("to_json+load_weights %.1e" % d)
    code = keras_code_model(arch, x[0] if isinstance(x, list) else x)
    code.load_weights(weights)
    d = maxdiff(code.predict(x, verbose=0), want)
    ok &= d <= TOL
    notes.append("Keras code+load_weights %.1e" % d)
    print("%s %s: %s" % ("ok  " if ok else "FAIL", model_path, ", ".join(notes)))
    return ok


def main(argv):
    if len(argv) % 4 != 0 or not argv:
        print(__doc__, file=sys.stderr)
        return 2
    version = getattr(keras, "__version__", None) or "2 (tf.keras)"
    print("keras %s, backend %s" % (version, keras.backend.backend()))
    failures = 0
    for i in range(0, len(argv), 4):
        try:
            failures += not check(*argv[i:i + 4])
        except Exception as e:  # one line per model, and go on with the others
            print("FAIL %s: %s: %s" % (argv[i], type(e).__name__, str(e).splitlines()[0][:300]))
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
