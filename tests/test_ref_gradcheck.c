/*
 * test_ref_gradcheck.c - the reference's backward passes against central finite differences
 * of its own forward passes, so that the reference can be trusted before kernels are checked
 * against it.
 *
 * Covered: Dense with every activation (softmax too), with and without bias, on 2-D input and
 * on 3-D input passed as B*T rows; SimpleRNN with linear, sigmoid, tanh and relu,
 * return_sequences both ways, with and without bias, with and without h0, checking every
 * input element, every weight and h0; every loss, from_logits both ways where defined,
 * with respect to its predictions (kept away from the clip edges). For layers the scalar
 * objective is sum(dy * y) with a random dy, whose gradient is exactly what backward
 * computes from dy. Backward must overwrite its outputs (they are filled with NaN first) and
 * accept NULL for outputs that are not wanted. Hand-computed loss values, the clip at
 * p = 0 and p = 1, and accuracies are checked as well.
 *
 * Tolerance (|numeric - analytic| <= ATOL + RTOL |numeric|): with step h = 1e-6 in double,
 * the central difference has truncation error h^2 |f'''| / 6 ~ 1e-13 here, and rounding
 * error ~ (rounding in f, a few ulps of sums of O(10) terms ~ 1e-15) / h ~ 1e-9 at worst
 * (observed <= 4e-10). ATOL = 1e-8 leaves a margin of 10 over that, and RTOL = 1e-6 covers
 * larger gradients; a wrong term in a backward formula is off by 1e-3 or more.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "test.h"

#define STEP 1e-6
#define ATOL 1e-8
#define RTOL 1e-6
/* relu pre-activations are kept at least this far from the kink at 0, so that no step of
 * size STEP (which moves a pre-activation by well under 1e-5 here) crosses it */
#define KINK_GAP 1e-4

static const char *const ACT_NAME[] = {"linear", "sigmoid", "tanh", "relu", "softmax"};

/* xorshift64 with a fixed seed: the same numbers on every platform */
static unsigned long long rng_state = 88172645463325252ULL;
static double uniform(double lo, double hi) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) * 0x1.0p-53;
}

static double *alloc(int n) {
    double *v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    if (!v) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return v;
}
static void fill_uniform(double *v, int n, double lo, double hi) {
    for (int i = 0; i < n; i++) v[i] = uniform(lo, hi);
}
static double *random_array(int n, double lo, double hi) {
    double *v = alloc(n);
    fill_uniform(v, n, lo, hi);
    return v;
}
/* gradient outputs start as NaN: backward must overwrite every element */
static double *nan_array(int n) {
    double *v = alloc(n);
    for (int i = 0; i < n; i++) v[i] = NAN;
    return v;
}
static double dot(const double *a, const double *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}
static double min_abs(const double *v, int n) {
    double m = INFINITY;
    for (int i = 0; i < n; i++) m = fmin(m, fabs(v[i]));
    return m;
}

/* A scalar function of the whole case, and the central difference of it along each of the
 * n elements of v (which the case points into). */
typedef double (*objective_fn)(const void *c);
static void numeric_gradient(objective_fn f, const void *c, double *v, int n, double *out) {
    for (int i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + STEP;
        double up = f(c);
        v[i] = keep - STEP;
        double down = f(c);
        v[i] = keep;
        out[i] = (up - down) / (2 * STEP);
    }
}

/* ---- Dense ---- */

struct dense_case {
    double *x, *W, *b, *dy; /* b NULL without bias */
    int R, I, U;
    ref_act act;
};

static double dense_objective(const void *p) {
    const struct dense_case *c = p;
    double *y = alloc(c->R * c->U);
    ref_dense_forward(c->x, c->R, c->I, c->W, c->b, c->U, c->act, y);
    double v = dot(y, c->dy, c->R * c->U);
    free(y);
    return v;
}

