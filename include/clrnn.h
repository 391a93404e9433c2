/*
 * clrnn.h - the public interface of libclrnn.
 *
 * clrnn trains and runs recurrent neural networks (SimpleRNN, Dense, ...) with OpenCL
 * kernels on any OpenCL device, and reads and writes the model files Keras uses.
 *
 * Conventions
 * - Every fallible function returns clrnn_status: CLRNN_OK (0) or a negative error.
 *   On error, clrnn_last_error() returns a message for this thread saying what went
 *   wrong and where (file, layer, expected and found shapes); output arguments are
 *   left untouched.
 * - Handles are opaque; each create/load has one matching free, and free(NULL) is fine.
 * - Nothing in the library prints or exits; warnings go through clrnn_log_set().
 * - Handles are not thread-safe: use one handle from one thread at a time.
 */
#ifndef CLRNN_H
#define CLRNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CLRNN_API __attribute__((visibility("default")))
#else
#define CLRNN_API
#endif

/* ---- status codes ------------------------------------------------------------------- */

#define CLRNN_STATUS_LIST(X)                                                               \
    X(CLRNN_OK, 0, "ok")                                                                   \
    X(CLRNN_E_NOMEM, -1, "out of memory")                                                  \
    X(CLRNN_E_INVALID_ARG, -2, "invalid argument")                                         \
    X(CLRNN_E_IO, -3, "input/output error")                                                \
    X(CLRNN_E_FORMAT, -4, "bad file format")                                               \
    X(CLRNN_E_SHAPE, -5, "shape mismatch")                                                 \
    X(CLRNN_E_UNSUPPORTED, -6, "unsupported")                                              \
    X(CLRNN_E_NO_DEVICE, -7, "no OpenCL device")                                           \
    X(CLRNN_E_OPENCL, -8, "OpenCL error")                                                  \
    X(CLRNN_E_BUILD, -9, "kernel build failed")                                            \
    X(CLRNN_E_NUMERIC, -10, "non-finite value")                                            \
    X(CLRNN_E_INTERRUPTED, -11, "interrupted")

typedef enum {
#define CLRNN_STATUS_ENUM_(name, value, text) name = value,
    CLRNN_STATUS_LIST(CLRNN_STATUS_ENUM_)
#undef CLRNN_STATUS_ENUM_
} clrnn_status;

/* Short fixed text for a status ("shape mismatch"). Never NULL. */
CLRNN_API const char *clrnn_status_str(clrnn_status s);
/* The message of the last failure on this thread ("" if none). Valid until the next call
 * into the library on this thread. */
CLRNN_API const char *clrnn_last_error(void);

/* Log callback for warnings and information. level: 0 info, 1 warning. By default only
 * warnings are written to stderr. Passing NULL restores the default. */
typedef void (*clrnn_log_fn)(int level, const char *message, void *user);
CLRNN_API void clrnn_log_set(clrnn_log_fn fn, void *user);

/* ---- arrays (host memory) ------------------------------------------------------------ */

typedef enum { CLRNN_DTYPE_FLOAT32 = 0, CLRNN_DTYPE_INT32 = 1 } clrnn_dtype;

#define CLRNN_MAX_RANK 8

/* A dense row-major host array. An array filled by the library owns `data`; release it
 * with clrnn_array_clear(). A zeroed struct is an empty array. */
struct clrnn_array {
    clrnn_dtype dtype;
    int rank;
    int64_t dims[CLRNN_MAX_RANK];
    void *data;
};

CLRNN_API int64_t clrnn_array_count(const struct clrnn_array *a); /* product of dims */
CLRNN_API clrnn_status clrnn_array_alloc(struct clrnn_array *a, clrnn_dtype dtype, int rank,
                                         const int64_t *dims);
CLRNN_API void clrnn_array_clear(struct clrnn_array *a);
/* Rows [begin, end) of the first axis, copied into *out (which is overwritten). */
CLRNN_API clrnn_status clrnn_array_slice(const struct clrnn_array *a, int64_t begin, int64_t end,
                                         struct clrnn_array *out);
/* "(32, 64)" style text of a shape, into buf. Returns buf. */
CLRNN_API char *clrnn_shape_str(int rank, const int64_t *dims, char *buf, size_t size);

