/*
 * test_kernels.c - every kernel against the plain-C double reference (tests/ref), on odd
 * sizes, on whatever OpenCL device is there (PoCL in CI): Dense and Activation with each
 * activation (hard_sigmoid in its Keras 2 and Keras 3 forms too), SimpleRNN, LSTM and GRU
 * with each activation and return_sequences both ways (forward, and
 * backward: every weight gradient and the input gradient), the losses with their
 * gradients and accuracy, and the optimizer steps.
 *
 * Tolerances: the kernels compute in float32 (epsilon 1.2e-7) what the reference computes in
 * double. A value is a sum of at most ~40 products of O(1) terms, and a recurrence repeats
 * that for T = 7 steps through contracting activations, so errors stay near 40 * 7 * 1.2e-7
 * = 3e-5 of the magnitudes involved: atol 5e-5 plus rtol 1e-4 leaves a little room for
 * that and catches any wrong term (which shows up at 1e-2 or more).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clrnn_impl.h"
#include "layer_rnn.h"
#include "model_pass.h"
#include "ref.h"
#include "test.h"

#define ATOL 5e-5
#define RTOL 1e-4

static clrnn_ctx *ctx;

static uint64_t lcg = 12345;
static double uniform(double lo, double hi) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(lcg >> 11) * 0x1.0p-53;
}

static void fill(float *f, double *d, size_t n, double lo, double hi) {
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)uniform(lo, hi);
        d[i] = f[i];
    }
}

static double *to_double(const float *f, size_t n) {
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = f[i];
    return d;
}

/* Builds spec with the activation semantics of Keras `major`: "hard_sigmoid" is Keras 3's
 * (slope 1/6) when a test asks for REF_ACT_HARD_SIGMOID_K3, Keras 2's (0.2) otherwise. */
static int keras_major = 2;
static clrnn_model *build(const char *spec, const int64_t *in, int rank) {
    clrnn_model *m = NULL;
    clrnn_status s = clrnn_model_from_spec_keras(ctx, spec, keras_major, in, rank,
                                                 CLRNN_DTYPE_FLOAT32, 3, &m);
    if (s) {
        fprintf(stderr, "building '%s' failed: %s\n", spec, clrnn_last_error());
        exit(1);
    }
    return m;
}

static const char *const ACT_NAMES[] = {"linear",  "sigmoid",      "tanh",        "relu",
                                        "softmax", "hard_sigmoid", "hard_sigmoid"};
static const char *const ACT_LABELS[] = {"linear",  "sigmoid",            "tanh",              "relu",
                                         "softmax", "hard_sigmoid(keras2)", "hard_sigmoid(keras3)"};

/* Random parameters in [-0.5, 0.5] into the model; returns a double copy. */
static double *random_params(clrnn_model *m) {
    size_t n = clrnn_model_param_count(m);
    float *p = malloc(n * sizeof *p);
    double *d = malloc(n * sizeof *d);
    fill(p, d, n, -0.5, 0.5);
    CHECK(clrnn_model_set_params(m, p) == CLRNN_OK);
    free(p);
    return d;
}

