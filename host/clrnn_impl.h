/*
 * clrnn_impl.h - internals shared by the files of host/: the runtime context, programs and
 * kernel launches, device buffers, the random generator, and the layer interface.
 */
#ifndef CLRNN_IMPL_H
#define CLRNN_IMPL_H

#include <CL/cl.h>
#include <cjson/cJSON.h>
#include <stdint.h>

#include "clrnn.h"
#include "clrnn_err.h"
#include "options.h"

/* ---- OpenCL errors ---- */

const char *clrnn_cl_error_name(cl_int code);
/* Records "<what> failed: CL_OUT_OF_RESOURCES (-5) at file:line" and returns CLRNN_E_OPENCL. */
clrnn_status clrnn_fail_cl(cl_int code, const char *what, const char *file, int line);
#define CL_TRY(call)                                                        \
    do {                                                                    \
        cl_int cl_try_err_ = (call);                                        \
        if (cl_try_err_ != CL_SUCCESS)                                      \
            return clrnn_fail_cl(cl_try_err_, #call, __FILE__, __LINE__);   \
    } while (0)

/* ---- runtime context ---- */

struct clrnn_program; /* program.c */

struct clrnn_ctx {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    struct clrnn_device_info info;
    struct clrnn_options opts;      /* the environment's switches, read at creation */
    struct clrnn_program *programs; /* built programs, a list */
    cl_mem scratch;                 /* small shared scratch (norms of gradients) */
    struct clrnn_profile *profile;  /* CLRNN_PROFILE: device time per kernel, else NULL */
    int cpu_forms;                  /* kernels in their CPU forms (docs/performance.md) */
    int gemm_wide;                  /* gemm.c's tiles for 16-float vector registers */
    int transfers_async;            /* upload.c: uploads and read-backs do not wait */
    cl_mem gemm_scratch;            /* gemm.c: partial sums, transposed operands; blas.c:
                                     * CLBlast's padded copies (within one product each) */
    size_t gemm_scratch_bytes;
    struct clrnn_tally *tally;      /* device bytes held in buffers (ctx.c) */
    struct clrnn_uploads *uploads;  /* upload.c: host copies of pending writes, or NULL */
    /* while measuring, clrnn_buf_create only adds up the sizes asked for (see
     * clrnn_ctx_measure_begin) and hands out references to one tiny placeholder buffer */
    int measuring;
    size_t measured, measured_largest;
    cl_mem placeholder;
    int lost;                       /* a wait or read failed: never wait on the device again */
    long waits;                     /* clrnn_ctx_finish's calls, for its test hook */
};

/* ---- profiling (profile.c) ---- */

/* Whether CLRNN_PROFILE asks for kernel times (the queue is then made with profiling on). */
int clrnn_profile_wanted(const clrnn_ctx *ctx);
clrnn_status clrnn_profile_start(clrnn_ctx *ctx);
/* The event slot for the next enqueue (NULL when not profiling); after the enqueue,
 * clrnn_profile_record files its time under `name`. */
cl_event *clrnn_profile_event(clrnn_ctx *ctx);
void clrnn_profile_record(clrnn_ctx *ctx, const char *name);
/* The launches filed under `name` so far (-1 when not profiling), for tests. */
long clrnn_profile_calls(clrnn_ctx *ctx, const char *name);
/* Prints the table (stderr, or the file CLRNN_PROFILE names) and stops profiling. */
void clrnn_profile_report(clrnn_ctx *ctx);

/* Waits for the queue (clFinish). A failure, like that of a blocking read, marks the device
 * lost: later waits, reads and writes fail at once instead of waiting on it, and freeing
 * skips the wait. The message says the device was lost or ran out of resources. */
clrnn_status clrnn_ctx_finish(clrnn_ctx *ctx);
/* Device memory clrnn's buffers hold now, in bytes. */
size_t clrnn_ctx_bytes_held(const clrnn_ctx *ctx);
/* Between begin and end, clrnn_buf_create allocates nothing: it adds up the bytes asked for
 * (the total and the largest buffer) and returns references to a placeholder. This is how
 * clrnn_model_reserve learns what a batch needs before allocating any of it. */
clrnn_status clrnn_ctx_measure_begin(clrnn_ctx *ctx);
void clrnn_ctx_measure_end(clrnn_ctx *ctx, size_t *total, size_t *largest);
/* CLRNN_E_NOMEM, saying the sizes and the largest batch that would fit, when a batch of B
 * rows that needs `total` device bytes (`largest` in one buffer) does not fit beside what is
 * held already. */
clrnn_status clrnn_ctx_check_batch(const clrnn_ctx *ctx, int B, size_t total, size_t largest);

/* Device buffers. */
clrnn_status clrnn_buf_create(clrnn_ctx *ctx, size_t bytes, cl_mem *out);
void clrnn_buf_release(cl_mem *m); /* releases and sets NULL; NULL is fine */
clrnn_status clrnn_buf_write(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes,
                             const void *src);
/* Whether a new context's transfers are asynchronous (ctx->transfers_async) */
int clrnn_transfers_async(const clrnn_ctx *ctx);
/* clrnn_buf_write without waiting for the device where transfers are asynchronous
 * (upload.c: GPUs, or CLRNN_TRANSFERS=async): src is copied, and may change as soon as this
 * returns. */
clrnn_status clrnn_buf_upload(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes,
                              const void *src);
/* clrnn_buf_read likewise: dst is filled, and must stay, until clrnn_downloads_wait
 * returns (at once where transfers block). */
clrnn_status clrnn_buf_download(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes,
                                void *dst);
clrnn_status clrnn_downloads_wait(clrnn_ctx *ctx);
/* After a failure: lets the queued reads finish (or fail), leaving the error message be. */
void clrnn_downloads_drain(clrnn_ctx *ctx);
/* Waits for the pending uploads and frees their copies (clrnn_ctx_free). */
void clrnn_uploads_free(clrnn_ctx *ctx);
/* How many of the uploads' copies are in pinned memory (upload.c; for tests) */
int clrnn_uploads_pinned(const clrnn_ctx *ctx);
clrnn_status clrnn_buf_read(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes, void *dst);
clrnn_status clrnn_buf_fill_zero(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes);
clrnn_status clrnn_buf_copy(clrnn_ctx *ctx, cl_mem src, size_t src_off, cl_mem dst,
                            size_t dst_off, size_t bytes);

/* ---- programs and kernels (program.c) ---- */

/* The kernel `name` from the program made of `sources` (file names in cl/, NULL-terminated)
 * built with `options`. Programs are built on first use, kept for the life of the context,
 * and cached on disk as binaries. The returned kernel is owned by the context. */
clrnn_status clrnn_kernel_get(clrnn_ctx *ctx, const char *const *sources, const char *options,
                              const char *name, cl_kernel *out);
void clrnn_programs_release(clrnn_ctx *ctx);
/* The file in the kernel cache that keeps a tuning choice made under `key` on this device and
 * driver; -1 when there is no cache (CLRNN_CACHE=0, no folder). */
int clrnn_cache_tuning_path(clrnn_ctx *ctx, const char *key, char *path, size_t size);

/* ---- per-device tuning (tuning.c) ---- */

/* Launches variant `variant` of a computation, leaving its results on the device. */
typedef clrnn_status (*clrnn_tune_run)(void *arg, int variant);
/* The fastest of the n (at most 8) variants, into *chosen: the choice cached under key
 * (tuning.c), or else each variant run once to build and warm up, then timed 3 times, the
 * variants taking turns, its best time counting; a variant that fails or whose results
 * (out_bytes of `out`) differ in any bit from variants[0]'s is dropped with a warning. The
 * choice is stored in the cache, and the chosen variant run last. */
clrnn_status clrnn_tune(clrnn_ctx *ctx, const char *key, const int *variants, int n,
                        clrnn_tune_run run, void *arg, cl_mem out, size_t out_bytes, int *chosen);

/* Kernel arguments for clrnn_launch: a value (pointer + size) or local memory (ptr NULL). */
struct clrnn_karg {
    size_t size;
    const void *ptr;
};
#define KARG(x) ((struct clrnn_karg){sizeof(x), &(x)})
#define KARG_LOCAL(bytes) ((struct clrnn_karg){(bytes), NULL})
clrnn_status clrnn_launch_args(clrnn_ctx *ctx, cl_kernel k, const char *name, cl_uint dims,
                               const size_t *global, const size_t *local,
                               const struct clrnn_karg *args, int n_args);
#define CLRNN_LAUNCH(ctx, k, name, dims, global, local, ...)                                 \
    clrnn_launch_args(ctx, k, name, dims, global, local,                                    \
                      (const struct clrnn_karg[]){__VA_ARGS__},                              \
                      (int)(sizeof((const struct clrnn_karg[]){__VA_ARGS__}) /               \
                            sizeof(struct clrnn_karg)))
/* Rounds n up to a multiple of m. */
static inline size_t clrnn_round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }
/* Work-items a group of the GPU forms' 1-D element kernels, whose global size is rounded up
 * to it (the kernels check their bounds): a driver left to choose a group for an odd count
 * may pick a tiny one. */
