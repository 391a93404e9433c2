"""keras_bench.py - the configurations of clrnn-bench (tools/bench.c) in Keras on TensorFlow.

Runs under tf.keras 2 (TensorFlow 2.15) and under Keras 3 on the TensorFlow backend
(TensorFlow 2.16+): whichever tf.keras the environment has. Same models, T, batch, sample
counts and procedure as clrnn-bench (bench_common.py): model.fit(..., shuffle=True,
verbose=0) with adam for the warm-up and the one timed epoch, model.predict in batches of
infer_batch. TensorFlow keeps its default threading (intra- and inter-op pools as large as
the cores it may use) unless --threads N sets both to N; "threads" reports them.

Run it through tests/bench/run_ref.sh keras2|keras3 (the pinned environments).
"""
import os
import sys
from importlib.metadata import version

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

import bench_common as bc  # noqa: E402

L = keras.layers


def keras_layer(layer):
    name, args, kw = layer
    if name == "embedding":
        return L.Embedding(args[0], args[1])
    if name in ("lstm", "gru"):
        cls = L.LSTM if name == "lstm" else L.GRU
        return cls(args[0], return_sequences=kw.get("return_sequences", False))
    if name == "bidirectional":
        return L.Bidirectional(keras_layer(args[0]))
    if name == "dense":
        return L.Dense(args[0], activation=args[1] if len(args) > 1 else None)
    raise ValueError("keras_bench.py: no Keras layer for '%s'" % name)


class KerasRunner:
    def __init__(self, cfg, n, args):
        tf.keras.utils.set_random_seed(1)
        self.cfg = cfg
        self.model = keras.Sequential([keras.Input(shape=(cfg.T,), dtype="int32")] +
                                      [keras_layer(layer) for layer in cfg.layers])
        if cfg.loss == "bce":
            lossfn = keras.losses.BinaryCrossentropy(from_logits=cfg.from_logits)
        else:
            lossfn = keras.losses.SparseCategoricalCrossentropy(from_logits=cfg.from_logits)
        self.model.compile(optimizer=keras.optimizers.Adam(), loss=lossfn)
        self.device = "TensorFlow %s, Keras %s, CPU: %s" % (
            tf.__version__, version("keras"), bc.cpu_name())
        self.peak_device_memory = "n/a"
        intra = tf.config.threading.get_intra_op_parallelism_threads()
        inter = tf.config.threading.get_inter_op_parallelism_threads()
        self.threads = "intra-op %s, inter-op %s (0 is TensorFlow's default: the %d cores)" % (
            intra, inter, bc.cores())

    def fit(self, x, y, epochs):
        h = self.model.fit(x, y, batch_size=self.cfg.batch, epochs=epochs, shuffle=True,
                           verbose=0)
        return h.history["loss"][-1]

    def predict(self, x):
        self.model.predict(x, batch_size=self.cfg.infer_batch, verbose=0)


def set_threads(args):
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)


if __name__ == "__main__":
    sys.exit(bc.main("keras_bench.py", __doc__.splitlines()[0], KerasRunner, "keras",
                     setup=set_threads))
