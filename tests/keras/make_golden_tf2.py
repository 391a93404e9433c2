#!/usr/bin/env python3
"""Make golden tf.keras 2 (Keras 2.15 on TensorFlow 2.15) files for clrnn's C readers.

Run through keras2.sh (which sets up the pinned venv tests/keras/.venv-tf2, CPU only).
Writes tests/keras/golden-tf2/<case>/ plus MANIFEST.txt and LAYOUTS.txt.  Every case
is seeded on its own, so the output does not depend on which cases run or in what order.

Per case: model.h5 (legacy full model, model.save("model.h5"); compiled seed_* cases
include optimizer_weights after 3 train_on_batch steps), model.json (model.to_json()),
weights.h5 (model.save_weights("weights.h5"), Keras 2 HDF5 layout), io.h5 (x, y).

Usage: make_golden_tf2.py [--out DIR] [--only NAME[,NAME...]]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.pop("TF_USE_LEGACY_KERAS", None)  # TF 2.15: tf.keras is Keras 2 without it

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
tf.get_logger().setLevel("ERROR")  # quiet "No training configuration found" etc.
L = keras.layers
import golden_common  # noqa: E402
from golden_common import (  # noqa: E402,F401
    N_SAMPLES, T, F, float_x, ids_x, seq, c_simple_rnn, c_lstm, c_lstm_seq,
    c_lstm_go_backwards, c_lstm_hard_sigmoid, c_gru_reset_after, c_gru_reset_before,
    c_embedding_mask_lstm, c_stacked_lstm, _bidi, c_bidi_gru_seq_masked, c_rnn_lstm_cell,
    c_time_distributed_dense, c_dropout_lstm, c_functional_lstm, c_seq2seq_lstm,
    c_seq2seq_gru_masked, c_imdb_bidi_any_length, c_functional_gru_any_length,
    c_fit_built_any_length, c_lstm_seq2seq_any_length, c_merges,
    c_seq2seq_bidi_states, maxdiff, write_io)
golden_common.use(keras)
import keras as keras_pkg  # noqa: E402  (the keras 2.15 package behind tf.keras; for __version__)

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_STEPS = 3


# ---------------------------------------------------------------- inputs


# ---------------------------------------------------------------- cases
# Each builder gets a numpy Generator and returns (model, x) or (model, x, train)
# where train = (optimizer, loss, x_batches, y_batches) for compiled cases.















def _seed_data(rng, vocab=50, t=7):
    x = ids_x(rng, vocab, n=4, t=t)
    x[1, :3] = 0  # pad_sequences-style pre-padding (no mask: 0 is a token)
    xb = rng.integers(0, vocab, size=(TRAIN_STEPS, 4, t)).astype(np.int32)
    yb = ((xb >= vocab // 2).sum(axis=2, keepdims=True) > t // 2).astype(np.float32)
    return x, xb, yb


def c_seed_imdb_lstm(rng):
    # classic Keras 2 tutorial spelling: Embedding(..., input_length=...), no Input
    m = keras.Sequential([L.Embedding(50, 8, input_length=7), L.LSTM(6),
                          L.Dense(1, activation="sigmoid")])
    x, xb, yb = _seed_data(rng)
    return m, x, (keras.optimizers.Adam(learning_rate=0.01), "binary_crossentropy", xb, yb)


def c_seed_imdb_lstm_legacy_adam(rng):
    # same model, trained with the pre-2.11 optimizer (tf.keras.optimizers.legacy.Adam),
    # which is what TF <= 2.10 wrote into optimizer_weights
    m = keras.Sequential([L.Embedding(50, 8, input_length=7), L.LSTM(6),
                          L.Dense(1, activation="sigmoid")])
    x, xb, yb = _seed_data(rng)
    return m, x, (keras.optimizers.legacy.Adam(learning_rate=0.01), "binary_crossentropy",
                  xb, yb)


def c_seed_stacked_gru(rng):
    m = keras.Sequential([L.Embedding(50, 8, input_length=7),
                          L.GRU(6, return_sequences=True, reset_after=False),
                          L.GRU(6, reset_after=False), L.Dense(1, activation="sigmoid")])
    x, xb, yb = _seed_data(rng)
    return m, x, (keras.optimizers.RMSprop(learning_rate=0.01), "binary_crossentropy", xb, yb)


def c_legacy_input_shape(rng):
    # old standalone-Keras spelling: input_shape on the first layer (the saved config
    # then carries "batch_input_shape" in the LSTM config as well as in the InputLayer)
    m = keras.Sequential([L.LSTM(5, input_shape=(T, F), return_sequences=True),
                          L.LSTM(4), L.Dense(2, activation="softmax")])
    return m, float_x(rng)



CASES = [
    ("simple_rnn", c_simple_rnn),
    ("lstm", c_lstm),
    ("lstm_seq", c_lstm_seq),
    ("lstm_go_backwards", c_lstm_go_backwards),
    ("lstm_hard_sigmoid", c_lstm_hard_sigmoid),
    ("gru_reset_after", c_gru_reset_after),
    ("gru_reset_before", c_gru_reset_before),
    ("embedding_mask_lstm", c_embedding_mask_lstm),
    ("bidi_concat", _bidi("concat")),
    ("bidi_sum", _bidi("sum")),
    ("bidi_ave", _bidi("ave")),
    ("bidi_mul", _bidi("mul")),
    ("bidi_gru_seq_masked", c_bidi_gru_seq_masked),
    ("rnn_lstm_cell", c_rnn_lstm_cell),
    ("time_distributed_dense", c_time_distributed_dense),
    ("dropout_lstm", c_dropout_lstm),
    ("stacked_lstm", c_stacked_lstm),
    ("seed_imdb_lstm", c_seed_imdb_lstm),
    ("seed_imdb_lstm_legacy_adam", c_seed_imdb_lstm_legacy_adam),
    ("seed_stacked_gru", c_seed_stacked_gru),
    ("legacy_input_shape", c_legacy_input_shape),
    ("functional_lstm", c_functional_lstm),
    ("seq2seq_lstm", c_seq2seq_lstm),
    ("seq2seq_gru_masked", c_seq2seq_gru_masked),
    ("imdb_bidi_any_length", c_imdb_bidi_any_length),
    ("functional_gru_any_length", c_functional_gru_any_length),
    ("fit_built_any_length", c_fit_built_any_length),
    ("lstm_seq2seq_any_length", c_lstm_seq2seq_any_length),
    ("merges", c_merges),
    ("seq2seq_bidi_states", c_seq2seq_bidi_states),
]
# the layers of keras.io's examples, the same cases for both Keras versions
CASES += golden_common.EXAMPLE_LAYER_CASES


# ---------------------------------------------------------------- helpers
def randomize_biases(model, rng):
    """Give every bias a small random non-zero value (uniform +-[0.05, 0.5])."""
    for layer in model.layers:
        ws = layer.weights
        if not ws:
            continue
        vals = layer.get_weights()
        changed = False
        for i, w in enumerate(ws):
            if w.name.split("/")[-1].split(":")[0] == "bias":
                mag = rng.uniform(0.05, 0.5, size=vals[i].shape)
                sign = rng.choice([-1.0, 1.0], size=vals[i].shape)
                vals[i] = (mag * sign).astype(vals[i].dtype)
                changed = True
        if changed:
            layer.set_weights(vals)


def layer_desc(layer):
    cfg = layer.get_config()
    cls = layer.__class__.__name__
    if cls == "Bidirectional":
        return "Bidirectional(%s,merge_mode=%s)" % (layer_desc(layer.forward_layer),
                                                    cfg.get("merge_mode"))
    if cls == "TimeDistributed":
        return "TimeDistributed(%s)" % layer_desc(layer.layer)
    if cls == "RNN":
        c = layer.cell
        return "RNN[%s](%s(%d)%s)" % (layer.name, c.__class__.__name__, c.units,
                                      ",return_sequences" if cfg.get("return_sequences") else "")
    keys = []
    for k in ("input_dim", "output_dim", "input_length", "mask_zero", "units", "activation",
              "recurrent_activation", "use_bias", "return_sequences", "go_backwards",
              "reset_after", "rate", "dropout", "recurrent_dropout"):
        if k in cfg:
            v = cfg[k]
            if k in ("mask_zero", "return_sequences", "go_backwards") and v is False:
                continue
            if k == "use_bias" and v:
                continue
            if k in ("dropout", "recurrent_dropout") and not v:
                continue
            if k == "input_length" and v is None:
                continue
            keys.append("%s=%s" % (k, v))
    return "%s[%s](%s)" % (cls, layer.name, ",".join(keys))




def np_lstm_hard_sigmoid(model, x, slope):
    """numpy LSTM (gate order i, f, c, o) with hard_sigmoid = clip(slope*x + 0.5, 0, 1)."""
    k, rk, b = model.layers[0].get_weights()
    u = rk.shape[0]
    hs = lambda z: np.clip(slope * z + 0.5, 0.0, 1.0)  # noqa: E731
    h = np.zeros((x.shape[0], u))
    c = np.zeros((x.shape[0], u))
    for t in range(x.shape[1]):
        z = x[:, t].astype(np.float64) @ k + h @ rk + b
        i, f, g, o = hs(z[:, :u]), hs(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), hs(z[:, 3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return h

# The models of keras.io's examples are saved in the .keras archive too (every format
# tf.keras 2 writes).
KERAS_ARCHIVE_TOO = {"lstm_seq2seq_any_length", "merges", "seq2seq_bidi_states"}


# ---------------------------------------------------------------- one case
def make_case(name, builder, outdir):
    rng, d = golden_common.fresh_case(name, outdir)
    notes = []
    r = builder(rng)
    model, x = r[0], r[1]
    train = r[2] if len(r) > 2 else None
    randomize_biases(model, rng)
    if train is not None:
        opt, loss, xb, yb = train
        model.compile(optimizer=opt, loss=loss)
        losses = []
        for i in range(len(xb)):
            v = model.train_on_batch(xb[i], yb[i])
            losses.append(float(v if np.ndim(v) == 0 else v[0]))
        with h5py.File(os.path.join(d, "batches.h5"), "w") as f:
            f.create_dataset("x", data=xb)
            f.create_dataset("y", data=yb)
            f.create_dataset("losses", data=np.asarray(losses, np.float32))
        notes.append("compiled %s(%s) loss=%s, %d train_on_batch steps on batches.h5, "
                     "losses=%s" % (type(opt).__module__ + "." + type(opt).__name__,
                                    json.dumps({k: v for k, v in sorted(opt.get_config().items())
                                                if k in ("learning_rate", "rho", "beta_1",
                                                         "beta_2", "epsilon", "momentum")},
                                               default=float),
                                    loss, len(xb), ["%.6f" % v for v in losses]))
        ovars = ["%s%s" % (v.name, list(v.shape)) for v in opt.variables()] \
            if callable(getattr(opt, "variables", None)) else \
            ["%s%s" % (v.name, list(v.shape)) for v in opt.variables]
        notes.append("optimizer variables (%d): %s" % (len(ovars), ", ".join(ovars)))
    y = np.asarray(model.predict(x, verbose=0), dtype=np.float32)
    write_io(os.path.join(d, "io.h5"), x, y, model)

    def attempt(fname, fn):
        try:
            fn(os.path.join(d, fname))
        except Exception as e:  # record, keep going
            notes.append("%s FAILED: %s: %s" % (fname, type(e).__name__,
                                                  str(e).splitlines()[0][:200]))
            p = os.path.join(d, fname)
            if os.path.exists(p):
                os.remove(p)

    attempt("model.h5", lambda p: model.save(p))
    attempt("weights.h5", model.save_weights)
    if name in KERAS_ARCHIVE_TOO:
        attempt("model.keras", lambda p: model.save(p))

    def save_json(p):
        with open(p, "w") as f:
            f.write(model.to_json())
            f.write("\n")
    attempt("model.json", save_json)

    if name == "lstm_hard_sigmoid":
        for slope in (0.2, 1.0 / 6.0):
            md = maxdiff(np_lstm_hard_sigmoid(model, x, slope), y)
            notes.append("numpy LSTM with hard_sigmoid slope %.4g: maxdiff=%.3g" % (slope, md))
    if name == "bidi_gru_seq_masked":
        dense_b = model.layers[-1].get_weights()[1]
        m = x == 0
        md = maxdiff(y[m], np.broadcast_to(dense_b, y[m].shape))
        notes.append("masked steps: y == Dense bias (zero Bidirectional output) maxdiff=%.3g" % md)

    # round-trip checks with Keras itself
    def check(label, load):
        try:
            m2 = load()
            y2 = np.asarray(m2.predict(x, verbose=0))
            md = maxdiff(y, y2)
            notes.append("reload %s maxdiff=%.3g%s" % (label, md, "" if md < 1e-5 else " MISMATCH"))
            return m2
        except Exception as e:
            notes.append("reload %s FAILED: %s: %s" % (label, type(e).__name__,
                                                         str(e).splitlines()[0][:200]))
    p = lambda f: os.path.join(d, f)  # noqa: E731
    if os.path.exists(p("model.h5")):
        m2 = check("load_model(model.h5)", lambda: keras.models.load_model(p("model.h5")))
        if train is not None and m2 is not None and m2.optimizer is not None:
            it = m2.optimizer.iterations.numpy()
            notes.append("reloaded optimizer: %s iterations=%d" % (type(m2.optimizer).__name__, it))
    if os.path.exists(p("model.keras")):
        check("load_model(model.keras)", lambda: keras.models.load_model(p("model.keras")))
    if os.path.exists(p("model.json")) and os.path.exists(p("weights.h5")):
        def from_json():
            with open(p("model.json")) as f:
                m2 = keras.models.model_from_json(f.read())
            m2.load_weights(p("weights.h5"))
            return m2
        check("model_from_json(model.json)+load_weights(weights.h5)", from_json)

    files = sorted(os.listdir(d))
    xs = x if isinstance(x, list) else [x]
    line = "%s | x %s | y %s | %s | files: %s" % (
        name, " ".join("%s%s" % (xi.dtype, list(xi.shape)) for xi in xs), list(y.shape),
        " -> ".join(layer_desc(l) for l in model.layers), " ".join(files))
    return line, notes


# ---------------------------------------------------------------- layouts
def h5_walk(path, out, label=None):
    def fmt_attr(v):
        if isinstance(v, np.ndarray):
            if v.dtype.kind in "SO":
                return "%s %s %r" % (v.dtype, list(v.shape),
                                     [s.decode() if isinstance(s, bytes) else s for s in v.tolist()])
            return "%s %s %s" % (v.dtype, list(v.shape), v.tolist())
        s = v.decode() if isinstance(v, bytes) else v
        s = repr(s)
        if len(s) > 160:
            s = s[:160] + "...(%d chars)" % len(s)
        return "%s %s" % (type(v).__name__, s)

    def attr_type(obj, k):
        aid = obj.attrs.get_id(k)
        t = aid.get_type()
        cls = t.get_class()
        shape = aid.get_space().shape
        if cls == h5py.h5t.STRING:
            vl = t.is_variable_str()
            cs = {0: "ASCII", 1: "UTF-8"}.get(t.get_cset(), "?")
            return "STRING %s %s %s" % ("vlen" if vl else "fixed(%d)" % t.get_size(), cs,
                                        "scalar" if shape == () else "shape=%s" % (list(shape),))
        return "class=%d size=%d shape=%s" % (cls, t.get_size(),
                                              list(shape) if shape is not None else None)

    out.append("== %s" % (label or path))
    with h5py.File(path, "r") as f:
        def visit(obj, depth):
            ind = "  " * depth
            if isinstance(obj, h5py.Dataset):
                out.append("%sDATASET %s dtype=%s shape=%s" % (ind, obj.name, obj.dtype,
                                                              list(obj.shape)))
            else:
                out.append("%sGROUP %s" % (ind, obj.name))
            for k in obj.attrs.keys():
                out.append("%s  @%s: [%s] %s" % (ind, k, attr_type(obj, k), fmt_attr(obj.attrs[k])))
            if isinstance(obj, h5py.Group):
                for k in obj.keys():
                    visit(obj[k], depth + 1)
        visit(f, 0)
    out.append("")


def write_layouts(outdir):
    out = ["HDF5 layouts written by tf.keras %s (TensorFlow %s, h5py %s, HDF5 %s)" % (
        keras_pkg.__version__, tf.__version__, h5py.__version__, h5py.version.hdf5_version),
        "Generated by tests/keras/make_golden_tf2.py (h5py walk: groups, datasets, attributes",
        "with their HDF5 string type; then `h5dump -H`).", ""]
    for rel in ("bidi_concat/model.h5", "bidi_concat/weights.h5", "functional_lstm/model.h5",
                "seed_imdb_lstm/model.h5", "seed_imdb_lstm_legacy_adam/model.h5",
                "seed_stacked_gru/model.h5"):
        p = os.path.join(outdir, rel)
        if os.path.exists(p):
            h5_walk(p, out, "golden-tf2/" + rel)
    h5dump = shutil.which("h5dump")
    if h5dump:
        ver = subprocess.run([h5dump, "--version"], capture_output=True, text=True).stdout.strip()
        for rel in ("lstm/model.h5", "lstm/weights.h5", "seed_imdb_lstm/model.h5"):
            if not os.path.exists(os.path.join(outdir, rel)):
                continue
            r = subprocess.run([h5dump, "-H", rel], cwd=outdir, capture_output=True, text=True)
            out.append("== h5dump -H golden-tf2/%s   (%s)" % (rel, ver))
            out.append(r.stdout.rstrip())
            if r.returncode:
                out.append("h5dump exit %d: %s" % (r.returncode, r.stderr.strip()))
            out.append("")
    with open(os.path.join(outdir, "LAYOUTS.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- main
TEXTS = ["The movie was great, wonderful acting!", "Awful. Boring plot and bad acting",
         "great great fun", "boring and awful", "a wonderful, great film"]


# 40 texts of 1 to 12 words: Keras predicts them in batches of 32, each padded to its
# longest text when TextVectorization has no output_sequence_length
_WORDS = ("the movie was great wonderful acting awful boring plot and bad fun a film "
          "dull mess brilliant moving").split()
ANY_LENGTH_TEXTS = [" ".join(np.random.default_rng(i).choice(_WORDS, size=1 + (7 * i) % 12))
                    for i in range(40)]


def make_text_vectorization(outdir, name="text_vectorization", length=6, texts=TEXTS):
    """A model on raw strings: TextVectorization (adapted on texts) + Embedding + LSTM +
    Dense, saved as model.keras (its vocabulary is an asset of the archive). io.h5 holds
    x = the ids TextVectorization makes of all texts at once (what clrnn's model takes),
    y = predict on them in one batch, y_text = predict(texts) as a user calls it (batches of
    32), and the texts (text.txt, one a line) for clrnn-eval --text. length None: no
    output_sequence_length (each batch padded to its longest text)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(golden_common.case_seed(name))
    tv = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=length)
    tv.adapt(texts)
    m = keras.Sequential([keras.Input(shape=(1,), dtype="string"), tv,
                          keras.layers.Embedding(20, 4), keras.layers.LSTM(3),
                          keras.layers.Dense(1, activation="sigmoid")])
    rng = np.random.default_rng(golden_common.case_seed(name))
    for layer in m.layers[1:]:  # the layers with weights, not the lookup table
        if hasattr(layer, "bias") and layer.bias is not None:
            layer.bias.assign(rng.uniform(0.05, 0.5, layer.bias.shape) * rng.choice([-1, 1], layer.bias.shape))
        if hasattr(layer, "cell"):
            b = layer.cell.bias
            b.assign(rng.uniform(0.05, 0.5, b.shape) * rng.choice([-1, 1], b.shape))
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    m.save(os.path.join(d, "model.keras"))
    strings = np.array([[t] for t in texts])
    x = tv(np.array(texts)).numpy().astype(np.int32)
    y = m.predict(strings, batch_size=len(texts), verbose=0).astype(np.float32)
    y_text = m.predict(strings, verbose=0).astype(np.float32)
    write_io(os.path.join(d, "io.h5"), x, y)
    with h5py.File(os.path.join(d, "io.h5"), "a") as f:
        f.create_dataset("y_text", data=y_text)
    with open(os.path.join(d, "text.txt"), "w") as f:
        f.write("\n".join(texts) + "\n")
    back = keras.models.load_model(os.path.join(d, "model.keras"))
    diff = maxdiff(back.predict(strings, verbose=0), y_text)
    return ("%s | x int32%s (TextVectorization ids of str[%d]) | y %s | "
            "TextVectorization(max_tokens=20, output_sequence_length=%s) -> Embedding(20,4) -> "
            "LSTM(3) -> Dense(1,sigmoid) | files: io.h5 model.keras text.txt" %
            (name, list(x.shape), len(texts), list(y.shape), length),
            ["vocabulary %s" % tv.get_vocabulary(), "reload model.keras maxdiff=%g" % diff])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "golden-tf2"))
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    os.makedirs(a.out, exist_ok=True)
    lines = [
        "# clrnn tf.keras 2 golden files. Generated by tests/keras/make_golden_tf2.py",
        "# tensorflow-cpu %s, tf.keras = keras %s, h5py %s (HDF5 %s), numpy %s" % (
            tf.__version__, keras_pkg.__version__, h5py.__version__,
            h5py.version.hdf5_version, np.__version__),
        "# line format: case | input dtype[shape] | output [shape] | layers | files",
        "# each case dir: model.h5 (model.save, legacy full-model HDF5), weights.h5",
        "#   (model.save_weights, Keras 2 HDF5 layout), model.json (to_json),",
        "#   io.h5 (x, y=predict(x)).  seed_* cases: compiled, trained %d train_on_batch" % TRAIN_STEPS,
        "#   steps on batches.h5 (x, y, losses) BEFORE y was computed and the files saved,",
        "#   so model.h5 has training_config and optimizer_weights.",
        "# Biases are random non-zero (uniform +-[0.05,0.5]); kernels default-initialized.",
        "# Indented lines: notes (save failures, Keras reload checks).",
        "",
    ]
    failed = False
    for name, b in CASES:
        if only and name not in only:
            continue
        print("case", name, flush=True)
        try:
            line, notes = make_case(name, b, a.out)
        except Exception as e:
            traceback.print_exc()
            line, notes = "%s | CASE FAILED: %s: %s" % (name, type(e).__name__, e), []
            failed = True
        lines.append(line)
        lines.extend("    " + n for n in notes)
        if any("FAILED" in n or "MISMATCH" in n for n in notes):
            failed = True
    for name, length, texts in (("text_vectorization", 6, TEXTS),
                                ("text_vectorization_any_length", None, ANY_LENGTH_TEXTS)):
        if not only or name in only:
            line, notes = make_text_vectorization(a.out, name, length, texts)
            lines.append(line)
            lines.extend("    " + n for n in notes)
    if not only:
        with open(os.path.join(a.out, "MANIFEST.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        write_layouts(a.out)
    else:
        print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