#define CLRNN_ELEMENT_GROUP 256
/* The group of such a kernel: CLRNN_ELEMENT_GROUP, or the largest power of two at or below
 * the kernel's own limit on the device (CL_KERNEL_WORK_GROUP_SIZE) where that is smaller */
size_t clrnn_element_group(size_t kernel_limit);
/* A GPU form's 1-D element kernel k over `count` items: its group (clrnn_element_group of
 * k's limit) and the global size rounded up to whole groups */
clrnn_status clrnn_element_shape(clrnn_ctx *ctx, cl_kernel k, const char *name, size_t count,
                                 size_t *global, size_t *local);
/* The most work-items a group of kernel k may have on ctx's device: its
 * CL_KERNEL_WORK_GROUP_SIZE, no more than the device's (possibly lowered) limit; 0 if unknown */
size_t clrnn_kernel_group_limit(const clrnn_ctx *ctx, cl_kernel k);
/* Lanes of the one-work-group reductions (loss, mask counts, clipping norms):
 * CLRNN_ELEMENT_GROUP, fewer where the device allows fewer; their build options
 * ("-DREDUCE_LANES=n") into buf */
size_t clrnn_reduce_lanes(const clrnn_ctx *ctx, char *options, size_t size);
/* Lowers info's limits as CLRNN_DEVICE_LIMITS's value spec says (device_limits.c) */
clrnn_status clrnn_device_limits_apply(const char *spec, struct clrnn_device_info *info);

