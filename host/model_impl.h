/*
 * model_impl.h - the model behind the public clrnn_model: a chain or a Functional graph of
 * layers, its build, passes and inputs; losses, the compile configuration in Keras's files,
 * optimizers, and the readers of Keras configuration JSON.
 */
#ifndef CLRNN_MODEL_IMPL_H
#define CLRNN_MODEL_IMPL_H

#include <cjson/cJSON.h>

#include "layer_interface.h"

/* ---- the model (model.c) ---- */

struct clrnn_optim; /* optim.c */

/* A Functional model that is not a chain (model_graph.c): its layers (m->layers, in the
 * order the config lists them, which is a topological order) are its nodes, each called
 * once, joined by tensors. */
#define CLRNN_MAX_INPUTS 8
struct clrnn_tensor {
    struct clrnn_shape shape;
    clrnn_dtype dtype;
    int node;           /* the layer that makes it, or -1 for a model input */
    int index;          /* its output index there (0 the output, k aux_out[k-1]); the input's */
    int mask;           /* carries a Keras mask */
    int free_steps;     /* its axis 0 is the length of an input of unknown length (None) */
    int uses;           /* layer inputs that take it */
    cl_mem val, mask_val; /* in the current pass; not owned */
    cl_mem grad;        /* its gradient in backward (owned); NULL for model inputs */
    int grad_set;       /* backward: grad holds a contribution */
};
struct clrnn_node {
    int n_in, in[1 + CLRNN_MAX_AUX];   /* in[0] the layer's input, then its initial states */
    int n_out, out[1 + CLRNN_MAX_AUX]; /* out[0] its output, then its aux outputs */
    cl_mem dx_aux[CLRNN_MAX_AUX];      /* backward: the aux inputs' gradients (owned) */
};
struct clrnn_graph {
    int n_inputs;
    int inputs[CLRNN_MAX_INPUTS];          /* the tensor of each model input, in order */
    char input_names[CLRNN_MAX_INPUTS][128];
    cl_mem x_dev[CLRNN_MAX_INPUTS];        /* [0] is m->x_dev; the others owned */
    void *x_host[CLRNN_MAX_INPUTS];        /* [0] is m->x_host; the others owned */
    int n_tensors;
    struct clrnn_tensor *t;
    struct clrnn_node *nodes;              /* one per layer */
    int n_nodes;                           /* room in nodes */
    int output;                            /* the model's output: the last layer's out[0] */
};

struct clrnn_model {
    clrnn_ctx *ctx;
    char name[128];
    int keras_major;    /* whose semantics its configuration follows (hard_sigmoid): 2 or 3 */
    int epochs_done;    /* epochs trained (fit), kept in saved files for --resume */
    char **vocab;       /* the token of each id, from the training data; NULL for none */
    int n_vocab;
    int text_pad_post;  /* text is padded and cut at the end (a Keras TextVectorization) */
    int n_layers;
    struct clrnn_layer **layers;
    struct clrnn_shape in;
    clrnn_dtype in_dtype;
    int free_steps;     /* the architecture leaves the input's length unknown (None): in.d[0]
                         * is the length of the data last given (model_steps.c) */
    /* the lengths the layers were last built for, and those the activations were made for:
     * set_steps/take_steps count a change, reserve remakes them when the counts differ */
    int steps_built, steps_alloc;
    size_t n_params;
    float *host_params; /* mirror for save/init; device copy is authoritative during fit */
    cl_mem params, grads;
    int max_batch;      /* activations are allocated for this many rows */
    int last_B, last_mode; /* the last forward pass: its rows and mode (CLRNN_FWD_...) */
    cl_mem x_dev;       /* input batch */
    cl_mem out_mask;    /* the Keras mask of the output in the last forward pass, or NULL */
    cl_mem dy_dev;      /* gradient of the loss with respect to the output */
    clrnn_rng rng;
    int64_t row0;       /* the first row of the batch shard being trained (train_shards.c) */
    /* compile state */
    int compiled;
    struct clrnn_compile_config compile;
    struct clrnn_optim *optim;
    cl_mem y_dev;       /* targets of the batch */
    cl_mem metric_dev;  /* per batch: CLRNN_SLOT_FLOATS floats (clrnn_loss_run) */
    cl_mem weight_dev;  /* sample weights of the batch's output rows, when weighted */
    size_t metric_slots;
    cl_mem dx_in;       /* input gradient (float inputs) */
    cl_mem row_loss, row_acc; /* per output row, scratch of the loss kernels */
    cl_mem row_extra;   /* 3 per output row, the same for the metrics beyond accuracy */
    void *stage;        /* host staging for uploads and downloads of one batch */
    void *x_host;       /* the input batch last uploaded, for layers that need it on the host */
    struct clrnn_graph *graph; /* a Functional graph, NULL for a chain (model_graph.c) */
};

