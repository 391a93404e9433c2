/*
 * test_rnn_steps.c - recurrent layers too wide for the row kernels (more than 1024 units; R
 * over 4 MiB) run step by step (host/rnn_steps.c: a GEMM of the batch by R, packed in strips
 * on CPUs, and element kernels, a step at a time; test_rnn_steps_gpu_forms: the GPU forms,
 * CLBlast's products), and their outputs and gradients are those of the
 * persistent group kernels (CLRNN_RECURRENCE=persistent), masked, for an LSTM and both GRUs,
 * stacked, returning sequences, going backwards, with partial strips (1030 and 3 * 1030
 * columns are not multiples of 16).
 *
 * The kernel tests run every cell through the per-step path on small sizes against the
 * reference and finite differences (their *_steps variants, tests/CMakeLists.txt); this one
 * checks the default choice and the wide products. Tolerance: both paths compute the same
 * sums but add the 1030 (LSTM, GRU) terms of an R product in another order (the GEMM's
 * k-ascending tile sums against the group kernel's zx-first loop), about 1030 * 2^-24 ~
 * 6e-5 relative at the very worst and ~sqrt(1030) * 2^-24 ~ 2e-6 typically; through 6 steps
 * and the backward pass the gradients must agree within atol 1e-6 + rtol 1e-4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "layer_rnn.h"
#include "model_pass.h"
#include "test.h"

#define B 3
#define T 6
#define VOCAB 11

extern const struct clrnn_layer_ops clrnn_layer_lstm, clrnn_layer_gru;

static clrnn_ctx *ctx;

struct run {
    float *y, *grads;
    long ny, np;
    int steps; /* recurrent layers that ran step by step */
};

/* the gradient arriving at output i */
static float output_grad(long i) { return (float)(0.5 - (i % 5) * 0.25); }

static void run_model(const char *spec, const char *recurrence, struct run *r) {
    const int64_t in[1] = {T};
    clrnn_model *m = NULL;
    if (recurrence)
        setenv("CLRNN_RECURRENCE", recurrence, 1);
    else
        unsetenv("CLRNN_RECURRENCE"); /* the default choice */
    clrnn_options_reread(ctx); /* options are read when a context is made */
    CHECK(clrnn_model_from_spec(ctx, spec, in, 1, CLRNN_DTYPE_INT32, 3, &m) == CLRNN_OK);
    if (!m) {
        fprintf(stderr, "%s: %s\n", spec, clrnn_last_error());
        exit(1);
    }
    struct clrnn_array x;
    int64_t d[2] = {B, T};
    clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, d);
    for (int i = 0; i < B * T; i++) /* padding at the end of rows 1 and 2 */
        ((int32_t *)x.data)[i] = i % T >= T - i / T ? 0 : 1 + (i * 7) % (VOCAB - 1);
    test_model_pass(m, &x, output_grad, &r->y, &r->ny, &r->grads, &r->np);
    r->steps = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->ops == &clrnn_layer_lstm || m->layers[i]->ops == &clrnn_layer_gru)
            r->steps += ((struct rnn_cfg *)m->layers[i]->cfg)->steps;
    clrnn_array_clear(&x);
    clrnn_model_free(m);
    unsetenv("CLRNN_RECURRENCE");
    clrnn_options_reread(ctx);
}

static void check(const char *spec, int recurrent_layers) {
    struct run steps, persistent;
    run_model(spec, NULL, &steps);
    run_model(spec, "persistent", &persistent);
    printf("%s: %d of %d recurrent layers step by step by default\n", spec, steps.steps,
           recurrent_layers);
    CHECK_INT_EQ(steps.steps, recurrent_layers); /* 4 MiB of R and more, on every device */
    CHECK_INT_EQ(persistent.steps, 0);
    CHECK_INT_EQ(steps.ny, persistent.ny);
    CHECK_INT_EQ(steps.np, persistent.np);
    if (steps.ny != persistent.ny || steps.np != persistent.np) return;
    size_t n = (size_t)(steps.np > steps.ny ? steps.np : steps.ny);
    double *a = malloc(sizeof *a * n), *b = malloc(sizeof *b * n);
    for (long i = 0; i < steps.ny; i++) a[i] = steps.y[i], b[i] = persistent.y[i];
    CHECK_ARRAYS_CLOSE("outputs", a, b, steps.ny, 1e-6, 1e-4);
    for (long i = 0; i < steps.np; i++) a[i] = steps.grads[i], b[i] = persistent.grads[i];
    CHECK_ARRAYS_CLOSE("gradients", a, b, steps.np, 1e-6, 1e-4);
    free(a), free(b);
    free(steps.y), free(steps.grads), free(persistent.y), free(persistent.grads);
}

int main(void) {
    TEST_OPEN_DEVICE(ctx);
    check("embedding(11,5,mask_zero=true) lstm(1030,return_sequences=true) dense(2)", 1);
    check("embedding(11,5,mask_zero=true) gru(1030,return_sequences=true,go_backwards=true) "
          "gru(1030,reset_after=false) dense(1)",
          2);
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
