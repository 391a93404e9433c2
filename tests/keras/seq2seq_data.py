#!/usr/bin/env python3
"""Writes a toy encoder-decoder task and its Keras architecture, for clrnn's interop test.

Usage (through keras.sh): seq2seq_data.py OUT_DIR
OUT_DIR/seq2seq.h5: x0_train/x1_train/y_train and x0_test/x1_test/y_test: the encoder reads
a sequence of ids 1..V-1 (TE steps, post-padded with 0 in some rows); the decoder, fed
teacher-forced (id 1 then the target shifted), must write its first TD ids reversed.
OUT_DIR/seq2seq_lstm.json and seq2seq_gru.json: the tutorial's model (Embedding, an
encoder whose final states start the decoder, Dense softmax), from model.to_json().
OUT_DIR/lstm_seq2seq_data.h5 and lstm_seq2seq.json: keras.io's lstm_seq2seq as it is written
(one-hot characters, both inputs of unknown length, compiled with rmsprop and
categorical_crossentropy) and the same task one-hot, its test sequences longer than its
training ones (each input's length is its own array's).
OUT_DIR/merges.json and merges_data.h5: golden_common.c_merges (every merge layer) and random
inputs with a target of a fixed mix of them (mean_squared_error); OUT_DIR/bidi_states.json
and bidi_states_data.h5: golden_common.c_seq2seq_bidi_states (a Bidirectional encoder's states
joined by Concatenate, and given to a Bidirectional decoder) and a one-hot task.
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


def one_hot_data(rng, n, te, td, fe=6, fd=7):
    """The encoder reads te characters of fe; the decoder (start character fd - 1, then the
    target shifted) writes the first td of them reversed."""
    enc = rng.integers(0, fe, size=(n, te))
    target = enc[:, :td][:, ::-1]
    dec = np.concatenate([np.full((n, 1), fd - 1), target[:, :-1]], axis=1)
    eye_e, eye_d = np.eye(fe, dtype=np.float32), np.eye(fd, dtype=np.float32)
    return eye_e[enc], eye_d[dec], eye_d[target]


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
    with h5py.File(os.path.join(out, "lstm_seq2seq_data.h5"), "w") as f:
        for split, n, te, td in (("train", 256, 7, 5), ("test", 32, 9, 6)):
            for i, a in enumerate(one_hot_data(rng, n, te, td)):
                f.create_dataset(("x%d_" % i if i < 2 else "y_") + split, data=a)
    with open(os.path.join(out, "lstm_seq2seq.json"), "w") as f:
        f.write(golden_common.lstm_seq2seq(6, 7, 16).to_json())
    for name, builder in (("merges", golden_common.c_merges),
                          ("bidi_states", golden_common.c_seq2seq_bidi_states)):
        model, _ = builder(rng)
        with open(os.path.join(out, name + ".json"), "w") as f:
            f.write(model.to_json())
        with h5py.File(os.path.join(out, name + "_data.h5"), "w") as f:
            for split, n in (("train", 128), ("test", 16)):
                te, td = (6, 6) if name == "merges" else (5 if split == "train" else 7, 4)
                a = rng.uniform(-1, 1, size=(n, te, 3)).astype(np.float32)
                b = rng.uniform(-1, 1, size=(n, td, 3)).astype(np.float32)
                if name == "merges":
                    y = np.tanh(a - 2 * b)
                else:
                    y = np.eye(3, dtype=np.float32)[np.argmax(b + a[:, :td], axis=2)]
                f.create_dataset("x0_" + split, data=a)
                f.create_dataset("x1_" + split, data=b)
                f.create_dataset("y_" + split, data=y.astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1])