/* clrnn_model_from_json for a configuration that Keras keras_major (2 or 3) wrote, which
 * decides what hard_sigmoid means where the configuration does not say itself (0: not
 * known, CLRNN_KERAS_MAJOR_DEFAULT). */
clrnn_status clrnn_model_from_json_keras(clrnn_ctx *ctx, const char *json, int keras_major,
                                         const int64_t *input_shape, int input_rank,
                                         clrnn_dtype input_dtype, uint64_t seed,
                                         clrnn_model **out);
/* clrnn_model_from_spec with the activations of Keras keras_major (2 or 3). */
clrnn_status clrnn_model_from_spec_keras(clrnn_ctx *ctx, const char *spec, int keras_major,
                                         const int64_t *input_shape, int input_rank,
                                         clrnn_dtype input_dtype, uint64_t seed,
                                         clrnn_model **out);
/* Builds the layers of a model from a list of Keras layer objects (Sequential order), read
 * as Keras keras_major means them. */
clrnn_status clrnn_model_build(clrnn_ctx *ctx, cJSON *const *layer_objs, int n,
                               const struct clrnn_shape *in, clrnn_dtype in_dtype,
                               const char *name, int keras_major, uint64_t seed,
                               clrnn_model **out);
/* The pieces of clrnn_model_build, which the graph builder shares: an empty model; layer i
 * built for the input its l->in, in_dtype and mask_in describe, its weights placed in the
 * packed parameters; the parameters made once every layer is placed (Keras's initial
 * values, drawn layer by layer). */
clrnn_status clrnn_model_new(clrnn_ctx *ctx, const char *name, int keras_major, uint64_t seed,
                             clrnn_model **out);
clrnn_status clrnn_model_place_layer(clrnn_model *m, int i);
clrnn_status clrnn_model_finish(clrnn_model *m);
/* A model from a Functional config ("config" object) that is not a chain (model_graph.c);
 * name names it in messages. */
clrnn_status clrnn_graph_build(clrnn_ctx *ctx, const cJSON *cfg, const char *name,
                               int keras_major, uint64_t seed, clrnn_model **out);
void clrnn_graph_free(struct clrnn_graph *g);
/* Graph buffers for batches of B rows; whether layer i needs an input gradient buffer. */
clrnn_status clrnn_graph_reserve(clrnn_model *m, int B);
int clrnn_graph_needs_dx(const clrnn_model *m, int i);
clrnn_status clrnn_graph_forward(clrnn_model *m, int B, int mode, cl_mem *y);
clrnn_status clrnn_graph_backward(clrnn_model *m, int B);
/* Uploads rows of the model's input k (graph models; k 0 is m->x_dev) as
 * clrnn_model_upload_rows does. */
clrnn_status clrnn_model_upload_input(clrnn_model *m, int k, const struct clrnn_array *a,
                                      const int64_t *rows, int64_t begin, int B);
/* Checks xs (n arrays, one per model input) against the model's inputs and each other. */
clrnn_status clrnn_model_check_inputs(const clrnn_model *m, const struct clrnn_array *xs, int n,
                                      const char *what);
/* A model of unknown length (m->free_steps; model_steps.c): set_steps re-derives the
 * layers' shapes for sequences of T steps (every input of unknown length; nothing else when
 * the model's lengths are fixed); take_steps does it for the lengths of xs, n arrays, one
 * per model input, each input of unknown length taking its own; shown_shape is s as Keras
 * shows it, -1 (None) on the time axis of such a model (is_input: s is the model's input;
 * a chain's shapes); tensor_shown is graph tensor id as Keras shows it. */