static void test_dense(int act, int use_bias, int three_d) {
    int B = 5, T = 3, I = 7, U = act == REF_ACT_SOFTMAX ? 6 : 11;
    int64_t in3[2] = {T, I}, in2[1] = {I};
    char spec[128], label[128];
    snprintf(spec, sizeof spec, "dense(%d,activation=%s,use_bias=%s)", U, ACT_NAMES[act],
             use_bias ? "true" : "false");
    snprintf(label, sizeof label, "dense %s bias=%d %dD", ACT_LABELS[act], use_bias, three_d ? 3 : 2);
    keras_major = act == REF_ACT_HARD_SIGMOID_K3 ? 3 : 2;
    clrnn_model *m = three_d ? build(spec, in3, 2) : build(spec, in2, 1);
    double *p = random_params(m);
    int R = three_d ? B * T : B;
    struct clrnn_array x, y, dy, dx;
    int64_t xd[3] = {B, three_d ? T : I, I};
    clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, three_d ? 3 : 2, xd);
    double *xr = malloc((size_t)R * I * sizeof *xr);
    fill(x.data, xr, (size_t)R * I, -1, 1);
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    double *yr = malloc((size_t)R * U * sizeof *yr);
    const double *W = p, *b = use_bias ? p + I * U : NULL;
    ref_dense_forward(xr, R, I, W, b, U, (ref_act)act, yr);
    double *yd = to_double(y.data, (size_t)R * U);
    char l2[160];
    snprintf(l2, sizeof l2, "%s forward", label);
    CHECK_ARRAYS_CLOSE(l2, yd, yr, (long)R * U, ATOL, RTOL);

    int64_t dyd[3] = {B, three_d ? T : U, U};
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, three_d ? 3 : 2, dyd);
    double *dyr = malloc((size_t)R * U * sizeof *dyr);
    fill(dy.data, dyr, (size_t)R * U, -1, 1);
    CHECK(clrnn_model_backward(m, &dy, &dx) == CLRNN_OK);
    size_t np = clrnn_model_param_count(m);
    float *g = malloc(np * sizeof *g);
    clrnn_model_get_grads(m, g);
    double *gd = to_double(g, np), *dxr = malloc((size_t)R * I * sizeof *dxr);
    double *dW = malloc((size_t)I * U * sizeof *dW), *db = malloc((size_t)U * sizeof *db);
    ref_dense_backward(xr, R, I, W, b, U, (ref_act)act, dyr, dxr, dW, use_bias ? db : NULL);
    snprintf(l2, sizeof l2, "%s dkernel", label);
    CHECK_ARRAYS_CLOSE(l2, gd, dW, (long)I * U, ATOL, RTOL);
    if (use_bias) {
        snprintf(l2, sizeof l2, "%s dbias", label);
        CHECK_ARRAYS_CLOSE(l2, gd + I * U, db, U, ATOL, RTOL);
    }
    double *dxd = to_double(dx.data, (size_t)R * I);
    snprintf(l2, sizeof l2, "%s dx", label);
    CHECK_ARRAYS_CLOSE(l2, dxd, dxr, (long)R * I, ATOL, RTOL);
    free(p), free(xr), free(yr), free(yd), free(dyr), free(g), free(gd), free(dxr), free(dW);
    free(db), free(dxd);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy), clrnn_array_clear(&dx);
    clrnn_model_free(m);
}

static void test_simple_rnn(int act, int return_sequences, int use_bias, int B) {
    int T = 7, I = 3, U = 9;
    int64_t in[2] = {T, I};
    char spec[160], label[128], l2[160];
    snprintf(spec, sizeof spec, "simple_rnn(%d,activation=%s,return_sequences=%s,use_bias=%s)", U,
             ACT_NAMES[act], return_sequences ? "true" : "false", use_bias ? "true" : "false");
    snprintf(label, sizeof label, "simple_rnn %s seq=%d bias=%d B=%d", ACT_NAMES[act],
             return_sequences, use_bias, B);
    clrnn_model *m = build(spec, in, 2);
    double *p = random_params(m);
    const double *K = p, *Rk = p + I * U, *b = use_bias ? p + I * U + U * U : NULL;
    struct clrnn_array x, y, dy, dx;
    int64_t xd[3] = {B, T, I};
    clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 3, xd);
    double *xr = malloc((size_t)B * T * I * sizeof *xr);
    fill(x.data, xr, (size_t)B * T * I, -1, 1);
    size_t ny = (size_t)B * (return_sequences ? T : 1) * U;
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    double *yr = malloc(ny * sizeof *yr);
    ref_simple_rnn_forward(xr, B, T, I, K, Rk, b, U, (ref_act)act, return_sequences, NULL, yr);
    double *yd = to_double(y.data, ny);
    snprintf(l2, sizeof l2, "%s forward", label);
    CHECK_ARRAYS_CLOSE(l2, yd, yr, (long)ny, ATOL, RTOL);

    int64_t dyd[3] = {B, return_sequences ? T : U, U};
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, return_sequences ? 3 : 2, dyd);
    double *dyr = malloc(ny * sizeof *dyr);
    fill(dy.data, dyr, ny, -1, 1);
    CHECK(clrnn_model_backward(m, &dy, &dx) == CLRNN_OK);
    size_t np = clrnn_model_param_count(m);
    float *g = malloc(np * sizeof *g);
    clrnn_model_get_grads(m, g);
    double *gd = to_double(g, np);
    double *dxr = malloc((size_t)B * T * I * sizeof *dxr), *dK = malloc((size_t)I * U * sizeof *dK);
    double *dR = malloc((size_t)U * U * sizeof *dR), *db = malloc((size_t)U * sizeof *db);
    ref_simple_rnn_backward(xr, B, T, I, K, Rk, b, U, (ref_act)act, return_sequences, NULL, dyr,
                            dxr, dK, dR, use_bias ? db : NULL, NULL);
    snprintf(l2, sizeof l2, "%s dkernel", label);
    CHECK_ARRAYS_CLOSE(l2, gd, dK, (long)I * U, ATOL, RTOL);
    snprintf(l2, sizeof l2, "%s drecurrent", label);
    CHECK_ARRAYS_CLOSE(l2, gd + I * U, dR, (long)U * U, ATOL, RTOL);
    if (use_bias) {
        snprintf(l2, sizeof l2, "%s dbias", label);
        CHECK_ARRAYS_CLOSE(l2, gd + I * U + U * U, db, U, ATOL, RTOL);
    }
    double *dxd = to_double(dx.data, (size_t)B * T * I);
    snprintf(l2, sizeof l2, "%s dx", label);
    CHECK_ARRAYS_CLOSE(l2, dxd, dxr, (long)B * T * I, ATOL, RTOL);
    free(p), free(xr), free(yr), free(yd), free(dyr), free(g), free(gd), free(dxr), free(dK);
    free(dR), free(db), free(dxd);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy), clrnn_array_clear(&dx);
    clrnn_model_free(m);
}

