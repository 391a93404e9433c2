/*
 * test_example_layers.c - the layers around the recurrent ones in keras.io's RNN examples,
 * each against the plain-C reference (tests/ref/ref_shape.c), forward and input gradient,
 * and the reference's gradient against central differences of its forward pass:
 *  - RepeatVector(n): (B, F) -> (B, n, F), the copy exact, the gradient the sum over steps;
 *    in the addition example's chain LSTM -> RepeatVector -> LSTM(return_sequences) ->
 *    Dense(softmax); wrong inputs refused naming the layer.
 *  - GlobalAveragePooling1D and GlobalMaxPooling1D (keepdims too), with and without a mask:
 *    the average over the real steps only, the max over every step (Keras 3 ignores the
 *    mask there); neither passes a mask on.
 *  - Masking(mask_value): steps equal to mask_value everywhere become 0 and are masked for
 *    the layers after it (a recurrent layer keeps its state over them, the average leaves
 *    them out), the gradient 0 there.
 *  - Flatten: (B, T, F) -> (B, T F), the same numbers both ways; a mask stops there;
 *    --layers takes "flatten()" for "flatten".
 *  - SpatialDropout1D(rate): the identity in inference; in training one mask value (0 or
 *    1/(1-rate)) per sample and feature, the same at every step, about rate of them 0,
 *    dx = dy * mask; its config has Keras 3's keys only (rate, seed: no "trainable").
 *  - MaxPooling1D(pool_size, strides, padding valid/same): the windows' maxima exact, the
 *    gradient summed where windows overlap; Keras's output lengths.
 *  - LayerNormalization (with gamma and beta, and without either): forward, input gradient
 *    and gamma's and beta's gradients against the reference, whose gradients match central
 *    differences; per timestep on 3-D input.
 *  - Conv1D (filters, kernel_size, strides, padding valid/same, activation, use_bias):
 *    forward, dx, dK and db against the reference, its gradients against central
 *    differences; Keras's output lengths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "test_hooks.h"
#include "numeric.h"
#include "ref.h"
#include "test.h"

static clrnn_ctx *ctx;

static clrnn_model *build_typed(const char *spec, const int64_t *in, int rank,
                                clrnn_dtype dtype) {
    clrnn_model *m = NULL;
    if (clrnn_model_from_spec(ctx, spec, in, rank, dtype, 7, &m)) {
        fprintf(stderr, "building '%s' failed: %s\n", spec, clrnn_last_error());
        exit(1);
    }
    return m;
}

static clrnn_model *build(const char *spec, const int64_t *in, int rank) {
    return build_typed(spec, in, rank, CLRNN_DTYPE_FLOAT32);
}

static void random_array(struct clrnn_array *a, int rank, const int64_t *dims, uint64_t *state) {
    clrnn_array_alloc(a, CLRNN_DTYPE_FLOAT32, rank, dims);
    float *v = a->data;
    for (int64_t i = 0; i < clrnn_array_count(a); i++) v[i] = (float)test_uniform(state, -1, 1);
}

/* A layer's reference as a function of its input, for central differences of
 * sum(dy * forward(x)). */
struct fd_problem {
    void (*forward)(const struct fd_problem *p, const double *x, double *y);
    const double *dy;
    double *x;
    long ny;
    int B, T, F, N;
};

static double fd_objective(const void *problem, double *scratch) {
    const struct fd_problem *p = problem;
    p->forward(p, p->x, scratch);
    double s = 0;
    for (long i = 0; i < p->ny; i++) s += p->dy[i] * scratch[i];
    return s;
}

/* The reference's input gradient against central differences of its forward pass. The
 * objective is a sum of products of values in [-1, 1]: in double, the differences' error is
 * near 1e-9, so 1e-6 leaves room while any wrong term (of size ~0.1) fails. */
static void check_ref_gradient(const char *label, struct fd_problem *p, const double *ref_dx,
                               long nx) {
    double *fd = malloc((size_t)nx * sizeof *fd), *scratch = malloc((size_t)p->ny * sizeof *scratch);
    test_central_diff(fd_objective, p, p->x, (int)nx, fd, scratch);
    CHECK_ARRAYS_CLOSE(label, ref_dx, fd, nx, 1e-6, 1e-6);
    free(fd), free(scratch);
}

static void repeat_forward(const struct fd_problem *p, const double *x, double *y) {
    ref_repeat_vector_forward(x, p->B, p->F, p->N, y);
}

