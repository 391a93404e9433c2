/*
 * test_ref_optim.c - the reference optimizer steps and gradient clipping against numbers
 * worked out by hand from Keras 3's update rules (keras-format.md 6.1), so that the
 * reference is itself checked before the kernels are checked against it.
 *
 * Each optimizer takes three steps on the 2-element weight w = (1, -2); after every step w
 * (and at the end the optimizer state) must match the constants below to 1e-12. The
 * constants were worked out by hand with the arithmetic shown, and the irrational ones
 * (square roots) evaluated to 17 digits in 40-digit arithmetic, independently of this code.
 */
#include <math.h>

#include "ref.h"
#include "test.h"

#define TOL 1e-12

/* Three steps of o from w = (1, -2) with zero state; w after step t must be want[t], and
 * the state ends in s1, s2, s3. */
static void run3(const char *name, const struct ref_opt *o, const double g[3][2],
                 const double want[3][2], double s1[2], double s2[2], double s3[2]) {
    double w[2] = {1, -2};
    s1[0] = s1[1] = s2[0] = s2[1] = s3[0] = s3[1] = 0;
    for (int t = 0; t < 3; t++) {
        ref_opt_step(o, t, w, g[t], 2, s1, s2, s3);
        char label[80];
        snprintf(label, sizeof label, "%s step %d w", name, t + 1);
        CHECK_ARRAYS_CLOSE(label, w, want[t], 2, TOL, 0);
    }
}

static void check_sgd(void) {
    static const double g[3][2] = {{0.5, -1}, {2, 0.25}, {-1, 1}};
    struct ref_opt o = {REF_OPT_SGD, 0.1, 0, 0, 0, 0, 0, 0, 0};
    double m[2], s2[2], s3[2];

    /* plain, lr 0.1: w -= 0.1 g
     * 1: (1 - 0.05, -2 + 0.1) = (0.95, -1.9); 2: (0.95 - 0.2, -1.9 - 0.025) = (0.75, -1.925);
     * 3: (0.75 + 0.1, -1.925 - 0.1) = (0.85, -2.025) */
    static const double plain[3][2] = {{0.95, -1.9}, {0.75, -1.925}, {0.85, -2.025}};
    run3("sgd", &o, g, plain, m, s2, s3);

    /* momentum 0.9: m = 0.9 m - 0.1 g, w += m
     * 1: m = (-0.05, 0.1), w = (0.95, -1.9)
     * 2: m = (-0.045 - 0.2, 0.09 - 0.025) = (-0.245, 0.065), w = (0.705, -1.835)
     * 3: m = (-0.2205 + 0.1, 0.0585 - 0.1) = (-0.1205, -0.0415), w = (0.5845, -1.8765) */
    static const double momentum[3][2] = {{0.95, -1.9}, {0.705, -1.835}, {0.5845, -1.8765}};
    o.momentum = 0.9;
    run3("sgd momentum", &o, g, momentum, m, s2, s3);
    CHECK_NEAR(m[0], -0.1205, TOL);
    CHECK_NEAR(m[1], -0.0415, TOL);

    /* Nesterov: the same m, w += 0.9 m - 0.1 g
     * 1: w += (-0.045 - 0.05, 0.09 + 0.1) = (-0.095, 0.19) -> (0.905, -1.81)
     * 2: w += (-0.2205 - 0.2, 0.0585 - 0.025) = (-0.4205, 0.0335) -> (0.4845, -1.7765)
     * 3: w += (-0.10845 + 0.1, -0.03735 - 0.1) = (-0.00845, -0.13735) -> (0.47605, -1.91385) */
    static const double nesterov[3][2] = {{0.905, -1.81}, {0.4845, -1.7765}, {0.47605, -1.91385}};
    o.nesterov = 1;
    run3("sgd nesterov", &o, g, nesterov, m, s2, s3);
    CHECK_NEAR(m[0], -0.1205, TOL);
    CHECK_NEAR(m[1], -0.0415, TOL);
}