/* LSTM and GRU: forward against the reference, and every gradient (kernel, recurrent
 * kernel, bias, input) against central differences (step 1e-6, in double) of the reference
 * forward for the objective sum(dy * y); their truncation and rounding errors (~1e-9) are
 * far below the float32 tolerance. */
struct gated_case {
    int lstm, reset_after, seq, B, T, I, U;
    ref_act act, rec;
    double *x, *p, *dy;
    int has_bias;
};

static double gated_objective(const struct gated_case *c, double *y) {
    int U = c->U, G = c->lstm ? 4 : 3;
    const double *K = c->p, *Rk = c->p + c->I * G * U, *b = c->has_bias ? Rk + U * G * U : NULL;
    if (c->lstm)
        ref_lstm_forward(c->x, c->B, c->T, c->I, K, Rk, b, U, c->act, c->rec, c->seq, NULL, NULL, y);
    else
        ref_gru_forward(c->x, c->B, c->T, c->I, K, Rk, b, U, c->act, c->rec, c->reset_after, c->seq,
                        NULL, y);
    int ny = c->B * (c->seq ? c->T : 1) * U;
    double s = 0;
    for (int i = 0; i < ny; i++) s += y[i] * c->dy[i];
    return s;
}

static void numeric_grad(struct gated_case *c, double *v, int n, double *out, double *scratch) {
    for (int i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + 1e-6;
        double up = gated_objective(c, scratch);
        v[i] = keep - 1e-6;
        double down = gated_objective(c, scratch);
        v[i] = keep;
        out[i] = (up - down) / 2e-6;
    }
}

/* 6 units; 17 reaches the 8-lane paths of the row kernels (cl/rnn_rows.cl) with a rest */
static int gated_units = 6;

static void test_gated(int lstm, int reset_after, int seq, int bias, int B, ref_act act,
                       ref_act rec) {
    struct gated_case c = {lstm, reset_after, seq, B, gated_units, 3, 7, act, rec,
                           NULL,  NULL,        NULL, bias};
    int G = lstm ? 4 : 3, U = c.U, T = c.T, I = c.I;
    char spec[240], label[160], l2[200];
    snprintf(spec, sizeof spec,
             "%s(%d,activation=%s,recurrent_activation=%s,return_sequences=%s,use_bias=%s%s)",
             lstm ? "lstm" : "gru", U, ACT_NAMES[act], ACT_NAMES[rec], seq ? "true" : "false",
             bias ? "true" : "false",
             lstm ? "" : reset_after ? ",reset_after=true" : ",reset_after=false");
    snprintf(label, sizeof label, "%s %s/%s seq=%d bias=%d B=%d",
             lstm ? "lstm" : reset_after ? "gru" : "gru_v1", ACT_LABELS[act], ACT_LABELS[rec], seq,
             bias, B);
    int64_t in[2] = {T, I};
    keras_major = rec == REF_ACT_HARD_SIGMOID_K3 ? 3 : 2;
    clrnn_model *m = build(spec, in, 2);
    c.p = random_params(m);
    size_t np = clrnn_model_param_count(m);
    struct clrnn_array x, y, dy, dx;
    int64_t xd[3] = {B, T, I};
    clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 3, xd);
    c.x = malloc(sizeof *c.x * (size_t)B * T * I);
    fill(x.data, c.x, (size_t)B * T * I, -1, 1);
    size_t ny = (size_t)B * (seq ? T : 1) * U;
    int64_t dyd[3] = {B, seq ? T : U, U};
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, seq ? 3 : 2, dyd);
    c.dy = malloc(sizeof *c.dy * ny);
    fill(dy.data, c.dy, ny, -1, 1);
    double *yr = malloc(sizeof *yr * ny);
    gated_objective(&c, yr);
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    double *yd = to_double(y.data, ny);
    snprintf(l2, sizeof l2, "%s forward", label);
    CHECK_ARRAYS_CLOSE(l2, yd, yr, (long)ny, ATOL, RTOL);
    CHECK(clrnn_model_backward(m, &dy, &dx) == CLRNN_OK);
    float *g = malloc(sizeof *g * np);
    clrnn_model_get_grads(m, g);
    double *gd = to_double(g, np), *num = malloc(sizeof *num * (np > (size_t)B * T * I ? np : (size_t)B * T * I));
    numeric_grad(&c, c.p, (int)np, num, yr);
    const char *names[3] = {"dkernel", "drecurrent", "dbias"};
    size_t offs[4] = {0, (size_t)I * G * U, (size_t)I * G * U + (size_t)U * G * U, np};
    for (int w = 0; w < (bias ? 3 : 2); w++) {
        snprintf(l2, sizeof l2, "%s %s", label, names[w]);
        CHECK_ARRAYS_CLOSE(l2, gd + offs[w], num + offs[w], (long)(offs[w + 1] - offs[w]), ATOL, RTOL);
    }
    numeric_grad(&c, c.x, B * T * I, num, yr);
    double *dxd = to_double(dx.data, (size_t)B * T * I);
    snprintf(l2, sizeof l2, "%s dx", label);
    CHECK_ARRAYS_CLOSE(l2, dxd, num, (long)B * T * I, ATOL, RTOL);
    free(c.p), free(c.x), free(c.dy), free(yr), free(yd), free(g), free(gd), free(num), free(dxd);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy), clrnn_array_clear(&dx);
    clrnn_model_free(m);
}

