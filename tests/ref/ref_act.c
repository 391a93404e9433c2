/* ref_act.c - reference activations and their derivatives. */
#include <math.h>

#include "ref.h"

void ref_act_forward(ref_act a, const double *z, int R, int C, double *y) {
    for (int r = 0; r < R; r++) {
        const double *zr = z + (long)r * C;
        double *yr = y + (long)r * C;
        if (a == REF_ACT_SOFTMAX) {
            double m = zr[0], s = 0;
            for (int c = 1; c < C; c++) m = fmax(m, zr[c]);
            for (int c = 0; c < C; c++) s += exp(zr[c] - m);
            for (int c = 0; c < C; c++) yr[c] = exp(zr[c] - m) / s;
            continue;
        }
        for (int c = 0; c < C; c++) {
            double v = zr[c];
            yr[c] = a == REF_ACT_SIGMOID ? 1 / (1 + exp(-v))
                  : a == REF_ACT_TANH    ? tanh(v)
                  : a == REF_ACT_RELU    ? (v > 0 ? v : 0)
                                         : v;
        }
    }
}

void ref_act_backward(ref_act a, const double *z, const double *y, const double *dy, int R, int C,
                      double *dz) {
    for (int r = 0; r < R; r++) {
        long o = (long)r * C;
        if (a == REF_ACT_SOFTMAX) {
            /* dz_j = sum_i dy_i y_i (delta_ij - y_j) */
            for (int j = 0; j < C; j++) {
                double s = 0;
                for (int i = 0; i < C; i++) s += dy[o + i] * y[o + i] * ((i == j) - y[o + j]);
                dz[o + j] = s;
            }
            continue;
        }
        for (int c = 0; c < C; c++) {
            double d = a == REF_ACT_SIGMOID ? y[o + c] * (1 - y[o + c])
                     : a == REF_ACT_TANH    ? 1 - y[o + c] * y[o + c]
                     : a == REF_ACT_RELU    ? (z[o + c] > 0 ? 1 : 0)
                                            : 1;
            dz[o + c] = dy[o + c] * d;
        }
    }
}
