#!/usr/bin/env python3
"""Writes a toy encoder-decoder task and its Keras architecture, for clrnn's interop test.

Usage (through keras.sh): seq2seq_data.py OUT_DIR
OUT_DIR/seq2seq.h5: x0_train/x1_train/y_train and x0_test/x1_test/y_test: the encoder reads
a sequence of ids 1..V-1 (TE steps, post-padded with 0 in some rows); the decoder, fed
teacher-forced (id 1 then the target shifted), must write its first TD ids reversed.
OUT_DIR/seq2seq_lstm.json and seq2seq_gru.json: the tutorial's model (Embedding, an
encoder whose final states start the decoder, Dense softmax), from model.to_json().
"""
import os
import sys

import h5py
import keras
import numpy as np

import golden_common
golden_common.use(keras)

V, E, U, TE, TD = 9, 6, 12, 7, 5


def data(rng, n):
    enc = rng.integers(2, V, size=(n, TE)).astype(np.int32)
    for r in range(0, n, 4):
        enc[r, TE - 1 - r % 3:] = 0  # some post-padding (masked by the GRU's encoder)
    target = enc[:, :TD][:, ::-1].copy()
    target[target == 0] = 1
    dec = np.concatenate([np.ones((n, 1), np.int32), target[:, :-1]], axis=1)
    return enc, dec, target.astype(np.int32)


def main(out):
    rng = np.random.default_rng(5)
    with h5py.File(os.path.join(out, "seq2seq.h5"), "w") as f:
        for split, n in (("train", 512), ("test", 64)):
            enc, dec, y = data(rng, n)
            f.create_dataset("x0_" + split, data=enc)
            f.create_dataset("x1_" + split, data=dec)
            f.create_dataset("y_" + split, data=y)
    for cell in ("lstm", "gru"):
        with open(os.path.join(out, "seq2seq_%s.json" % cell), "w") as f:
            m = golden_common.seq2seq_model(cell, mask_zero=cell == "gru", dtype="int32", V=V,
                                            E=E, U=U, TE=TE, TD=TD)
            f.write(m.to_json())


if __name__ == "__main__":
    main(sys.argv[1])