/* Embedding: the lookup, and the gradient of sum(dy * y) with repeated ids (the sum of dy
 * over every position of an id; zero for ids not in the batch), the same bits every run.
 * Widths D: 5 (the CPU form's scalar loop), 8 and 72 (its float8 sums: one chunk of 64, and
 * a full chunk then a partial one). */
static void test_embedding(int D) {
    int B = 6, T = 9, V = 13;
    int64_t in[1] = {T};
    clrnn_model *m;
    char spec[64];
    snprintf(spec, sizeof spec, "embedding(13,%d)", D);
    CHECK(clrnn_model_from_spec(ctx, spec, in, 1, CLRNN_DTYPE_INT32, 3, &m) == CLRNN_OK);
    double *E = random_params(m);
    struct clrnn_array x, y, dy;
    int64_t xd[2] = {B, T}, yd[3] = {B, T, D};
    clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, xd);
    for (int i = 0; i < B * T; i++) ((int32_t *)x.data)[i] = (i * 7 + i / 5) % (V - 2); /* repeats; ids 11, 12 unused */
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    double *yr = malloc(sizeof *yr * (size_t)B * T * D), *yg = to_double(y.data, (size_t)B * T * D);
    for (int i = 0; i < B * T; i++)
        for (int d = 0; d < D; d++) yr[i * D + d] = E[((int32_t *)x.data)[i] * D + d];
    CHECK_ARRAYS_CLOSE("embedding forward", yg, yr, B * T * D, 0, 0);
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, 3, yd);
    double *dyr = malloc(sizeof *dyr * (size_t)B * T * D), *dE = calloc((size_t)V * D, sizeof *dE);
    fill(dy.data, dyr, (size_t)B * T * D, -1, 1);
    for (int i = 0; i < B * T; i++)
        for (int d = 0; d < D; d++) dE[((int32_t *)x.data)[i] * D + d] += dyr[i * D + d];
    float *g1 = malloc(sizeof *g1 * (size_t)V * D), *g2 = malloc(sizeof *g2 * (size_t)V * D);
    CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
    clrnn_model_get_grads(m, g1);
    double *gd = to_double(g1, (size_t)V * D);
    CHECK_ARRAYS_CLOSE("embedding gradient (repeated ids)", gd, dE, V * D, 1e-6, 1e-6);
    CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
    clrnn_model_get_grads(m, g2);
    CHECK(memcmp(g1, g2, sizeof *g1 * (size_t)V * D) == 0);
    /* an id out of range is refused before anything runs, naming it and where it is */
    ((int32_t *)x.data)[2 * T + 4] = 13;
    struct clrnn_array y2;
    CHECK(clrnn_model_forward(m, &x, 1, 0, &y2) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "token id 13 at sample 2, position 4 is outside [0, 13)");
    free(E), free(yr), free(yg), free(dyr), free(dE), free(g1), free(g2), free(gd);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy);
    clrnn_model_free(m);
}

