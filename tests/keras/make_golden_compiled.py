#!/usr/bin/env python3
"""Golden files of compiled models, the way Keras's tutorials compile them, in every format
the running Keras writes: the loss, metrics and optimizer a file records, in string form
("adam", "binary_crossentropy", ["accuracy"]), as objects (RMSprop(...),
BinaryCrossentropy(from_logits=True), [BinaryAccuracy()]) and as a loss function
(keras.losses.mean_squared_error), each after TRAIN_STEPS train_on_batch steps (so the
optimizer has its slot variables).

  bash tests/keras/keras.sh make_golden_compiled.py    # Keras 3   -> golden/compiled_*
  bash tests/keras/keras2.sh make_golden_compiled.py   # tf.keras 2 -> golden-tf2/compiled_*

Per case: io.h5 (x, y = predict(x)), model.keras (normalized as make_golden.py does),
model.h5 (legacy full model), model.json (to_json), and model.weights.h5 (Keras 3
save_weights, with /optimizer/vars) or weights.h5 (tf.keras 2 save_weights), plus
compile.json: what each case compiled with and the optimizer's iterations, for the tests.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
TF2 = os.path.basename(sys.prefix) == ".venv-tf2"  # run by keras2.sh

import h5py  # noqa: E402
import numpy as np  # noqa: E402

if TF2:
    import tensorflow as tf  # noqa: E402
    keras = tf.keras
else:
    import keras  # noqa: E402
import golden_common  # noqa: E402
from golden_common import ids_x, maxdiff, write_io  # noqa: E402
from make_golden import normalize_keras_zip  # noqa: E402  (no Keras in it)

golden_common.use(keras)
L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_STEPS = 2
VOCAB = 20


def model(units_out, activation):
    return golden_common.seq((6,), L.Embedding(VOCAB, 4), L.LSTM(3),
                             L.Dense(units_out, activation=activation), dtype="int32")


def c_compiled_strings():
    return (model(1, "sigmoid"), dict(optimizer="adam", loss="binary_crossentropy",
                                      metrics=["accuracy"]),
            {"loss": "binary_crossentropy", "from_logits": False, "optimizer": "adam",
             "learning_rate": 0.001})


def c_compiled_objects():
    return (model(1, None),
            dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
                 loss=keras.losses.BinaryCrossentropy(from_logits=True),
                 metrics=[keras.metrics.BinaryAccuracy()]),
            {"loss": "binary_crossentropy", "from_logits": True, "optimizer": "rmsprop",
             "learning_rate": 0.01})


def c_compiled_loss_function():
    return (model(2, None),
            dict(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                 loss=keras.losses.mean_squared_error, metrics=None),
            {"loss": "mean_squared_error", "from_logits": False, "optimizer": "sgd",
             "learning_rate": 0.05, "momentum": 0.9})


CASES = [("compiled_strings", c_compiled_strings), ("compiled_objects", c_compiled_objects),
         ("compiled_loss_function", c_compiled_loss_function)]


def make_case(name, builder, outdir):
    rng, d = golden_common.fresh_case(name, outdir)
    m, compile_args, expect = builder()
    m.compile(**compile_args)
    units = m.outputs[0].shape[-1]
    for _ in range(TRAIN_STEPS):
        xb = ids_x(rng, VOCAB, n=4)
        yb = (rng.uniform(size=(4, units)) > 0.5).astype(np.float32)
        m.train_on_batch(xb, yb)
    x = ids_x(rng, VOCAB, n=3)
    y = np.asarray(m.predict(x, verbose=0), dtype=np.float32)
    write_io(os.path.join(d, "io.h5"), x, y)
    p = lambda f: os.path.join(d, f)  # noqa: E731
    m.save(p("model.keras"))
    normalize_keras_zip(p("model.keras"))
    m.save(p("model.h5"))
    m.save_weights(p("weights.h5" if TF2 else "model.weights.h5"))
    with open(p("model.json"), "w") as f:
        f.write(m.to_json() + "\n")
    iterations = int(np.asarray(m.optimizer.iterations))
    back = keras.models.load_model(p("model.keras"))
    expect.update(iterations=iterations,
                  keras_reload_maxdiff=maxdiff(back.predict(x, verbose=0), y))
    with open(p("compile.json"), "w") as f:
        json.dump(expect, f, indent=1, sort_keys=True)
        f.write("\n")
    return "%s: %s" % (name, json.dumps(expect, sort_keys=True))


def main():
    out = os.path.join(HERE, "golden-tf2" if TF2 else "golden")
    version = getattr(keras, "__version__", "2 (tf.keras)")
    print("keras", version)
    for name, builder in CASES:
        print(make_case(name, builder, out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