/* ---- matrix products (blas.c: CLBlast, or gemm.c on CPUs) ---- */

/* Drops CLBlast's programs and kernels (blas.c), before a context is released: CLBlast keeps
 * them by context address until the process exits, where releasing them after the context
 * corrupted Oclgrind's heap, and a later context at the same address would be handed the
 * dead one's programs. */
void clrnn_blas_forget(void);
/* ctx->gemm_scratch with room for `bytes` bytes; what it holds lasts one product */
clrnn_status clrnn_gemm_scratch(clrnn_ctx *ctx, size_t bytes);
/* clrnn's own GEMM kernels (gemm.c; alpha 1, beta 0): whether they take these sizes, and
 * the product. */
int clrnn_gemm_own_fits(int trans_a, int trans_b, size_t m, size_t n, size_t k, size_t lda,
                        size_t ldb, size_t ldc);
clrnn_status clrnn_gemm_own(clrnn_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n,
                            size_t k, cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off,
                            size_t ldb, cl_mem c, size_t c_off, size_t ldc);
/* dst (cols, rows) = the (rows, cols) matrix at src + off (leading dimension ld), transposed */
clrnn_status clrnn_transpose(clrnn_ctx *ctx, cl_mem src, size_t off, size_t ld, size_t rows,
                             size_t cols, cl_mem dst);
