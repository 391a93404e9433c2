/*
 * test.h - check macros shared by the test executables.
 *
 * Each check prints both values and file:line when it fails; TEST_MAIN_END prints
 * "N passed, N failed" and returns the exit status. A device test that finds no OpenCL
 * device calls test_skip_no_device(), which exits 77 (CTest's skip) unless
 * CLRNN_REQUIRE_DEVICE=1, when it fails instead (CI must not skip device tests).
 */
#ifndef CLRNN_TEST_H
#define CLRNN_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed_, test_failed_;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (cond) {                                                                        \
            test_passed_++;                                                                \
        } else {                                                                           \
            test_failed_++;                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);       \
        }                                                                                  \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                 \
    do {                                                                                   \
        long long a_ = (long long)(a), b_ = (long long)(b);                                \
        if (a_ == b_) {                                                                    \
            test_passed_++;                                                                \
        } else {                                                                           \
            test_failed_++;                                                                \
            fprintf(stderr, "%s:%d: CHECK_INT_EQ failed: %s = %lld, %s = %lld\n", __FILE__, \
                    __LINE__, #a, a_, #b, b_);                                             \
        }                                                                                  \
    } while (0)

/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol)                                                              \
    do {                                                                                   \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);                     \
        if (fabs(a_ - b_) <= t_) {                                                         \
            test_passed_++;                                                                \
        } else {                                                                           \
            test_failed_++;                                                                \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, diff %.3g > %.3g\n", \
                    __FILE__, __LINE__, #a, a_, #b, b_, fabs(a_ - b_), t_);                \
        }                                                                                  \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                                    \
    do {                                                                                   \
        const char *h_ = (hay), *n_ = (needle);                                            \
        if (h_ && strstr(h_, n_)) {                                                        \
            test_passed_++;                                                                \
        } else {                                                                           \
            test_failed_++;                                                                \
            fprintf(stderr, "%s:%d: CHECK_STR_CONTAINS failed: \"%s\" does not contain \"%s\"\n", \
                    __FILE__, __LINE__, h_ ? h_ : "(null)", n_);                            \
        }                                                                                  \
    } while (0)

/* Largest absolute and relative differences between two arrays, printed with a label and
 * checked against tolerances: each element must satisfy |a-b| <= atol + rtol*|b|. */
static inline void check_arrays_close(const char *file, int line, const char *label,
                                      const double *a, const double *b, long n, double atol,
                                      double rtol) {
    double max_abs = 0, max_rel = 0;
    long bad = 0, first_bad = -1;
    for (long i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        double r = d / (fabs(b[i]) > 1e-30 ? fabs(b[i]) : 1e-30);
        if (d > max_abs) max_abs = d;
        if (d > 1e-12 && r > max_rel) max_rel = r;
        if (!(d <= atol + rtol * fabs(b[i]))) {
            if (first_bad < 0) first_bad = i;
            bad++;
        }
    }
    printf("  %-40s n=%-7ld max abs %.3g, max rel %.3g\n", label, n, max_abs, max_rel);
    if (bad == 0) {
        test_passed_++;
    } else {
        test_failed_++;
        fprintf(stderr, "%s:%d: %s: %ld of %ld values differ; first at %ld: %.9g vs %.9g "
                "(atol %.3g, rtol %.3g)\n", file, line, label, bad, n, first_bad, a[first_bad],
                b[first_bad], atol, rtol);
    }
}
#define CHECK_ARRAYS_CLOSE(label, a, b, n, atol, rtol)                                    \
    check_arrays_close(__FILE__, __LINE__, label, a, b, n, atol, rtol)

static inline void test_skip_no_device(const char *why) {
    const char *req = getenv("CLRNN_REQUIRE_DEVICE");
    if (req && strcmp(req, "1") == 0) {
        fprintf(stderr, "no OpenCL device, but CLRNN_REQUIRE_DEVICE=1: %s\n", why);
        printf("0 passed, 1 failed\n");
        exit(1);
    }
    fprintf(stderr, "skipped: no OpenCL device: %s\n", why);
    exit(77);
}

/* CLRNN_TEST_SMALL=1: the kernel tests' small form, for a device that runs kernels slowly
 * (Oclgrind, tests/oclgrind/run.sh): sizes that still cross every branch (rows past the
 * batch's end, units not a multiple of a group) without the large cases. */
static inline int test_small(void) {
    const char *v = getenv("CLRNN_TEST_SMALL");
    return v && *v && strcmp(v, "0") != 0;
}

/* The OpenCL device tests run on (CLRNN_DEVICE picks it), its name printed; skips the test
 * without one (test_skip_no_device), fails it on another error. Needs clrnn.h. */
#define TEST_OPEN_DEVICE(ctx)                                                              \
    do {                                                                                   \
        clrnn_status open_ = clrnn_ctx_create(NULL, &(ctx));                               \
        if (open_ == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());           \
        if (open_) {                                                                       \
            fprintf(stderr, "%s\n", clrnn_last_error());                                   \
            return 1;                                                                      \
        }                                                                                  \
        printf("device: %s\n", clrnn_ctx_device(ctx)->name);                               \
    } while (0)

#define TEST_MAIN_END()                                                                    \
    do {                                                                                   \
        printf("%d passed, %d failed\n", test_passed_, test_failed_);                      \
        return test_failed_ ? 1 : 0;                                                       \
    } while (0)

#endif