static void check_dense(ref_act act, int bias, int three_d) {
    int B = 2, T = 3, I = 3, U = 4, R = three_d ? B * T : B;
    struct dense_case c = {alloc(R * I), alloc(I * U), bias ? alloc(U) : NULL,
                           random_array(R * U, -0.5, 0.5), R, I, U, act};
    double *z = alloc(R * U);
    for (int attempt = 0;; attempt++) {
        fill_uniform(c.x, R * I, -0.5, 0.5);
        fill_uniform(c.W, I * U, -0.5, 0.5);
        if (c.b) fill_uniform(c.b, U, -0.5, 0.5);
        if (act != REF_ACT_RELU) break;
        /* the linear layer gives the pre-activations */
        ref_dense_forward(c.x, R, I, c.W, c.b, U, REF_ACT_LINEAR, z);
        if (min_abs(z, R * U) > KINK_GAP) break;
        CHECK(attempt < 100);
        if (attempt >= 100) break;
    }
    double *dx = nan_array(R * I), *dW = nan_array(I * U), *db = nan_array(U);
    ref_dense_backward(c.x, R, I, c.W, c.b, U, act, c.dy, dx, dW, bias ? db : NULL);

    struct {
        const char *name;
        double *v, *g;
        int n, on;
    } parts[] = {{"dx", c.x, dx, R * I, 1}, {"dkernel", c.W, dW, I * U, 1},
                 {"dbias", c.b, db, U, bias}};
    double *num = alloc(R * I + I * U);
    for (size_t p = 0; p < sizeof parts / sizeof *parts; p++) {
        if (!parts[p].on) continue;
        char label[96];
        snprintf(label, sizeof label, "dense %s bias=%d %dD %s", ACT_NAME[act], bias,
                 three_d ? 3 : 2, parts[p].name);
        numeric_gradient(dense_objective, &c, parts[p].v, parts[p].n, num);
        CHECK_ARRAYS_CLOSE(label, parts[p].g, num, parts[p].n, ATOL, RTOL);
    }
    /* each output alone (the others NULL) gives the same values */
    double *one = nan_array(R * I + I * U);
    ref_dense_backward(c.x, R, I, c.W, c.b, U, act, c.dy, one, NULL, NULL);
    CHECK(memcmp(one, dx, sizeof *dx * (size_t)(R * I)) == 0);
    ref_dense_backward(c.x, R, I, c.W, c.b, U, act, c.dy, NULL, one, NULL);
    CHECK(memcmp(one, dW, sizeof *dW * (size_t)(I * U)) == 0);
    if (bias) {
        ref_dense_backward(c.x, R, I, c.W, c.b, U, act, c.dy, NULL, NULL, one);
        CHECK(memcmp(one, db, sizeof *db * (size_t)U) == 0);
    }
    free(c.x), free(c.W), free(c.b), free(c.dy), free(z);
    free(dx), free(dW), free(db), free(num), free(one);
}

/* ---- SimpleRNN ---- */

struct rnn_case {
    double *x, *K, *Rk, *b, *h0, *dy; /* b, h0 NULL when not used */
    int B, T, I, U, seq;
    ref_act act;
};

static int rnn_out_size(const struct rnn_case *c) {
    return c->B * (c->seq ? c->T : 1) * c->U;
}

static double rnn_objective(const void *p) {
    const struct rnn_case *c = p;
    int ny = rnn_out_size(c);
    double *y = alloc(ny);
    ref_simple_rnn_forward(c->x, c->B, c->T, c->I, c->K, c->Rk, c->b, c->U, c->act, c->seq,
                           c->h0, y);
    double v = dot(y, c->dy, ny);
    free(y);
    return v;
}

/* The smallest |pre-activation| over all samples and steps: the states come from the
 * reference's forward pass, the pre-activations x_t K + b + h_{t-1} R are recomputed here. */
static double rnn_min_abs_preactivation(const struct rnn_case *c) {
    int B = c->B, T = c->T, I = c->I, U = c->U;
    double *h = alloc(B * T * U), m = INFINITY;
    ref_simple_rnn_forward(c->x, B, T, I, c->K, c->Rk, c->b, U, c->act, 1, c->h0, h);
    for (int n = 0; n < B; n++)
        for (int t = 0; t < T; t++)
            for (int u = 0; u < U; u++) {
                double z = c->b ? c->b[u] : 0;
                for (int i = 0; i < I; i++) z += c->x[(n * T + t) * I + i] * c->K[i * U + u];
                for (int j = 0; j < U; j++) {
                    double hp = t > 0 ? h[(n * T + t - 1) * U + j] : c->h0 ? c->h0[n * U + j] : 0;
                    z += hp * c->Rk[j * U + u];
                }
                m = fmin(m, fabs(z));
            }
    free(h);
    return m;
}