/* C (m, n) = A (m, k) B (k, n) + the bias row (n floats at bias + bias_off) on every row;
 * bias NULL: no bias. On CPUs the bias joins the product's tiles (no second pass). C must be
 * whole rows (c_off 0, ldc n), as clrnn_add_bias expects. */
clrnn_status clrnn_gemm_bias(clrnn_ctx *ctx, size_t m, size_t n, size_t k, cl_mem a,
                             size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb,
                             cl_mem c, size_t c_off, size_t ldc, cl_mem bias, size_t bias_off);
/* op(B) (k, n) (B at b + b_off, leading dimension ldb; transposed with trans_b) packed into
 * p from p_off in strips of 16 columns (cl/gemm.cl gemm_pack), clrnn_gemm_packed_floats(k, n) floats,
 * for products that read a B larger than a CPU's L2 several times (rnn_steps.c: R, every
 * step) */
size_t clrnn_gemm_packed_floats(size_t k, size_t n);
clrnn_status clrnn_gemm_pack(clrnn_ctx *ctx, int trans_b, size_t k, size_t n, cl_mem b,
                             size_t b_off, size_t ldb, cl_mem p, size_t p_off);
/* C (m, n) = A (m, k) times k rows of a packed op(B) of kp rows, from row p_off / 16 of its
 * strips (p_off: floats into the first strip, plus a whole packed matrix's size to skip one) */
clrnn_status clrnn_gemm_packed(clrnn_ctx *ctx, size_t m, size_t n, size_t k, cl_mem a,
                               size_t a_off, size_t lda, cl_mem p, size_t p_off, size_t kp,
                               cl_mem c, size_t c_off, size_t ldc);
/* out[out_off + c] = sum_r b[r, c] over a (rows, cols) matrix, in a fixed order */
clrnn_status clrnn_colsum_own(clrnn_ctx *ctx, cl_mem b, size_t rows, size_t cols, cl_mem out,
                              size_t out_off);

/* C (m, n) = alpha * op(A) op(B) + beta * C, row-major, offsets and leading dimensions in
 * floats. trans_a/trans_b: 0 or 1. gemm.c's kernels when ctx->cpu_forms and they fit, else
 * CLBlast. */
clrnn_status clrnn_gemm(clrnn_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                        float alpha, cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off,
                        size_t ldb, float beta, cl_mem c, size_t c_off, size_t ldc);

/* ---- random numbers (rng.c) ---- */

/* One seeded generator (xoshiro256**) for everything random. */
typedef struct {
    uint64_t s[4];
} clrnn_rng;
void clrnn_rng_seed(clrnn_rng *r, uint64_t seed);
uint64_t clrnn_rng_next(clrnn_rng *r);
double clrnn_rng_uniform(clrnn_rng *r);            /* [0, 1) */
double clrnn_rng_normal(clrnn_rng *r);             /* standard normal */
uint64_t clrnn_rng_below(clrnn_rng *r, uint64_t n); /* [0, n), unbiased */
void clrnn_rng_shuffle(clrnn_rng *r, int64_t *items, int64_t n);

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
/* Parses a Keras initializer config (string or {"class_name": ...}); NULL keeps *kind. */
clrnn_status clrnn_init_from_json(const cJSON *j, const char *layer, const char *key,
                                  clrnn_init_kind *kind);
cJSON *clrnn_init_to_json(clrnn_init_kind kind);

/* ---- activations (activation.c) ---- */

typedef enum {
    CLRNN_ACT_LINEAR,
    CLRNN_ACT_SIGMOID,
    CLRNN_ACT_TANH,
    CLRNN_ACT_RELU,
    CLRNN_ACT_SOFTMAX,
    CLRNN_ACT_HARD_SIGMOID,   /* Keras 1 and 2: clip(0.2 z + 0.5, 0, 1) */
    CLRNN_ACT_HARD_SIGMOID_K3 /* Keras 3: relu6(z + 3) / 6 = clip(z / 6 + 0.5, 0, 1) */
} clrnn_act;
/* Keras activation name -> enum; CLRNN_E_UNSUPPORTED naming the layer otherwise.
 * "hard_sigmoid" changed its slope in Keras 3, so its meaning follows the Keras major
 * version of the configuration being read (clrnn_act_set_keras_major). */