static void check_rmsprop(void) {
    static const double g[3][2] = {{2, -1}, {1, 0.5}, {-2, 2}};
    double v[2], mom[2], a[2];

    /* plain, lr 0.1, rho 0.75, epsilon 0.44 (large, so that epsilon inside the square root,
     * as Keras 3 puts it, differs plainly from epsilon outside): v = 0.75 v + 0.25 g^2,
     * w -= 0.1 g / sqrt(v + 0.44)
     * 1: v = (1, 0.25); inc = (0.2 / sqrt(1.44), -0.1 / sqrt(0.69)) = (0.2 / 1.2,
     *    -0.1 / 0.83066238629180749) = (0.16666666666666667, -0.1203858530857692)
     *    w = (0.83333333333333333, -1.8796141469142308)
     * 2: v = (0.75 + 0.25, 0.1875 + 0.0625) = (1, 0.25) again; inc = (0.1 / 1.2, 0.05 / 0.83066...)
     *    = (0.083333333333333333, 0.0601929265428846); w = (0.75, -1.9398070734571154)
     * 3: v = (0.75 + 1, 0.1875 + 1) = (1.75, 1.1875);
     *    inc = (-0.2 / sqrt(2.19), 0.2 / sqrt(1.6275))
     *        = (-0.2 / 1.4798648586948742, 0.2 / 1.2757350822173074)
     *        = (-0.13514747567989719, 0.1567723603339241);
     *    w = (0.88514747567989719, -2.0965794337910395) */
    static const double plain[3][2] = {{0.83333333333333333, -1.8796141469142308},
                                       {0.75, -1.9398070734571154},
                                       {0.88514747567989719, -2.0965794337910395}};
    struct ref_opt o = {REF_OPT_RMSPROP, 0.1, 0, 0.75, 0, 0, 0.44, 0, 0};
    run3("rmsprop", &o, g, plain, v, mom, a);
    CHECK_NEAR(v[0], 1.75, TOL);
    CHECK_NEAR(v[1], 1.1875, TOL);

    /* centered, lr 0.1, rho 0.75, epsilon 1e-7: a = 0.75 a + 0.25 g,
     * w -= 0.1 g / sqrt(v - a^2 + eps)
     * 1: v = (1, 0.25), a = (0.5, -0.25); denominators (0.7500001, 0.1875001), square roots
     *    (0.86602546151946364, 0.43301281736225777); inc = (0.23094009227984467,
     *    -0.23094004609184623); w = (0.76905990772015533, -1.7690599539081538)
     * 2: v = (1, 0.25), a = (0.375 + 0.25, -0.1875 + 0.125) = (0.625, -0.0625); denominators
     *    (1 - 0.390625 + 1e-7, 0.25 - 0.00390625 + 1e-7) = (0.6093751, 0.24609385), roots
     *    (0.78062481385105867, 0.49607847161512663); inc = (0.12810251253309475,
     *    0.10079050565772502); w = (0.64095739518706058, -1.8698504595658788)
     * 3: v = (1.75, 1.1875), a = (0.46875 - 0.5, -0.046875 + 0.5) = (-0.03125, 0.453125);
     *    denominators (1.7490235375, 0.982177834375), roots (1.3225065359006737,
     *    0.99104885569531838); inc = (-0.15122798607856628, 0.20180639819182305);
     *    w = (0.79218538126562686, -2.0716568577577018) */
    static const double centered[3][2] = {{0.76905990772015533, -1.7690599539081538},
                                          {0.64095739518706058, -1.8698504595658788},
                                          {0.79218538126562686, -2.0716568577577018}};
    o.epsilon = 1e-7;
    o.centered = 1;
    run3("rmsprop centered", &o, g, centered, v, mom, a);
    CHECK_NEAR(a[0], -0.03125, TOL);
    CHECK_NEAR(a[1], 0.453125, TOL);

    /* momentum 0.5, lr 0.1, rho 0.9, epsilon 1e-7: mom = 0.5 mom + inc, w -= mom
     * 1: v = (0.4, 0.1); inc = (0.2 / sqrt(0.4000001), -0.1 / sqrt(0.1000001))
     *    = (0.31622772648837459, -0.31622760790307351) = mom; w = (0.68377227351162541,
     *    -1.6837723920969265)
     * 2: v = (0.36 + 0.1, 0.09 + 0.025) = (0.46, 0.115); inc = (0.1 / 0.67823307203350088,
     *    0.05 / 0.33911664659818751) = (0.14744194012860016, 0.14744189204974061);
     *    mom = (0.15811386324418730 + 0.14744194012860016, -0.15811380395153676 + 0.14744189...)
     *    = (0.30555580337278746, -0.010671911901796142); w = (0.37821647013883795,
     *    -1.6731004801951303)
     * 3: v = (0.414 + 0.4, 0.1035 + 0.4) = (0.814, 0.5035); inc = (-0.2 / 0.90221954091008248,
     *    0.2 / 0.7095774094487507) = (-0.22167553564430336, 0.28185790209326699);
     *    mom = (-0.068897633957909626, 0.27652194614236892); w = (0.44711410409674757,
     *    -1.9496224263374993) */
    static const double momentum[3][2] = {{0.68377227351162541, -1.6837723920969265},
                                          {0.37821647013883795, -1.6731004801951303},
                                          {0.44711410409674757, -1.9496224263374993}};
    o.rho = 0.9;
    o.centered = 0;
    o.momentum = 0.5;
    run3("rmsprop momentum", &o, g, momentum, v, mom, a);
    CHECK_NEAR(mom[0], -0.068897633957909626, TOL);
    CHECK_NEAR(mom[1], 0.27652194614236892, TOL);
}

