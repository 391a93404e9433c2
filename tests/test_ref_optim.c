/*
 * test_ref_optim.c - the reference optimizer steps against updates worked out by hand from
 * Keras 3's formulas (keras-format.md 6.1), so that the reference itself is checked before
 * the kernels are checked against it.
 */
#include <math.h>

#include "ref.h"
#include "test.h"

static void step(struct ref_opt o, int steps, const double *grads, double *w, double *s1,
                 double *s2, double *s3) {
    for (int i = 0; i < steps; i++) ref_opt_step(&o, i, w, grads + i, 1, s1, s2, s3);
}

int main(void) {
    const double g[3] = {0.5, -1.0, 2.0};
    double w, s1, s2, s3;
    struct ref_opt sgd = {REF_OPT_SGD, 0.1, 0, 0, 0, 0, 0, 0, 0};

    /* SGD: w = 1 - 0.1*0.5 + 0.1*1 = 1.05 */
    w = 1, s1 = s2 = s3 = 0;
    step(sgd, 2, g, &w, &s1, &s2, &s3);
    CHECK_NEAR(w, 1.05, 1e-12);
    /* momentum 0.9: m1 = -0.05, w = 0.95; m2 = 0.9*-0.05 + 0.1 = 0.055, w = 1.005 */
    sgd.momentum = 0.9;
    w = 1, s1 = s2 = s3 = 0;
    step(sgd, 2, g, &w, &s1, &s2, &s3);
    CHECK_NEAR(w, 1.005, 1e-12);
    CHECK_NEAR(s1, 0.055, 1e-12);
    /* nesterov: m1 = -0.05, w += 0.9*-0.05 - 0.05 = -0.095 -> 0.905;
     * m2 = 0.055, w += 0.9*0.055 + 0.1 = 0.1495 -> 1.0545 */
    sgd.nesterov = 1;
    w = 1, s1 = s2 = s3 = 0;
    step(sgd, 2, g, &w, &s1, &s2, &s3);
    CHECK_NEAR(w, 1.0545, 1e-12);

    /* RMSprop lr 0.01, rho 0.9, eps 1e-7: v1 = 0.1*0.25 = 0.025, w -= 0.01*0.5/sqrt(0.025+1e-7) */
    struct ref_opt rms = {REF_OPT_RMSPROP, 0.01, 0, 0.9, 0, 0, 1e-7, 0, 0};
    w = 1, s1 = s2 = s3 = 0;
    step(rms, 1, g, &w, &s1, &s2, &s3);
    CHECK_NEAR(w, 1 - 0.005 / sqrt(0.0250001), 1e-12);
    /* two steps: v2 = 0.9*0.025 + 0.1*1 = 0.1225; w -= 0.01*-1/sqrt(0.1225001) */
    ref_opt_step(&rms, 1, &w, &g[1], 1, &s1, &s2, &s3);
    CHECK_NEAR(s1, 0.1225, 1e-12);
    CHECK_NEAR(w, 1 - 0.005 / sqrt(0.0250001) + 0.01 / sqrt(0.1225001), 1e-12);
    /* centered: a1 = 0.05, denom = 0.025 - 0.0025 + 1e-7 */
    rms.centered = 1;
    w = 1, s1 = s2 = s3 = 0;
    step(rms, 1, g, &w, &s1, &s2, &s3);
    CHECK_NEAR(s3, 0.05, 1e-12);
    CHECK_NEAR(w, 1 - 0.005 / sqrt(0.0225001), 1e-12);
    /* momentum 0.5: mom1 = inc1, mom2 = 0.5*inc1 + inc2 */
    rms.centered = 0;
    rms.momentum = 0.5;
    w = 1, s1 = s2 = s3 = 0;
    step(rms, 2, g, &w, &s1, &s2, &s3);
    double inc1 = 0.005 / sqrt(0.0250001), inc2 = -0.01 / sqrt(0.1225001);
    CHECK_NEAR(s2, 0.5 * inc1 + inc2, 1e-12);
    CHECK_NEAR(w, 1 - inc1 - (0.5 * inc1 + inc2), 1e-12);

    /* Adam lr 0.001: step 1 alpha = 0.001*sqrt(0.001)/0.1, m = 0.05, v = 0.00025,
     * w -= alpha * 0.05 / (sqrt(0.00025) + 1e-7) ~= 0.001 * (1 - 6.3e-6) */
    struct ref_opt adam = {REF_OPT_ADAM, 0.001, 0, 0, 0.9, 0.999, 1e-7, 0, 0};
    w = 0, s1 = s2 = s3 = 0;
    step(adam, 1, g, &w, &s1, &s2, &s3);
    double alpha1 = 0.001 * sqrt(1 - 0.999) / (1 - 0.9);
    CHECK_NEAR(w, -alpha1 * 0.05 / (sqrt(0.00025) + 1e-7), 1e-15);
    /* step 2: m = 0.05 + (-1 - 0.05)*0.1 = -0.055, v = 0.00025 + (1 - 0.00025)*0.001 */
    ref_opt_step(&adam, 1, &w, &g[1], 1, &s1, &s2, &s3);
    CHECK_NEAR(s1, -0.055, 1e-15);
    CHECK_NEAR(s2, 0.00025 + 0.99975 * 0.001, 1e-15);
    double alpha2 = 0.001 * sqrt(1 - 0.999 * 0.999) / (1 - 0.81);
    CHECK_NEAR(w, -alpha1 * 0.05 / (sqrt(0.00025) + 1e-7) + alpha2 * 0.055 / (sqrt(s2) + 1e-7), 1e-15);
    /* Keras's observed figure: g = 1e-6 moves w by 2.4025e-4 (epsilon outside the sqrt) */
    w = 0, s1 = s2 = s3 = 0;
    double tiny = 1e-6;
    ref_opt_step(&adam, 0, &w, &tiny, 1, &s1, &s2, &s3);
    CHECK_NEAR(w, -2.4025e-4, 1e-8);

    /* clipping: (3, 4) has norm 5 -> clipnorm 1 gives (0.6, 0.8); a small one stays */
    double v[2] = {3, 4}, small[2] = {0.3, 0.4};
    ref_clip_by_norm(v, 2, 1.0);
    CHECK_NEAR(v[0], 0.6, 1e-15);
    CHECK_NEAR(v[1], 0.8, 1e-15);
    ref_clip_by_norm(small, 2, 1.0);
    CHECK_NEAR(small[0], 0.3, 1e-15);
    /* global: (3) and (4) together have norm 5; clip 2.5 halves both */
    double a = 3, b = 4, *parts[2] = {&a, &b};
    int ns[2] = {1, 1};
    ref_clip_by_global_norm(parts, ns, 2, 2.5);
    CHECK_NEAR(a, 1.5, 1e-15);
    CHECK_NEAR(b, 2.0, 1e-15);
    TEST_MAIN_END();
}