/* The Embedding's gradient with one id at 2/3 of 800 positions, as padding is in padded
 * text: the GPU form sums such an id's positions in segments of 256 and then the segments
 * (layer_embedding.c segment_positions; counted on a profiled context of its own: once in
 * the GPU forms, never in the CPU ones). Exact: dy holds multiples of 1/8 in [-1, 1], so
 * every partial sum (at most 800) is exact in float32 whatever the order of the additions. */
static void test_embedding_hot_id(void) {
    int B = 20, T = 40, V = 13, D = 8, n = B * T;
    int64_t in[1] = {T}, xd[2] = {B, T}, yd[3] = {B, T, D};
    char profile[64]; /* the test's variants run at once in one folder */
    snprintf(profile, sizeof profile, "test_kernels_profile_%ld.txt", (long)getpid());
    setenv("CLRNN_PROFILE", profile, 1);
    clrnn_ctx *c = NULL;
    CHECK(clrnn_ctx_create(NULL, &c) == CLRNN_OK);
    if (!c) {
        unsetenv("CLRNN_PROFILE");
        return;
    }
    clrnn_model *m;
    CHECK(clrnn_model_from_spec(c, "embedding(13,8)", in, 1, CLRNN_DTYPE_INT32, 3, &m) ==
          CLRNN_OK);
    free(random_params(m));
    struct clrnn_array x, y, dy;
    clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, xd);
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, 3, yd);
    int32_t *ids = (int32_t *)x.data;
    for (int i = 0; i < n; i++) ids[i] = i % 3 ? 3 : (i * 7) % V;
    double *dE = calloc((size_t)V * D, sizeof *dE);
    for (int i = 0; i < n * D; i++) {
        ((float *)dy.data)[i] = (float)((int)uniform(0, 17) - 8) / 8.0f;
        dE[ids[i / D] * D + i % D] += ((float *)dy.data)[i];
    }
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
    float *g = malloc(sizeof *g * (size_t)V * D);
    clrnn_model_get_grads(m, g);
    double *gd = to_double(g, (size_t)V * D);
    CHECK_ARRAYS_CLOSE("embedding gradient (an id at 2/3 of 800 positions)", gd, dE, V * D, 0, 0);
    CHECK_INT_EQ(clrnn_profile_calls(c, "embedding_sum_segments"), c->cpu_forms ? 0 : 1);
    free(dE), free(g), free(gd);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy);
    clrnn_model_free(m);
    clrnn_ctx_free(c); /* writes the profile */
    remove(profile);
    unsetenv("CLRNN_PROFILE");
}

static float r_place_dy(long i) { return (float)sin(0.3 * (double)i); }

/* One training pass of an LSTM(200) at batch B with CLRNN_R_LOCAL=local (rows per group
 * and R's place not tuned): its outputs and gradients, and where its kernels read R. */
static int r_place_units = 200;
static void r_place_pass(int B, const char *local, float **y, float **g, long *ny, long *np,
                         int *fwd_local, int *bwd_local) {
    setenv("CLRNN_R_LOCAL", local, 1);
    clrnn_options_reread(ctx); /* options are read when a context is made */
    int64_t in[2] = {2, 4}, xd[3] = {B, 2, 4};
    char spec[32];
    snprintf(spec, sizeof spec, "lstm(%d)", r_place_units);
    clrnn_model *m = build(spec, in, 2);
    lcg = 777;
    free(random_params(m));
    struct clrnn_array x;
    clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 3, xd);
    for (long i = 0; i < (long)B * 8; i++) ((float *)x.data)[i] = (float)cos(0.1 * (double)i);
    test_model_pass(m, &x, r_place_dy, y, ny, g, np);
    *fwd_local = clrnn_rnn_r_local(m->layers[0], ctx, B, 0);
    *bwd_local = clrnn_rnn_r_local(m->layers[0], ctx, B, 1);
    clrnn_array_clear(&x);
    clrnn_model_free(m);
}

/* The GPU forms' group kernels read R from a copy in local memory or from global memory
 * (layer_rnn.c r_onchip, backward_r_local): the same sums in the same order, so the same
 * bits. An LSTM(200) (R: 640 KB) at 4 rows, where both kernels take the copy, and at 100
 * rows a work-group (the guess at 200 rows a compute unit), where the backward's state (4800
 * bytes a row) no longer fits beside the copy in PoCL's 1 MiB and only the forward takes it,
 * each against CLRNN_R_LOCAL=0 (an LSTM(24) at 4 and 9 rows in the small form). */