/* ---- devices and runtime context ----------------------------------------------------- */

struct clrnn_device_info {
    int index;          /* position in clrnn_devices_list() order */
    char name[256];
    char vendor[256];
    char version[256];  /* CL_DEVICE_VERSION */
    char driver[256];   /* CL_DRIVER_VERSION */
    char platform[256]; /* platform name */
    int is_gpu, is_cpu;
    uint64_t global_mem_bytes;
    uint64_t local_mem_bytes;
    uint64_t max_alloc_bytes;
    int compute_units;
    size_t max_work_group_size;
};

/* Every OpenCL device of every platform, in platform then device order. The caller frees
 * *out with clrnn_devices_free(). CLRNN_E_NO_DEVICE when there is no platform or device. */
CLRNN_API clrnn_status clrnn_devices_list(struct clrnn_device_info **out, int *n);
CLRNN_API void clrnn_devices_free(struct clrnn_device_info *list);

typedef struct clrnn_ctx clrnn_ctx;

/* Opens a device. spec: an index from clrnn_devices_list(), "cpu", "gpu", or a
 * case-insensitive part of the device name; NULL or "" means $CLRNN_DEVICE, or when that is
 * unset the first GPU, else the first device. */
CLRNN_API clrnn_status clrnn_ctx_create(const char *spec, clrnn_ctx **out);
CLRNN_API void clrnn_ctx_free(clrnn_ctx *ctx);
CLRNN_API const struct clrnn_device_info *clrnn_ctx_device(const clrnn_ctx *ctx);
/* The most device memory clrnn's buffers have held at once in this context, in bytes (0 where
 * the driver cannot report releases). */
CLRNN_API size_t clrnn_ctx_device_bytes_peak(const clrnn_ctx *ctx);

/* ---- datasets ---------------------------------------------------------------------- */

/* x and y of one split of a dataset file (design.md "Dataset files"). A dataset for a model
 * of several inputs holds x0_train, x1_train, ... (x0_test, ...; or x0, x1, ...) instead of
 * x_train: they land in xs[0 .. n_x) with x left empty. */
#define CLRNN_DATA_MAX_INPUTS 8
struct clrnn_data {
    struct clrnn_array x, y;
    char x_name[16], y_name[16]; /* the datasets they came from, e.g. "x_test" ("x0_test") */
    int n_x;                     /* 0 for one input in x, else the inputs in xs */
    struct clrnn_array xs[CLRNN_DATA_MAX_INPUTS];
};
/* The model inputs of d: d->xs or &d->x, and their number. */
CLRNN_API const struct clrnn_array *clrnn_data_inputs(const struct clrnn_data *d, int *n);

typedef enum {
    CLRNN_SPLIT_TRAIN, /* x_train/y_train, else x/y */
    CLRNN_SPLIT_TEST,  /* x_test/y_test, else x/y */
    CLRNN_SPLIT_ALL    /* x/y only */
} clrnn_split;

typedef enum {
    CLRNN_LABELS_REQUIRED, /* a split without y is CLRNN_E_FORMAT */
    CLRNN_LABELS_OPTIONAL  /* (to predict) a split with x but no y leaves y empty (rank 0) and
                            * y_name "" */
} clrnn_labels;

/* Reads one split from an HDF5 dataset file. x is int32 (N, T) token ids or float32
 * (N, T, F) / (N, F) features; y is float32 or int32 with N rows. */
CLRNN_API clrnn_status clrnn_data_load(const char *path, clrnn_split split, clrnn_labels labels,
                                       struct clrnn_data *out);
CLRNN_API void clrnn_data_clear(struct clrnn_data *d);

/* ---- models ------------------------------------------------------------------------ */

typedef struct clrnn_model clrnn_model;

/* Builds a model from a one-line layer list such as
 *   "simple_rnn(16,activation=sigmoid,return_sequences=true) dense(1,sigmoid)"
 * (Keras layer class names in snake case, positional then keyword arguments). The input
 * shape excludes the batch axis. Weights are initialized with Keras's defaults from seed. */
CLRNN_API clrnn_status clrnn_model_from_spec(clrnn_ctx *ctx, const char *spec,
                                             const int64_t *input_shape, int input_rank,
                                             clrnn_dtype input_dtype, uint64_t seed,
                                             clrnn_model **out);
