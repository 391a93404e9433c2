/* ref_dense.c - reference Dense layer: y = act(x W + b). */
#include <stdlib.h>

#include "ref.h"

void ref_dense_forward(const double *x, int R, int I, const double *W, const double *b, int U,
                       ref_act act, double *y) {
    double *z = malloc(sizeof *z * (size_t)R * U);
    for (int r = 0; r < R; r++)
        for (int u = 0; u < U; u++) {
            double s = b ? b[u] : 0;
            for (int i = 0; i < I; i++) s += x[(long)r * I + i] * W[(long)i * U + u];
            z[(long)r * U + u] = s;
        }
    ref_act_forward(act, z, R, U, y);
    free(z);
}

void ref_dense_backward(const double *x, int R, int I, const double *W, const double *b, int U,
                        ref_act act, const double *dy, double *dx, double *dW, double *db) {
    size_t n = (size_t)R * U;
    double *z = malloc(sizeof *z * n), *y = malloc(sizeof *y * n), *dz = malloc(sizeof *dz * n);
    for (int r = 0; r < R; r++)
        for (int u = 0; u < U; u++) {
            double s = b ? b[u] : 0;
            for (int i = 0; i < I; i++) s += x[(long)r * I + i] * W[(long)i * U + u];
            z[(long)r * U + u] = s;
        }
    ref_act_forward(act, z, R, U, y);
    ref_act_backward(act, z, y, dy, R, U, dz);
    if (dW)
        for (int i = 0; i < I; i++)
            for (int u = 0; u < U; u++) {
                double s = 0;
                for (int r = 0; r < R; r++) s += x[(long)r * I + i] * dz[(long)r * U + u];
                dW[(long)i * U + u] = s;
            }
    if (db)
        for (int u = 0; u < U; u++) {
            double s = 0;
            for (int r = 0; r < R; r++) s += dz[(long)r * U + u];
            db[u] = s;
        }
    if (dx)
        for (int r = 0; r < R; r++)
            for (int i = 0; i < I; i++) {
                double s = 0;
                for (int u = 0; u < U; u++) s += dz[(long)r * U + u] * W[(long)i * U + u];
                dx[(long)r * I + i] = s;
            }
    free(z), free(y), free(dz);
}
