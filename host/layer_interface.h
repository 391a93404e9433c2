/*
 * layer_interface.h - what a layer is and what every layer file implements and uses: the table of
 * functions of a layer kind (struct clrnn_layer_ops, one file host/layer_<kind>.c each),
 * the registry, the typed readers of Keras config keys, weights and their initializers.
 */
#ifndef CLRNN_LAYER_INTERFACE_H
#define CLRNN_LAYER_INTERFACE_H

#include <cjson/cJSON.h>

#include "runtime.h"

/* ---- initializers (init.c), Keras's defaults ---- */

typedef enum {
    CLRNN_INIT_ZEROS,
    CLRNN_INIT_ONES,
    CLRNN_INIT_GLOROT_UNIFORM,
    CLRNN_INIT_ORTHOGONAL,
    CLRNN_INIT_UNIFORM_005, /* RandomUniform(-0.05, 0.05), Embedding's "uniform" */
    CLRNN_INIT_LSTM_BIAS    /* LSTM unit_forget_bias: zeros, ones in the forget block */
} clrnn_init_kind;
/* Fills a (rows, cols) weight; for rank-1 weights rows = 1. */
clrnn_status clrnn_init_fill(clrnn_init_kind kind, float *w, int64_t rows, int64_t cols,
                             clrnn_rng *rng);
/* Fills a convolution kernel of rank 3 or more (d: its shape), with Keras's fans. */
clrnn_status clrnn_init_fill_conv(clrnn_init_kind kind, float *w, int rank, const int64_t *d,
                                  clrnn_rng *rng);
/* Parses a Keras initializer config (string or {"class_name": ...}); NULL keeps *kind. */
clrnn_status clrnn_init_from_json(const cJSON *j, const char *layer, const char *key,
                                  clrnn_init_kind *kind);
cJSON *clrnn_init_to_json(clrnn_init_kind kind);

/* ---- layers ---- */

#define CLRNN_MAX_WEIGHTS 6

struct clrnn_weight {
    char name[32];            /* Keras short name: "kernel", "recurrent_kernel", "bias" */
    /* Keras 2 weight-name scope between the layer's name and the weight's, "" for none:
     * "lstm_cell" in "lstm/lstm_cell/kernel:0", "forward_lstm/lstm_cell" in Bidirectional */
    char scope[160];
    /* its path below the layer's group in a Keras 3 weights file: "cell/vars/1" */
    char keras3_path[96];
    int rank;
    int64_t d[4];
    size_t offset, count;     /* into the model's packed parameters, in floats */
    clrnn_init_kind init;
};

struct clrnn_layer;

/* A tensor a layer takes or gives besides its main input and output, in Functional graphs:
 * the initial states of a recurrent layer (initial_state) and its final states
 * (return_state). Each is (B, shape...), float, without a mask. */
#define CLRNN_MAX_AUX 4
struct clrnn_aux {
    struct clrnn_shape shape; /* per sample, set by build */
    /* inputs: the value in this pass, set by the model (not owned); outputs: the layer's
     * buffer, made by alloc and released by release (Bidirectional: its inner layers') */
    cl_mem val;
    /* inputs: where backward writes (overwrites) the gradient, NULL when not wanted;
     * outputs: the gradient arriving in backward, NULL for zero; never owned */
    cl_mem grad;
};

/* What a forward or backward pass over one batch needs. */
struct clrnn_pass {
    clrnn_ctx *ctx;
    cl_mem params, grads;   /* packed parameters and their gradients */
    int B;                  /* rows in this batch */
    int training;
    int no_backward;        /* no backward pass follows (predict, evaluate): layers may skip
                             * keeping what only the backward pass reads */
    clrnn_rng *rng;
    const void *x_host;     /* the model input of this batch as uploaded (first layer) */
    int64_t row0;           /* where this pass's rows begin in the whole training batch (a
                             * shard of it, train_shards.c): dropout masks follow the row */
};

/* The table of functions each layer kind implements (one file host/layer_<kind>.c, one
 * line in host/layer_list.h). */
struct clrnn_layer_ops {
    const char *keras_class;       /* "SimpleRNN" */
    const char *spec_name;         /* "simple_rnn", as written in --layers */
    const char *const *positional; /* --layers positional argument names, NULL-terminated */
    const char *weight_scope;      /* default scope of its weights: "simple_rnn_cell" or NULL */
    size_t cfg_size;               /* bytes of the layer's private configuration */
    /* Reads the Keras config object into layer->cfg. Unknown keys are ignored; known keys
     * with values clrnn cannot honour are CLRNN_E_UNSUPPORTED naming the layer and key. */
    clrnn_status (*configure)(struct clrnn_layer *l, const cJSON *config);
    /* Checks the input shape, sets l->out and l->w[] (names, shapes, initializers). */
    clrnn_status (*build)(struct clrnn_layer *l);
    /* Allocates what a batch of up to max_batch rows needs (outputs, saved state). */
    clrnn_status (*alloc)(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch);
    /* l->y = f(x) for p->B rows. */
    clrnn_status (*forward)(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x);
    /* From dy (shaped like y), adds nothing: writes the layer's parameter gradients into
     * p->grads and, when dx is not NULL, the input gradient into dx. */
    clrnn_status (*backward)(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                             cl_mem dy, cl_mem dx);
    /* Optional, first layer only: checks the values of the model input (e.g. token ids in
     * range) before any batch runs; `what` names the array in messages. */
    clrnn_status (*check_input)(const struct clrnn_layer *l, const struct clrnn_array *x,
                                const char *what);
    /* Writes the layer's Keras config keys (besides name, trainable, dtype) into obj. */
    clrnn_status (*config_json)(const struct clrnn_layer *l, cJSON *obj);
    /* Frees what configure and alloc made; NULL when there is nothing. */
    void (*release)(struct clrnn_layer *l);
    /* Optional: forgets the state a stateful layer keeps between batches. */
    void (*reset_states)(struct clrnn_layer *l);
    /* Optional: the layer, right after an Embedding, will take the token ids instead of the
     * embedded vectors (token_projection.c); says whether it does. Called after build. */
    int (*take_tokens)(struct clrnn_layer *l, struct clrnn_layer *embedding);
    /* Takes an input that carries a Keras mask (Keras's supports_masking). build() decides
     * whether the output carries one (l->mask_out, preset to l->mask_in). */
    int supports_masking;
    /* A recurrent layer, which Bidirectional can wrap. */
    int is_recurrent;
    /* Takes initial_state tensors besides being no recurrent layer itself (Bidirectional:
     * the first half start its forward layer, the second half its backward one). */
    int takes_initial_state;
    /* A merge layer (Add, Concatenate, ...): takes two or more tensors in a graph, the first
     * as its input and the others as aux inputs, whose shapes the model sets before build
     * (in a --layers chain it has one tensor, and its build refuses it). */
    int takes_several;
};