static void test_repeat_vector(void) {
    enum { B = 7, F = 5, N = 3 };
    int64_t in[1] = {F}, xd[2] = {B, F}, yd[3] = {B, N, F};
    uint64_t st = 21;
    clrnn_model *m = build("repeat_vector(3)", in, 1);
    CHECK(m->layers[0]->out.rank == 2 && m->layers[0]->out.d[0] == N &&
          m->layers[0]->out.d[1] == F);
    struct clrnn_array x, y, dy, dx;
    random_array(&x, 2, xd, &st);
    random_array(&dy, 3, yd, &st);
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    CHECK(clrnn_model_backward(m, &dy, &dx) == CLRNN_OK);
    double *xv = test_to_double(x.data, B * F), *dyv = test_to_double(dy.data, B * N * F);
    double ry[B * N * F], rdx[B * F];
    ref_repeat_vector_forward(xv, B, F, N, ry);
    ref_repeat_vector_backward(dyv, B, F, N, rdx);
    double *ky = test_to_double(y.data, B * N * F), *kdx = test_to_double(dx.data, B * F);
    CHECK_ARRAYS_CLOSE("RepeatVector forward (a copy: exact)", ky, ry, B * N * F, 0, 0);
    /* a sum of 3 floats in [-1, 1]: float rounding below 3 * 2^-24 * 3 */
    CHECK_ARRAYS_CLOSE("RepeatVector dx", kdx, rdx, B * F, 1e-6, 1e-6);
    struct fd_problem p = {repeat_forward, dyv, xv, B * N * F, B, 0, F, N};
    check_ref_gradient("RepeatVector reference dx vs differences", &p, rdx, B * F);
    free(xv), free(dyv), free(ky), free(kdx);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy), clrnn_array_clear(&dx);
    clrnn_model_free(m);

    /* the addition example's chain builds, with the shapes Keras gives it */
    int64_t q[2] = {7, 12};
    m = build("lstm(16) repeat_vector(4) lstm(16,return_sequences=true) dense(12,softmax)", q, 2);
    CHECK(m->layers[1]->out.rank == 2 && m->layers[1]->out.d[0] == 4);
    CHECK(m->layers[3]->out.rank == 2 && m->layers[3]->out.d[0] == 4 &&
          m->layers[3]->out.d[1] == 12);
    clrnn_model_free(m);

    /* wrong inputs and arguments are refused naming the layer */
    int64_t seq[2] = {4, 3};
    CHECK(clrnn_model_from_spec(ctx, "repeat_vector(2)", seq, 2, CLRNN_DTYPE_FLOAT32, 1, &m) ==
          CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "(RepeatVector) expects input (batch, features)");
    CHECK(clrnn_model_from_spec(ctx, "repeat_vector(0)", in, 1, CLRNN_DTYPE_FLOAT32, 1, &m) !=
          CLRNN_OK);
    CHECK_STR_CONTAINS(clrnn_last_error(), "\"n\"");
}

/* Forward and input gradient of a weightless model, against the reference's. */
static void run_pass(clrnn_model *m, const struct clrnn_array *x, const struct clrnn_array *dy,
                     double **y, double **dx) {
    struct clrnn_array ky, kdx;
    CHECK(clrnn_model_forward(m, x, 1, 1, &ky) == CLRNN_OK);
    CHECK(clrnn_model_backward(m, dy, &kdx) == CLRNN_OK);
    *y = test_to_double(ky.data, (size_t)clrnn_array_count(&ky));
    *dx = test_to_double(kdx.data, (size_t)clrnn_array_count(&kdx));
    clrnn_array_clear(&ky), clrnn_array_clear(&kdx);
}

static const double *fd_mask; /* the mask the pooling problems hold fixed */

static void avg_forward(const struct fd_problem *p, const double *x, double *y) {
    ref_global_avg_pool_forward(x, fd_mask, p->B, p->T, p->F, y);
}

static void max_forward(const struct fd_problem *p, const double *x, double *y) {
    ref_global_max_pool_forward(x, p->B, p->T, p->F, y);
}

