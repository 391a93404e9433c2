/*
 * numeric.h - what the gradient tests share: a seeded uniform generator (so each test's
 * numbers are fixed), float32 -> double copies, and central differences.
 */
#ifndef CLRNN_TEST_NUMERIC_H
#define CLRNN_TEST_NUMERIC_H

#include <stdint.h>
#include <stdlib.h>

/* Uniform in [lo, hi) from a 64-bit LCG state. */
static inline double test_uniform(uint64_t *state, double lo, double hi) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(*state >> 11) / 9007199254740992.0;
}

/* A malloc'ed double copy of n floats. */
static inline double *test_to_double(const float *f, size_t n) {
    double *d = malloc(sizeof *d * (n ? n : 1));
    for (size_t i = 0; i < n; i++) d[i] = f[i];
    return d;
}

/* out[i] = d objective / d v[i] by central differences with step 1e-6 (in double the
 * truncation and rounding errors stay near 1e-9). The objective reads v through problem;
 * scratch is its output buffer. */
typedef double (*test_objective)(const void *problem, double *scratch);
static inline void test_central_diff(test_objective f, const void *problem, double *v, int n,
                                     double *out, double *scratch) {
    for (int i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + 1e-6;
        double up = f(problem, scratch);
        v[i] = keep - 1e-6;
        double down = f(problem, scratch);
        v[i] = keep;
        out[i] = (up - down) / 2e-6;
    }
}

#endif