clrnn_status clrnn_model_set_steps(clrnn_model *m, int64_t T);
clrnn_status clrnn_model_take_steps(clrnn_model *m, const struct clrnn_array *xs, int n);
struct clrnn_shape clrnn_model_tensor_shown(const clrnn_model *m, int id);
struct clrnn_shape clrnn_model_shown_shape(const clrnn_model *m, const struct clrnn_shape *s,
                                           int is_input);
/* The Keras JSON of a shown shape with its batch axis: [null, d1, ...], null where unknown */
cJSON *clrnn_shape_json(const struct clrnn_shape *shown);
/* Makes sure activations are allocated for batches of up to B rows (and, for a model of
 * unknown length, of its current length). */
clrnn_status clrnn_model_reserve(clrnn_model *m, int B);
/* Checks that x fits the model's input (shape without the batch axis, dtype). */
clrnn_status clrnn_model_check_x(const clrnn_model *m, const struct clrnn_array *x,
                                 const char *what);
/* Uploads rows rows[begin .. begin+B) of a (or rows begin.. when rows is NULL) into dst, as
 * stored, or converted to float when to_float (targets). */
clrnn_status clrnn_model_upload_rows(clrnn_model *m, cl_mem dst, const struct clrnn_array *a,
                                     const int64_t *rows, int64_t begin, int B, int to_float);
/* forward_dev's modes: inference or training behaviour; CLRNN_FWD_PREDICT is inference that
 * no backward pass follows (clrnn_pass.no_backward) */
enum { CLRNN_FWD_INFER = 0, CLRNN_FWD_TRAIN = 1, CLRNN_FWD_PREDICT = 2 };
/* Forward over m->x_dev for B rows in a mode above; returns the output buffer. */
clrnn_status clrnn_model_forward_dev(clrnn_model *m, int B, int mode, cl_mem *y);
/* Backward from m->dy_dev; dx_out, when not NULL, receives the input gradient buffer. */
clrnn_status clrnn_model_backward_dev(clrnn_model *m, int B, cl_mem *dx_out);
/* Checks that a Functional model's config (its "config" object) is a chain of layers with
 * one input and one output, which clrnn builds as a Sequential model (model_functional.c);
 * model names the model in messages. */
clrnn_status clrnn_functional_check_chain(const cJSON *cfg, const char *model);
/* Keras's TextVectorization first layer (text_vectorization.c): whether a layer object is
 * one, and what clrnn keeps of it: the output length (the model's input length; 0 for none:
 * a model of unknown length) and the vocabulary when the config holds it inline (*vocab
 * NULL otherwise; freed by the caller).
 * Options clrnn cannot reproduce are CLRNN_E_UNSUPPORTED naming the layer. */
int clrnn_is_text_vectorization(const cJSON *layer);
clrnn_status clrnn_text_vectorization_read(const cJSON *layer, int *length, char ***vocab,
                                           int *n_vocab);
/* Model config as a Keras 2 legacy JSON object {"class_name": "Sequential", "config": ...};
 * a graph as a Functional model in the layout of the Keras the model targets
 * (m->keras_major); graph_config_json writes it for keras_major given (model_graph.c:
 * Keras 3's {"args", "kwargs"} calls, which tf.keras 2 does not read, or tf.keras 2's
 * [[layer, node, index, kwargs], ...]). */
cJSON *clrnn_model_config_json(const clrnn_model *m);
cJSON *clrnn_graph_config_json(const clrnn_model *m, int keras_major);

/* ---- gradient shards (train_shards.c) ---- */

/* The shards p asks for (clrnn_fit_params.grad_shards), and whether m and p allow them. */
int clrnn_grad_shards(const struct clrnn_fit_params *p);
clrnn_status clrnn_check_shards(const clrnn_model *m, const struct clrnn_fit_params *p);
/* One training batch (rows order[begin .. begin+B)) by shards, its metric sums into slot;
 * sw: the sample weights or NULL; *stop set when the exchange asks every process to stop
 * after it. */
