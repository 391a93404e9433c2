"""Shared by make_golden.py (Keras 3) and make_golden_tf2.py (tf.keras 2): the fixed
inputs, the model builders both write (with whichever keras module the script hands to
use()), and the io.h5 writer."""
import os
import shutil

import h5py
import numpy as np

keras = None
L = None
N_SAMPLES = 3
T = 6  # timesteps
F = 3  # features for float inputs


def use(module):
    """The keras module the builders below make models with (Keras 3, or tf.keras 2)."""
    global keras, L
    keras = module
    L = module.layers


def float_x(rng, n=N_SAMPLES, t=T, f=F):
    return rng.uniform(-1.0, 1.0, size=(n, t, f)).astype(np.float32)


def ids_x(rng, vocab, n=N_SAMPLES, t=T, pad=False):
    x = rng.integers(1, vocab, size=(n, t)).astype(np.int32)
    if pad:
        # sample 0: no padding; sample 1: pre-padding (2 zeros);
        # sample 2: post-padding (2 zeros); sample 3: pre and post zeros.
        x[1, :2] = 0
        x[2, -2:] = 0
        if n > 3:
            x[3, 0] = 0
            x[3, -1] = 0
    return x


def seq(inp_shape, *lays, dtype=None):
    kw = {} if dtype is None else {"dtype": dtype}
    return keras.Sequential([keras.Input(shape=inp_shape, **kw), *lays])


def c_simple_rnn(rng):
    return seq((T, F), L.SimpleRNN(4)), float_x(rng)


def c_lstm(rng):
    return seq((T, F), L.LSTM(4)), float_x(rng)


def c_lstm_seq(rng):
    return seq((T, F), L.LSTM(4, return_sequences=True)), float_x(rng)


def c_lstm_go_backwards(rng):
    return seq((T, F), L.LSTM(4, go_backwards=True)), float_x(rng)


def c_lstm_hard_sigmoid(rng):
    return seq((T, F), L.LSTM(4, recurrent_activation="hard_sigmoid")), float_x(rng)


def c_gru_reset_after(rng):
    return seq((T, F), L.GRU(4)), float_x(rng)


def c_gru_reset_before(rng):
    return seq((T, F), L.GRU(4, reset_after=False)), float_x(rng)


def c_embedding_mask_lstm(rng):
    m = seq((T,), L.Embedding(20, 4, mask_zero=True), L.LSTM(5), dtype="int32")
    return m, ids_x(rng, 20, n=4, pad=True)


def c_stacked_lstm(rng):
    return seq((T, F), L.LSTM(5, return_sequences=True), L.LSTM(3)), float_x(rng)


def _bidi(mode):
    def f(rng):
        return seq((T, F), L.Bidirectional(L.LSTM(4), merge_mode=mode)), float_x(rng)
    return f


def c_bidi_gru_seq_masked(rng):
    m = seq((T,), L.Embedding(20, 4, mask_zero=True),
            L.Bidirectional(L.GRU(3, return_sequences=True)), L.Dense(2),
            dtype="int32")
    return m, ids_x(rng, 20, n=4, pad=True)


def c_rnn_lstm_cell(rng):
    return seq((T, F), L.RNN(L.LSTMCell(4))), float_x(rng)


def c_time_distributed_dense(rng):
    return seq((T, F), L.LSTM(4, return_sequences=True),
               L.TimeDistributed(L.Dense(2))), float_x(rng)


def c_dropout_lstm(rng):
    return seq((T, F), L.Dropout(0.3),
               L.LSTM(4, dropout=0.2, recurrent_dropout=0.1)), float_x(rng)


def c_functional_lstm(rng):
    inp = keras.Input(shape=(T, F))
    h = L.LSTM(4, return_sequences=True)(inp)
    h = L.LSTM(3)(h)
    out = L.Dense(2, activation="tanh")(h)
    return keras.Model(inp, out), float_x(rng)


# The encoder-decoder (seq2seq) pattern of the Keras tutorial: the encoder's final states
# (return_state) start the decoder (initial_state). Fixed lengths (clrnn needs them).
S2S_V, S2S_E, S2S_U, S2S_TE, S2S_TD = 11, 5, 6, 7, 5