static void test_global_pooling(void) {
    enum { B = 6, T = 5, F = 4 };
    int64_t in[2] = {T, F}, xd[3] = {B, T, F}, yd[2] = {B, F};
    uint64_t st = 33;
    struct clrnn_array x, dy;
    random_array(&x, 3, xd, &st);
    random_array(&dy, 2, yd, &st);
    double *xv = test_to_double(x.data, B * T * F), *dyv = test_to_double(dy.data, B * F);
    double ry[B * F], rdx[B * T * F], *ky, *kdx;

    clrnn_model *m = build("global_average_pooling1d", in, 2);
    CHECK(m->layers[0]->out.rank == 1 && m->layers[0]->out.d[0] == F);
    run_pass(m, &x, &dy, &ky, &kdx);
    ref_global_avg_pool_forward(xv, NULL, B, T, F, ry);
    ref_global_avg_pool_backward(dyv, NULL, B, T, F, rdx);
    /* a mean of 5 floats in [-1, 1] in float: rounding below 1e-6 */
    CHECK_ARRAYS_CLOSE("GlobalAveragePooling1D forward", ky, ry, B * F, 1e-6, 1e-6);
    CHECK_ARRAYS_CLOSE("GlobalAveragePooling1D dx", kdx, rdx, B * T * F, 1e-6, 1e-6);
    fd_mask = NULL;
    struct fd_problem p = {avg_forward, dyv, xv, B * F, B, T, F, 0};
    check_ref_gradient("average reference dx vs differences", &p, rdx, B * T * F);
    free(ky), free(kdx);
    clrnn_model_free(m);

    m = build("global_max_pooling1d(keepdims=true)", in, 2);
    CHECK(m->layers[0]->out.rank == 2 && m->layers[0]->out.d[0] == 1 &&
          m->layers[0]->out.d[1] == F);
    run_pass(m, &x, &dy, &ky, &kdx);
    ref_global_max_pool_forward(xv, B, T, F, ry);
    ref_global_max_pool_backward(xv, dyv, B, T, F, rdx);
    CHECK_ARRAYS_CLOSE("GlobalMaxPooling1D forward (exact)", ky, ry, B * F, 0, 0);
    CHECK_ARRAYS_CLOSE("GlobalMaxPooling1D dx (exact)", kdx, rdx, B * T * F, 0, 0);
    p.forward = max_forward;
    check_ref_gradient("max reference dx vs differences", &p, rdx, B * T * F);
    free(ky), free(kdx);
    clrnn_model_free(m);

    /* masked: Masking(0.25) makes the mask (sample 1 pre-padded by 2 steps, sample 2
     * post-padded by 1, sample 3 all padding but its last step) */
    float *xf = x.data;
    int pad[B][T] = {{0}, {1, 1}, {0, 0, 0, 0, 1}, {1, 1, 1, 1, 0}};
    double mask[B * T];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            mask[b * T + t] = !pad[b][t];
            if (pad[b][t])
                for (int f = 0; f < F; f++) xf[(b * T + t) * F + f] = 0.25f;
        }
    free(xv);
    xv = test_to_double(x.data, B * T * F);
    double xm[B * T * F], mref[B * T];
    ref_masking_forward(xv, B, T, F, 0.25, xm, mref);
    CHECK_ARRAYS_CLOSE("Masking reference finds the padded steps", mref, mask, B * T, 0, 0);
    m = build("masking(0.25) global_average_pooling1d", in, 2);
    CHECK(m->layers[0]->mask_out && m->layers[1]->mask_in && !m->layers[1]->mask_out);
    run_pass(m, &x, &dy, &ky, &kdx);
    ref_global_avg_pool_forward(xm, mask, B, T, F, ry);
    ref_global_avg_pool_backward(dyv, mask, B, T, F, rdx); /* Masking passes dx on masked */
    CHECK_ARRAYS_CLOSE("masked average forward", ky, ry, B * F, 1e-6, 1e-6);
    CHECK_ARRAYS_CLOSE("masked average dx (0 at padding)", kdx, rdx, B * T * F, 1e-6, 1e-6);
    fd_mask = mask;
    p.forward = avg_forward;
    p.x = xm;
    check_ref_gradient("masked average reference dx vs differences", &p, rdx, B * T * F);
    free(ky), free(kdx);
    clrnn_model_free(m);

    /* the max runs over every step, the padded (zeroed) ones too, as Keras 3's */
    m = build("masking(0.25) global_max_pooling1d", in, 2);
    run_pass(m, &x, &dy, &ky, &kdx);
    ref_global_max_pool_forward(xm, B, T, F, ry);
    ref_global_max_pool_backward(xm, dyv, B, T, F, rdx);
    for (int i = 0; i < B * T * F; i++) rdx[i] *= mask[i / F];
    CHECK_ARRAYS_CLOSE("max after Masking forward", ky, ry, B * F, 0, 0);
    CHECK_ARRAYS_CLOSE("max after Masking dx", kdx, rdx, B * T * F, 0, 0);
    free(ky), free(kdx);
    clrnn_model_free(m);

    int64_t flat[1] = {F};
    CHECK(clrnn_model_from_spec(ctx, "global_max_pooling1d", flat, 1, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "(GlobalMaxPooling1D) expects input (batch, steps");
    CHECK(clrnn_model_from_spec(ctx, "global_average_pooling1d(data_format=channels_first)", in,
                                2, CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "data_format");
    free(xv), free(dyv);
    clrnn_array_clear(&x), clrnn_array_clear(&dy);
}

/* Masking before an LSTM: the padded steps are the ones the LSTM skips, so the output is
 * the reference LSTM's with that mask, and the input gradient is 0 there. */
static void test_masking_lstm(void) {
    enum { B = 4, T = 6, F = 3, U = 5 };
    int64_t in[2] = {T, F}, xd[3] = {B, T, F}, yd[2] = {B, U};
    uint64_t st = 45;
    struct clrnn_array x, dy;
    random_array(&x, 3, xd, &st);
    random_array(&dy, 2, yd, &st);
    float *xf = x.data;
    double mask[B * T];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int padded = (b == 1 && t < 2) || (b == 2 && t >= 4) || (b == 3 && t == 3);
            mask[b * T + t] = !padded;
            if (padded)
                for (int f = 0; f < F; f++) xf[(b * T + t) * F + f] = -1.0f;
        }
    clrnn_model *m = build("masking(mask_value=-1) lstm(5)", in, 2);
    size_t np = clrnn_model_param_count(m);
    float *pf = malloc(np * sizeof *pf);
    CHECK(clrnn_model_get_params(m, pf) == CLRNN_OK);
    double *pd = test_to_double(pf, np), *ky, *kdx;
    run_pass(m, &x, &dy, &ky, &kdx);
    double *xv = test_to_double(x.data, B * T * F), xm[B * T * F], ry[B * U];
    ref_masking_forward(xv, B, T, F, -1.0, xm, NULL);
    struct ref_rnn r = {.cell = REF_CELL_LSTM, .B = B, .T = T, .I = F, .U = U, .K = pd,
                        .Rk = pd + F * 4 * U, .b = pd + F * 4 * U + U * 4 * U,
                        .act = REF_ACT_TANH, .rec = REF_ACT_SIGMOID, .mask = mask};
    ref_rnn_forward(&r, xm, ry, NULL, NULL);
    /* an LSTM of 6 steps in float against double: 1e-5 as test_rnn_modes allows */
    CHECK_ARRAYS_CLOSE("Masking -> LSTM forward (masked steps skipped)", ky, ry, B * U, 1e-5,
                       1e-4);
    long nonzero_at_padding = 0;
    for (int i = 0; i < B * T * F; i++) nonzero_at_padding += mask[i / F] == 0 && kdx[i] != 0;
    CHECK(nonzero_at_padding == 0);
    free(pf), free(pd), free(ky), free(kdx), free(xv);
    clrnn_array_clear(&x), clrnn_array_clear(&dy);
    clrnn_model_free(m);
}