clrnn_status clrnn_act_parse(const char *name, const char *layer, clrnn_act *out);
/* Sets the Keras major version (2 or 3) whose activation semantics this thread's following
 * clrnn_act_parse() calls use, and returns the previous one. The default is 2: clrnn writes
 * Keras 2 files, and hard_sigmoid comes from older models. */
int clrnn_act_set_keras_major(int major);
int clrnn_act_keras_major(void);
/* The Keras major version a saved file or configuration declares: its keras_version string
 * ("2.15.0" -> 2), or 0 when there is none. */
int clrnn_keras_major_of(const char *keras_version);
const char *clrnn_act_name(clrnn_act a);
/* y = act(z) over rows of width cols, in place allowed (z == y except softmax backward). */
clrnn_status clrnn_act_forward(clrnn_ctx *ctx, clrnn_act a, cl_mem z, cl_mem y, size_t rows,
                               size_t cols);
/* dz = dy * act'(z), from y = act(z). */
clrnn_status clrnn_act_backward(clrnn_ctx *ctx, clrnn_act a, cl_mem y, cl_mem dy, cl_mem dz,
                                size_t rows, size_t cols);
/* Adds bias (cols) to every row of z: z[r, c] += b[b_off + c]. */
clrnn_status clrnn_add_bias(clrnn_ctx *ctx, cl_mem z, size_t rows, size_t cols, cl_mem b,
                            size_t b_off);
/* db[db_off + c] = sum over rows of dz[r, c] (overwrites). */
clrnn_status clrnn_sum_rows(clrnn_ctx *ctx, cl_mem dz, size_t rows, size_t cols, cl_mem db,
                            size_t db_off);

/* ---- dropout (dropout.c) ---- */

/* Fills mask[0..n) with 0 or 1/(1-rate), each element kept with probability 1-rate, from a
 * counter-based hash of (seed, index) on the device: the same seed gives the same mask on
 * every device. */
clrnn_status clrnn_dropout_mask(clrnn_ctx *ctx, cl_mem mask, size_t n, double rate,
                                uint64_t seed);
/* y = x * mask over an (A, M, C) array, the mask repeated along M (mask (A, C)) or, with
 * skip_first, along A (mask (M, C)); in place allowed (cl/rnn_util.cl). */
clrnn_status clrnn_mul_mask_bcast(clrnn_ctx *ctx, cl_mem x, cl_mem mask, cl_mem y, int A, int M,
                                  int C, int skip_first);

/* ---- layers ---- */

/* Shape of one sample, without the batch axis: (F) or (T, F). */
struct clrnn_shape {
    int rank;
    int64_t d[4];
};
static inline int64_t clrnn_shape_count(const struct clrnn_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) n *= s->d[i];
    return n;
}
static inline int64_t clrnn_shape_last(const struct clrnn_shape *s) { return s->d[s->rank - 1]; }

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
    /* tensors besides the main input and output (struct clrnn_aux): n_aux_in is set before
     * build (the model gives them to recurrent layers only), n_aux_out by build */
    int n_aux_in, n_aux_out;
    struct clrnn_aux aux_in[CLRNN_MAX_AUX], aux_out[CLRNN_MAX_AUX];
};

/* The registry (layers.c). */
const struct clrnn_layer_ops *clrnn_layer_ops_by_class(const char *keras_class);
const struct clrnn_layer_ops *clrnn_layer_ops_by_spec(const char *spec_name);
/* Creates a layer of the class named in a Keras layer object {"class_name", "config"}. */
clrnn_status clrnn_layer_create(const cJSON *layer_obj, struct clrnn_layer **out);
void clrnn_layer_free(struct clrnn_layer *l);

/* Helpers for configure(): typed reads of Keras config keys, with errors naming the layer. */
clrnn_status clrnn_cfg_int(const cJSON *c, const char *layer, const char *key, int required,
                           int min, int *out);
