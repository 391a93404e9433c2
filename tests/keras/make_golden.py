#!/usr/bin/env python3
"""Make golden Keras 3 files for clrnn's C readers/writers.

Run through make_golden.sh (which sets up the pinned venv and KERAS_BACKEND=jax).
Writes tests/keras/golden/<case>/ and tests/keras/golden/train_<opt>/ plus
MANIFEST.txt and LAYOUTS.txt.  Every case is seeded on its own, so the output
does not depend on which cases run or in what order.

Usage: make_golden.py [--out DIR] [--only NAME[,NAME...]] [--keep-timestamps]
"""
import argparse
import io
import json
import os
import re
import shutil
import sys
import traceback
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402
import golden_common  # noqa: E402
from golden_common import (  # noqa: E402,F401
    N_SAMPLES, T, F, float_x, ids_x, seq, c_simple_rnn, c_lstm, c_lstm_seq,
    c_lstm_go_backwards, c_lstm_hard_sigmoid, c_gru_reset_after, c_gru_reset_before,
    c_embedding_mask_lstm, c_stacked_lstm, _bidi, c_bidi_gru_seq_masked, c_rnn_lstm_cell,
    c_time_distributed_dense, c_dropout_lstm, c_functional_lstm, c_seq2seq_lstm,
    c_seq2seq_gru_masked, c_seq2seq_bidi_lstm, c_imdb_bidi_any_length,
    c_functional_gru_any_length, c_lstm_seq2seq_any_length, c_merges,
    c_seq2seq_bidi_states, maxdiff, write_io)
golden_common.use(keras)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DATE_SAVED = "1980-01-01@00:00:00"


# ---------------------------------------------------------------- inputs


# ---------------------------------------------------------------- cases
# Each builder gets a numpy Generator and returns (model, x).


def c_simple_rnn_seq(rng):
    return seq((T, F), L.SimpleRNN(4, return_sequences=True, activation="tanh")), float_x(rng)





def c_lstm_no_bias(rng):
    return seq((T, F), L.LSTM(4, use_bias=False)), float_x(rng)





def c_gru_seq(rng):
    return seq((T, F), L.GRU(4, return_sequences=True)), float_x(rng)



def c_embedding_mask_gru_seq_dense(rng):
    m = seq((T,), L.Embedding(20, 4, mask_zero=True),
            L.GRU(4, return_sequences=True), L.Dense(3), dtype="int32")
    return m, ids_x(rng, 20, n=4, pad=True)





def c_rnn_simple_cell(rng):
    return seq((T, F), L.RNN(L.SimpleRNNCell(4))), float_x(rng)



def c_rnn_gru_cell(rng):
    return seq((T, F), L.RNN(L.GRUCell(4))), float_x(rng)




def c_dense_activation(rng):
    m = seq((5,), L.Dense(4), L.Activation("softmax"))
    return m, rng.uniform(-1, 1, size=(N_SAMPLES, 5)).astype(np.float32)


def c_seed_imdb_lstm(rng):
    m = seq((7,), L.Embedding(50, 8), L.LSTM(6), L.Dense(1, activation="sigmoid"),
            dtype="int32")
    x = ids_x(rng, 50, n=4, t=7)
    x[1, :3] = 0  # pad_sequences-style pre-padding (no mask: 0 is a token)
    return m, x


def c_seed_stacked_gru(rng):
    m = seq((7,), L.Embedding(50, 8), L.GRU(6, return_sequences=True), L.GRU(6),
            L.Dense(1, activation="sigmoid"), dtype="int32")
    x = ids_x(rng, 50, n=4, t=7)
    x[1, :3] = 0
    return m, x