static void check_adam(void) {
    /* lr 0.01, beta_1 0.9, beta_2 0.999, epsilon 1e-7: alpha_t = 0.01 sqrt(1 - 0.999^t) /
     * (1 - 0.9^t), m += 0.1 (g - m), v += 0.001 (g^2 - v), w -= m alpha / (sqrt(v) + 1e-7)
     * 1: alpha = 0.01 sqrt(0.001) / 0.1 = 0.0031622776601683793; m = (0.05, -0.1),
     *    v = (0.00025, 0.001), sqrt v = (0.015811388300841897, 0.031622776601683793);
     *    w = (1 - 0.05 alpha / 0.015811488300841897, -2 + 0.1 alpha / 0.031622876601683793)
     *      = (0.99000006324515321, -1.9900000316226766)
     * 2: alpha = 0.01 sqrt(0.001999) / 0.19 = 0.0023531672532745429; m = (0.045 + 0.2,
     *    -0.09 + 0.025) = (0.245, -0.065); v = (0.00024975 + 0.004, 0.000999 + 0.0000625)
     *    = (0.00424975, 0.0010615), sqrt v = (0.065190106611356297, 0.032580669115289821);
     *    w = (0.98115631190548755, -1.985305364319962)
     * 3: alpha = 0.01 sqrt(0.002997001) / 0.271 = 0.0020201059743896785; m = (0.2205 - 0.1,
     *    -0.0585 + 0.1) = (0.1205, 0.0415); v = (0.00424550025 + 0.001, 0.0010604385 + 0.001)
     *    = (0.00524550025, 0.0020604385), sqrt v = (0.072425825849623558,
     *    0.045392053269267298); w = (0.97779532249377648, -1.9871522561701869) */
    static const double g[3][2] = {{0.5, -1}, {2, 0.25}, {-1, 1}};
    static const double want[3][2] = {{0.99000006324515321, -1.9900000316226766},
                                      {0.98115631190548755, -1.985305364319962},
                                      {0.97779532249377648, -1.9871522561701869}};
    struct ref_opt o = {REF_OPT_ADAM, 0.01, 0, 0, 0.9, 0.999, 1e-7, 0, 0};
    double m[2], v[2], s3[2];
    run3("adam", &o, g, want, m, v, s3);
    CHECK_NEAR(m[0], 0.1205, TOL);
    CHECK_NEAR(m[1], 0.0415, TOL);
    CHECK_NEAR(v[0], 0.00524550025, TOL);
    CHECK_NEAR(v[1], 0.0020604385, TOL);

    /* Keras's observed figure (keras-format.md 6.1): defaults (lr 0.001), w = 0, one step
     * with g = 1e-6 moves w by 2.4025e-4. alpha = 0.001 sqrt(0.001) / 0.1 =
     * 3.1622776601683793e-4, m = 1e-7, v = 1e-15, sqrt v = 3.1622776601683793e-8;
     * step = alpha 1e-7 / (3.1622776601683793e-8 + 1e-7) = 2.4025307335204215e-4 (epsilon
     * added to sqrt(v) before bias correction; the corrected variant would give ~1e-3) */
    struct ref_opt d = {REF_OPT_ADAM, 0.001, 0, 0, 0.9, 0.999, 1e-7, 0, 0};
    double w = 0, tiny = 1e-6, m1 = 0, v1 = 0, unused = 0;
    ref_opt_step(&d, 0, &w, &tiny, 1, &m1, &v1, &unused);
    CHECK_NEAR(w, -2.4025307335204215e-4, 1e-7 * 2.4025307335204215e-4);
    CHECK_NEAR(w, -2.4025e-4, 0.00005e-4); /* Keras's figure to the digits it gave */
}