static void check_rnn(ref_act act, int seq, int bias, int with_h0) {
    int B = 2, T = 3, I = 3, U = 4, ny = B * (seq ? T : 1) * U;
    struct rnn_case c = {alloc(B * T * I), alloc(I * U), alloc(U * U), bias ? alloc(U) : NULL,
                         with_h0 ? alloc(B * U) : NULL, random_array(ny, -0.5, 0.5),
                         B, T, I, U, seq, act};
    for (int attempt = 0;; attempt++) {
        fill_uniform(c.x, B * T * I, -0.5, 0.5);
        fill_uniform(c.K, I * U, -0.5, 0.5);
        fill_uniform(c.Rk, U * U, -0.5, 0.5);
        if (c.b) fill_uniform(c.b, U, -0.5, 0.5);
        if (c.h0) fill_uniform(c.h0, B * U, -0.5, 0.5);
        if (act != REF_ACT_RELU || rnn_min_abs_preactivation(&c) > KINK_GAP) break;
        CHECK(attempt < 100);
        if (attempt >= 100) break;
    }
    double *dx = nan_array(B * T * I), *dK = nan_array(I * U), *dR = nan_array(U * U);
    double *db = nan_array(U), *dh0 = nan_array(B * U);
    ref_simple_rnn_backward(c.x, B, T, I, c.K, c.Rk, c.b, U, act, seq, c.h0, c.dy, dx, dK, dR,
                            bias ? db : NULL, with_h0 ? dh0 : NULL);
    struct {
        const char *name;
        double *v, *g;
        int n, on;
    } parts[] = {{"dx", c.x, dx, B * T * I, 1},
                 {"dkernel", c.K, dK, I * U, 1},
                 {"drecurrent", c.Rk, dR, U * U, 1},
                 {"dbias", c.b, db, U, bias},
                 {"dh0", c.h0, dh0, B * U, with_h0}};
    double *num = alloc(B * T * I + U * U), *one = alloc(B * T * I + U * U);
    for (size_t p = 0; p < sizeof parts / sizeof *parts; p++) {
        if (!parts[p].on) continue;
        char label[96];
        snprintf(label, sizeof label, "simple_rnn %s seq=%d bias=%d h0=%d %s", ACT_NAME[act],
                 seq, bias, with_h0, parts[p].name);
        numeric_gradient(rnn_objective, &c, parts[p].v, parts[p].n, num);
        CHECK_ARRAYS_CLOSE(label, parts[p].g, num, parts[p].n, ATOL, RTOL);
        /* the same output asked for alone */
        double *o[5] = {NULL, NULL, NULL, NULL, NULL};
        o[p] = one;
        for (int i = 0; i < parts[p].n; i++) one[i] = NAN;
        ref_simple_rnn_backward(c.x, B, T, I, c.K, c.Rk, c.b, U, act, seq, c.h0, c.dy, o[0],
                                o[1], o[2], o[3], o[4]);
        CHECK(memcmp(one, parts[p].g, sizeof *one * (size_t)parts[p].n) == 0);
    }
    free(c.x), free(c.K), free(c.Rk), free(c.b), free(c.h0), free(c.dy);
    free(dx), free(dK), free(dR), free(db), free(dh0), free(num), free(one);
}

/* ---- losses ---- */

static const char *const LOSS_NAME[] = {"bce", "cce", "sparse_cce", "mse"};

struct loss_case {
    double *p, *y;
    int R, C, from_logits;
    ref_loss loss;
};

static double loss_objective(const void *q) {
    const struct loss_case *c = q;
    return ref_loss_forward_backward(c->loss, c->from_logits, c->p, c->y, c->R, c->C, NULL);
}

