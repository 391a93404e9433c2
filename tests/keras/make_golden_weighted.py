#!/usr/bin/env python3
"""Training parity fixtures for Keras's sample and class weights (tests/test_keras_training.c),
made with real Keras 3:
  tests/keras/keras.sh make_golden_weighted.py [--out DIR]
Writes DIR/train_class_weight/ and DIR/train_sample_weight/ (default tests/keras/golden/):
  initial.h5  the compiled model before training (Adam(0.01))
  batches.h5  x, y, sample_weight (train_sample_weight only), class_weight (train_class_weight:
              the weight of class i at [i]); batch_losses (the running mean loss after each
              batch, as fit's progress shows it), epoch_losses (history['loss']); with
              accuracy, initial_accuracy: evaluate(x, y, sample_weight, batch_size=4) at the
              initial weights (compile's metrics take no sample weights: only
              weighted_metrics do; and fit's running accuracy under JAX ignores the output's
              mask, which evaluate applies, so evaluate's is the one compared)
  final.h5    after fit(epochs=2, batch_size=4, shuffle=False)
train_class_weight: Embedding(20,4)+LSTM(5)+Dense(1,sigmoid), binary_crossentropy, 24 samples,
  class_weight {0: 1, 1: 3}.
train_sample_weight: Embedding(12,4,mask_zero)+GRU(5,return_sequences)+Dense(6,softmax),
  sparse_categorical_crossentropy, metrics ["accuracy"], padded (masked) sequences of 5 and a
  (24, 5) sample_weight in [0, 2].
"""
import argparse
import os
import sys

import h5py
import numpy as np
import keras
from keras import layers as L

import golden_common
from make_golden import randomize_biases

HERE = os.path.dirname(os.path.abspath(__file__))
N, B, EPOCHS = 24, 4, 2


class Recorder(keras.callbacks.Callback):
    def __init__(self, keys):
        super().__init__()
        self.keys, self.rows = keys, {k: [] for k in keys}

    def on_train_batch_end(self, batch, logs=None):
        for k in self.keys:
            self.rows[k].append(float(logs[k]))


def fit_case(name, outdir, model, x, y, metrics, **weights):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss=model.loss_name,
                  metrics=metrics)
    d = outdir
    model.save(os.path.join(d, "initial.h5"))
    initial_accuracy = (model.evaluate(x, y, batch_size=B, verbose=0, **weights)[1]
                        if metrics else None)
    rec = Recorder(["loss"])
    h = model.fit(x, y, batch_size=B, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[rec],
                  **weights)
    model.save(os.path.join(d, "final.h5"), include_optimizer=True)
    with h5py.File(os.path.join(d, "batches.h5"), "w") as f:
        f.create_dataset("x", data=x)
        f.create_dataset("y", data=y)
        if "sample_weight" in weights:
            f.create_dataset("sample_weight", data=weights["sample_weight"])
        if "class_weight" in weights:
            cw = weights["class_weight"]
            f.create_dataset("class_weight", data=np.array(
                [cw.get(i, 1.0) for i in range(max(cw) + 1)], np.float32))
        f.create_dataset("batch_losses", data=np.array(rec.rows["loss"], np.float32))
        f.create_dataset("epoch_losses", data=np.array(h.history["loss"], np.float32))
        if metrics:
            f.create_dataset("initial_accuracy", data=np.array([initial_accuracy], np.float32))
    return "%s | epoch losses %s" % (name, h.history["loss"])


def class_weight_case(outdir):
    name = "train_class_weight"
    rng, d = golden_common.fresh_case(name, outdir)
    model = keras.Sequential([keras.Input(shape=(6,), dtype="int32"), L.Embedding(20, 4),
                              L.LSTM(5), L.Dense(1, activation="sigmoid")])
    randomize_biases(model, rng)
    model.loss_name = "binary_crossentropy"
    x = rng.integers(0, 20, size=(N, 6)).astype(np.int32)
    # imbalanced: about a quarter positive
    y = ((x >= 12).sum(axis=1, keepdims=True) > 2).astype(np.float32)
    return fit_case(name, d, model, x, y, None, class_weight={0: 1.0, 1: 3.0})


def sample_weight_case(outdir):
    name = "train_sample_weight"
    rng, d = golden_common.fresh_case(name, outdir)
    T, V, C = 5, 12, 6
    model = keras.Sequential([keras.Input(shape=(T,), dtype="int32"),
                              L.Embedding(V, 4, mask_zero=True),
                              L.GRU(5, return_sequences=True),
                              L.Dense(C, activation="softmax")])
    randomize_biases(model, rng)
    model.loss_name = "sparse_categorical_crossentropy"
    x = rng.integers(1, V, size=(N, T)).astype(np.int32)
    lengths = rng.integers(2, T + 1, size=N)
    for i in range(N):
        x[i, lengths[i]:] = 0  # padded at the end, masked by the Embedding
    y = rng.integers(0, C, size=(N, T)).astype(np.int32)
    sw = rng.uniform(0, 2, size=(N, T)).astype(np.float32)
    return fit_case(name, d, model, x, y, ["accuracy"], sample_weight=sw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "golden"))
    a = ap.parse_args()
    for case in (class_weight_case, sample_weight_case):
        print(case(a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