static void test_r_place(void) {
    if (ctx->cpu_forms) return;
    const char *was = getenv("CLRNN_R_LOCAL");
    char saved[8] = "";
    if (was) snprintf(saved, sizeof saved, "%s", was);
    setenv("CLRNN_TUNE", "0", 1);
    clrnn_options_reread(ctx); /* options are read when a context is made */
    int cu = ctx->info.compute_units > 0 ? ctx->info.compute_units : 1;
    /* where each kernel reads R is checked where the numbers above hold (the copy fits beside
     * 4 rows' backward state but not beside 100, as in PoCL's 1 MiB but not its 512 KiB on
     * CPUs with that much L2 a core; the guessed rows a group, the persistent kernels) */
    size_t budget = ctx->info.local_mem_bytes - 1024; /* layer_rnn.c local_budget */
    int checks_place = budget >= 640000 + 4 * 4800 && budget < 640000 + 100 * 4800 &&
                     !getenv("CLRNN_GROUP_ROWS") && !getenv("CLRNN_RECURRENCE");
    int batches[2] = {4, 2 * cu * 100};
    if (test_small()) { /* R of 9 KiB, in Oclgrind's 32 KiB of local memory */
        r_place_units = 24;
        batches[1] = 9;
        checks_place = 0;
    }
    for (int k = 0; k < 2; k++) {
        float *y1, *g1, *y0, *g0;
        long ny1, np1, ny0, np0;
        int f1, b1, f0, b0;
        r_place_pass(batches[k], "1", &y1, &g1, &ny1, &np1, &f1, &b1);
        r_place_pass(batches[k], "0", &y0, &g0, &ny0, &np0, &f0, &b0);
        printf("R in local memory at %d rows: forward %d, backward %d\n", batches[k], f1, b1);
        CHECK_INT_EQ(f0 + b0, 0);
        if (checks_place) {
            CHECK_INT_EQ(f1, 1);
            CHECK_INT_EQ(b1, k == 0);
        }
        CHECK(ny1 == ny0 && np1 == np0);
        CHECK(ny1 == ny0 && memcmp(y1, y0, sizeof *y1 * (size_t)ny1) == 0);
        CHECK(np1 == np0 && memcmp(g1, g0, sizeof *g1 * (size_t)np1) == 0);
        free(y1), free(g1), free(y0), free(g0);
    }
    unsetenv("CLRNN_TUNE");
    if (was)
        setenv("CLRNN_R_LOCAL", saved, 1);
    else
        unsetenv("CLRNN_R_LOCAL");
    clrnn_options_reread(ctx); /* options are read when a context is made */
}

/* A loss kernel on given predictions and targets, against ref_loss_forward_backward, and
 * with a Keras mask over the rows (masked) against ref_loss_masked. */
