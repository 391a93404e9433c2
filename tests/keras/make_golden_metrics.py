#!/usr/bin/env python3
"""Keras's values of the metrics clrnn reports beyond accuracy, for tests/test_keras_metrics.c:
  tests/keras/keras.sh make_golden_metrics.py    (Keras 3: golden/metrics_*/)
  tests/keras/keras2.sh make_golden_metrics.py   (tf.keras 2.15: golden-tf2/metrics_*/)
Each case folder holds the compiled model as Keras saves it (model.h5, the legacy full model
with its training_config; with Keras 3 also model.keras, whose config.json has the
compile_config), and data.h5: x, y, and evaluate(x, y, batch_size=16)'s values as datasets
named keras_<metric> (keras_loss, keras_accuracy, keras_precision, ...). Cases:
  metrics_binary: Embedding(20,4)+LSTM(5)+Dense(1,sigmoid), binary_crossentropy, metrics
    ["accuracy", Precision(), Recall()] (thresholds 0.5)
  metrics_sparse_top_k: Embedding(20,4)+GRU(6)+Dense(12,softmax),
    sparse_categorical_crossentropy, ["accuracy", "sparse_top_k_categorical_accuracy"] (k 5)
  metrics_top_k3: the same with one-hot targets, categorical_crossentropy,
    ["accuracy", TopKCategoricalAccuracy(k=3)]
"""
import os
import sys

import h5py
import numpy as np

try:
    import keras
    K3 = keras.__version__.startswith("3")
except ImportError:
    K3 = False
if not K3:
    from tensorflow import keras  # tf.keras 2
L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
N, T, C = 64, 6, 12


def case(name, out, build, loss, metrics, y):
    keras.utils.set_random_seed(sum(map(ord, name)))
    rng = np.random.default_rng(sum(map(ord, name)))
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    model = build()
    # random biases and a larger output kernel, so that the outputs spread (both sides of 0.5)
    for layer in model.layers:
        ws = layer.get_weights()
        scale = 8.0 if isinstance(layer, L.Dense) else 1.0
        if ws:
            layer.set_weights([w * scale if w.ndim > 1 else
                               rng.uniform(-0.5, 0.5, w.shape).astype(w.dtype) for w in ws])
    x = rng.integers(1, 20, size=(N, T)).astype(np.int32)
    last = model.layers[-1]
    if last.units == 1:  # the sigmoid's median output at 0.5: predictions of both classes
        p = np.clip(model.predict(x, verbose=0), 1e-6, 1 - 1e-6)
        kernel, bias = last.get_weights()
        last.set_weights([kernel, bias - np.median(np.log(p / (1 - p)))])
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    y = y(rng, x)
    r = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    model.save(os.path.join(d, "model.h5"))
    if K3:
        model.save(os.path.join(d, "model.keras"))
    with h5py.File(os.path.join(d, "data.h5"), "w") as f:
        f.create_dataset("x", data=x)
        f.create_dataset("y", data=y)
        for k, v in r.items():
            f.create_dataset("keras_" + k, data=np.array([v], np.float32))
    print(name, r)


def main():
    out = os.path.join(HERE, "golden" if K3 else "golden-tf2")
    emb = lambda: [keras.Input(shape=(T,), dtype="int32"), L.Embedding(20, 4)]
    case("metrics_binary", out,
         lambda: keras.Sequential(emb() + [L.LSTM(5), L.Dense(1, activation="sigmoid")]),
         "binary_crossentropy", ["accuracy", keras.metrics.Precision(), keras.metrics.Recall()],
         lambda rng, x: (rng.random((N, 1)) < 0.5).astype(np.float32))
    cat = lambda: keras.Sequential(emb() + [L.GRU(6), L.Dense(C, activation="softmax")])
    case("metrics_sparse_top_k", out, cat, "sparse_categorical_crossentropy",
         ["accuracy", "sparse_top_k_categorical_accuracy"],
         lambda rng, x: rng.integers(0, C, size=(N,)).astype(np.int32))
    case("metrics_top_k3", out, cat, "categorical_crossentropy",
         ["accuracy", keras.metrics.TopKCategoricalAccuracy(k=3)],
         lambda rng, x: np.eye(C, dtype=np.float32)[rng.integers(0, C, size=(N,))])
    return 0


if __name__ == "__main__":
    sys.exit(main())