clrnn_status clrnn_train_sharded(clrnn_model *m, const struct clrnn_fit_params *p,
                                 const struct clrnn_array *x, int n_x, const struct clrnn_array *y,
                                 const struct clrnn_array *sw, const int64_t *order, int64_t begin, int B, size_t slot,
                                 int epoch, int64_t batch, int *stop);

/* ---- losses (loss.c) ---- */

typedef enum { CLRNN_LOSS_BCE, CLRNN_LOSS_CCE, CLRNN_LOSS_SPARSE_CCE, CLRNN_LOSS_MSE } clrnn_loss_kind;
clrnn_status clrnn_loss_parse(const char *name, clrnn_loss_kind *out);
const char *clrnn_loss_name(clrnn_loss_kind k);
/* Checks that targets y fit the model output (without the batch axis). */
clrnn_status clrnn_loss_check_targets(clrnn_loss_kind k, const int64_t *out_dims, int out_rank,
                                      const struct clrnn_array *y);
/* A batch's slot in metric: CLRNN_SLOT_FLOATS floats, at these indices (cl/loss.cl's
 * METRIC_*, which the kernels get the stride of as a build option). */
#define CLRNN_SLOT_FLOATS 8
enum {
    CLRNN_SLOT_LOSS,  /* sum of the rows' weighted losses */
    CLRNN_SLOT_ACC,   /* sum of the rows' accuracies */
    CLRNN_SLOT_VALID, /* rows that count: the divisor of both */
    CLRNN_SLOT_EXTRA, /* 3 sums: true positives (or top-k hits), false positives and
                       * false negatives */
};
#define CLRNN_DEFAULT_TOP_K 5 /* Keras's TopKCategoricalAccuracy(k=5) */
/* From predictions pred (rows of the output) and targets y_dev: writes d(batch loss) / d pred
 * into dpred, and the batch's sums into metric's slot. Unmasked (mask NULL), the batch loss
 * is the mean over all rows, as Keras reduces, and every row counts; with a Keras mask (rows
 * floats, 1 = a real timestep) it is sum(mask * loss) / sum(mask), accuracy is weighted by
 * the mask, and sum(mask) rows count. With sample weights (weights, rows floats; NULL:
 * none) each row's loss is multiplied by its weight and keeps its divisor; accuracy is not
 * weighted (Keras weighs compile's weighted_metrics only, not its metrics). */
clrnn_status clrnn_loss_run(clrnn_ctx *ctx, clrnn_loss_kind k, int from_logits, cl_mem pred,
                            cl_mem y_dev, cl_mem dpred, cl_mem row_loss, cl_mem row_acc,
                            cl_mem row_extra, int top_k, size_t rows, size_t cols, cl_mem mask,
                            cl_mem weights, cl_mem metric, size_t slot);

/* ---- sample and class weights (sample_weight.c) ---- */

/* Checks sample weights sw for `samples` samples against m's output: (N,) for an output of
 * one row a sample, (N, T) for one of T timesteps; float32 and finite. what names the data. */
clrnn_status clrnn_sample_weight_check(const clrnn_model *m, const struct clrnn_array *sw,
                                       int64_t samples, const char *what);
/* Keras's class_weight_to_sample_weights: *out (N,) gets class_weight[class of y's row]
 * (1 for a class >= classes). Per-sample outputs only. */
clrnn_status clrnn_class_sample_weights(const clrnn_model *m, const struct clrnn_array *y,
                                        const double *class_weight, int classes,
                                        struct clrnn_array *out);

/* ---- metrics beyond accuracy (metrics.c) ---- */

/* CLRNN_E_INVALID_ARG when a metric of the bits cannot go with the loss. */
clrnn_status clrnn_metrics_check(unsigned metrics, const char *loss);
/* cc->metrics and top_k from a compile configuration's metrics list (cc->loss set first);
 * metrics clrnn does not report, or that do not fit the loss, are left out. */