struct clrnn_layer {
    const struct clrnn_layer_ops *ops;
    char name[128];
    struct clrnn_shape in, out;
    clrnn_dtype in_dtype;
    int n_weights;
    struct clrnn_weight w[CLRNN_MAX_WEIGHTS];
    void *cfg;        /* ops->cfg_size bytes, owned */
    cl_mem y;         /* output of the last forward pass, (B, out...) */
    cl_mem dx;        /* input gradient written by backward, (B, in...); model-owned */
    int max_batch;
    /* Keras masks: (B, T) floats, 1 = a real timestep, 0 = padding */
    int mask_in;      /* the input carries a mask (set before build) */
    int mask_out;     /* the output carries one (preset to mask_in; build may change it) */
    cl_mem mask_y;    /* the mask this layer makes (Embedding with mask_zero), owned */
    cl_mem in_mask;   /* the input's mask in the current pass, or NULL; not owned */
    int stateful;     /* keeps its state from batch to batch (set by configure or build) */
    int keras_major;  /* the Keras major version its configuration follows (hard_sigmoid) */
    /* tensors besides the main input and output (struct clrnn_aux): n_aux_in is set before
     * build (the model gives them to recurrent layers only), n_aux_out by build */
    int n_aux_in, n_aux_out;
    struct clrnn_aux aux_in[CLRNN_MAX_AUX], aux_out[CLRNN_MAX_AUX];
};

/* The registry (layers.c). */
const struct clrnn_layer_ops *clrnn_layer_ops_by_class(const char *keras_class);
const struct clrnn_layer_ops *clrnn_layer_ops_by_spec(const char *spec_name);
/* Creates a layer of the class named in a Keras layer object {"class_name", "config"}. */
clrnn_status clrnn_layer_create(const cJSON *layer_obj, int keras_major,
                                struct clrnn_layer **out);
void clrnn_layer_free(struct clrnn_layer *l);

/* Helpers for configure(): typed reads of Keras config keys, with errors naming the layer. */
clrnn_status clrnn_cfg_int(const cJSON *c, const char *layer, const char *key, int required,
                           int min, int *out);
clrnn_status clrnn_cfg_bool(const cJSON *c, const char *layer, const char *key, int *out);
clrnn_status clrnn_cfg_double(const cJSON *c, const char *layer, const char *key, double *out);
/* An activation, read as Keras keras_major (2 or 3: a layer's l->keras_major) means it. */
clrnn_status clrnn_cfg_act(const cJSON *c, const char *layer, int keras_major, const char *key,
                           clrnn_act *out);
/* A key that must be null/absent (regularizers, constraints) or have a given default. */
clrnn_status clrnn_cfg_must_be_null(const cJSON *c, const char *layer, const char *key);
clrnn_status clrnn_cfg_must_be_false(const cJSON *c, const char *layer, const char *key);
/* The Keras keys of a layer with a kernel and a bias (Dense, Conv1D): activation, use_bias,
 * the two initializers, and the regularizers, constraints and lora_rank, which clrnn does
 * not honour (null or absent only). */
struct clrnn_affine_keys {
    clrnn_act act;
    int use_bias;
    clrnn_init_kind kernel_init, bias_init;
};
/* Keras's defaults (linear, a bias, glorot_uniform, zeros), then the config's values. */
clrnn_status clrnn_affine_keys_read(const cJSON *c, const struct clrnn_layer *l,
                                    struct clrnn_affine_keys *k);
/* Writes them as Keras does (the unhonoured keys null). */
void clrnn_affine_keys_write(const struct clrnn_affine_keys *k, cJSON *o);
/* Adds a weight descriptor to l (shape dims, count computed). */
void clrnn_layer_add_weight(struct clrnn_layer *l, const char *name, int rank, const int64_t *d,
                            clrnn_init_kind init);
/* Error text helper: "layer 'x' (LSTM)". */
const char *clrnn_layer_desc(const struct clrnn_layer *l, char *buf, size_t size);

/* The Keras layer object {"class_name", "config": {name, trainable, dtype, ...}} of l. */
cJSON *clrnn_layer_to_json(const struct clrnn_layer *l);

#endif
