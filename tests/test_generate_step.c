/*
 * test_generate_step.c - the stepping copy of a model (clrnn_model_stepper), which
 * clrnn-generate uses to carry the recurrent state from token to token: fed a sequence one
 * timestep at a time, its output after t steps is what the model computes for the first t
 * timesteps as a whole (float32 sums in another order: within 1e-6), for token ids through
 * Embedding and stacked LSTM and GRU, and for one-hot float input through SimpleRNN;
 * reset_states starts over exactly; Bidirectional and masked models are refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn.h"
#include "numeric.h"
#include "test.h"

static clrnn_ctx *ctx;

static clrnn_model *build(const char *spec, int T, int F, clrnn_dtype dtype, const float *p) {
    int64_t in[2] = {T, F};
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(ctx, spec, in, F ? 2 : 1, dtype, 5, &m) == CLRNN_OK);
    if (m && p) CHECK(clrnn_model_set_params(m, p) == CLRNN_OK);
    return m;
}

/* x (1, T[, F]) sliced to timesteps [t0, t0 + n). */
static struct clrnn_array slice(const struct clrnn_array *x, int t0, int n) {
    int64_t per = x->rank == 3 ? x->dims[2] : 1;
    struct clrnn_array v = *x;
    v.dims[1] = n;
    v.data = (char *)x->data + (size_t)t0 * (size_t)per * 4;
    return v;
}

static void check_stepping(const char *spec, int T, int F, clrnn_dtype dtype) {
    uint64_t st = 21;
    clrnn_model *m = build(spec, T, F, dtype, NULL), *step = NULL;
    size_t np = clrnn_model_param_count(m);
    float *p = malloc(np * 4);
    for (size_t i = 0; i < np; i++) p[i] = (float)test_uniform(&st, -0.6, 0.6);
    CHECK(clrnn_model_set_params(m, p) == CLRNN_OK);
    struct clrnn_array x;
    int64_t xd[3] = {1, T, F};
    clrnn_array_alloc(&x, dtype, F ? 3 : 2, xd);
    for (int64_t i = 0; i < clrnn_array_count(&x); i++) {
        if (dtype == CLRNN_DTYPE_INT32) ((int32_t *)x.data)[i] = (int32_t)test_uniform(&st, 0, 11.99);
        else ((float *)x.data)[i] = (float)test_uniform(&st, -1, 1);
    }
    if (clrnn_model_stepper(m, &step) != CLRNN_OK) {
        printf("stepper: %s\n", clrnn_last_error());
        CHECK(0);
        exit(1);
    }
    double worst = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass) clrnn_model_reset_states(step);
        for (int t = 0; t < T; t++) {
            struct clrnn_array xt = slice(&x, t, 1), y_step, y_full;
            CHECK(clrnn_model_predict(step, &xt, 1, 1, &y_step) == CLRNN_OK);
            /* the whole model over the first t + 1 timesteps */
            clrnn_model *prefix = build(spec, t + 1, F, dtype, p);
            struct clrnn_array xp = slice(&x, 0, t + 1);
            CHECK(clrnn_model_predict(prefix, &xp, 1, 1, &y_full) == CLRNN_OK);
            for (int64_t i = 0; i < clrnn_array_count(&y_full); i++)
                worst = fmax(worst, fabs((double)((float *)y_step.data)[i] - ((float *)y_full.data)[i]));
            clrnn_array_clear(&y_step), clrnn_array_clear(&y_full);
            clrnn_model_free(prefix);
        }
    }
    printf("%-60s stepping vs whole prefixes: max difference %.2e\n", spec, worst);
    CHECK(worst <= 1e-6);
    free(p);
    clrnn_array_clear(&x);
    clrnn_model_free(step), clrnn_model_free(m);
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    check_stepping("embedding(12,5) lstm(7,return_sequences=true) gru(6) dense(12,softmax)", 8, 0,
                   CLRNN_DTYPE_INT32);
    check_stepping("simple_rnn(5,return_sequences=true) lstm(4) dense(4,softmax)", 6, 4,
                   CLRNN_DTYPE_FLOAT32);
    clrnn_model *m = build("bidirectional(lstm(3)) dense(2)", 5, 4, CLRNN_DTYPE_FLOAT32, NULL), *step;
    CHECK(clrnn_model_stepper(m, &step) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "cannot generate one step at a time");
    clrnn_model_free(m);
    m = build("embedding(9,3,mask_zero=true) lstm(3) dense(9,softmax)", 5, 0, CLRNN_DTYPE_INT32, NULL);
    CHECK(clrnn_model_stepper(m, &step) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "mask");
    clrnn_model_free(m);
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