static void check_loss_gradient(ref_loss loss, int from_logits) {
    int R = 4, C = loss == REF_LOSS_BCE ? 3 : 5;
    struct loss_case c = {alloc(R * C), alloc(R * C), R, C, from_logits, loss};
    for (int r = 0; r < R; r++) {
        /* probabilities in [0.05, 0.95] (for the categorical losses q = p / sum p then lies
         * in [0.01, 0.83]): far from the clip edges at 1e-7 and 1 - 1e-7 */
        for (int k = 0; k < C; k++)
            c.p[r * C + k] = loss == REF_LOSS_MSE ? uniform(-0.5, 0.5)
                           : from_logits          ? uniform(-3, 3)
                                                  : uniform(0.05, 0.95);
        double sum = 0;
        for (int k = 0; k < C; k++) {
            double *t = &c.y[r * C + k];
            switch (loss) {
            case REF_LOSS_MSE: *t = uniform(-0.5, 0.5); break;
            case REF_LOSS_BCE: /* hard labels in even rows, soft labels in odd rows */
                *t = r % 2 ? uniform(0, 1) : uniform(0, 1) < 0.5 ? 0 : 1;
                break;
            case REF_LOSS_CCE: /* one-hot rows, then soft rows that sum to 1 */
                *t = r < 2 ? k == (r * 2 + 1) % C : uniform(0, 1);
                sum += *t;
                break;
            case REF_LOSS_SPARSE_CCE: *t = 0; break;
            }
        }
        if (loss == REF_LOSS_CCE && r >= 2)
            for (int k = 0; k < C; k++) c.y[r * C + k] /= sum;
        if (loss == REF_LOSS_SPARSE_CCE) c.y[r] = (r * 3 + 1) % C; /* index stored as double */
    }
    double *g = nan_array(R * C), *num = alloc(R * C);
    ref_loss_forward_backward(loss, from_logits, c.p, c.y, R, C, g);
    numeric_gradient(loss_objective, &c, c.p, R * C, num);
    char label[64];
    snprintf(label, sizeof label, "loss %s logits=%d dpred", LOSS_NAME[loss], from_logits);
    CHECK_ARRAYS_CLOSE(label, g, num, R * C, ATOL, RTOL);
    free(c.p), free(c.y), free(g), free(num);
}

