/*
 * dropout.c - dropout masks on the device (cl/dropout.cl): 0 or 1/(1-rate) per element, from
 * a hash of (seed, index). Layers draw the seed from the model's one generator per batch.
 * Also the product that applies a mask to an array, repeating it along one axis.
 */
#include <math.h>

#include "runtime.h"

static const char *const DROPOUT_SOURCES[] = {"dropout.cl", NULL};
static const char *const UTIL_SOURCES[] = {"rnn_util.cl", NULL};

clrnn_status clrnn_dropout_mask(clrnn_ctx *ctx, cl_mem mask, size_t n, double rate,
                                uint64_t seed, uint64_t first) {
    if (!(rate >= 0.0 && rate < 1.0))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "dropout rate %g is outside [0, 1)", rate);
    if (n == 0) return CLRNN_OK;
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(ctx, DROPOUT_SOURCES, "", "dropout_mask", &k);
    if (s) return s;
    cl_ulong count = n, sd = seed, from = first;
    cl_float scale = (cl_float)(1.0 / (1.0 - rate));
    cl_uint threshold = (cl_uint)llround(rate * 16777216.0);
    return CLRNN_LAUNCH(ctx, k, "dropout_mask", 1, &n, NULL, KARG(mask), KARG(count),
                        KARG(scale), KARG(threshold), KARG(sd), KARG(from));
}

clrnn_status clrnn_mul_mask_bcast(clrnn_ctx *ctx, cl_mem x, cl_mem mask, cl_mem y, int A, int M,
                                  int C, int skip_first) {
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(ctx, UTIL_SOURCES, "", "mul_mask_bcast", &k);
    if (s) return s;
    size_t g = (size_t)A * (size_t)M * (size_t)C;
    if (g == 0) return CLRNN_OK;
    return CLRNN_LAUNCH(ctx, k, "mul_mask_bcast", 1, &g, NULL, KARG(x), KARG(mask), KARG(y),
                        KARG(A), KARG(M), KARG(C), KARG(skip_first));
}
