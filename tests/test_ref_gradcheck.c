/*
 * test_ref_gradcheck.c - the reference's backward passes against central finite differences
 * of its forward passes: Dense with every activation, with and without bias, on 2-D rows and
 * on 3-D input passed as rows; SimpleRNN with every activation, return_sequences both ways,
 * with and without bias and initial state (every weight, every input and h0); and every loss
 * (from_logits both ways) with respect to its predictions. The objective for layers is
 * sum(dy * y) with a random dy, so its gradient is what backward computes from dy.
 *
 * Tolerance: central differences with step 1e-6 in double have truncation error ~h^2 f''' ~
 * 1e-12 and rounding error ~1e-16 / 1e-6 = 1e-10 relative to the objective (O(1) here), so
 * 1e-7 absolute plus 1e-6 relative is loose enough for honest gradients, while a wrong term
 * (O(0.01) or more) fails by orders of magnitude.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "test.h"

#define STEP 1e-6
#define ATOL 1e-7
#define RTOL 1e-6

static unsigned long long seed = 88172645463325252ULL;
static double uniform(double lo, double hi) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return lo + (hi - lo) * (double)(seed >> 11) * 0x1.0p-53;
}
static double *rnd(int n, double lo, double hi) {
    double *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) v[i] = uniform(lo, hi);
    return v;
}
static double dot(const double *a, const double *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static const char *const ACT[] = {"linear", "sigmoid", "tanh", "relu", "softmax"};

/* ---- Dense ---- */
struct dense_case {
    const double *x, *W, *b, *dy;
    int R, I, U;
    ref_act act;
};
static double dense_objective(const struct dense_case *c) {
    double *y = malloc(sizeof *y * (size_t)c->R * c->U);
    ref_dense_forward(c->x, c->R, c->I, c->W, c->b, c->U, c->act, y);
    double v = dot(y, c->dy, c->R * c->U);
    free(y);
    return v;
}
/* central difference of the objective along each element of v (n values) */
static void numeric_dense(struct dense_case *c, double *v, int n, double *out) {
    for (int i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + STEP;
        double up = dense_objective(c);
        v[i] = keep - STEP;
        double down = dense_objective(c);
        v[i] = keep;
        out[i] = (up - down) / (2 * STEP);
    }
}
static void check_dense(ref_act act, int bias, int three_d) {
    int B = 2, T = 3, I = 3, U = 4, R = three_d ? B * T : B;
    double *x = rnd(R * I, -0.5, 0.5), *W = rnd(I * U, -0.5, 0.5), *b = rnd(U, -0.5, 0.5);
    double *dy = rnd(R * U, -1, 1);
    struct dense_case c = {x, W, bias ? b : NULL, dy, R, I, U, act};
    double *dx = rnd(R * I, 0, 0), *dW = rnd(I * U, 0, 0), *db = rnd(U, 0, 0);
    ref_dense_backward(x, R, I, W, c.b, U, act, dy, dx, dW, db);
    double *num = rnd(R * I > I * U ? R * I : I * U, 0, 0);
    char label[96];
    snprintf(label, sizeof label, "dense %s bias=%d %dD dx", ACT[act], bias, three_d ? 3 : 2);
    numeric_dense(&c, x, R * I, num);
    CHECK_ARRAYS_CLOSE(label, dx, num, R * I, ATOL, RTOL);
    label[strlen(label) - 2] = '\0';
    strcat(label, "dW");
    numeric_dense(&c, W, I * U, num);
    CHECK_ARRAYS_CLOSE(label, dW, num, I * U, ATOL, RTOL);
    if (bias) {
        label[strlen(label) - 2] = '\0';
        strcat(label, "db");
        numeric_dense(&c, b, U, num);
        CHECK_ARRAYS_CLOSE(label, db, num, U, ATOL, RTOL);
    }
    free(x), free(W), free(b), free(dy), free(dx), free(dW), free(db), free(num);
}