/* Loss values worked out by hand, and the clip. */
static void check_loss_values(void) {
    const double LN2 = 0.69314718055994531, LN4 = 1.3862943611198906;
    /* Keras clips in float32: the lower bound is float(1e-7) = 1.0000000116860974e-7, so
     * BCE(t = 1, p = 0) = -ln(1.0000000116860974e-7) = 16.1180956393 (exactly 1.17e-8
     * below -ln(1e-7) = 16.118095651; Keras prints 16.1181), and the clip passes no
     * gradient */
    double p0 = 0, t1 = 1, g = NAN;
    double bce = ref_loss_forward_backward(REF_LOSS_BCE, 0, &p0, &t1, 1, 1, &g);
    CHECK_NEAR(bce, 16.118095639272222, 1e-12);
    CHECK_NEAR(bce, 16.118095651, 2e-8);
    CHECK(g == 0);
    /* upper bound float(1 - 1e-7) = 1 - 2^-23: BCE(t = 0, p = 1) = 23 ln 2 = 15.9423851528787 */
    double p1 = 1, t0 = 0;
    g = NAN;
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_BCE, 0, &p1, &t0, 1, 1, &g), 15.942385152878742,
               1e-12);
    CHECK(g == 0);

    /* BCE p = 0.5 anywhere: ln 2, gradient (-t / 0.5 + (1 - t) / 0.5) / (C R) */
    double ph[4] = {0.5, 0.5, 0.5, 0.5}, th[4] = {1, 0, 0.25, 1}, gh[4];
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_BCE, 0, ph, th, 2, 2, gh), LN2, 1e-15);
    CHECK_NEAR(gh[0], -0.5, 1e-15); /* (-2) / 4 */
    CHECK_NEAR(gh[2], 0.25, 1e-15); /* (-0.5 + 1.5) / 4 */
    /* from logits, x = 0 is p = 0.5: ln 2, gradient (sigmoid(0) - t) / (C R) */
    double x0[4] = {0, 0, 0, 0};
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_BCE, 1, x0, th, 2, 2, gh), LN2, 1e-15);
    CHECK_NEAR(gh[0], -0.125, 1e-15);
    CHECK_NEAR(gh[2], 0.0625, 1e-15);
    /* BCE from logits, large |x|: x = 40, t = 0 gives 40 + log1p(e^-40) ~= 40 (no overflow);
     * x = -40, t = 0 gives log1p(e^-40) = 4.248354255291589e-18 */
    double xl = 40, xs = -40;
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_BCE, 1, &xl, &t0, 1, 1, NULL), 40, 1e-12);
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_BCE, 1, &xs, &t0, 1, 1, NULL),
               4.248354255291589e-18, 1e-30);

    /* CCE divides by the row sum: p = (1, 1, 2) is q = (0.25, 0.25, 0.5); t = (0, 0, 1)
     * gives -ln 0.5 = ln 2 */
    double pc[3] = {1, 1, 2}, tc[3] = {0, 0, 1}, ic = 2;
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_CCE, 0, pc, tc, 1, 3, NULL), LN2, 1e-15);
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_SPARSE_CCE, 0, pc, &ic, 1, 3, NULL), LN2,
               1e-15);
    /* equal logits over 4 classes: ln 4, gradient softmax - t = 0.25 - t */
    double xc[4] = {3, 3, 3, 3}, tc4[4] = {0, 1, 0, 0}, ic4 = 1, gc[4];
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_CCE, 1, xc, tc4, 1, 4, gc), LN4, 1e-15);
    CHECK_NEAR(gc[1], -0.75, 1e-15);
    CHECK_NEAR(gc[0], 0.25, 1e-15);
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_SPARSE_CCE, 1, xc, &ic4, 1, 4, gc), LN4, 1e-15);
    /* large logits do not overflow: (1000, 0) with t = (0, 1) is 1000 + log1p(e^-1000) */
    double xb[2] = {1000, 0}, tb[2] = {0, 1};
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_CCE, 1, xb, tb, 1, 2, NULL), 1000, 1e-12);
    /* the true class at p = 0 is clipped: -ln(float(1e-7)) and no gradient at all (the
     * clipped entry passes none, the others have t = 0) */
    double pz[3] = {0, 0.5, 0.5}, tz[3] = {1, 0, 0}, iz = 0, gz[3] = {NAN, NAN, NAN};
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_CCE, 0, pz, tz, 1, 3, gz), 16.118095639272222,
               1e-12);
    CHECK(gz[0] == 0 && gz[1] == 0 && gz[2] == 0);
    gz[0] = gz[1] = gz[2] = NAN;
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_SPARSE_CCE, 0, pz, &iz, 1, 3, gz),
               16.118095639272222, 1e-12);
    CHECK(gz[0] == 0 && gz[1] == 0 && gz[2] == 0);

    /* MSE: rows (1, 2) - (0, 0) and (0, 0) - (0, 1): row means 2.5 and 0.5, loss 1.5;
     * gradient 2 (p - t) / (C R) */
    double pm[4] = {1, 2, 0, 0}, tm[4] = {0, 0, 0, 1}, gm[4];
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_MSE, 0, pm, tm, 2, 2, gm), 1.5, 1e-15);
    CHECK_NEAR(gm[1], 1.0, 1e-15);
    CHECK_NEAR(gm[3], -0.5, 1e-15);
}

/* Activation values at a few points, relu's derivative at its kink, and softmax's row max
 * (without it exp(1000) overflows). */