def seq2seq_model(cell, mask_zero=False, dtype=None, V=S2S_V, E=S2S_E, U=S2S_U, TE=S2S_TE,
                  TD=S2S_TD):
    """The tutorial's model: cell "lstm" or "gru"; mask_zero on the encoder's Embedding."""
    kw = {} if dtype is None else {"dtype": dtype}
    enc_in = keras.Input(shape=(TE,), name="encoder_inputs", **kw)
    e = L.Embedding(V, E, mask_zero=mask_zero)(enc_in)
    if cell == "lstm":
        _, h, c = L.LSTM(U, return_state=True)(e)
        states = [h, c]
    else:
        _, h = L.GRU(U, return_state=True)(e)
        states = [h]
    dec_in = keras.Input(shape=(TD,), name="decoder_inputs", **kw)
    d = L.Embedding(V, E)(dec_in)
    rnn = L.LSTM if cell == "lstm" else L.GRU
    d = rnn(U, return_sequences=True)(d, initial_state=states)
    out = L.Dense(V, activation="softmax")(d)
    return keras.Model([enc_in, dec_in], out)


def s2s_x(rng, pad=False):
    xe = ids_x(rng, S2S_V, n=4, t=S2S_TE)
    if pad:  # post-padded encoder inputs: the final state is the one after the last real id
        xe[1, -3:] = 0
        xe[2, -1:] = 0
    return [xe, ids_x(rng, S2S_V, n=4, t=S2S_TD)]


def c_seq2seq_lstm(rng):
    return seq2seq_model("lstm"), s2s_x(rng)


def c_seq2seq_gru_masked(rng):
    return seq2seq_model("gru", mask_zero=True, dtype="int32"), s2s_x(rng, pad=True)


def case_seed(name):
    # stable across runs/python versions (no hash())
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % 100000


def fresh_case(name, outdir):
    """A case starts from a clean session (auto-naming counters: lstm, lstm_1, ...) and its
    own seed, in an empty folder outdir/name; returns (rng, folder)."""
    keras.backend.clear_session()
    seed = case_seed(name)
    keras.utils.set_random_seed(seed)
    d = os.path.join(outdir, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return np.random.default_rng(seed), d


def c_seq2seq_bidi_lstm(rng):
    """A Bidirectional encoder gives [output, fh, fc, bh, bc]: its backward states start the
    decoder."""
    enc_in = keras.Input(shape=(S2S_TE,), dtype="int32", name="encoder_inputs")
    e = L.Embedding(S2S_V, S2S_E)(enc_in)
    _, fh, fc, bh, bc = L.Bidirectional(L.LSTM(S2S_U, return_state=True))(e)
    dec_in = keras.Input(shape=(S2S_TD,), dtype="int32", name="decoder_inputs")
    d = L.Embedding(S2S_V, S2S_E)(dec_in)
    d = L.LSTM(S2S_U, return_sequences=True)(d, initial_state=[bh, bc])
    out = L.Dense(S2S_V, activation="softmax")(d)
    return keras.Model([enc_in, dec_in], out), s2s_x(rng)


# Inputs of unknown length (Input(shape=(None,))): Keras runs them on any length. io.h5 of
# such a case also holds x_long (x with its first 4 steps again at the end) and its y_long.
def c_imdb_bidi_any_length(rng):
    """keras.io's "Bidirectional LSTM on IMDB", small: Input((None,), int32), Embedding,
    two Bidirectional(LSTM) (the first returning sequences), Dense sigmoid."""
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = L.Embedding(50, 8)(inputs)
    x = L.Bidirectional(L.LSTM(4, return_sequences=True))(x)
    x = L.Bidirectional(L.LSTM(4))(x)
    outputs = L.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs), ids_x(rng, 50, n=4, t=7)


def c_functional_gru_any_length(rng):
    inputs = keras.Input(shape=(None,))
    x = L.Embedding(30, 6, mask_zero=True)(inputs)
    x = L.GRU(5)(x)
    outputs = L.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs), ids_x(rng, 30, n=4, t=7, pad=True)


def lstm_seq2seq(num_encoder_tokens=5, num_decoder_tokens=6, latent_dim=7):
    """keras.io's "Character-level recurrent sequence-to-sequence model" (lstm_seq2seq), as
    it writes it: one-hot characters of unknown length in, the encoder's states starting a
    decoder LSTM that returns its states too (unused), Dense softmax; compiled as there."""
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
    encoder = L.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = L.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = L.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def one_hot(rng, n, t, f):
    return np.eye(f, dtype=np.float32)[rng.integers(0, f, size=(n, t))]