static void test_flatten(void) {
    enum { B = 3, T = 4, F = 5 };
    int64_t in[2] = {T, F}, xd[3] = {B, T, F}, yd[2] = {B, T * F};
    uint64_t st = 57;
    struct clrnn_array x, dy;
    random_array(&x, 3, xd, &st);
    random_array(&dy, 2, yd, &st);
    clrnn_model *m = build("flatten", in, 2);
    CHECK(m->layers[0]->out.rank == 1 && m->layers[0]->out.d[0] == T * F);
    double *ky, *kdx, *xv = test_to_double(x.data, B * T * F),
                      *dyv = test_to_double(dy.data, B * T * F);
    run_pass(m, &x, &dy, &ky, &kdx);
    CHECK_ARRAYS_CLOSE("Flatten forward (exact)", ky, xv, B * T * F, 0, 0);
    CHECK_ARRAYS_CLOSE("Flatten dx (exact)", kdx, dyv, B * T * F, 0, 0);
    free(ky), free(kdx), free(xv), free(dyv);
    clrnn_array_clear(&x), clrnn_array_clear(&dy);
    clrnn_model_free(m);
    /* "flatten()" is "flatten"; an empty argument after a comma is still refused */
    m = build("flatten()", in, 2);
    CHECK(m->layers[0]->out.d[0] == T * F);
    clrnn_model_free(m);
    CHECK(clrnn_model_from_spec(ctx, "dense(2,)", in, 2, CLRNN_DTYPE_FLOAT32, 1, &m) ==
          CLRNN_E_INVALID_ARG);
    CHECK_STR_CONTAINS(clrnn_last_error(), "empty argument");
    /* a mask stops at Flatten, as in both Kerases */
    int64_t ids[1] = {T};
    m = build_typed("embedding(9,3,mask_zero=true) flatten", ids, 1, CLRNN_DTYPE_INT32);
    CHECK(m->layers[1]->mask_in && !m->layers[1]->mask_out);
    clrnn_model_free(m);
}