void clrnn_metrics_from_json(const cJSON *list, struct clrnn_compile_config *cc);
/* The metrics list of a compile configuration: "accuracy" (but for mean_squared_error) and
 * the metric objects of cc->metrics (with Keras 3's "module" when keras3). */
cJSON *clrnn_metrics_json(const struct clrnn_compile_config *cc, int keras3);

/* ---- the compile configuration in Keras's files (compile_json.c) ---- */

/* m's compile configuration as a legacy training_config (keras3 0: "optimizer_config") or a
 * Keras 3 compile_config (keras3 1: "optimizer", objects with their "module"). */
cJSON *clrnn_compile_json(const clrnn_model *m, int keras3);
/* Fills *cc from a training_config or compile_config, and *epochs_done from the key clrnn
 * once kept there; 0 when it has no loss or names a loss or optimizer clrnn cannot use
 * (the model then loads uncompiled, as Keras does with a configuration it cannot restore).
 * A compile_config without an optimizer (to_json's) gets Keras's compile() default,
 * RMSprop. */
int clrnn_compile_parse(const cJSON *config, struct clrnn_compile_config *cc,
                        int *epochs_done);
int clrnn_compile_parse_text(const char *text, struct clrnn_compile_config *cc,
                             int *epochs_done);

/* ---- learning-rate schedules (lr_schedule.c) ---- */

/* The optimizer config's learning_rate as Keras records it: a number, or the schedule's
 * object {"module", "class_name", "config": {"initial_learning_rate", ...}}. */
cJSON *clrnn_lr_schedule_json(const struct clrnn_optimizer_config *c);
/* Fills c's learning_rate and schedule from such an object; CLRNN_E_UNSUPPORTED for a
 * schedule clrnn does not have. */
clrnn_status clrnn_lr_schedule_parse(const cJSON *lr, struct clrnn_optimizer_config *c);

/* ---- optimizers (optim.c) ---- */

clrnn_status clrnn_optim_create(clrnn_ctx *ctx, const struct clrnn_optimizer_config *cfg,
                                const clrnn_model *m, struct clrnn_optim **out);
/* Clips the gradients as configured and applies one update to params. */
clrnn_status clrnn_optim_step(struct clrnn_optim *o, clrnn_model *m);
void clrnn_optim_free(struct clrnn_optim *o);
/* The optimizer's state as Keras 3 lists its variables after iteration and learning_rate:
 * each one the slot kind ("momentum", "velocity", "average_gradient"), the model weight it
 * belongs to, and the state buffer (1-3) holding it in the packed layout. out needs room
 * for 3 entries per weight; returns how many. */
struct clrnn_optim_var {
    const char *kind;
    int weight, slot;
};
int clrnn_optim_variables(const struct clrnn_optim *o, struct clrnn_optim_var *out);
/* A state buffer to or from the host (n_params floats, the packed layout). */
clrnn_status clrnn_optim_read_slot(const struct clrnn_optim *o, clrnn_ctx *ctx, int slot,
                                   size_t n_params, float *host);
clrnn_status clrnn_optim_write_slot(struct clrnn_optim *o, clrnn_ctx *ctx, int slot,
                                    size_t n_params, const float *host);
/* Steps taken (Keras's iterations), and setting it with the learning rate on restore. */
long clrnn_optim_iterations(const struct clrnn_optim *o);
void clrnn_optim_restore_counters(struct clrnn_optim *o, long iterations, double learning_rate);

/* ---- Keras configuration JSON (keras_json.c) ---- */

/* [null, d1, d2, ...] into shape (without the batch axis), 1 when found; a layer config's
 * batch_input_shape or batch_shape the same way; its dtype (int or float, else fallback);
 * parsing text, CLRNN_E_FORMAT naming what and the byte where it fails. */
int clrnn_json_read_batch_shape(const cJSON *arr, struct clrnn_shape *shape);
int clrnn_json_batch_shape(const cJSON *cfg, struct clrnn_shape *shape);
clrnn_dtype clrnn_json_dtype(const cJSON *cfg, clrnn_dtype fallback);
cJSON *clrnn_json_parse(const char *text, const char *what);
clrnn_status clrnn_json_check_alloc(const void *p);

#endif