/* ---- SimpleRNN ---- */
struct rnn_case {
    const double *x, *K, *Rk, *b, *h0, *dy;
    int B, T, I, U, seq;
    ref_act act;
};
static double rnn_objective(const struct rnn_case *c) {
    int ny = c->B * (c->seq ? c->T : 1) * c->U;
    double *y = malloc(sizeof *y * (size_t)ny);
    ref_simple_rnn_forward(c->x, c->B, c->T, c->I, c->K, c->Rk, c->b, c->U, c->act, c->seq, c->h0, y);
    double v = dot(y, c->dy, ny);
    free(y);
    return v;
}
static void numeric_rnn(struct rnn_case *c, double *v, int n, double *out) {
    for (int i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + STEP;
        double up = rnn_objective(c);
        v[i] = keep - STEP;
        double down = rnn_objective(c);
        v[i] = keep;
        out[i] = (up - down) / (2 * STEP);
    }
}
static void check_rnn(ref_act act, int seq, int bias, int with_h0) {
    int B = 2, T = 3, I = 3, U = 4, ny = B * (seq ? T : 1) * U;
    double *x = rnd(B * T * I, -0.5, 0.5), *K = rnd(I * U, -0.5, 0.5), *Rk = rnd(U * U, -0.5, 0.5);
    double *b = rnd(U, -0.5, 0.5), *h0 = rnd(B * U, -0.5, 0.5), *dy = rnd(ny, -1, 1);
    if (act == REF_ACT_RELU) /* keep pre-activations away from relu's kink at 0 */
        for (int i = 0; i < U; i++) b[i] = 0.3 + 0.1 * i;
    struct rnn_case c = {x, K, Rk, bias ? b : NULL, with_h0 ? h0 : NULL, dy, B, T, I, U, seq, act};
    double *dx = rnd(B * T * I, 0, 0), *dK = rnd(I * U, 0, 0), *dR = rnd(U * U, 0, 0);
    double *db = rnd(U, 0, 0), *dh0 = rnd(B * U, 0, 0), *num = rnd(B * T * I + U * U, 0, 0);
    ref_simple_rnn_backward(x, B, T, I, K, Rk, c.b, U, act, seq, c.h0, dy, dx, dK, dR, db, dh0);
    struct {
        const char *name;
        double *v, *g;
        int n, on;
    } parts[] = {{"dx", x, dx, B * T * I, 1}, {"dkernel", K, dK, I * U, 1},
                 {"drecurrent", Rk, dR, U * U, 1}, {"dbias", b, db, U, bias},
                 {"dh0", h0, dh0, B * U, with_h0}};
    for (size_t p = 0; p < sizeof parts / sizeof *parts; p++) {
        if (!parts[p].on) continue;
        char label[96];
        snprintf(label, sizeof label, "simple_rnn %s seq=%d bias=%d h0=%d %s", ACT[act], seq, bias,
                 with_h0, parts[p].name);
        numeric_rnn(&c, parts[p].v, parts[p].n, num);
        CHECK_ARRAYS_CLOSE(label, parts[p].g, num, parts[p].n, ATOL, RTOL);
    }
    free(x), free(K), free(Rk), free(b), free(h0), free(dy), free(dx), free(dK), free(dR);
    free(db), free(dh0), free(num);
}

/* ---- losses ---- */
static void check_loss(ref_loss loss, int logits) {
    static const char *const NAMES[] = {"bce", "cce", "sparse_cce", "mse"};
    int R = 4, C = loss == REF_LOSS_BCE ? 3 : 5;
    double *p = rnd(R * C, logits ? -2 : 0.05, logits ? 2 : 0.95);
    double *y = rnd(R * C, 0, 1);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            if (loss == REF_LOSS_BCE) y[r * C + c] = y[r * C + c] < 0.5 ? 0 : 1;
            if (loss == REF_LOSS_CCE) y[r * C + c] = c == (r % C);
            if (loss == REF_LOSS_SPARSE_CCE && c == 0) y[r] = (r * 3) % C;
        }
    double *g = rnd(R * C, 0, 0), *num = rnd(R * C, 0, 0);
    ref_loss_forward_backward(loss, logits, p, y, R, C, g);
    for (int i = 0; i < R * C; i++) {
        double keep = p[i];
        p[i] = keep + STEP;
        double up = ref_loss_forward_backward(loss, logits, p, y, R, C, NULL);
        p[i] = keep - STEP;
        double down = ref_loss_forward_backward(loss, logits, p, y, R, C, NULL);
        p[i] = keep;
        num[i] = (up - down) / (2 * STEP);
    }
    char label[64];
    snprintf(label, sizeof label, "loss %s logits=%d", NAMES[loss], logits);
    CHECK_ARRAYS_CLOSE(label, g, num, R * C, ATOL, RTOL);
    free(p), free(y), free(g), free(num);
}

int main(void) {
    for (int act = 0; act < 5; act++)
        for (int bias = 0; bias < 2; bias++)
            for (int three = 0; three < 2; three++) check_dense((ref_act)act, bias, three);
    for (int act = 0; act < 4; act++)
        for (int seq = 0; seq < 2; seq++) {
            check_rnn((ref_act)act, seq, 1, 0);
            check_rnn((ref_act)act, seq, 0, 1);
        }
    for (int l = 0; l < 4; l++)
        for (int logits = 0; logits < 2; logits++)
            if (!(l == REF_LOSS_MSE && logits)) check_loss((ref_loss)l, logits);
    /* Keras's clipping: BCE(t = 1, p = 0) = -ln(float32(1e-7)) = 16.1180956 (Keras prints
     * 16.1181), and the clip passes no gradient */
    double p = 0, t = 1, g = 1;
    CHECK_NEAR(ref_loss_forward_backward(REF_LOSS_BCE, 0, &p, &t, 1, 1, &g), 16.1180956393, 1e-9);
    CHECK_NEAR(g, 0, 0);
    TEST_MAIN_END();
}