static void test_spatial_dropout(void) {
    enum { B = 64, T = 5, F = 8 };
    int64_t in[2] = {T, F}, xd[3] = {B, T, F};
    uint64_t st = 71;
    struct clrnn_array x, dy, y, dx;
    random_array(&x, 3, xd, &st);
    random_array(&dy, 3, xd, &st);
    clrnn_model *m = build("spatial_dropout1d(0.4)", in, 2);
    CHECK(clrnn_model_predict(m, &x, 1, 16, &y) == CLRNN_OK);
    CHECK(memcmp(y.data, x.data, (size_t)B * T * F * 4) == 0);
    clrnn_array_clear(&y);
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    CHECK(clrnn_model_backward(m, &dy, &dx) == CLRNN_OK);
    float mask[B * F], keep = (float)(1.0 / 0.6);
    CHECK(clrnn_dropout_layer_mask(m->layers[0], ctx, B, mask) == CLRNN_OK);
    long zeros = 0, bad = 0;
    for (int b = 0; b < B; b++)
        for (int f = 0; f < F; f++) {
            float k = mask[b * F + f];
            zeros += k == 0.0f;
            bad += k != 0.0f && k != keep;
            for (int t = 0; t < T; t++) {
                size_t i = ((size_t)b * T + t) * F + f;
                bad += ((float *)y.data)[i] != ((float *)x.data)[i] * k;
                bad += ((float *)dx.data)[i] != ((float *)dy.data)[i] * k;
            }
        }
    CHECK(bad == 0);
    /* 512 draws of a Bernoulli(0.4): sd 0.022; 5 sd is 0.11 */
    printf("spatial_dropout1d(0.4): %.3f of %d feature maps dropped\n", (double)zeros / (B * F),
           B * F);
    CHECK_NEAR((double)zeros / (B * F), 0.4, 0.11);
    cJSON *cfg = clrnn_layer_to_json(m->layers[0]);
    char *text = cJSON_PrintUnformatted(cfg);
    CHECK_STR_CONTAINS(text, "\"class_name\":\"SpatialDropout1D\"");
    CHECK_STR_CONTAINS(text, "\"rate\":0.4,\"seed\":null}");
    CHECK(strstr(text, "trainable") == NULL);
    free(text);
    cJSON_Delete(cfg);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy), clrnn_array_clear(&dx);
    clrnn_model_free(m);
    int64_t flat[1] = {F};
    CHECK(clrnn_model_from_spec(ctx, "spatial_dropout1d(0.2)", flat, 1, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "(SpatialDropout1D)");
}

static int pool_P, pool_S, pool_L;

static void max_pool_forward(const struct fd_problem *p, const double *x, double *y) {
    ref_max_pool1d_forward(x, p->B, p->T, p->F, p->N, pool_P, pool_S, pool_L, y);
}