CASES = [
    ("simple_rnn", c_simple_rnn),
    ("simple_rnn_seq", c_simple_rnn_seq),
    ("lstm", c_lstm),
    ("lstm_seq", c_lstm_seq),
    ("lstm_go_backwards", c_lstm_go_backwards),
    ("lstm_no_bias", c_lstm_no_bias),
    ("lstm_hard_sigmoid", c_lstm_hard_sigmoid),
    ("gru_reset_after", c_gru_reset_after),
    ("gru_reset_before", c_gru_reset_before),
    ("gru_seq", c_gru_seq),
    ("embedding_mask_lstm", c_embedding_mask_lstm),
    ("embedding_mask_gru_seq_dense", c_embedding_mask_gru_seq_dense),
    ("stacked_lstm", c_stacked_lstm),
    ("bidi_concat", _bidi("concat")),
    ("bidi_sum", _bidi("sum")),
    ("bidi_ave", _bidi("ave")),
    ("bidi_mul", _bidi("mul")),
    ("bidi_gru_seq_masked", c_bidi_gru_seq_masked),
    ("rnn_simple_cell", c_rnn_simple_cell),
    ("rnn_lstm_cell", c_rnn_lstm_cell),
    ("rnn_gru_cell", c_rnn_gru_cell),
    ("time_distributed_dense", c_time_distributed_dense),
    ("dropout_lstm", c_dropout_lstm),
    ("dense_activation", c_dense_activation),
    ("seed_imdb_lstm", c_seed_imdb_lstm),
    ("seed_stacked_gru", c_seed_stacked_gru),
    ("functional_lstm", c_functional_lstm),
    ("seq2seq_lstm", c_seq2seq_lstm),
    ("seq2seq_gru_masked", c_seq2seq_gru_masked),
    ("seq2seq_bidi_lstm", c_seq2seq_bidi_lstm),
    ("imdb_bidi_any_length", c_imdb_bidi_any_length),
    ("functional_gru_any_length", c_functional_gru_any_length),
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
            if w.path.split("/")[-1] == "bias":
                mag = rng.uniform(0.05, 0.5, size=vals[i].shape)
                sign = rng.choice([-1.0, 1.0], size=vals[i].shape)
                vals[i] = (mag * sign).astype(vals[i].dtype)
                changed = True
        if changed:
            layer.set_weights(vals)


def renumber_shared_ids(text):
    """config.json carries "shared_object_id": <python id()> for objects shared
    between layers (dtype policy, initializers); renumber them 1, 2, ... in
    order of first appearance (Keras only matches them within one file)."""
    mapping = {}

    def sub(m):
        old = m.group(2)
        if old not in mapping:
            mapping[old] = str(len(mapping) + 1)
        return m.group(1) + mapping[old]
    return re.sub(r'("shared_object_id": )(\d+)', sub, text)


def normalize_keras_zip(path):
    """Make a .keras archive byte-reproducible: fixed zip entry times, a fixed
    metadata.json date_saved and renumbered shared_object_id values in
    config.json. Contents are otherwise untouched."""
    with zipfile.ZipFile(path, "r") as zin:
        entries = [(i, zin.read(i.filename)) for i in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for info, data in entries:
            if info.filename == "metadata.json":
                meta = json.loads(data)
                if "date_saved" in meta:
                    meta["date_saved"] = FIXED_DATE_SAVED
                data = json.dumps(meta).encode()
            elif info.filename == "config.json":
                data = renumber_shared_ids(data.decode("utf-8")).encode("utf-8")
            ni = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            ni.compress_type = info.compress_type
            ni.external_attr = info.external_attr
            zout.writestr(ni, data)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def layer_desc(layer):
    cfg = layer.get_config()
    cls = layer.__class__.__name__
    keys = []
    if cls == "Bidirectional":
        inner = layer.forward_layer
        keys.append("merge_mode=%s" % cfg.get("merge_mode"))
        return "Bidirectional(%s,%s)" % (layer_desc(inner), keys[0])
    if cls == "TimeDistributed":
        return "TimeDistributed(%s)" % layer_desc(layer.layer)
    if cls == "RNN":
        c = layer.cell
        return "RNN(%s(%d)%s)" % (c.__class__.__name__, c.units,
                                  ",return_sequences" if cfg.get("return_sequences") else "")
    for k in ("input_dim", "output_dim", "mask_zero", "units", "activation",
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
            keys.append("%s=%s" % (k, v))
    return "%s[%s](%s)" % (cls, layer.name, ",".join(keys))




# ---------------------------------------------------------------- one case
def make_case(name, builder, outdir, keep_ts):
    rng, d = golden_common.fresh_case(name, outdir)
    notes = []
    model, x = builder(rng)
    randomize_biases(model, rng)
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

    def save_keras(p):
        model.save(p)
        if not keep_ts:
            normalize_keras_zip(p)

    attempt("model.keras", save_keras)
    attempt("model.weights.h5", model.save_weights)
    attempt("model.h5", lambda p: model.save(p))

    def save_json(p):
        with open(p, "w") as f:
            f.write(model.to_json())
            f.write("\n")
    attempt("model.json", save_json)

    # round-trip checks with Keras itself
    def check(label, load):
        try:
            m2 = load()
            y2 = np.asarray(m2.predict(x, verbose=0))
            md = maxdiff(y, y2)
            notes.append("reload %s maxdiff=%.3g%s" % (label, md, "" if md < 1e-5 else " MISMATCH"))
        except Exception as e:
            notes.append("reload %s FAILED: %s: %s" % (label, type(e).__name__,
                                                         str(e).splitlines()[0][:200]))
    p = lambda f: os.path.join(d, f)  # noqa: E731
    if os.path.exists(p("model.keras")):
        check("model.keras", lambda: keras.models.load_model(p("model.keras")))
    if os.path.exists(p("model.h5")):
        check("model.h5", lambda: keras.models.load_model(p("model.h5")))
    if os.path.exists(p("model.json")) and os.path.exists(p("model.weights.h5")):
        def from_json():
            with open(p("model.json")) as f:
                m2 = keras.models.model_from_json(f.read())
            m2.load_weights(p("model.weights.h5"))
            return m2
        check("model.json+model.weights.h5", from_json)

    files = sorted(os.listdir(d))
    xs = x if isinstance(x, list) else [x]
    line = "%s | x %s | y %s | %s | files: %s" % (
        name, " ".join("%s%s" % (xi.dtype, list(xi.shape)) for xi in xs), list(y.shape),
        " -> ".join(layer_desc(l) for l in model.layers), " ".join(files))
    return line, notes


# ---------------------------------------------------------------- training
def make_train_seq2seq(outdir):
    """train_seq2seq/: the seq2seq LSTM (golden_common.seq2seq_model), Adam(0.01),
    sparse_categorical_crossentropy: initial.h5, batches.h5 (x0, x1, y: one batch of 4 per
    step; losses: what train_on_batch returned), final.h5 after the steps."""
    name = "train_seq2seq"
    rng, d = golden_common.fresh_case(name, outdir)
    model = golden_common.seq2seq_model("lstm")
    randomize_biases(model, rng)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy")
    model.save(os.path.join(d, "initial.h5"))
    steps, batch = 12, 4
    V, TE, TD = golden_common.S2S_V, golden_common.S2S_TE, golden_common.S2S_TD
    x0 = rng.integers(1, V, size=(steps, batch, TE)).astype(np.int32)
    x1 = rng.integers(1, V, size=(steps, batch, TD)).astype(np.int32)
    y = rng.integers(0, V, size=(steps, batch, TD)).astype(np.int32)
    losses = []
    for i in range(steps):
        r = model.train_on_batch([x0[i], x1[i]], y[i])
        losses.append(float(r if np.ndim(r) == 0 else r[0]))
    losses = np.asarray(losses, np.float32)
    with h5py.File(os.path.join(d, "batches.h5"), "w") as f:
        f.create_dataset("x0", data=x0)
        f.create_dataset("x1", data=x1)
        f.create_dataset("y", data=y)
        f.create_dataset("losses", data=losses)
    model.save(os.path.join(d, "final.h5"), include_optimizer=True)
    line = "%s | x0 int32%s x1 int32%s y int32%s | losses[0]=%.6f losses[-1]=%.6f | files: %s" % (
        name, list(x0.shape), list(x1.shape), list(y.shape), losses[0], losses[-1],
        " ".join(sorted(os.listdir(d))))
    return line, []


OPTS = {
    "sgd_momentum": lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=0.01),
    "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
    # learning-rate schedules: the rate at each step from optimizer.iterations
    "adam_exponential_decay": lambda: keras.optimizers.Adam(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(
            0.02, decay_steps=4, decay_rate=0.5, staircase=False)),
    "sgd_cosine_decay": lambda: keras.optimizers.SGD(
        learning_rate=keras.optimizers.schedules.CosineDecay(
            0.05, decay_steps=15, alpha=0.1, warmup_target=0.2, warmup_steps=4),
        momentum=0.9),
}
TRAIN_STEPS = 20
TRAIN_BATCH = 4
TRAIN_T = 6


def make_train(opt_name, outdir, keep_ts, extras=False):
    name = "train_" + opt_name
    keras.backend.clear_session()
    seed = 1234  # same model init and data for every optimizer
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    d = os.path.join(outdir, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    notes = []
    model = keras.Sequential([
        keras.Input(shape=(TRAIN_T,), dtype="int32"),
        L.Embedding(20, 4),
        L.LSTM(5),
        L.Dense(1, activation="sigmoid"),
    ])
    randomize_biases(model, rng)
    x = rng.integers(0, 20, size=(TRAIN_STEPS, TRAIN_BATCH, TRAIN_T)).astype(np.int32)
    # learnable-ish label: does the sequence contain more ids >= 10 than < 10
    y = ((x >= 10).sum(axis=2, keepdims=True) > TRAIN_T // 2).astype(np.float32)
    opt = OPTS[opt_name]()
    model.compile(optimizer=opt, loss="binary_crossentropy")
    model.save_weights(os.path.join(d, "initial.weights.h5"))
    model.save(os.path.join(d, "initial.h5"))

    losses = []
    pre_losses = []
    for i in range(TRAIN_STEPS):
        # loss at the current (pre-update) weights, computed independently
        pred = np.asarray(model.predict(x[i], verbose=0), np.float64)
        pc = np.clip(pred, 1e-7, 1 - 1e-7)
        pre = float(np.mean(-(y[i] * np.log(pc) + (1 - y[i]) * np.log(1 - pc))))
        pre_losses.append(pre)
        r = model.train_on_batch(x[i], y[i])
        losses.append(float(r if np.ndim(r) == 0 else r[0]))
        if i == 0 and extras:
            model.save_weights(os.path.join(d, "after_step1.weights.h5"))
    losses = np.asarray(losses, np.float32)
    md = maxdiff(losses, pre_losses)
    notes.append("train_on_batch loss vs numpy BCE at pre-update weights: maxdiff=%.3g" % md)
    with h5py.File(os.path.join(d, "batches.h5"), "w") as f:
        f.create_dataset("x", data=x)
        f.create_dataset("y", data=y)
        f.create_dataset("losses", data=losses)
    model.save_weights(os.path.join(d, "final.weights.h5"))
    model.save(os.path.join(d, "final.h5"), include_optimizer=True)
    if extras:
        try:
            model.save(os.path.join(d, "final.keras"))
            if not keep_ts:
                normalize_keras_zip(os.path.join(d, "final.keras"))
        except Exception as e:
            notes.append("final.keras FAILED: %s" % e)
    ocfg = opt.get_config()
    ovars = ["%s%s" % (v.path, list(v.shape)) for v in opt.variables]
    line = "%s | x int32%s y float32%s | losses[0]=%.6f losses[-1]=%.6f | files: %s" % (
        name, list(x.shape), list(y.shape), losses[0], losses[-1],
        " ".join(sorted(os.listdir(d))))
    notes.append("optimizer config: " + json.dumps(ocfg, sort_keys=True, default=str))
    notes.append("optimizer variables (order of optimizer_weights): " + ", ".join(ovars))
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
        sp = aid.get_space()
        shape = sp.shape
        if cls == h5py.h5t.STRING:
            vl = t.is_variable_str()
            cs = {0: "ASCII", 1: "UTF-8"}.get(t.get_cset(), "?")
            return "STRING %s %s %s" % ("vlen" if vl else "fixed(%d)" % t.get_size(), cs,
                                        "scalar" if shape == () else "shape=%s" % (list(shape),))
        return "class=%d size=%d shape=%s" % (cls, t.get_size(), list(shape) if shape is not None else None)

    out.append("== %s" % (label or path))
    with h5py.File(path, "r") as f:
        def visit(obj, depth):
            ind = "  " * depth
            if isinstance(obj, h5py.Dataset):
                out.append("%sDATASET %s dtype=%s shape=%s" % (ind, obj.name, obj.dtype, list(obj.shape)))
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
    out = ["HDF5 layouts written by Keras %s (backend %s, h5py %s, HDF5 %s)" % (
        keras.__version__, keras.backend.backend(), h5py.__version__, h5py.version.hdf5_version),
        "Generated by tests/keras/make_golden.py (h5py walk: groups, datasets, attributes with",
        "their HDF5 string type). See also `h5dump -H <file>`.", ""]
    for rel in ("bidi_concat/model.h5", "bidi_concat/model.weights.h5",
                "embedding_mask_lstm/model.h5", "gru_reset_after/model.weights.h5",
                "train_adam/final.h5", "train_adam/final.weights.h5"):
        p = os.path.join(outdir, rel)
        if os.path.exists(p):
            h5_walk(p, out, "golden/" + rel)
    # the .keras archive members
    p = os.path.join(outdir, "bidi_concat/model.keras")
    if os.path.exists(p):
        out.append("== golden/bidi_concat/model.keras (zip members)")
        with zipfile.ZipFile(p) as z:
            for i in z.infolist():
                out.append("  %s  %d bytes  compress_type=%d" % (i.filename, i.file_size, i.compress_type))
            out.append("  metadata.json: " + z.read("metadata.json").decode())
            tmp = os.path.join(outdir, ".tmp_inner.weights.h5")
            with open(tmp, "wb") as f:
                f.write(z.read("model.weights.h5"))
        out.append("")
        h5_walk(tmp, out, "golden/bidi_concat/model.keras :: model.weights.h5")
        os.remove(tmp)
    h5dump = shutil.which("h5dump")
    if h5dump:
        import subprocess
        for rel in ("lstm/model.h5", "lstm/model.weights.h5"):
            p = os.path.join(outdir, rel)
            if not os.path.exists(p):
                continue
            r = subprocess.run([h5dump, "-H", rel], cwd=outdir, capture_output=True, text=True)
            ver = subprocess.run([h5dump, "--version"], capture_output=True, text=True).stdout.strip()
            out.append("== h5dump -H golden/%s   (%s)" % (rel, ver))
            out.append(r.stdout.rstrip())
            out.append("")
    with open(os.path.join(outdir, "LAYOUTS.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "golden"))
    ap.add_argument("--only", default="")
    ap.add_argument("--keep-timestamps", action="store_true",
                    help="do not normalize .keras zip times / date_saved")
    ap.add_argument("--extras", action="store_true",
                    help="also write train_*/after_step1.weights.h5 and final.keras "
                         "(off by default to keep the golden set small)")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    os.makedirs(a.out, exist_ok=True)
    import jax
    lines = [
        "# clrnn Keras golden files. Generated by tests/keras/make_golden.py",
        "# keras %s, backend %s, jax %s, h5py %s (HDF5 %s), numpy %s" % (
            keras.__version__, keras.backend.backend(), jax.__version__, h5py.__version__,
            h5py.version.hdf5_version, np.__version__),
        "# line format: case | input dtype[shape] | output [shape] | layers | files",
        "# each case dir: model.keras (Keras 3 archive; zip times and metadata date_saved",
        "#   normalized for reproducibility), model.weights.h5 (save_weights), model.h5",
        "#   (legacy full-model HDF5), model.json (to_json), io.h5 (x, y=predict(x)).",
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
            line, notes = make_case(name, b, a.out, a.keep_timestamps)
        except Exception as e:
            traceback.print_exc()
            line, notes = "%s | CASE FAILED: %s: %s" % (name, type(e).__name__, e), []
            failed = True
        lines.append(line)
        lines.extend("    " + n for n in notes)
    lines += [
        "",
        "# Training parity fixtures train_<opt>/: Embedding(20,4)+LSTM(5)+Dense(1,sigmoid),",
        "# loss binary_crossentropy, same initial weights/data for every optimizer (seed 1234).",
        "# batches.h5: x (20,4,6) int32, y (20,4,1) float32, losses (20,) float32.",
        "# Step i = model.train_on_batch(x[i], y[i]), i = 0..19 in order.",
        "# losses[i] = value returned by train_on_batch at step i: Keras 3 resets metrics at",
        "#   the start of train_on_batch and returns the mean binary cross-entropy of batch i",
        "#   computed in the forward pass BEFORE the update of step i (i.e. at the weights",
        "#   of initial.weights.h5 for i=0), averaged over the 4 samples (reduction",
        "#   sum_over_batch_size). Verified below against a numpy BCE at pre-update weights.",
        "# Keras BCE clips probabilities to [1e-7, 1-1e-7].",
        "# initial.* saved after compile, before any step. The optimizer is not built yet:",
        "#   initial.h5 optimizer_weights and initial.weights.h5 /optimizer/vars hold only",
        "#   iteration (int32 0) and learning_rate; slot variables appear after step 0.",
        "# All losses agree across optimizers at step 0 (same initial weights and batch).",
        "# final.weights.h5 / final.h5 (include_optimizer=True: optimizer_weights group)",
        "#   after all 20 steps. (--extras adds after_step1.weights.h5 = weights after",
        "#   step 0, and final.keras = archive incl. optimizer variables.)",
        "",
    ]
    for opt in OPTS:
        if only and ("train_" + opt) not in only:
            continue
        print("train", opt, flush=True)
        try:
            line, notes = make_train(opt, a.out, a.keep_timestamps, a.extras)
        except Exception as e:
            traceback.print_exc()
            line, notes = "train_%s | FAILED: %s: %s" % (opt, type(e).__name__, e), []
            failed = True
        lines.append(line)
        lines.extend("    " + n for n in notes)
    if not only or "train_seq2seq" in only:
        print("train seq2seq", flush=True)
        try:
            line, notes = make_train_seq2seq(a.out)
        except Exception as e:
            traceback.print_exc()
            line, notes = "train_seq2seq | FAILED: %s: %s" % (type(e).__name__, e), []
            failed = True
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
