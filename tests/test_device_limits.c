/*
 * test_device_limits.c - the choices a smaller GPU forces, made on the device at hand by
 * lowering what clrnn believes of it (CLRNN_DEVICE_LIMITS, host/device_limits.c), in the GPU
 * forms: each model runs once on the device as it is and once on the lowered one, and
 *   - at 16 KiB of local memory, groups of at most 64 work-items: an LSTM(32) reads R from
 *     global memory (a copy of its 16 KiB no longer fits beside a row's state), an LSTM(200)
 *     runs fewer batch rows a work-group, every launch stays within 64 work-items (and the
 *     one-group reductions run 64 lanes): the same outputs and gradients bit for bit, since
 *     every unit's sums keep their order whatever the rows a group, R's place and the group
 *     size (the tuning relies on that too, layer_rnn.c) - but for the loss, whose lanes add
 *     the rows in another order (within 1e-6 relative: a sum of 8 terms, 2^-24 each);
 *   - at 8 KiB, an LSTM(320) (a row's backward state: 7.5 KiB) takes the per-step path:
 *     the outputs and gradients of the persistent kernels within test_rnn_steps's
 *     tolerance (the same sums, R's 320 terms added in another order);
 *   - at 64 MiB a buffer, a model with an 80 MB weight is refused with one line naming the
 *     layer, the weight and the limit;
 *   - a malformed value refuses to open the device, naming it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "layer_rnn.h"
#include "model_pass.h"
#include "test.h"

#define B 40
#define T 5
#define I 3

struct run {
    float *y, *grads;
    long ny, np;
    int r_local_fwd, r_local_bwd, bwd_rows, steps;
    double loss;
};

static float output_grad(long i) { return (float)(0.5 - (i % 7) * 0.125); }

static clrnn_ctx *open_ctx(const char *limits) {
    if (limits)
        setenv("CLRNN_DEVICE_LIMITS", limits, 1);
    else
        unsetenv("CLRNN_DEVICE_LIMITS");
    clrnn_ctx *ctx = NULL;
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        exit(1);
    }
    unsetenv("CLRNN_DEVICE_LIMITS");
    return ctx;
}

/* one training pass of spec on ctx, and the loss of its outputs against fixed targets */
static void run_model(clrnn_ctx *ctx, const char *spec, struct run *r) {
    const int64_t in[2] = {T, I};
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(ctx, spec, in, 2, CLRNN_DTYPE_FLOAT32, 3, &m) == CLRNN_OK);
    if (!m) {
        fprintf(stderr, "%s: %s\n", spec, clrnn_last_error());
        exit(1);
    }
    struct clrnn_array x = {0}, y = {0};
    int64_t d[3] = {B, T, I}, yd[2] = {B, 1};
    clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 3, d);
    clrnn_array_alloc(&y, CLRNN_DTYPE_FLOAT32, 2, yd);
    for (long i = 0; i < (long)B * T * I; i++) ((float *)x.data)[i] = (float)sin(0.37 * (double)i);
    for (long i = 0; i < B; i++) ((float *)y.data)[i] = (float)(i % 3 == 0);
    test_model_pass(m, &x, output_grad, &r->y, &r->ny, &r->grads, &r->np);
    struct clrnn_compile_config cc = {.loss = "binary_crossentropy",
                                      .optimizer = clrnn_optimizer_default(CLRNN_OPT_ADAM)};
    struct clrnn_eval_result metrics;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    CHECK(clrnn_model_evaluate(m, &x, 1, &y, B, &metrics) == CLRNN_OK);
    r->loss = metrics.loss;
    const struct clrnn_layer *l = m->layers[0];
    r->steps = ((const struct rnn_cfg *)l->cfg)->steps;
    r->r_local_fwd = clrnn_rnn_r_local(l, ctx, B, 0);
    r->r_local_bwd = clrnn_rnn_r_local(l, ctx, B, 1);
    r->bwd_rows = r->steps ? 0 : clrnn_rnn_backward_rows(l, ctx, B);
    clrnn_array_clear(&x), clrnn_array_clear(&y);
    clrnn_model_free(m);
}

static void free_run(struct run *r) { free(r->y), free(r->grads); }

static int same_bits(const struct run *a, const struct run *b) {
    return a->ny == b->ny && a->np == b->np &&
           memcmp(a->y, b->y, sizeof *a->y * (size_t)a->ny) == 0 &&
           memcmp(a->grads, b->grads, sizeof *a->grads * (size_t)a->np) == 0;
}

static void check_close(const struct run *a, const struct run *b, double atol, double rtol) {
    CHECK_INT_EQ(a->ny, b->ny);
    CHECK_INT_EQ(a->np, b->np);
    if (a->ny != b->ny || a->np != b->np) return;
    size_t n = (size_t)(a->np > a->ny ? a->np : a->ny);
    double *u = malloc(sizeof *u * n), *v = malloc(sizeof *v * n);
    for (long i = 0; i < a->ny; i++) u[i] = a->y[i], v[i] = b->y[i];
    CHECK_ARRAYS_CLOSE("outputs", u, v, a->ny, atol, rtol);
    for (long i = 0; i < a->np; i++) u[i] = a->grads[i], v[i] = b->grads[i];
    CHECK_ARRAYS_CLOSE("gradients", u, v, a->np, atol, rtol);
    free(u), free(v);
}

