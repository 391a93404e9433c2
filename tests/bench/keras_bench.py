"""keras_bench.py - the configurations of clrnn-bench (tools/bench.c) in tf.keras 2.

Same models, T, batch, sample counts and procedure: synthetic random token ids and labels,
warm-up training epoch(s), one timed model.fit(..., epochs=1, verbose=0) with adam and
shuffling, a warm-up predict on the first inference batch, then one timed
model.predict over the N samples. Prints plain lines, or one JSON object per
configuration with --json (the same field names as clrnn-bench --json).

Run it through tests/bench/run_keras.sh (the tests/keras/.venv-tf2 environment).
"""
import argparse
import json
import os
import platform
import resource
import sys
import time
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers as L  # noqa: E402

# name: (layer builder, vocab, T, batch, loss, from_logits, classes, default N, infer batch)
# Keep in step with CONFIGS in tools/bench.c.
CONFIGS = {
    "seed_lstm": (lambda: [L.Embedding(10000, 100), L.LSTM(32, return_sequences=True),
                           L.LSTM(32), L.Dense(1, activation="sigmoid")],
                  10000, 500, 512, "bce", False, 2, 128, 1024),
    "seed_gru": (lambda: [L.Embedding(10000, 100), L.GRU(32, return_sequences=True),
                          L.GRU(32), L.Dense(1, activation="sigmoid")],
                 10000, 500, 512, "bce", False, 2, 128, 1024),
    "lstm32": (lambda: [L.Embedding(10000, 50), L.LSTM(32), L.Dense(1)],
               10000, 500, 512, "bce", True, 2, 128, 1024),
    "lstm128_b32": (lambda: [L.Embedding(20000, 128), L.LSTM(128), L.Dense(1)],
                    20000, 80, 32, "bce", True, 2, 128, 1024),
    "lstm128_b80": (lambda: [L.Embedding(20000, 128), L.LSTM(128), L.Dense(1)],
                    20000, 80, 80, "bce", True, 2, 160, 1024),
    "bilstm": (lambda: [L.Embedding(1000, 64), L.Bidirectional(L.LSTM(64)), L.Dense(1)],
               1000, 200, 128, "bce", True, 2, 128, 1024),
    "lstm512x2": (lambda: [L.Embedding(20000, 256), L.LSTM(512, return_sequences=True),
                           L.LSTM(512), L.Dense(1)],
                  20000, 200, 256, "bce", True, 2, 4, 1024),
    "charlm": (lambda: [L.Embedding(60, 32), L.LSTM(128), L.Dense(60, activation="softmax")],
               60, 40, 128, "sce", False, 60, 512, 1024),
}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(name, samples, warmup, as_json):
    build, vocab, T, batch, loss, logits, classes, default_n, infer_batch = CONFIGS[name]
    n = samples or default_n
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = rng.integers(0, vocab, size=(n, T), dtype=np.int32)
    y = rng.integers(0, classes, size=(n,)).astype(np.float32)
    tf.keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(shape=(T,), dtype="int32")] + build())
    if loss == "bce":
        lossfn = keras.losses.BinaryCrossentropy(from_logits=logits)
    else:
        lossfn = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    model.compile(optimizer=keras.optimizers.Adam(), loss=lossfn)
    t0 = time.perf_counter()
    if warmup > 0:
        model.fit(x, y, batch_size=batch, epochs=warmup, shuffle=True, verbose=0)
    t1 = time.perf_counter()
    hist = model.fit(x, y, batch_size=batch, epochs=1, shuffle=True, verbose=0)
    t2 = time.perf_counter()
    if warmup > 0:
        model.predict(x[:min(n, infer_batch)], batch_size=infer_batch, verbose=0)
    t3 = time.perf_counter()
    model.predict(x, batch_size=infer_batch, verbose=0)
    t4 = time.perf_counter()
    train_s, infer_s = t2 - t1, t4 - t3
    device = "TensorFlow %s CPU (%s)" % (tf.__version__, platform.processor() or platform.machine())
    r = {
        "config": name, "T": T, "batch": batch, "samples": n, "warmup_epochs": warmup,
        "warmup_seconds": round(t1 - t0, 6), "train_seconds": round(train_s, 6),
        "train_samples_per_s": round(n / train_s, 1), "loss": float(hist.history["loss"][-1]),
        "infer_batch": infer_batch, "infer_seconds": round(infer_s, 6),
        "infer_samples_per_s": round(n / infer_s, 1), "device": device,
        "peak_device_memory": "n/a", "peak_rss_mib": round(peak_rss_mib(), 1),
    }
    if as_json:
        print(json.dumps(r))
    else:
        print("%s: keras" % name)
        print("  samples %d, warm-up %d epoch(s) %.2fs" % (n, warmup, t1 - t0))
        print("  train:     %8.3fs  %10.1f samples/s  (loss %.4f)"
              % (train_s, r["train_samples_per_s"], r["loss"]))
        print("  inference: %8.3fs  %10.1f samples/s  (batch %d)"
              % (infer_s, r["infer_samples_per_s"], infer_batch))
        print("  device: %s; peak process RSS: %.0f MiB" % (device, r["peak_rss_mib"]))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="", help="NAME[,NAME...] (default: all)")
    ap.add_argument("--samples", type=int, default=0)
    ap.add_argument("--epochs-warmup", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        for k, c in CONFIGS.items():
            print("%-12s T=%d batch=%d samples=%d" % (k, c[2], c[3], c[7]))
        return 0
    names = [s for s in a.config.split(",") if s] or list(CONFIGS)
    for s in names:
        if s not in CONFIGS:
            print("keras_bench.py: error: unknown configuration '%s' (known: %s)"
                  % (s, ", ".join(CONFIGS)), file=sys.stderr)
            return 1
    for s in names:
        run(s, a.samples, a.epochs_warmup, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