static void check_activation_values(void) {
    double z[5] = {-1, 0, 0.5, 1000, -1000}, y[5], dz[5], ones[5] = {1, 1, 1, 1, 1};
    ref_act_forward(REF_ACT_SIGMOID, z, 1, 5, y);
    CHECK_NEAR(y[1], 0.5, 1e-15);
    CHECK_NEAR(y[2], 0.62245933120185459, 1e-15); /* 1 / (1 + e^-0.5) */
    CHECK(y[3] == 1 && y[4] >= 0 && y[4] < 1e-300);
    ref_act_forward(REF_ACT_TANH, z, 1, 5, y);
    CHECK_NEAR(y[0], -0.76159415595576489, 1e-15);
    ref_act_forward(REF_ACT_RELU, z, 1, 5, y);
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 0.5 && y[3] == 1000 && y[4] == 0);
    ref_act_backward(REF_ACT_RELU, z, y, ones, 1, 5, dz);
    CHECK(dz[0] == 0 && dz[1] == 0 && dz[2] == 1 && dz[3] == 1 && dz[4] == 0);
    ref_act_forward(REF_ACT_LINEAR, z, 1, 5, y);
    CHECK(memcmp(y, z, sizeof z) == 0);
    /* softmax rows (1000, 1000) and (0, 1000): (0.5, 0.5) and (e^-1000 = 0, 1) */
    double zs[4] = {1000, 1000, 0, 1000}, ys[4];
    ref_act_forward(REF_ACT_SOFTMAX, zs, 2, 2, ys);
    CHECK(ys[0] == 0.5 && ys[1] == 0.5 && ys[2] == 0 && ys[3] == 1);
    /* softmax of (ln 1, ln 2, ln 5) = (0.125, 0.25, 0.625) */
    double zl[3] = {0, log(2), log(5)}, yl[3];
    ref_act_forward(REF_ACT_SOFTMAX, zl, 1, 3, yl);
    CHECK_NEAR(yl[0], 0.125, 1e-15);
    CHECK_NEAR(yl[2], 0.625, 1e-15);
}

static void check_accuracy(void) {
    /* binary, strict threshold: 0.5 -> 0 (right), 0.51 -> 1 (right), 0.2 -> 0 (right),
     * 0.9 -> 1 (wrong): 3 of 4 in the row; the second row all right: mean 0.875 */
    double p[8] = {0.5, 0.51, 0.2, 0.9, 0.7, 0.7, 0.1, 0.1}, t[8] = {0, 1, 0, 0, 1, 1, 0, 0};
    CHECK_NEAR(ref_accuracy(REF_LOSS_BCE, 0, p, t, 2, 4), 0.875, 1e-15);
    /* from logits the threshold is 0 */
    double x[8] = {0, 0.01, -1, 2, 1, 1, -2, -2};
    CHECK_NEAR(ref_accuracy(REF_LOSS_BCE, 1, x, t, 2, 4), 0.875, 1e-15);
    /* categorical: a tie goes to the first maximum (class 0, right); argmax 1 vs 2 wrong */
    double pc[6] = {0.4, 0.4, 0.2, 0.1, 0.7, 0.2}, tc[6] = {1, 0, 0, 0, 0, 1}, ic[2] = {0, 2};
    CHECK_NEAR(ref_accuracy(REF_LOSS_CCE, 0, pc, tc, 2, 3), 0.5, 1e-15);
    CHECK_NEAR(ref_accuracy(REF_LOSS_CCE, 1, pc, tc, 2, 3), 0.5, 1e-15);
    CHECK_NEAR(ref_accuracy(REF_LOSS_SPARSE_CCE, 0, pc, ic, 2, 3), 0.5, 1e-15);
    ic[1] = 1;
    CHECK_NEAR(ref_accuracy(REF_LOSS_SPARSE_CCE, 0, pc, ic, 2, 3), 1.0, 1e-15);
    CHECK_NEAR(ref_accuracy(REF_LOSS_MSE, 0, pc, tc, 2, 3), 0.0, 0);
}

int main(void) {
    printf("Dense\n");
    for (int act = REF_ACT_LINEAR; act <= REF_ACT_SOFTMAX; act++)
        for (int bias = 0; bias < 2; bias++)
            for (int three_d = 0; three_d < 2; three_d++) check_dense((ref_act)act, bias, three_d);
    printf("SimpleRNN\n");
    for (int act = REF_ACT_LINEAR; act <= REF_ACT_RELU; act++)
        for (int seq = 0; seq < 2; seq++)
            for (int bias = 0; bias < 2; bias++)
                for (int h0 = 0; h0 < 2; h0++) check_rnn((ref_act)act, seq, bias, h0);
    printf("losses\n");
    for (int loss = REF_LOSS_BCE; loss <= REF_LOSS_MSE; loss++)
        for (int logits = 0; logits < 2; logits++)
            if (!(loss == REF_LOSS_MSE && logits)) check_loss_gradient((ref_loss)loss, logits);
    check_activation_values();
    check_loss_values();
    check_accuracy();
    TEST_MAIN_END();
}