clrnn_status clrnn_cfg_bool(const cJSON *c, const char *layer, const char *key, int *out);
clrnn_status clrnn_cfg_double(const cJSON *c, const char *layer, const char *key, double *out);
clrnn_status clrnn_cfg_act(const cJSON *c, const char *layer, const char *key, clrnn_act *out);
/* A key that must be null/absent (regularizers, constraints) or have a given default. */
clrnn_status clrnn_cfg_must_be_null(const cJSON *c, const char *layer, const char *key);
clrnn_status clrnn_cfg_must_be_false(const cJSON *c, const char *layer, const char *key);
/* Adds a weight descriptor to l (shape dims, count computed). */
void clrnn_layer_add_weight(struct clrnn_layer *l, const char *name, int rank, const int64_t *d,
                            clrnn_init_kind init);
/* Error text helper: "layer 'x' (LSTM)". */
const char *clrnn_layer_desc(const struct clrnn_layer *l, char *buf, size_t size);

/* The dropout masks the last training pass of recurrent layer l drew (layer_rnn.c), for
 * tests: dmask (B, I) and rmask (B, U), each read only when that dropout was active. */
clrnn_status clrnn_rnn_dropout_masks(const struct clrnn_layer *l, clrnn_ctx *ctx, int B,
                                     float *dmask, float *rmask);

/* The dropout mask the last training pass of Dropout layer l drew (layer_dropout.c), for
 * tests: B rows of the input's size, or (B, features) with noise_shape (None, 1, F). */
clrnn_status clrnn_dropout_layer_mask(const struct clrnn_layer *l, clrnn_ctx *ctx, int B,
                                      float *mask);

/* Embedding -> recurrent layer, projecting the vocabulary instead of the positions
 * (token_projection.c, layer_embedding.c). On a batch with fewer vocabulary entries than
 * positions (clrnn_embedding_fused), the recurrent layer's input projection x K + b is
 * read from the table E K + b by token, and its backward pass sums the projection's gradient per
 * id first: dK = E^T S, db = the column sums of S, dE = S K^T, where S (input_dim, GU) holds
 * each id's summed gradient; its input gradient is then dE itself (input_dim, output_dim).
 * A batch with no more positions than vocabulary entries that repeats its ids enough
 * projects its distinct ids the same way (E their rows, in ascending id order; the ids read
 * through are each position's index among them). */
void clrnn_embedding_link(struct clrnn_layer *emb);
int clrnn_embedding_fused(const struct clrnn_layer *emb, int B);
/* This batch's projected rows, as the Embedding's forward pass chose them: 0 (none: the
 * vectors are looked up), input_dim or the number of distinct ids; *vectors, *vectors_off:
 * where their embeddings are (rows of output_dim floats) */
int clrnn_embedding_projection(const struct clrnn_layer *emb, cl_mem *vectors,
                               cl_ulong *vectors_off);
/* The ids the projection is read with this batch (token ids, or indices of distinct ids) */
cl_mem clrnn_embedding_ids(const struct clrnn_layer *emb);
/* out[p] = table[off + ids[p] D ...] for n positions: D floats each */
clrnn_status clrnn_embedding_gather(clrnn_ctx *ctx, cl_mem ids, int n, cl_mem table,
                                    cl_ulong off, int D, cl_mem out);
/* out[off + v D ...] = the sum of dy's rows (D floats) at the positions of id v, in position
 * order, zeros for ids not in the batch; with the distinct-id projection, row u for the u-th
 * distinct id instead. dy has a row per position (B, T, D), or with time_major a row per
 * step (T, B, D), steps in reverse order when backwards (a recurrent layer's dzh). */
clrnn_status clrnn_embedding_sum_by_id(struct clrnn_layer *emb, const struct clrnn_pass *p,
                                       cl_mem dy, int D, int time_major, int backwards,
                                       cl_mem out, cl_ulong off);
/* table (rows, GU) = E K + b, the projection of every projected row (clrnn_embedding_projection),
 * which the recurrent kernels read through the ids; k_off, b_off: K (I, GU) and b (GU) in
 * p->params, has_bias 0 for none */