static void check_clipping(void) {
    /* per weight: g clip / max(||g||, clip). (3, 4) has norm 5: clip 1 -> (0.6, 0.8) */
    double g[2] = {3, 4};
    ref_clip_by_norm(g, 2, 1.0);
    CHECK_NEAR(g[0], 0.6, 1e-15);
    CHECK_NEAR(g[1], 0.8, 1e-15);
    /* clip 10 > 5 and clip 5 = 5 leave it alone; a zero gradient stays zero (no 0/0) */
    double big[2] = {3, 4}, equal[2] = {3, 4}, zero[2] = {0, 0};
    ref_clip_by_norm(big, 2, 10.0);
    CHECK(big[0] == 3 && big[1] == 4);
    ref_clip_by_norm(equal, 2, 5.0);
    CHECK(equal[0] == 3 && equal[1] == 4);
    ref_clip_by_norm(zero, 2, 1.0);
    CHECK(zero[0] == 0 && zero[1] == 0);

    /* per weight on two weights (1, 2) and (2): norms sqrt 5 and 2, clip 1.5 scales them
     * by 1.5 / sqrt 5 and 0.75: (0.67082039324993691, 1.3416407864998738) and (1.5) */
    double a[2] = {1, 2}, b[1] = {2};
    ref_clip_by_norm(a, 2, 1.5);
    ref_clip_by_norm(b, 1, 1.5);
    CHECK_NEAR(a[0], 0.67082039324993691, 1e-15);
    CHECK_NEAR(a[1], 1.3416407864998738, 1e-15);
    CHECK_NEAR(b[0], 1.5, 1e-15);

    /* global on the same weights: joint norm sqrt(1 + 4 + 4) = 3, clip 1.5 halves both */
    a[0] = 1, a[1] = 2, b[0] = 2;
    double *parts[2] = {a, b};
    int ns[2] = {2, 1};
    ref_clip_by_global_norm(parts, ns, 2, 1.5);
    CHECK_NEAR(a[0], 0.5, 1e-15);
    CHECK_NEAR(a[1], 1.0, 1e-15);
    CHECK_NEAR(b[0], 1.0, 1e-15);
    /* clip 4 > 3: unchanged (scale clip * (1 / clip), 1 to within rounding) */
    a[0] = 1, a[1] = 2, b[0] = 2;
    ref_clip_by_global_norm(parts, ns, 2, 4.0);
    CHECK_NEAR(a[0], 1, 1e-15);
    CHECK_NEAR(a[1], 2, 1e-15);
    CHECK_NEAR(b[0], 2, 1e-15);
    /* all zero: stays zero */
    a[0] = a[1] = b[0] = 0;
    ref_clip_by_global_norm(parts, ns, 2, 1.0);
    CHECK(a[0] == 0 && a[1] == 0 && b[0] == 0);
    /* a non-finite norm makes every gradient NaN, as in Keras */
    a[0] = INFINITY, a[1] = 1, b[0] = 1;
    ref_clip_by_global_norm(parts, ns, 2, 1.0);
    CHECK(isnan(a[1]) && isnan(b[0]));
}

int main(void) {
    check_sgd();
    check_rmsprop();
    check_adam();
    check_clipping();
    TEST_MAIN_END();
}
