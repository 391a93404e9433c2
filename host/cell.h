/*
 * cell.h - the table of a recurrent cell: everything the recurrent layer (layer_rnn.c) and
 * its per-step path (rnn_steps.c) ask of the cell they run, so that neither tests which cell
 * it is. One file a cell defines its table (cell_simple_rnn.c, cell_lstm.c, cell_gru.c), one
 * line in cell_list.h lists it, and cells.c holds the registry and the config keys every
 * cell shares. Adding a cell: docs/architecture.md, "Adding a cell".
 */
#ifndef CLRNN_CELL_H
#define CLRNN_CELL_H

#include "clrnn_impl.h"

struct rnn_cfg;

/* The names of a cell's recurrent kernels, one per form (cl/); every kernel of a form takes
 * the same argument list (cl/rnn_common.cl RNN_FWD_ARGS, cl/rnn_steps.cl RNN_STEP_FWD_ARGS),
 * so the launch code calls them all alike. */
struct clrnn_cell_kernels {
    const char *fwd, *bwd;           /* group and row forms */
    const char *step_fwd, *step_bwd; /* the per-step path */
    /* the per-step path's kernels around a second product in the middle of a step (the GRU
     * without reset_after: (r * d) R_h), NULL for one product a step */
    const char *step_gates, *step_reset;
};

struct clrnn_cell_ops {
    /* The cell's key, unique: the registry's and the reference's (tests/ref/ref_cells.c):
     * "simple_rnn", "lstm", "gru", "gru_v1" */
    const char *name;
    /* The cell in tuning keys (tuning.c's cache): its Keras class, "GRU(v1)" for the variant */
    const char *label;
    const char *keras_class; /* the layer: "LSTM" */
    const char *cell_class;  /* its cell, as Keras's RNN wrapper names it: "LSTMCell" */
    const char *cell_scope;  /* the cell's default name, the Keras 2 weight scope */

    /* Shapes. G gate blocks of U columns in the kernel (I, GU) and recurrent kernel (U, GU),
     * in Keras's order; the states each (B, U): h, and c for the LSTM (initial_state,
     * return_state, stateful); the bias (GU), or with bias_rows 2 (2, GU): the input bias,
     * then the recurrent bias added to h R inside the cell (GRU reset_after). */
    int gates;
    int states;
    const char *state_names; /* as initial_state must list them: "[h, c]" */
    int bias_rows;

    /* What its kernels keep and need. gates_kept: floats a unit and step the forward kernel
     * keeps in `gates` (T, B, gates_kept U) for backward, 0 for none. h_product_gates: the
     * gate blocks whose recurrent product reads h_{t-1}, all G but for a cell whose last
     * blocks multiply R with a gated state, kept in gates at block gated_state_block (GRU
     * reset_after=false: (r * h_{t-1}) R_h); the per-step path runs those products apart,
     * and so reads gates even in a pass without backward. dzx_is_dzh: the gradients of the
     * input and the recurrent pre-activations are one (all but the GRU's, whose reset gate
     * sits between them), so the token path sums dzh by id. */
    int gates_kept;
    int h_product_gates;
    int gated_state_block;
    int dzx_is_dzh;
    /* Local memory of the group kernels, floats a unit of a batch row: the forward's state,
     * the backward's carries (dh, dc for the LSTM) and G pre-activation gradients */
    int fwd_local_per_unit, bwd_local_per_unit;

    /* Its programs: the cell's step (cl/<cell>.cl) under the loops of the group kernels
     * (rnn_group.cl, GPUs) or of the per-step path (rnn_steps.cl), or its step at whole rows
     * (cl/<cell>_rows.cl on the helpers of rnn_rows.cl) under the loops of the row kernels
     * (rnn_rows_kernels.cl, CPUs); the build options they add ("" for none); the kernels */
    const char *const *sources;
    const char *const *rows_sources;
    const char *const *steps_sources;
    const char *build_options;
    struct clrnn_cell_kernels kernels;

    /* Reads the cell's own Keras config keys (beyond those of clrnn_cell_configure) from cc
     * into r, with their defaults; may set r->cell to a variant of the same cell class (the
     * GRU's reset_after=false). NULL: none. */
    clrnn_status (*configure)(struct rnn_cfg *r, const cJSON *cc, const char *layer,
                              int keras_major);
    /* Writes the cell's Keras config keys in Keras's get_config order, with the shared parts
     * from clrnn_cell_json_*. */
    void (*config_json)(const struct rnn_cfg *r, cJSON *o);
    /* The bias's initializer from the configured one (LSTM's unit_forget_bias); NULL: as
     * configured */
    clrnn_init_kind (*bias_init)(const struct rnn_cfg *r);
};

#define X(ops) extern const struct clrnn_cell_ops ops;
#include "cell_list.h"
#undef X

/* The registry (cells.c): every cell of cell_list.h, in its order */
int clrnn_cell_count(void);
const struct clrnn_cell_ops *clrnn_cell_at(int i);
/* The first cell of that Keras layer class ("LSTM"), cell class ("LSTMCell") or default
 * cell name ("lstm_cell"), or NULL; a variant follows its cell in the list, so these find the
 * cell, and its configure the variant. */
const struct clrnn_cell_ops *clrnn_cell_by_keras_class(const char *keras_class);
const struct clrnn_cell_ops *clrnn_cell_by_cell_class(const char *cell_class);
const struct clrnn_cell_ops *clrnn_cell_by_scope(const char *cell_scope);
/* The cell classes (or with scopes, the default cell names), each once: "SimpleRNNCell,
 * LSTMCell, GRUCell", for messages */
void clrnn_cell_list(char *buf, size_t size, int scopes);

/* A weight of the cell, in Keras's layout: its short name, shape and initializer */
#define CLRNN_CELL_WEIGHTS 3
struct clrnn_cell_weight {
    const char *name;
    int rank;
    int64_t d[2];
    clrnn_init_kind init;
};
/* The weights of the cell r->cell as configured in r, for I inputs, in Keras's order (the
 * layer's w[0], w[1], w[2]): kernel (I, GU), recurrent_kernel (U, GU) and with use_bias the
 * bias, (GU) or (2, GU) (bias_rows), with the cell's bias_init; returns how many. */
int clrnn_cell_weights(const struct rnn_cfg *r, int64_t I, struct clrnn_cell_weight *w);

/* Reads the Keras config keys of the cell r->cell from cc: the ones every cell has (units,
 * activations, use_bias, initializers, dropout, regularizers and constraints null), then the
 * cell's own (ops->configure). `layer` names the layer in messages. */
clrnn_status clrnn_cell_configure(struct rnn_cfg *r, const cJSON *cc, const char *layer,
                                  int keras_major);
/* Writes them (ops->config_json) */
void clrnn_cell_config_json(const struct rnn_cfg *r, cJSON *o);
/* The parts every cell's config_json writes, in Keras's order: units and activation; then
 * use_bias and the three initializers; then the regularizers and constraints (null) and the
 * dropout rates. */
void clrnn_cell_json_units(const struct rnn_cfg *r, cJSON *o);
void clrnn_cell_json_initializers(const struct rnn_cfg *r, cJSON *o);
void clrnn_cell_json_rest(const struct rnn_cfg *r, cJSON *o);

#endif
