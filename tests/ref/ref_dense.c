/* ref_dense.c - reference Dense layer, y = act(x W + b), and its gradients. */
#include <stdio.h>
#include <stdlib.h>

#include "ref.h"

static double *alloc(size_t n) {
    double *p = calloc(n ? n : 1, sizeof *p);
    if (!p) {
        fprintf(stderr, "ref_dense: out of memory\n");
        abort();
    }
    return p;
}

/* z (R, U) = x W + b */
static void pre_activation(const double *x, int R, int I, const double *W, const double *b, int U,
                           double *z) {
    for (int r = 0; r < R; r++)
        for (int u = 0; u < U; u++) {
            double s = b ? b[u] : 0;
            for (int i = 0; i < I; i++) s += x[(long)r * I + i] * W[(long)i * U + u];
            z[(long)r * U + u] = s;
        }
}

void ref_dense_forward(const double *x, int R, int I, const double *W, const double *b, int U,
                       ref_act act, double *y) {
    double *z = alloc((size_t)R * U);
    pre_activation(x, R, I, W, b, U, z);
    ref_act_forward(act, z, R, U, y);
    free(z);
}

void ref_dense_backward(const double *x, int R, int I, const double *W, const double *b, int U,
                        ref_act act, const double *dy, double *dx, double *dW, double *db) {
    size_t n = (size_t)R * U;
    double *z = alloc(n), *y = alloc(n), *dz = alloc(n);
    pre_activation(x, R, I, W, b, U, z);
    ref_act_forward(act, z, R, U, y);
    ref_act_backward(act, z, y, dy, R, U, dz);
    if (dW) /* dW = x^T dz */
        for (int i = 0; i < I; i++)
            for (int u = 0; u < U; u++) {
                double s = 0;
                for (int r = 0; r < R; r++) s += x[(long)r * I + i] * dz[(long)r * U + u];
                dW[(long)i * U + u] = s;
            }
    if (db) /* db = column sums of dz */
        for (int u = 0; u < U; u++) {
            double s = 0;
            for (int r = 0; r < R; r++) s += dz[(long)r * U + u];
            db[u] = s;
        }
    if (dx) /* dx = dz W^T */
        for (int r = 0; r < R; r++)
            for (int i = 0; i < I; i++) {
                double s = 0;
                for (int u = 0; u < U; u++) s += dz[(long)r * U + u] * W[(long)i * U + u];
                dx[(long)r * I + i] = s;
            }
    free(z);
    free(y);
    free(dz);
}