static void test_loss(clrnn_loss_kind kind, int from_logits, int masked) {
    static const ref_loss REF[] = {REF_LOSS_BCE, REF_LOSS_CCE, REF_LOSS_SPARSE_CCE, REF_LOSS_MSE};
    int R = 23, C = kind == CLRNN_LOSS_BCE ? 3 : 5;
    size_t n = (size_t)R * C, ny = kind == CLRNN_LOSS_SPARSE_CCE ? (size_t)R : n;
    float *pred = malloc(n * sizeof *pred), *y = malloc(ny * sizeof *y), mask[23];
    double *pd = malloc(n * sizeof *pd), *yd = malloc(ny * sizeof *yd), maskd[23];
    for (int r = 0; r < R; r++) {
        double sum = 0;
        for (int c = 0; c < C; c++) {
            double v = from_logits ? uniform(-3, 3) : uniform(0.02, 0.98);
            /* two rows hit the clip range (p = 0 and p = 1) */
            if (!from_logits && kind == CLRNN_LOSS_BCE && r < 2 && c == 0) v = r;
            pred[r * C + c] = (float)v;
            sum += v;
        }
        if (!from_logits && kind != CLRNN_LOSS_BCE && kind != CLRNN_LOSS_MSE)
            for (int c = 0; c < C; c++) pred[r * C + c] = (float)(pred[r * C + c] / sum);
        for (int c = 0; c < C; c++) pd[r * C + c] = pred[r * C + c];
        int label = (int)(uniform(0, C - 1e-9));
        if (kind == CLRNN_LOSS_SPARSE_CCE) {
            y[r] = (float)label;
        } else {
            for (int c = 0; c < C; c++) {
                double t = kind == CLRNN_LOSS_MSE ? uniform(-1, 1)
                         : kind == CLRNN_LOSS_BCE ? (uniform(0, 1) < 0.5 ? 0 : 1)
                                                  : (c == label ? 1 : 0);
                y[r * C + c] = (float)t;
            }
        }
        /* padding at both ends and inside, as pre- and post-padded sequences give */
        maskd[r] = mask[r] = (r % 7 == 3 || r < 2 || r > 19) ? 0.0f : 1.0f;
    }
    for (size_t i = 0; i < ny; i++) yd[i] = y[i];
    cl_mem bp, by, bd, bl, ba, bm, bk, be;
    clrnn_buf_create(ctx, n * 4, &bp), clrnn_buf_create(ctx, ny * 4, &by);
    clrnn_buf_create(ctx, n * 4, &bd), clrnn_buf_create(ctx, (size_t)R * 4, &bl);
    clrnn_buf_create(ctx, (size_t)R * 4, &ba);
    clrnn_buf_create(ctx, 2 * CLRNN_SLOT_FLOATS * 4, &bm);
    clrnn_buf_create(ctx, (size_t)R * 4, &bk), clrnn_buf_create(ctx, (size_t)R * 3 * 4, &be);
    clrnn_buf_write(ctx, bp, 0, n * 4, pred), clrnn_buf_write(ctx, by, 0, ny * 4, y);
    clrnn_buf_write(ctx, bk, 0, (size_t)R * 4, mask);
    CHECK(clrnn_loss_run(ctx, kind, from_logits, bp, by, bd, bl, ba, be, 0, (size_t)R, (size_t)C,
                         masked ? bk : NULL, NULL, bm, 1) == CLRNN_OK);
    float grad[200], slots[2 * CLRNN_SLOT_FLOATS];
    const float *metric = slots + CLRNN_SLOT_FLOATS; /* slot 1 */
    clrnn_buf_read(ctx, bd, 0, n * 4, grad), clrnn_buf_read(ctx, bm, 0, sizeof slots, slots);
    double *gr = malloc(n * sizeof *gr), *gd = to_double(grad, n), acc;
    double loss = masked ? ref_loss_masked(REF[kind], from_logits, pd, yd, maskd, R, C, gr, &acc)
                         : ref_loss_forward_backward(REF[kind], from_logits, pd, yd, R, C, gr);
    if (!masked) acc = ref_accuracy(REF[kind], from_logits, pd, yd, R, C);
    double counted = masked ? 15 : R; /* rows 2..19 but not 3, 10, 17 */
    char label[96];
    snprintf(label, sizeof label, "%s logits=%d%s", clrnn_loss_name(kind), from_logits,
             masked ? " masked" : "");
    double valid = metric[CLRNN_SLOT_VALID], mean = metric[CLRNN_SLOT_LOSS] / valid;
    printf("  %-40s loss %.7f (reference %.7f)\n", label, mean, loss);
    CHECK_NEAR(valid, counted, 0);
    CHECK_NEAR(mean, loss, 1e-5 + 1e-5 * fabs(loss));
    if (kind != CLRNN_LOSS_MSE) CHECK_NEAR(metric[CLRNN_SLOT_ACC] / valid, acc, 1e-6);
    char l2[128];
    snprintf(l2, sizeof l2, "%s gradient", label);
    /* gradients are scaled by 1/rows counted, so compare them at that scale */
    CHECK_ARRAYS_CLOSE(l2, gd, gr, (long)n, ATOL / counted, RTOL);
    clrnn_buf_release(&bp), clrnn_buf_release(&by), clrnn_buf_release(&bd);
    clrnn_buf_release(&bl), clrnn_buf_release(&ba), clrnn_buf_release(&bm);
    clrnn_buf_release(&bk), clrnn_buf_release(&be);
    free(pred), free(y), free(pd), free(yd), free(gr), free(gd);
}

/* Three optimizer steps on the device against ref_opt_step, for the parameters of a small
 * model (two weights, so clipping per weight and globally differ). */