def c_lstm_seq2seq_any_length(rng):
    return lstm_seq2seq(), [one_hot(rng, 4, 6, 5), one_hot(rng, 4, 5, 6)]


def c_merges(rng):
    """Every merge layer: two inputs through Dense, then Add, Subtract, Multiply (of three),
    Average, Maximum, Minimum, joined by Concatenate, and a Dense."""
    a_in = keras.Input(shape=(T, F), name="a")
    b_in = keras.Input(shape=(T, F), name="b")
    a = L.Dense(4, activation="tanh")(a_in)
    b = L.Dense(4, activation="tanh")(b_in)
    add = L.Add()([a, b])
    parts = [add, L.Subtract()([a, b]), L.Multiply()([a, b, add]), L.Average()([a, b]),
             L.Maximum()([a, b, add]), L.Minimum()([a, b])]
    c1 = L.Concatenate()(parts[:3])
    c2 = L.Concatenate()(parts[3:] + [a_in])
    out = L.Dense(3)(L.Concatenate()([c1, c2]))
    return keras.Model([a_in, b_in], out), [float_x(rng), float_x(rng)]


def c_seq2seq_bidi_states(rng):
    """A Bidirectional LSTM encoder whose forward and backward states, joined by
    Concatenate, start an LSTM decoder of twice the units; and a Bidirectional decoder
    given all four states as initial_state; inputs of unknown length."""
    enc_in = keras.Input(shape=(None, F), name="encoder_inputs")
    _, fh, fc, bh, bc = L.Bidirectional(L.LSTM(4, return_state=True))(enc_in)
    dec_in = keras.Input(shape=(None, F), name="decoder_inputs")
    h = L.Concatenate()([fh, bh])
    c = L.Concatenate()([fc, bc])
    d1 = L.LSTM(8, return_sequences=True)(dec_in, initial_state=[h, c])
    d2 = L.Bidirectional(L.LSTM(4, return_sequences=True))(dec_in, initial_state=[fh, fc, bh, bc])
    out = L.Dense(3, activation="softmax")(L.Concatenate()([d1, d2]))
    return keras.Model([enc_in, dec_in], out), [float_x(rng, n=4, t=5), float_x(rng, n=4, t=4)]