clrnn_status clrnn_tokens_project(const struct clrnn_pass *p, struct clrnn_layer *emb,
                                  cl_ulong k_off, int has_bias, cl_ulong b_off, size_t GU,
                                  cl_mem table);
/* From dz, the projection's gradient (B*T, GU; time-major by step as clrnn_embedding_sum_by_id
 * says when time_major): dK into p->grads at dk_off, db at db_off (has_bias), and dE (rows, I)
 * into de when not NULL; s is scratch (rows, GU). */
clrnn_status clrnn_tokens_backward(const struct clrnn_pass *p, struct clrnn_layer *emb,
                                   cl_mem dz, int time_major, int backwards, size_t GU,
                                   cl_ulong k_off, cl_ulong dk_off, int has_bias,
                                   cl_ulong db_off, cl_mem s, cl_mem de);
/* The floats a recurrent layer's last backward pass wrote as its input gradient: B*T*I, or
 * (projected rows)*I when it took tokens */
size_t clrnn_rnn_dx_count(const struct clrnn_layer *l, int B);

/* Bidirectional's rule for its inner layers: zero_output_for_mask = return_sequences. */
clrnn_status clrnn_rnn_set_zero_output_for_mask(struct clrnn_layer *l);
/* A Bidirectional layer's forward pass over its two recurrent layers a and b, and its
 * backward pass (dya, dyb their output gradients, dxa, dxb where their input gradients go,
 * NULL for none): both recurrences in one launch where they run the same kernel
 * (rnn_pair.c), else one layer after the other. */
clrnn_status clrnn_rnn_forward_pair(struct clrnn_layer *a, struct clrnn_layer *b,
                                    const struct clrnn_pass *p, cl_mem x);
clrnn_status clrnn_rnn_backward_pair(struct clrnn_layer *a, struct clrnn_layer *b,
                                     const struct clrnn_pass *p, cl_mem x, cl_mem dya,
                                     cl_mem dyb, cl_mem dxa, cl_mem dxb);
/* The Keras layer object {"class_name", "config": {name, trainable, dtype, ...}} of l. */
cJSON *clrnn_layer_to_json(const struct clrnn_layer *l);

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
    int64_t alloc_steps; /* the length the activations were made for */
    size_t n_params;
    float *host_params; /* mirror for save/init; device copy is authoritative during fit */
    cl_mem params, grads;
    int max_batch;      /* activations are allocated for this many rows */
    int last_B, last_mode; /* the last forward pass: its rows and mode (CLRNN_FWD_...) */
    cl_mem x_dev;       /* input batch */
    cl_mem out_mask;    /* the Keras mask of the output in the last forward pass, or NULL */
    cl_mem dy_dev;      /* gradient of the loss with respect to the output */
    clrnn_rng rng;
    /* compile state */
    int compiled;
    struct clrnn_compile_config compile;
    struct clrnn_optim *optim;
    cl_mem y_dev;       /* targets of the batch */
    cl_mem metric_dev;  /* per batch: sums of loss and accuracy, rows counted; 3 floats */
    size_t metric_slots;
    cl_mem dx_in;       /* input gradient (float inputs) */
    cl_mem row_loss, row_acc; /* per output row, scratch of the loss kernels */
    void *stage;        /* host staging for uploads and downloads of one batch */
    void *x_host;       /* the input batch last uploaded, for layers that need it on the host */
    struct clrnn_graph *graph; /* a Functional graph, NULL for a chain (model_graph.c) */
};

/* Builds the layers of a model from a list of Keras layer objects (Sequential order). */
clrnn_status clrnn_model_build(clrnn_ctx *ctx, cJSON *const *layer_objs, int n,
                               const struct clrnn_shape *in, clrnn_dtype in_dtype,
                               const char *name, uint64_t seed, clrnn_model **out);
/* The pieces of clrnn_model_build, which the graph builder shares: an empty model; layer i
 * built for the input its l->in, in_dtype and mask_in describe, its weights placed in the
 * packed parameters; the parameters made once every layer is placed (Keras's initial
 * values, drawn layer by layer). */