/* Builds a model from a Keras architecture JSON text (model.to_json() or a model_config).
 * input_shape may be NULL when the JSON fixes it. */
CLRNN_API clrnn_status clrnn_model_from_json(clrnn_ctx *ctx, const char *json,
                                             const int64_t *input_shape, int input_rank,
                                             clrnn_dtype input_dtype, uint64_t seed,
                                             clrnn_model **out);
/* Loads a model file (weights_path NULL), any of:
 *  - a full-model HDF5 file (legacy .h5: model.save("m.h5") in Keras 2, tf.keras or Keras 3,
 *    or clrnn_model_save), with its training configuration when it has one;
 *  - a Keras 3 .keras archive (model.save("m.keras"): config.json and model.weights.h5),
 *    with the vocabulary of a TextVectorization first layer;
 * or an architecture .json (model.to_json()) with its weights in weights_path, either
 *  - a legacy weights .h5 (Keras 2 / tf.keras save_weights), or
 *  - a Keras 3 .weights.h5 (model.save_weights("m.weights.h5")).
 * Formats are told apart by content, not by name. A weights file alone has no architecture:
 * CLRNN_E_FORMAT. */
CLRNN_API clrnn_status clrnn_model_load(clrnn_ctx *ctx, const char *path,
                                        const char *weights_path, clrnn_model **out);
/* Saves m in the format its name says:
 *  - "*.keras": a Keras 3 archive (config.json, metadata.json, model.weights.h5), which
 *    keras.models.load_model reads;
 *  - "*.weights.h5": Keras 3 weights only (model.load_weights reads them into the same
 *    architecture; clrnn_model_load with the architecture .json);
 *  - any other name: a legacy Keras full-model .h5 (model_config, training_config,
 *    model_weights), which Keras 2, tf.keras and Keras 3 load, with the vocabulary and the
 *    epochs trained in places Keras ignores.
 * The file is written to a temporary name and renamed into place. */
CLRNN_API clrnn_status clrnn_model_save(clrnn_model *m, const char *path);
/* A legacy .h5 saved by clrnn carries a test vector (a fixed input and the output computed
 * when saving, in a group Keras ignores). clrnn_model_load recomputes it and refuses a
 * device that is off by more than 1e-3; this does the same for a loaded model m and the
 * file at path: *diff gets the largest difference, or -1 when the file has no vector. */
CLRNN_API clrnn_status clrnn_model_verify_test_vector(clrnn_model *m, const char *path,
                                                      double *diff);
CLRNN_API void clrnn_model_free(clrnn_model *m);
/* Forgets the state that stateful recurrent layers keep from batch to batch (Keras's
 * model.reset_states()); the next batch starts from zeros. */
CLRNN_API void clrnn_model_reset_states(clrnn_model *m);

/* Keras-style summary text ending in "Total params: N". The caller frees it with free(). */
CLRNN_API clrnn_status clrnn_model_summary(const clrnn_model *m, char **text);
/* The architecture as Keras's model.to_json() gives it (what clrnn saves as model_config);
 * two models with the same text have the same layers and settings. Free it with free(). */
CLRNN_API clrnn_status clrnn_model_to_json(const clrnn_model *m, char **json);

/* Shapes without the batch axis. For a model of several inputs, the first input's. A model
 * of unknown length (Keras's Input(shape=(None, ...))) says -1 for its length (the input's
 * first axis, and the first axis of an output of sequences): it runs on data of any length,
 * the length taken from each array it is given. */
CLRNN_API int clrnn_model_input_shape(const clrnn_model *m, int64_t *dims, clrnn_dtype *dtype);
/* Models of several inputs (Functional models such as Keras's encoder-decoder): how many
 * inputs; input k's name (borrowed; NULL when k is out of range) and shape without the batch
 * axis (returns its rank, -1 when k is out of range). A Sequential model has one. */
CLRNN_API int clrnn_model_input_count(const clrnn_model *m);
CLRNN_API const char *clrnn_model_input_name(const clrnn_model *m, int k);
CLRNN_API int clrnn_model_input_shape_at(const clrnn_model *m, int k, int64_t *dims,
                                         clrnn_dtype *dtype);
CLRNN_API int clrnn_model_output_shape(const clrnn_model *m, int64_t *dims);