def c_fit_built_any_length(rng):
    """The TensorFlow text classification tutorial's way: a Sequential without an input
    shape, built by fit (its file records batch_input_shape [None, None])."""
    m = keras.Sequential([L.Embedding(40, 6, mask_zero=True), L.Bidirectional(L.LSTM(4)),
                          L.Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy")
    x = ids_x(rng, 40, n=4, t=7, pad=True)
    m.fit(x, np.array([[1], [0], [1], [0]], np.float32), epochs=1, verbose=0)
    return m, x


def c_addition_repeat_vector(rng):
    """keras.io's number addition example, with smaller LSTMs: 7 one-hot characters in,
    4 answer characters out, a softmax over 12 at each."""
    return seq((7, 12), L.LSTM(6), L.RepeatVector(4), L.LSTM(6, return_sequences=True),
               L.Dense(12, activation="softmax")), float_x(rng, t=7, f=12)


def c_masking_lstm_avg_pool(rng):
    """Padded float sequences: Masking's mask through an LSTM to the average, which leaves
    the padded steps out (sample 1 pre-padded, 2 post-padded)."""
    x = float_x(rng)
    x[1, :2] = 0.0
    x[2, -2:] = 0.0
    return seq((T, F), L.Masking(mask_value=0.0), L.LSTM(4, return_sequences=True),
               L.GlobalAveragePooling1D(), L.Dense(2)), x


def c_lstm_max_pool(rng):
    return seq((T, F), L.LSTM(4, return_sequences=True), L.GlobalMaxPooling1D(),
               L.Dense(2)), float_x(rng)


def c_embedding_avg_pool(rng):
    """Embedding(mask_zero) into the average, as keras.io's text classifiers pool."""
    m = seq((T,), L.Embedding(20, 4, mask_zero=True), L.GlobalAveragePooling1D(),
            L.Dense(1, activation="sigmoid"), dtype="int32")
    return m, ids_x(rng, 20, pad=True)


def c_lstm_flatten(rng):
    return seq((T, F), L.LSTM(4, return_sequences=True), L.Flatten(), L.Dense(2)), float_x(rng)


def c_spatial_dropout_lstm(rng):
    return seq((T, F), L.SpatialDropout1D(0.3), L.LSTM(4)), float_x(rng)


def c_max_pool_lstm(rng):
    """'same' windows that overlap and pad unevenly (1 step before, 2 after), then 'valid'."""
    return seq((T, F), L.MaxPooling1D(4, strides=1, padding="same"), L.MaxPooling1D(2),
               L.LSTM(4)), float_x(rng)


def c_layer_norm_lstm(rng):
    """LayerNormalization between LSTMs, its gamma and beta away from 1 and 0 so that their
    order and layout show."""
    m = seq((T, F), L.LSTM(4, return_sequences=True), L.LayerNormalization(), L.LSTM(3))
    ln = [layer for layer in m.layers if isinstance(layer, L.LayerNormalization)][0]
    ln.set_weights([rng.uniform(0.5, 1.5, size=4).astype(np.float32),
                    rng.uniform(-0.5, 0.5, size=4).astype(np.float32)])
    return m, float_x(rng)


def c_conv1d_lstm(rng):
    """'same' (padded unevenly: 1 before, 1 after) with relu, then strided 'valid'."""
    return seq((T, F), L.Conv1D(5, 3, padding="same", activation="relu"),
               L.Conv1D(4, 2, strides=2), L.LSTM(4)), float_x(rng)


def c_imdb_cnn_lstm(rng):
    """keras.io's IMDB CNN-LSTM, smaller: Embedding, Dropout, Conv1D(relu), MaxPooling1D,
    LSTM, Dense(sigmoid)."""
    m = seq((12,), L.Embedding(30, 6), L.Dropout(0.25),
            L.Conv1D(8, 5, padding="valid", activation="relu", strides=1),
            L.MaxPooling1D(pool_size=4), L.LSTM(7), L.Dense(1, activation="sigmoid"),
            dtype="int32")
    return m, ids_x(rng, 30, t=12)


def unknown_length(model):
    shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
    return all(len(shape) > 1 and shape[1] is None for shape in shapes)


def longer(x):
    """x with its first 4 steps again at the end: another length for the same model (of
    several inputs: each input k gets its first 4 - k steps again, lengths of their own)."""
    if isinstance(x, list):
        return [np.concatenate([xi, xi[:, :4 - k]], axis=1) for k, xi in enumerate(x)]
    return np.concatenate([x, x[:, :4]], axis=1)


def maxdiff(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def write_io(path, x, y, model=None):
    """x, y; a model of several inputs gets x0, x1, ... in the model's order instead; a
    model of unknown length also x_long (x0_long, x1_long, ...) and y_long = its
    predictions for them."""
    with h5py.File(path, "w") as f:
        if isinstance(x, list):
            for i, xi in enumerate(x):
                f.create_dataset("x%d" % i, data=xi)
        else:
            f.create_dataset("x", data=x)
        f.create_dataset("y", data=y.astype(np.float32))
        if model is not None and unknown_length(model):
            if isinstance(x, list):
                for i, xi in enumerate(longer(x)):
                    f.create_dataset("x%d_long" % i, data=xi)
            else:
                f.create_dataset("x_long", data=longer(x))
            f.create_dataset("y_long", data=np.asarray(
                model.predict(longer(x), verbose=0), np.float32))


# The cases of the layers around the recurrent ones (keras.io's examples), made alike by
# make_golden.py (Keras 3) and make_golden_tf2.py (tf.keras 2).
EXAMPLE_LAYER_CASES = [
    ("addition_repeat_vector", c_addition_repeat_vector),
    ("masking_lstm_avg_pool", c_masking_lstm_avg_pool),
    ("lstm_max_pool", c_lstm_max_pool),
    ("embedding_avg_pool", c_embedding_avg_pool),
    ("lstm_flatten", c_lstm_flatten),
    ("spatial_dropout_lstm", c_spatial_dropout_lstm),
    ("max_pool_lstm", c_max_pool_lstm),
    ("layer_norm_lstm", c_layer_norm_lstm),
    ("conv1d_lstm", c_conv1d_lstm),
    ("imdb_cnn_lstm", c_imdb_cnn_lstm),
]
