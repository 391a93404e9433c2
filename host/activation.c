/*
 * activation.c - activation functions and the element-wise helpers around matrix products
 * (bias, column sums), run with the kernels of cl/dense.cl.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static const char *const DENSE_SOURCES[] = {"common.cl", "dense.cl", NULL};

/* indexed by clrnn_act; both hard sigmoids are written as Keras spells them */
static const char *const ACT_NAMES[] = {"linear", "sigmoid",      "tanh",        "relu",
                                        "softmax", "hard_sigmoid", "hard_sigmoid"};

int clrnn_keras_major_of(const char *keras_version) {
    if (!keras_version || keras_version[0] < '1' || keras_version[0] > '9') return 0;
    return atoi(keras_version);
}

clrnn_status clrnn_act_parse(const char *name, int keras_major, const char *layer,
                             clrnn_act *out) {
    if (!name) return clrnn_fail(CLRNN_E_FORMAT, "layer '%s': activation is not a string", layer);
    if (strcmp(name, "hard_sigmoid") == 0) {
        *out = keras_major >= 3 ? CLRNN_ACT_HARD_SIGMOID_K3 : CLRNN_ACT_HARD_SIGMOID;
        return CLRNN_OK;
    }
    for (int i = 0; i < (int)(sizeof ACT_NAMES / sizeof *ACT_NAMES); i++) {
        if (strcmp(name, ACT_NAMES[i]) == 0) {
            *out = (clrnn_act)i;
            return CLRNN_OK;
        }
    }
    if (strcmp(name, "None") == 0) {
        *out = CLRNN_ACT_LINEAR;
        return CLRNN_OK;
    }
    return clrnn_fail(CLRNN_E_UNSUPPORTED,
                      "layer '%s': activation '%s' is not supported (supported: linear, "
                      "sigmoid, tanh, relu, softmax, hard_sigmoid)",
                      layer, name);
}

const char *clrnn_act_name(clrnn_act a) { return ACT_NAMES[a]; }

clrnn_status clrnn_act_forward(clrnn_ctx *ctx, clrnn_act a, cl_mem z, cl_mem y, size_t rows,
                               size_t cols) {
    cl_kernel k;
    clrnn_status s;
    int r = (int)rows, c = (int)cols;
    if (a == CLRNN_ACT_SOFTMAX) {
        if ((s = clrnn_kernel_get(ctx, DENSE_SOURCES, "", "dense_softmax_fwd", &k))) return s;
        size_t g = rows;
        return CLRNN_LAUNCH(ctx, k, "dense_softmax_fwd", 1, &g, NULL, KARG(z), KARG(y), KARG(r),
                            KARG(c));
    }
    if (a == CLRNN_ACT_LINEAR && z == y) return CLRNN_OK;
    if ((s = clrnn_kernel_get(ctx, DENSE_SOURCES, "", "dense_act_fwd", &k))) return s;
    cl_ulong n = rows * cols;
    int act = (int)a;
    size_t g = (size_t)n;
    return CLRNN_LAUNCH(ctx, k, "dense_act_fwd", 1, &g, NULL, KARG(z), KARG(y), KARG(n), KARG(act));
}

clrnn_status clrnn_act_backward(clrnn_ctx *ctx, clrnn_act a, cl_mem y, cl_mem dy, cl_mem dz,
                                size_t rows, size_t cols) {
    cl_kernel k;
    clrnn_status s;
    int r = (int)rows, c = (int)cols;
    if (a == CLRNN_ACT_SOFTMAX) {
        if ((s = clrnn_kernel_get(ctx, DENSE_SOURCES, "", "dense_softmax_bwd", &k))) return s;
        size_t g = rows;
        return CLRNN_LAUNCH(ctx, k, "dense_softmax_bwd", 1, &g, NULL, KARG(y), KARG(dy), KARG(dz),
                            KARG(r), KARG(c));
    }
    if (a == CLRNN_ACT_LINEAR && dy == dz) return CLRNN_OK;
    if ((s = clrnn_kernel_get(ctx, DENSE_SOURCES, "", "dense_act_bwd", &k))) return s;
    cl_ulong n = rows * cols;
    int act = (int)a;
    size_t g = (size_t)n;
    return CLRNN_LAUNCH(ctx, k, "dense_act_bwd", 1, &g, NULL, KARG(y), KARG(dy), KARG(dz), KARG(n),
                        KARG(act));
}

clrnn_status clrnn_add_bias(clrnn_ctx *ctx, cl_mem z, size_t rows, size_t cols, cl_mem b,
                            size_t b_off) {
    const char *name = ctx->cpu_forms ? "dense_add_bias_rows" : "dense_add_bias";
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(ctx, DENSE_SOURCES, "", name, &k);
    if (s) return s;
    int r = (int)rows, c = (int)cols;
    cl_ulong off = b_off;
    size_t g = rows, l = 0;
    if (!ctx->cpu_forms && (s = clrnn_element_shape(ctx, k, name, rows * cols, &g, &l)))
        return s;
    return CLRNN_LAUNCH(ctx, k, name, 1, &g, ctx->cpu_forms ? NULL : &l, KARG(z), KARG(r),
                        KARG(c), KARG(b), KARG(off));
}

clrnn_status clrnn_sum_rows(clrnn_ctx *ctx, cl_mem dz, size_t rows, size_t cols, cl_mem db,
                            size_t db_off) {
    if (ctx->cpu_forms && rows <= INT_MAX && cols <= INT_MAX)
        return clrnn_colsum_own(ctx, dz, rows, cols, db, db_off); /* CPUs: along rows */
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(ctx, DENSE_SOURCES, "", "dense_sum_rows", &k);
    if (s) return s;
    int r = (int)rows, c = (int)cols;
    cl_ulong off = db_off;
    size_t g = cols * 64, l = 64;
    return CLRNN_LAUNCH(ctx, k, "dense_sum_rows", 1, &g, &l, KARG(dz), KARG(r), KARG(c), KARG(db),
                        KARG(off));
}
