"""Checks clrnn-train's learning-rate callbacks against real Keras 3 (tests/test_keras_callbacks.sh).

reduce-lr HISTORY.csv MONITOR FACTOR PATIENCE MIN_DELTA COOLDOWN MIN_LR INITIAL_LR MODEL
    Replays the monitored metric of clrnn's --history through Keras's own ReduceLROnPlateau
    (on a model compiled with SGD at INITIAL_LR): the learning_rate Keras logs each epoch
    must be the history's, and the rate of clrnn's saved MODEL (load_model with its
    defaults) the one Keras ends with.
schedule MODEL CLASS KEY=VALUE... ITERATIONS
    load_model(MODEL) with its defaults: the optimizer's learning_rate is the schedule CLASS
    with those settings, its iterations ITERATIONS ("-": not checked, as for a legacy .h5,
    whose optimizer state Keras 3 does not restore), and it trains on a batch.
"""
import csv
import sys

import numpy as np
import keras


def reduce_lr(path, monitor, factor, patience, min_delta, cooldown, min_lr, initial, model_path):
    rows = list(csv.DictReader(open(path)))
    probe = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    probe.compile(optimizer=keras.optimizers.SGD(learning_rate=float(initial)), loss="mse")
    # a fit with metrics=["accuracy"] resolves mode "auto" to "max" for an accuracy; this
    # probe has no such metric to resolve it from
    mode = "max" if "accuracy" in monitor else "auto"
    cb = keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, factor=float(factor),
                                           patience=int(patience), min_delta=float(min_delta),
                                           cooldown=int(cooldown), min_lr=float(min_lr))
    cb.set_model(probe)
    cb.on_train_begin()
    worst = 0.0
    for r in rows:
        logs = {k: float(v) for k, v in r.items() if k not in ("epoch", "learning_rate")}
        cb.on_epoch_end(int(r["epoch"]), logs)
        got, want = float(r["learning_rate"]), logs["learning_rate"]
        worst = max(worst, abs(got - want) / want)
    final = float(np.asarray(probe.optimizer.learning_rate))
    saved = float(np.asarray(keras.models.load_model(model_path).optimizer.learning_rate))
    print("reduce-lr: %d epochs, largest relative difference of the logged rates %.3g; final "
          "rate keras %.9g, clrnn's file %.9g" % (len(rows), worst, final, saved))
    changes = len({r["learning_rate"] for r in rows})
    ok = worst <= 1e-7 and abs(final - saved) <= 1e-7 * final and changes >= 2
    return 0 if ok else 1


def schedule(model_path, cls, *rest):
    *settings, iterations = rest
    m = keras.models.load_model(model_path)
    lr = m.optimizer._learning_rate
    cfg = lr.get_config() if hasattr(lr, "get_config") else {}
    print("schedule: %s %s, iterations %d" % (type(lr).__name__, cfg,
                                             int(np.asarray(m.optimizer.iterations))))
    ok = type(lr).__name__ == cls
    if iterations != "-":
        ok = ok and int(np.asarray(m.optimizer.iterations)) == int(iterations)
    for kv in settings:
        k, v = kv.split("=")
        ok = ok and abs(float(cfg[k]) - float(v)) <= 1e-12 * max(1.0, abs(float(v)))
    x = np.zeros((4,) + tuple(d or 5 for d in m.input_shape[1:]), np.float32)
    y = np.zeros((4,) + tuple(d or 5 for d in m.output_shape[1:]), np.float32)
    m.train_on_batch(x, y)  # the restored optimizer steps on
    return 0 if ok else 1


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    sys.exit(reduce_lr(*args) if what == "reduce-lr" else schedule(*args))