/* Parameters: every weight of every layer, packed in layer order then weight order (Keras's
 * order: kernel, recurrent_kernel, bias), each row-major. */
struct clrnn_weight_info {
    const char *layer;  /* layer name, e.g. "simple_rnn" */
    const char *name;   /* weight name, e.g. "kernel" */
    int rank;
    int64_t dims[4];
    size_t offset;      /* in floats, into the packed parameter array */
    size_t count;
};
CLRNN_API size_t clrnn_model_param_count(const clrnn_model *m);
CLRNN_API int clrnn_model_weight_count(const clrnn_model *m);
CLRNN_API clrnn_status clrnn_model_weight(const clrnn_model *m, int i, struct clrnn_weight_info *out);
CLRNN_API clrnn_status clrnn_model_get_params(clrnn_model *m, float *out);
CLRNN_API clrnn_status clrnn_model_set_params(clrnn_model *m, const float *in);
/* Gradients of the last clrnn_model_backward() or training step, same layout as params. */
CLRNN_API clrnn_status clrnn_model_get_grads(clrnn_model *m, float *out);

/* ---- losses, optimizers, compile ----------------------------------------------------- */

typedef enum {
    CLRNN_OPT_SGD,
    CLRNN_OPT_RMSPROP,
    CLRNN_OPT_ADAM
} clrnn_optimizer_kind;

/* Keras's optimizers with Keras's defaults (clrnn_optimizer_default). clipnorm clips each
 * weight's gradient by its own norm and global_clipnorm all of them by their joint norm,
 * as Keras does; 0 means off. */
/* Keras's learning-rate schedules (keras.optimizers.schedules), the rate at optimizer step
 * `step` (the steps taken before it) from the optimizer's learning_rate as
 * initial_learning_rate:
 * ExponentialDecay: lr * decay_rate ^ (step / decay_steps), the exponent floored with
 *   staircase;
 * CosineDecay: from lr down to lr * alpha along half a cosine over decay_steps, then flat;
 *   with warmup_steps > 0, first a straight line from lr up to warmup_target, and the
 *   cosine from warmup_target. */
typedef enum {
    CLRNN_LR_CONSTANT = 0,
    CLRNN_LR_EXPONENTIAL_DECAY,
    CLRNN_LR_COSINE_DECAY
} clrnn_lr_schedule_kind;
struct clrnn_lr_schedule {
    clrnn_lr_schedule_kind kind;
    double decay_steps;
    double decay_rate;  /* ExponentialDecay */
    int staircase;      /* ExponentialDecay */
    double alpha;       /* CosineDecay */
    double warmup_target, warmup_steps; /* CosineDecay; warmup_steps 0: none */
};

struct clrnn_optimizer_config {
    clrnn_optimizer_kind kind;
    double learning_rate;             /* with a schedule, its initial_learning_rate */
    struct clrnn_lr_schedule schedule; /* CLRNN_LR_CONSTANT (zeroed): none */
    double momentum;  /* SGD, RMSprop */
    int nesterov;     /* SGD */
    double rho;       /* RMSprop */
    int centered;     /* RMSprop */
    double beta_1, beta_2; /* Adam */
    double epsilon;   /* RMSprop, Adam */
    double clipnorm, global_clipnorm;
};
CLRNN_API struct clrnn_optimizer_config clrnn_optimizer_default(clrnn_optimizer_kind kind);
/* "sgd", "rmsprop", "adam" (any case) -> defaults for that optimizer. */
CLRNN_API clrnn_status clrnn_optimizer_from_name(const char *name, struct clrnn_optimizer_config *out);
/* The learning rate at optimizer step `step` (0 for the first), by the schedule. */
CLRNN_API double clrnn_optimizer_learning_rate_at(const struct clrnn_optimizer_config *c, long step);

/* loss: "binary_crossentropy", "categorical_crossentropy",
 * "sparse_categorical_crossentropy", "mean_squared_error" (or "mse"). from_logits applies to
 * the cross-entropies. Accuracy is reported for the cross-entropy losses. */
/* Metrics beyond the loss and accuracy (reported for every loss but mean_squared_error), as
 * compile(metrics=[...]) names them in Keras: a set of these bits. */