static void test_optimizer(struct clrnn_optimizer_config cfg, const char *label) {
    int64_t in[1] = {4};
    clrnn_model *m = build("dense(3)", in, 1);
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "mse");
    cc.optimizer = cfg;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    size_t n = clrnn_model_param_count(m);
    double *w = random_params(m);
    double *s1 = calloc(n, sizeof *s1), *s2 = calloc(n, sizeof *s2), *s3 = calloc(n, sizeof *s3);
    struct ref_opt ro = {cfg.kind == CLRNN_OPT_SGD ? REF_OPT_SGD
                         : cfg.kind == CLRNN_OPT_RMSPROP ? REF_OPT_RMSPROP : REF_OPT_ADAM,
                         cfg.learning_rate, cfg.momentum, cfg.rho, cfg.beta_1, cfg.beta_2,
                         cfg.epsilon, cfg.nesterov, cfg.centered};
    float *gf = malloc(n * sizeof *gf), *wf = malloc(n * sizeof *wf);
    double *g = malloc(n * sizeof *g);
    for (int step = 0; step < 3; step++) {
        fill(gf, g, n, -2, 2);
        clrnn_buf_write(ctx, m->grads, 0, n * 4, gf);
        CHECK(clrnn_optim_step(m->optim, m) == CLRNN_OK);
        if (cfg.clipnorm > 0) {
            ref_clip_by_norm(g, 12, cfg.clipnorm);
            ref_clip_by_norm(g + 12, 3, cfg.clipnorm);
        } else if (cfg.global_clipnorm > 0) {
            double *parts[2] = {g, g + 12};
            int ns[2] = {12, 3};
            ref_clip_by_global_norm(parts, ns, 2, cfg.global_clipnorm);
        }
        ref_opt_step(&ro, step, w, g, (int)n, s1, s2, s3);
    }
    clrnn_model_get_params(m, wf);
    double *wd = to_double(wf, n);
    CHECK_ARRAYS_CLOSE(label, wd, w, (long)n, 1e-6, 1e-5);
    free(w), free(s1), free(s2), free(s3), free(gf), free(wf), free(g), free(wd);
    clrnn_model_free(m);
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        return 1;
    }
    printf("device: %s\n", clrnn_ctx_device(ctx)->name);
    for (int act = 0; act <= REF_ACT_HARD_SIGMOID_K3; act++)
        for (int bias = 0; bias < 2; bias++)
            for (int three = 0; three < 2; three++) test_dense(act, bias, three);
    for (int act = 0; act < 4; act++)
        for (int seq = 0; seq < 2; seq++) test_simple_rnn(act, seq, 1, 5);
    const int wide_batch = test_small() ? 9 : 37; /* rows past the last group's end */
    test_simple_rnn(REF_ACT_TANH, 1, 0, wide_batch);
    test_simple_rnn(REF_ACT_SIGMOID, 0, 1, wide_batch);
    for (int seq = 0; seq < 2; seq++)
        for (int bias = 0; bias < 2; bias++) {
            test_gated(1, 0, seq, bias, 5, REF_ACT_TANH, REF_ACT_SIGMOID);
            test_gated(0, 1, seq, bias, 5, REF_ACT_TANH, REF_ACT_SIGMOID);
            test_gated(0, 0, seq, bias, 5, REF_ACT_TANH, REF_ACT_SIGMOID);
        }
    test_gated(1, 0, 1, 1, wide_batch, REF_ACT_RELU, REF_ACT_SIGMOID);
    test_gated(0, 1, 0, 1, wide_batch, REF_ACT_SIGMOID, REF_ACT_SIGMOID);
    test_gated(0, 0, 1, 1, wide_batch, REF_ACT_LINEAR, REF_ACT_SIGMOID);
    gated_units = 17;
    for (int cell = 0; cell < 3; cell++)
        test_gated(cell == 0, cell == 1, cell != 1, 1, 5, REF_ACT_TANH, REF_ACT_SIGMOID);
    gated_units = 6;
    /* hard_sigmoid, the recurrent activation of older (Keras 1 and 2.0) LSTMs and GRUs */
    for (int rec = REF_ACT_HARD_SIGMOID; rec <= REF_ACT_HARD_SIGMOID_K3; rec++) {
        test_gated(1, 0, 1, 1, 5, REF_ACT_TANH, (ref_act)rec);
        test_gated(0, 0, 1, 1, 5, REF_ACT_TANH, (ref_act)rec);
        test_gated(0, 1, 0, 1, 5, REF_ACT_TANH, (ref_act)rec);
    }
    test_embedding(5);
    test_embedding(8);
    test_embedding(72);
    test_embedding_hot_id();
    test_r_place();
    for (int k = 0; k < 4; k++)
        for (int logits = 0; logits < 2; logits++)
            for (int masked = 0; masked < 2; masked++)
                if (!(k == CLRNN_LOSS_MSE && logits)) test_loss((clrnn_loss_kind)k, logits, masked);

    struct clrnn_optimizer_config c = clrnn_optimizer_default(CLRNN_OPT_SGD);
    test_optimizer(c, "sgd");
    c.momentum = 0.9;
    test_optimizer(c, "sgd momentum");
    c.nesterov = 1;
    test_optimizer(c, "sgd nesterov");
    c = clrnn_optimizer_default(CLRNN_OPT_RMSPROP);
    test_optimizer(c, "rmsprop");
    c.centered = 1;
    c.momentum = 0.5;
    test_optimizer(c, "rmsprop centered momentum");
    c = clrnn_optimizer_default(CLRNN_OPT_ADAM);
    test_optimizer(c, "adam");
    c.clipnorm = 0.5;
    test_optimizer(c, "adam clipnorm");
    c.clipnorm = 0;
    c.global_clipnorm = 0.7;
    test_optimizer(c, "adam global_clipnorm");
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
