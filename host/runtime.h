/*
 * runtime.h - the device side of host/: OpenCL errors, the runtime context and its device
 * buffers, profiling, programs, kernels and their launches, per-device tuning, matrix
 * products, random numbers, activations and dropout.
 */
#ifndef CLRNN_RUNTIME_H
#define CLRNN_RUNTIME_H

#include <CL/cl.h>
#include <stdint.h>

#include "clrnn.h"
#include "clrnn_base.h"
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
    long waits;                     /* clrnn_ctx_finish's calls, for its test hook (buffer.c) */
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
/* Drops the context's hold on the tally of device memory (buffer.c; at clrnn_ctx_free). */
void clrnn_ctx_tally_release(clrnn_ctx *ctx);
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
/* The one-pass form of clrnn_gemm_bias on CPUs (gemm.c): whether it takes this product, and
 * the product. */
int clrnn_gemm_own_bias_fits(const clrnn_ctx *ctx, size_t m, size_t n, size_t k, size_t lda,
                             size_t ldb, size_t c_off, size_t ldc);
clrnn_status clrnn_gemm_own_bias(clrnn_ctx *ctx, size_t m, size_t n, size_t k, cl_mem a,
                                 size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb,
                                 cl_mem c, size_t c_off, size_t ldc, cl_mem bias,
                                 size_t bias_off);
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
 * "hard_sigmoid" changed its slope in Keras 3, so its meaning follows keras_major, the Keras
 * major version (2 or 3) of the configuration being read. */
clrnn_status clrnn_act_parse(const char *name, int keras_major, const char *layer,
                             clrnn_act *out);
/* The Keras major version a configuration that does not say is read as: clrnn writes Keras
 * 2 files, and hard_sigmoid comes from older models. */
#define CLRNN_KERAS_MAJOR_DEFAULT 2
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
 * counter-based hash of (seed, first + index) on the device: the same seed gives the same mask
 * on every device, and a shard of a batch whose rows begin at element first of the whole
 * batch's mask gets that part of it. */
clrnn_status clrnn_dropout_mask(clrnn_ctx *ctx, cl_mem mask, size_t n, double rate,
                                uint64_t seed, uint64_t first);
/* y = x * mask over an (A, M, C) array, the mask repeated along M (mask (A, C)) or, with
 * skip_first, along A (mask (M, C)); in place allowed (cl/rnn_util.cl). */
clrnn_status clrnn_mul_mask_bcast(clrnn_ctx *ctx, cl_mem x, cl_mem mask, cl_mem y, int A, int M,
                                  int C, int skip_first);

#endif