enum {
    /* top_k_categorical_accuracy (sparse_top_k_categorical_accuracy with the sparse loss):
     * the target class is among the top_k highest outputs (fewer than top_k outputs are
     * strictly higher, as Keras's in_top_k); categorical losses only */
    CLRNN_METRIC_TOP_K = 1,
    /* precision and recall of outputs > 0.5 against targets of 1 (Keras's Precision() and
     * Recall(), thresholds 0.5), over the epoch; binary_crossentropy only */
    CLRNN_METRIC_PRECISION = 2,
    CLRNN_METRIC_RECALL = 4,
};

struct clrnn_compile_config {
    char loss[64];
    int from_logits;
    struct clrnn_optimizer_config optimizer;
    unsigned metrics; /* CLRNN_METRIC_* bits (0: loss and accuracy only) */
    int top_k;        /* k of CLRNN_METRIC_TOP_K (0: Keras's 5) */
};
/* Keras's name of one metric bit ("precision", "top_k_categorical_accuracy", or with sparse
 * (integer) labels "sparse_top_k_categorical_accuracy"). */
CLRNN_API const char *clrnn_metric_name(unsigned metric, int sparse);
/* Parses a comma-separated list of Keras metric names for a loss into *metrics (bits):
 * accuracy (and Keras's other spellings of it: always reported), top_k_categorical_accuracy
 * or sparse_top_k_categorical_accuracy (the one that fits the loss), precision, recall. An
 * unknown name or one the loss cannot have is CLRNN_E_INVALID_ARG naming it. */
CLRNN_API clrnn_status clrnn_metrics_parse(const char *list, const char *loss, unsigned *metrics);
CLRNN_API clrnn_status clrnn_model_compile(clrnn_model *m, const struct clrnn_compile_config *cfg);
/* The compile configuration (loaded from a file's training_config or set by compile).
 * Returns 0 when the model is not compiled. */
CLRNN_API int clrnn_model_compile_config(const clrnn_model *m, struct clrnn_compile_config *out);
/* Changes the metrics of a compiled model (as compile(metrics=...) would) and keeps its
 * optimizer's state; a metric the loss cannot have is CLRNN_E_INVALID_ARG. */
CLRNN_API clrnn_status clrnn_model_set_metrics(clrnn_model *m, unsigned metrics, int top_k);
/* The learning rate of the compiled model's next optimizer step (its schedule's at the
 * steps taken so far), as Keras's optimizer.learning_rate reads. */
CLRNN_API double clrnn_model_learning_rate(const clrnn_model *m);
/* Sets the learning rate from the next step on, as Keras's ReduceLROnPlateau does; refused
 * (CLRNN_E_INVALID_ARG) for an optimizer with a schedule, as Keras refuses it. */
CLRNN_API clrnn_status clrnn_model_set_learning_rate(clrnn_model *m, double lr);

/* ---- training and inference ------------------------------------------------------------ */

/* The compile config's metrics beyond accuracy (CLRNN_METRIC_* bits in `metrics`), over the
 * batches so far, as Keras's metric objects accumulate them. */
struct clrnn_metric_values {
    unsigned metrics;
    int sparse; /* the labels are class indices (clrnn_metric_name) */
    double top_k_accuracy, precision, recall;
};
/* The value of one CLRNN_METRIC_* bit. */
CLRNN_API double clrnn_metric_value(const struct clrnn_metric_values *v, unsigned metric);

struct clrnn_progress {
    int epoch, epochs;           /* epoch is 0-based */
    int64_t batch, batches;      /* batches done so far in this epoch, of batches */
    int64_t samples;             /* samples seen so far in this epoch */
    double loss, accuracy;       /* running means over this epoch */
    int has_accuracy;
    double seconds;              /* since the epoch began */
    struct clrnn_metric_values more;
};

struct clrnn_epoch_logs {
    int epoch, epochs;
    double loss, accuracy, val_loss, val_accuracy;
    int has_accuracy, has_val;
    double seconds;
    int64_t samples;
    struct clrnn_metric_values more, val_more;
};

/* Callbacks return nonzero to stop training after the current batch (on_batch) or epoch. */
typedef int (*clrnn_batch_fn)(const struct clrnn_progress *p, void *user);
typedef int (*clrnn_epoch_fn)(const struct clrnn_epoch_logs *logs, void *user);