static void test_max_pooling(void) {
    enum { B = 3, T = 7, F = 4 };
    /* spec, output steps (Keras's), padding before the first step */
    static const struct {
        const char *spec;
        int P, S, To, L;
    } cases[] = {
        {"max_pooling1d", 2, 2, 3, 0},                         /* the last step left out */
        {"max_pooling1d(3,strides=2)", 3, 2, 3, 0},            /* overlapping windows */
        {"max_pooling1d(3,strides=2,padding=same)", 3, 2, 4, 1}, /* (3 * 2 + 3 - 7) / 2 */
        {"max_pooling1d(pool_size=4,strides=1,padding=same)", 4, 1, 7, 1},
        {"max_pooling1d(2,padding=same)", 2, 2, 4, 0},
    };
    int64_t in[2] = {T, F}, xd[3] = {B, T, F};
    uint64_t st = 91;
    struct clrnn_array x;
    random_array(&x, 3, xd, &st);
    double *xv = test_to_double(x.data, B * T * F);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        clrnn_model *m = build(cases[c].spec, in, 2);
        int To = cases[c].To;
        CHECK_INT_EQ(m->layers[0]->out.d[0], To);
        int64_t yd[3] = {B, To, F};
        struct clrnn_array dy;
        random_array(&dy, 3, yd, &st);
        double *dyv = test_to_double(dy.data, (size_t)B * To * F), *ky, *kdx;
        double *ry = malloc(sizeof *ry * B * To * F), rdx[B * T * F];
        run_pass(m, &x, &dy, &ky, &kdx);
        pool_P = cases[c].P, pool_S = cases[c].S, pool_L = cases[c].L;
        ref_max_pool1d_forward(xv, B, T, F, To, pool_P, pool_S, pool_L, ry);
        ref_max_pool1d_backward(xv, dyv, B, T, F, To, pool_P, pool_S, pool_L, rdx);
        char label[96];
        snprintf(label, sizeof label, "%s forward (exact)", cases[c].spec);
        CHECK_ARRAYS_CLOSE(label, ky, ry, B * To * F, 0, 0);
        /* sums of at most 2 floats (windows of stride 1 meet up to 4 times: 4 floats) */
        snprintf(label, sizeof label, "%s dx", cases[c].spec);
        CHECK_ARRAYS_CLOSE(label, kdx, rdx, B * T * F, 1e-6, 1e-6);
        struct fd_problem p = {max_pool_forward, dyv, xv, (long)B * To * F, B, T, F, To};
        snprintf(label, sizeof label, "%s reference vs differences", cases[c].spec);
        check_ref_gradient(label, &p, rdx, B * T * F);
        free(ky), free(kdx), free(dyv), free(ry);
        clrnn_array_clear(&dy);
        clrnn_model_free(m);
    }
    free(xv);
    clrnn_array_clear(&x);
    clrnn_model *m = NULL;
    int64_t short_in[2] = {1, F};
    CHECK(clrnn_model_from_spec(ctx, "max_pooling1d(2)", short_in, 2, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "1 steps are fewer than pool_size 2");
    CHECK(clrnn_model_from_spec(ctx, "max_pooling1d(2,padding=causal)", in, 2,
                                CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "(MaxPooling1D): padding");
}

static double *ln_gamma, *ln_beta; /* what the LayerNormalization problems read */

static void layer_norm_forward(const struct fd_problem *p, const double *x, double *y) {
    ref_layer_norm_forward(x, p->B * p->T, p->F, ln_gamma, ln_beta, 1e-3, y);
}

static void test_layer_norm(void) {
    enum { B = 3, T = 4, F = 6, R = B * T };
    int64_t in[2] = {T, F}, xd[3] = {B, T, F};
    uint64_t st = 103;
    struct clrnn_array x, dy;
    random_array(&x, 3, xd, &st);
    random_array(&dy, 3, xd, &st);
    double *xv = test_to_double(x.data, R * F), *dyv = test_to_double(dy.data, R * F);
    static const char *const specs[] = {"layer_normalization",
                                        "layer_normalization(center=false,scale=false)"};
    for (int c = 0; c < 2; c++) {
        clrnn_model *m = build(specs[c], in, 2);
        size_t np = clrnn_model_param_count(m);
        CHECK_INT_EQ((long)np, c == 0 ? 2 * F : 0);
        float pf[2 * F];
        double pd[2 * F];
        for (int i = 0; i < 2 * F; i++) pd[i] = pf[i] = (float)test_uniform(&st, 0.5, 1.5);
        if (np) CHECK(clrnn_model_set_params(m, pf) == CLRNN_OK);
        ln_gamma = np ? pd : NULL, ln_beta = np ? pd + F : NULL;
        struct clrnn_array ky, kdx;
        CHECK(clrnn_model_forward(m, &x, 1, 1, &ky) == CLRNN_OK);
        CHECK(clrnn_model_backward(m, &dy, &kdx) == CLRNN_OK);
        float kg[2 * F];
        if (np) CHECK(clrnn_model_get_grads(m, kg) == CLRNN_OK);
        double *y = test_to_double(ky.data, R * F), *dx = test_to_double(kdx.data, R * F);
        double ry[R * F], rdx[R * F], rdg[F], rdb[F];
        ref_layer_norm_forward(xv, R, F, ln_gamma, ln_beta, 1e-3, ry);
        ref_layer_norm_backward(xv, dyv, R, F, ln_gamma, 1e-3, rdx, rdg, rdb);
        /* normalized values of size ~1, scaled by up to 1.5: float rounding near 1e-6 */
        CHECK_ARRAYS_CLOSE(specs[c], y, ry, R * F, 1e-5, 1e-5);
        CHECK_ARRAYS_CLOSE("LayerNormalization dx", dx, rdx, R * F, 1e-5, 1e-5);
        struct fd_problem p = {layer_norm_forward, dyv, xv, R * F, B, T, F, 0};
        check_ref_gradient("LayerNormalization reference dx vs differences", &p, rdx, R * F);
        if (np) {
            double *kgd = test_to_double(kg, 2 * F);
            /* sums of 12 products of size ~1 */
            CHECK_ARRAYS_CLOSE("LayerNormalization dgamma", kgd, rdg, F, 1e-5, 1e-5);
            CHECK_ARRAYS_CLOSE("LayerNormalization dbeta", kgd + F, rdb, F, 1e-5, 1e-5);
            /* differences over gamma and beta (pd, which the problem reads), x fixed */
            double *fd = malloc(sizeof *fd * 2 * F), scratch[R * F];
            test_central_diff(fd_objective, &p, pd, 2 * F, fd, scratch);
            CHECK_ARRAYS_CLOSE("reference dgamma vs differences", rdg, fd, F, 1e-6, 1e-6);
            CHECK_ARRAYS_CLOSE("reference dbeta vs differences", rdb, fd + F, F, 1e-6, 1e-6);
            free(fd), free(kgd);
        }
        free(y), free(dx);
        clrnn_array_clear(&ky), clrnn_array_clear(&kdx);
        clrnn_model_free(m);
    }
    free(xv), free(dyv);
    clrnn_array_clear(&x), clrnn_array_clear(&dy);
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(ctx, "layer_normalization(axis=1)", in, 2, CLRNN_DTYPE_FLOAT32,
                                1, &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "axis 1 is not the last axis");
    CHECK(clrnn_model_from_spec(ctx, "layer_normalization(axis=2)", in, 2, CLRNN_DTYPE_FLOAT32,
                                1, &m) == CLRNN_OK);
    clrnn_model_free(m);
}

struct conv_case {
    int B, T, C, F, P, S, L, To, bias;
    ref_act act;
    double *params; /* K then bias */
};
static const struct conv_case *conv_now;

static void conv_forward(const struct fd_problem *p, const double *x, double *y) {
    const struct conv_case *c = conv_now;
    (void)p;
    ref_conv1d_forward(x, c->B, c->T, c->C, c->params, c->bias ? c->params + c->P * c->C * c->F
                       : NULL, c->F, c->P, c->S, c->L, c->To, c->act, y);
}

static void test_conv1d(void) {
    enum { B = 3, T = 7, C = 3 };
    static const struct {
        const char *spec;
        int F, P, S, L, To, bias;
        ref_act act;
    } cases[] = {
        {"conv1d(4,3)", 4, 3, 1, 0, 5, 1, REF_ACT_LINEAR},
        {"conv1d(5,3,2,same,activation=relu)", 5, 3, 2, 1, 4, 1, REF_ACT_RELU},
        {"conv1d(2,4,padding=same,activation=tanh,use_bias=false)", 2, 4, 1, 1, 7, 0,
         REF_ACT_TANH},
        {"conv1d(filters=3,kernel_size=2,strides=3)", 3, 2, 3, 0, 2, 1, REF_ACT_LINEAR},
    };
    int64_t in[2] = {T, C}, xd[3] = {B, T, C};
    uint64_t st = 127;
    struct clrnn_array x;
    random_array(&x, 3, xd, &st);
    double *xv = test_to_double(x.data, B * T * C);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        clrnn_model *m = build(cases[i].spec, in, 2);
        int F = cases[i].F, P = cases[i].P, To = cases[i].To, nk = P * C * F;
        CHECK_INT_EQ(m->layers[0]->out.d[0], To);
        size_t np = clrnn_model_param_count(m);
        CHECK_INT_EQ((long)np, nk + (cases[i].bias ? F : 0));
        float *pf = malloc(np * sizeof *pf), *kg = malloc(np * sizeof *kg);
        double *pd = malloc(np * sizeof *pd);
        for (size_t j = 0; j < np; j++) pd[j] = pf[j] = (float)test_uniform(&st, -0.5, 0.5);
        CHECK(clrnn_model_set_params(m, pf) == CLRNN_OK);
        int64_t yd[3] = {B, To, F};
        struct clrnn_array dy;
        random_array(&dy, 3, yd, &st);
        double *dyv = test_to_double(dy.data, (size_t)B * To * F), *ky, *kdx;
        run_pass(m, &x, &dy, &ky, &kdx);
        CHECK(clrnn_model_get_grads(m, kg) == CLRNN_OK);
        double *kgd = test_to_double(kg, np);
        struct conv_case cc = {B, T, C, F, P, cases[i].S, cases[i].L, To, cases[i].bias,
                               cases[i].act, pd};
        conv_now = &cc;
        double *ry = malloc(sizeof *ry * B * To * F), rdx[B * T * C];
        double *rdk = malloc(sizeof *rdk * nk), rdb[8];
        conv_forward(NULL, xv, ry);
        ref_conv1d_backward(xv, B, T, C, pd, cc.bias ? pd + nk : NULL, F, P, cc.S, cc.L, To,
                            cc.act, dyv, rdx, rdk, rdb);
        char label[120];
        /* sums of up to 12 products of size ~0.5 in float: 1e-6 */
        snprintf(label, sizeof label, "%s forward", cases[i].spec);
        CHECK_ARRAYS_CLOSE(label, ky, ry, B * To * F, 1e-6, 1e-5);
        snprintf(label, sizeof label, "%s dx", cases[i].spec);
        CHECK_ARRAYS_CLOSE(label, kdx, rdx, B * T * C, 1e-6, 1e-5);
        snprintf(label, sizeof label, "%s dK", cases[i].spec);
        CHECK_ARRAYS_CLOSE(label, kgd, rdk, nk, 1e-5, 1e-5);
        if (cc.bias) {
            snprintf(label, sizeof label, "%s db", cases[i].spec);
            CHECK_ARRAYS_CLOSE(label, kgd + nk, rdb, F, 1e-5, 1e-5);
        }
        /* the reference's gradients against central differences: x, then K and bias */
        struct fd_problem p = {conv_forward, dyv, xv, (long)B * To * F, B, T, C, 0};
        snprintf(label, sizeof label, "%s reference dx vs differences", cases[i].spec);
        check_ref_gradient(label, &p, rdx, B * T * C);
        double *fd = malloc(sizeof *fd * np), *scratch = malloc(sizeof *scratch * B * To * F);
        test_central_diff(fd_objective, &p, pd, (int)np, fd, scratch);
        snprintf(label, sizeof label, "%s reference dK vs differences", cases[i].spec);
        CHECK_ARRAYS_CLOSE(label, rdk, fd, nk, 1e-6, 1e-6);
        if (cc.bias) CHECK_ARRAYS_CLOSE("reference db vs differences", rdb, fd + nk, F, 1e-6, 1e-6);
        free(fd), free(scratch), free(ry), free(rdk), free(ky), free(kdx), free(kgd), free(dyv);
        free(pf), free(kg), free(pd);
        clrnn_array_clear(&dy);
        clrnn_model_free(m);
    }
    free(xv);
    clrnn_array_clear(&x);
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(ctx, "conv1d(2,3,dilation_rate=2)", in, 2, CLRNN_DTYPE_FLOAT32,
                                1, &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "(Conv1D): dilation_rate");
    CHECK(clrnn_model_from_spec(ctx, "conv1d(2,9)", in, 2, CLRNN_DTYPE_FLOAT32, 1, &m) ==
          CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "7 steps are fewer than kernel_size 9");
}

int main(void) {
    TEST_OPEN_DEVICE(ctx);
    test_repeat_vector();
    test_global_pooling();
    test_masking_lstm();
    test_flatten();
    test_spatial_dropout();
    test_max_pooling();
    test_layer_norm();
    test_conv1d();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