clrnn_status clrnn_model_new(clrnn_ctx *ctx, const char *name, uint64_t seed, clrnn_model **out);
clrnn_status clrnn_model_place_layer(clrnn_model *m, int i);
clrnn_status clrnn_model_finish(clrnn_model *m);
/* A model from a Functional config ("config" object) that is not a chain (model_graph.c);
 * name names it in messages. */
clrnn_status clrnn_graph_build(clrnn_ctx *ctx, const cJSON *cfg, const char *name, uint64_t seed,
                               clrnn_model **out);
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
 * layers' shapes for sequences of T steps (nothing else when the model's length is fixed);
 * take_steps does it for the length of x, an array of the model's input; shown_shape is s
 * as Keras shows it, -1 (None) on the time axis of such a model (is_input: s is the
 * model's input). */
clrnn_status clrnn_model_set_steps(clrnn_model *m, int64_t T);
clrnn_status clrnn_model_take_steps(clrnn_model *m, const struct clrnn_array *x);
struct clrnn_shape clrnn_model_shown_shape(const clrnn_model *m, const struct clrnn_shape *s,
                                           int is_input);
/* The Keras JSON of a shown shape with its batch axis: [null, d1, ...], null where unknown */
cJSON *clrnn_model_shape_json(const clrnn_model *m, const struct clrnn_shape *s, int is_input);
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
 * a graph as Keras 3 writes a Functional model (model_graph.c: its nodes in Keras 3's
 * {"args", "kwargs"} form, which tf.keras 2 does not read). */
cJSON *clrnn_model_config_json(const clrnn_model *m);
cJSON *clrnn_graph_config_json(const clrnn_model *m);

/* ---- losses (loss.c) ---- */

typedef enum { CLRNN_LOSS_BCE, CLRNN_LOSS_CCE, CLRNN_LOSS_SPARSE_CCE, CLRNN_LOSS_MSE } clrnn_loss_kind;
clrnn_status clrnn_loss_parse(const char *name, clrnn_loss_kind *out);
const char *clrnn_loss_name(clrnn_loss_kind k);
/* Checks that targets y fit the model output (without the batch axis). */
clrnn_status clrnn_loss_check_targets(clrnn_loss_kind k, const int64_t *out_dims, int out_rank,
                                      const struct clrnn_array *y);
/* From predictions pred (rows of the output) and targets y_dev: writes d(batch loss) / d pred
 * into dpred, and the batch's sums into metric[3*slot ...]: loss, accuracy, and the rows
 * that count. Unmasked (mask NULL), the batch loss is the mean over all rows, as Keras
 * reduces, and every row counts; with a Keras mask (rows floats, 1 = a real timestep) it is
 * sum(mask * loss) / sum(mask), accuracy is weighted by the mask, and sum(mask) rows count. */
clrnn_status clrnn_loss_run(clrnn_ctx *ctx, clrnn_loss_kind k, int from_logits, cl_mem pred,
                            cl_mem y_dev, cl_mem dpred, cl_mem row_loss, cl_mem row_acc,
                            size_t rows, size_t cols, cl_mem mask, cl_mem metric, size_t slot);

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

/* ---- small JSON helpers (json.c) ---- */
/* An InputLayer config's batch_input_shape or batch_shape [null, d1, ...] into shape
 * (without the batch axis; -1 for unknown); 0 when it has neither. Its dtype, or fallback. */
int clrnn_json_batch_shape(const cJSON *cfg, struct clrnn_shape *shape);
clrnn_dtype clrnn_json_dtype(const cJSON *cfg, clrnn_dtype fallback);
cJSON *clrnn_json_parse(const char *text, const char *what);
clrnn_status clrnn_json_check_alloc(const void *p);


/* "(None, 20, 16)": a per-sample shape with Keras's batch axis in front. */
const char *clrnn_batch_shape_str(const struct clrnn_shape *s, char *buf, size_t size);

#endif