/* Data-parallel training (docs/scale-out.md): several processes run fit on the same model,
 * data and settings, each training its own shards of every batch, and sum the shards'
 * gradients through this interface, which a tool implements over its transport (clrnn-train:
 * MPI; the library has no such dependency). */
struct clrnn_exchange {
    int rank, ranks; /* this process, of ranks; it trains shards [rank*S/ranks, (rank+1)*S/ranks) */
    /* Called by every process once per training batch, between the backward pass and the
     * optimizer step (before clipping). local holds this process's n_local shard vectors of
     * count floats one after another: each the shard's gradient (packed as the parameters,
     * not yet divided by the batch's normalizer) followed by its batch metrics (sums: loss,
     * accuracy, rows counted and those of the other metrics). sum gets the sum of all S vectors of the batch, added in shard order
     * 0, 1, ..., S-1, whatever the ranks (so the result does not depend on them). Returns 0
     * to go on, 1 to stop every process after this batch (the same answer on all), -1 on a
     * failure the tool has reported (fit fails with CLRNN_E_INTERRUPTED). */
    int (*reduce)(void *user, int epoch, int64_t batch, const float *local, int n_local,
                  size_t count, float *sum);
    /* Validation split between the processes (NULL: each validates all): process r evaluates
     * batches [n*r/ranks, n*(r+1)/ranks) of n into metrics[width*b ...] (width floats a
     * batch: its metric sums), and gather fills in every other process's, so that all
     * compute the same means in batch order. Returns 0, or -1 on a failure the tool has
     * reported. */
    int (*gather)(void *user, float *metrics, int64_t n, int width);
    void *user;
};

struct clrnn_fit_params {
    int epochs;               /* 1 */
    int initial_epoch;        /* 0 */
    int batch_size;           /* 32 */
    double validation_split; /* 0: the last fraction of x/y, taken before shuffling */
    int shuffle;              /* 1 */
    uint64_t seed;            /* shuffling and dropout */
    clrnn_batch_fn on_batch;
    double batch_interval;    /* seconds between on_batch calls (0.25); 0: every batch */
    clrnn_epoch_fn on_epoch;
    void *user;
    /* Keras's fit(sample_weight=...): a weight per sample (N,) multiplying its loss, or per
     * sample and timestep (N, T) for an output of (N, T, C); float32; NULL: none. The loss
     * stays divided by the samples (or unmasked timesteps) counted, as Keras's
     * sum_over_batch_size does; accuracy is not weighted (compile's metrics, in Keras, are
     * not; only its weighted_metrics). The validation part of
     * validation_split keeps its samples' weights, as in Keras. */
    const struct clrnn_array *sample_weight;
    /* Keras's fit(class_weight=...): class_weight[c] (c < class_weights) weighs the samples
     * whose target is class c (binary targets rounded, one-hot ones by their largest entry);
     * other classes weigh 1. Per-sample targets only, and not with sample_weight (as in
     * Keras). class_weights 0: none. */
    const double *class_weight;
    int class_weights;
    /* Gradient shards S (0 or 1: none; with an exchange, 0 means one a process): each batch of
     * B rows is cut into S shards by row (shard s: rows floor(s*B/S) .. floor((s+1)*B/S)),
     * trained one after another, and the gradient is the sum of the shards' in shard order,
     * divided by the whole batch's rows (or unmasked steps). Dropout masks follow the row's
     * index in the whole batch. For a fixed S, the result is bit for bit the same for every
     * number of processes that divides S, 1 included (gradient accumulation); against S = 1
     * it differs by rounding. Stateful recurrent layers are refused. */
    int grad_shards;
    const struct clrnn_exchange *exchange; /* NULL: this process alone */
};
CLRNN_API struct clrnn_fit_params clrnn_fit_params_default(void);

/* Trains a compiled model on x (n_x arrays, one per input: see "Model inputs" below) and y.
 * val_x (n_x arrays) and val_y may be NULL (then validation_split applies). */
CLRNN_API clrnn_status clrnn_model_fit(clrnn_model *m, const struct clrnn_array *x, int n_x,
                                       const struct clrnn_array *y,
                                       const struct clrnn_array *val_x,
                                       const struct clrnn_array *val_y,
                                       const struct clrnn_fit_params *p);

