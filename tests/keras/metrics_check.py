#!/usr/bin/env python3
"""Opens a model file that clrnn saved with keras.models.load_model(path) (its defaults: the
compile configuration clrnn wrote, metrics included) and prints evaluate()'s values on DATA's
x_test/y_test (or x/y) as one JSON object (tests/test_metrics_tools.sh):
  tests/keras/keras.sh metrics_check.py MODEL DATA
"""
import json
import sys

import h5py
import keras


def main(model_path, data_path):
    with h5py.File(data_path, "r") as f:
        x = f["x_test" if "x_test" in f else "x"][:]
        y = f["y_test" if "y_test" in f else "y"][:]
    model = keras.models.load_model(model_path)
    r = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    print(json.dumps({k: float(v) for k, v in r.items()}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