/* 16 KiB, 64 work-items: R's place, rows a group, group sizes */
static void small_local_memory(clrnn_ctx *full) {
    clrnn_ctx *small = open_ctx("local=16K,group=64");
    const struct clrnn_device_info *info = clrnn_ctx_device(small);
    CHECK(info->local_mem_bytes <= 16384);
    CHECK(info->max_work_group_size <= 64);
    char opts[32];
    CHECK_INT_EQ((long)clrnn_reduce_lanes(small, opts, sizeof opts), 64);

    struct run a, b;
    run_model(full, "lstm(32) dense(1,activation=sigmoid)", &a);
    run_model(small, "lstm(32) dense(1,activation=sigmoid)", &b);
    printf("lstm(32): R in local memory forward %d/%d, backward %d/%d (device / 16 KiB)\n",
           a.r_local_fwd, b.r_local_fwd, a.r_local_bwd, b.r_local_bwd);
    CHECK(a.r_local_fwd == 1 && b.r_local_fwd == 0 && b.r_local_bwd == 0);
    CHECK(same_bits(&a, &b));
    printf("  loss %.9g / %.9g\n", a.loss, b.loss);
    CHECK(fabs(a.loss - b.loss) <= 1e-6 * fabs(a.loss));
    free_run(&a), free_run(&b);

    run_model(full, "lstm(200,return_sequences=true) lstm(8) dense(1,activation=sigmoid)", &a);
    run_model(small, "lstm(200,return_sequences=true) lstm(8) dense(1,activation=sigmoid)", &b);
    printf("lstm(200): backward rows a group %d / %d (device / 16 KiB)\n", a.bwd_rows,
           b.bwd_rows);
    CHECK(b.steps == 0 && b.bwd_rows == 3 && a.bwd_rows > b.bwd_rows); /* 15 KiB / 4800 B */
    CHECK(same_bits(&a, &b));
    free_run(&a), free_run(&b);

    /* every element kernel's group within the limit */
    cl_kernel k;
    const char *const sources[] = {"common.cl", "dense.cl", NULL};
    size_t global, local;
    CHECK(clrnn_kernel_get(small, sources, "", "dense_act_fwd", &k) == CLRNN_OK);
    CHECK(clrnn_element_shape(small, k, "dense_act_fwd", 1000, &global, &local) == CLRNN_OK);
    CHECK_INT_EQ((long)local, 64);
    clrnn_ctx_free(small);
}

/* 8 KiB: the per-step path */
static void per_step_path(clrnn_ctx *full) {
    clrnn_ctx *small = open_ctx("local=8K");
    struct run a, b;
    run_model(full, "lstm(320) dense(1,activation=sigmoid)", &a);
    run_model(small, "lstm(320) dense(1,activation=sigmoid)", &b);
    printf("lstm(320): step by step %d / %d (device / 8 KiB)\n", a.steps, b.steps);
    CHECK(a.steps == 0 && b.steps == 1);
    check_close(&a, &b, 1e-6, 1e-4);
    free_run(&a), free_run(&b);
    clrnn_ctx_free(small);
}

/* 64 MiB a buffer: a weight past it refused before anything is allocated */
static void small_buffers(void) {
    clrnn_ctx *small = open_ctx("local=16K,group=256,alloc=64M");
    CHECK(clrnn_ctx_device(small)->max_alloc_bytes == (uint64_t)64 << 20);
    const int64_t in[1] = {T};
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(small, "embedding(20000,1000) lstm(4)", in, 1, CLRNN_DTYPE_INT32,
                                3, &m) == CLRNN_E_SHAPE);
    const char *msg = clrnn_last_error();
    printf("refused: %s\n", msg);
    CHECK(strstr(msg, "embedding") && strstr(msg, "0.0625 GiB"));
    clrnn_model_free(m);
    clrnn_ctx_free(small);
}

static void malformed(void) {
    clrnn_ctx *c = NULL;
    setenv("CLRNN_DEVICE_LIMITS", "local=16Q", 1);
    CHECK(clrnn_ctx_create(NULL, &c) == CLRNN_E_INVALID_ARG);
    CHECK(strstr(clrnn_last_error(), "local=16Q") != NULL);
    setenv("CLRNN_DEVICE_LIMITS", "registers=64", 1);
    CHECK(clrnn_ctx_create(NULL, &c) == CLRNN_E_INVALID_ARG);
    CHECK(strstr(clrnn_last_error(), "unknown limit 'registers'") != NULL);
    unsetenv("CLRNN_DEVICE_LIMITS");
}

int main(void) {
    /* the group kernels (the GPU forms), each choice as the device's limits make it */
    setenv("CLRNN_KERNELS", "gpu", 1);
    setenv("CLRNN_TUNE", "0", 1);
    clrnn_ctx *full = open_ctx(NULL);
    printf("device: %s, %llu bytes of local memory\n", clrnn_ctx_device(full)->name,
           (unsigned long long)clrnn_ctx_device(full)->local_mem_bytes);
    small_local_memory(full);
    per_step_path(full);
    small_buffers();
    malformed();
    clrnn_ctx_free(full);
    TEST_MAIN_END();
}