/* Epochs this model has been trained for: counted by fit, kept in the files clrnn saves
 * (training_config "clrnn_epochs_done", which Keras ignores), so that training resumed from
 * a checkpoint starts at the next epoch (fit's initial_epoch). */
CLRNN_API int clrnn_model_epochs_done(const clrnn_model *m);

/* The vocabulary a model was trained with (the token of each id, from the dataset file),
 * which travels in the .h5 files clrnn saves (dataset clrnn_vocabulary, ignored by Keras)
 * and in its .keras archives (asset assets/clrnn/vocabulary.json, ignored by Keras)
 * so that evaluation and generation map text to ids and back. set copies the tokens (n 0:
 * none); get returns them (owned by the model) and their number in *n. */
CLRNN_API clrnn_status clrnn_model_set_vocabulary(clrnn_model *m, const char *const *tokens,
                                                  int n);
CLRNN_API const char *const *clrnn_model_vocabulary(const clrnn_model *m, int *n);
/* 1 when text for m is padded and cut at the end (it came with a Keras TextVectorization
 * layer), 0 when at the start (pad_sequences' default, and clrnn-data's). */
CLRNN_API int clrnn_model_text_pads_at_end(const clrnn_model *m);

/* A copy of m for generation: its recurrent layers stateful, its input one timestep long,
 * the same weights and vocabulary. Predicting with it on one sample at a time carries the
 * state from step to step (clrnn_model_reset_states starts over); after feeding a sequence
 * token by token its output is m's output for the whole sequence. Bidirectional and masked
 * models cannot step. */
CLRNN_API clrnn_status clrnn_model_stepper(const clrnn_model *m, clrnn_model **out);

/* Model inputs: every function below that takes data takes x as n_x arrays, one per input
 * of the model in its order (clrnn_model_input_name), each with the same number of samples
 * (rows); a model of one input takes (&x, 1). n_x must be the model's input count:
 * CLRNN_E_INVALID_ARG otherwise; a shape that does not fit, CLRNN_E_SHAPE naming the input.
 * The same rows of each input are shuffled and batched together. */

/* One optimizer step on one batch; *loss gets the batch loss. */
CLRNN_API clrnn_status clrnn_model_train_on_batch(clrnn_model *m, const struct clrnn_array *x,
                                                  int n_x, const struct clrnn_array *y,
                                                  double *loss);
/* The same with Keras's train_on_batch(sample_weight=...): sample_weight as in
 * clrnn_fit_params (NULL: none). */
CLRNN_API clrnn_status clrnn_model_train_on_batch_weighted(clrnn_model *m,
                                                           const struct clrnn_array *x, int n_x,
                                                           const struct clrnn_array *y,
                                                           const struct clrnn_array *sample_weight,
                                                           double *loss);

struct clrnn_eval_result {
    double loss, accuracy;
    int has_accuracy;
    int64_t samples;
    double seconds;
    struct clrnn_metric_values more;
};
CLRNN_API clrnn_status clrnn_model_evaluate(clrnn_model *m, const struct clrnn_array *x,
                                            int n_x, const struct clrnn_array *y,
                                            int batch_size, struct clrnn_eval_result *out);

/* Model outputs for x, float32 (N, output shape...), into *out (owned by the caller). */
CLRNN_API clrnn_status clrnn_model_predict(clrnn_model *m, const struct clrnn_array *x, int n_x,
                                           int batch_size, struct clrnn_array *out);

/* Low level, for tests and custom loops: a forward pass over one batch (training selects
 * training behaviour), then a backward pass from the gradient of some scalar with respect to
 * the outputs; parameter gradients are then read with clrnn_model_get_grads() and the input
 * gradient (float inputs only) lands in *dx when dx is not NULL. */
CLRNN_API clrnn_status clrnn_model_forward(clrnn_model *m, const struct clrnn_array *x, int n_x,
                                           int training, struct clrnn_array *y);
/* A Functional graph gives no input gradient (dx must be NULL). */
CLRNN_API clrnn_status clrnn_model_backward(clrnn_model *m, const struct clrnn_array *dy,
                                            struct clrnn_array *dx);

#ifdef __cplusplus
}
#endif
#endif /* CLRNN_H */
