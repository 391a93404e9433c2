/* ref_act.c - reference activations and their derivatives (Keras 3: linear, sigmoid, tanh,
 * relu, and softmax over the last axis; hard_sigmoid of Keras 2 and of Keras 3). */
#include <math.h>

#include "ref.h"

static double act1(ref_act a, double z) {
    switch (a) {
    case REF_ACT_SIGMOID: return 1 / (1 + exp(-z));
    case REF_ACT_TANH: return tanh(z);
    case REF_ACT_RELU: return z > 0 ? z : 0;
    case REF_ACT_HARD_SIGMOID: return fmin(fmax(0.2 * z + 0.5, 0), 1);
    case REF_ACT_HARD_SIGMOID_K3: return fmin(fmax(z / 6 + 0.5, 0), 1);
    default: return z; /* linear */
    }
}

/* d act / d z at z, written with y = act(z) where that is the usual form */
static double dact1(ref_act a, double z, double y) {
    switch (a) {
    case REF_ACT_SIGMOID: return y * (1 - y);
    case REF_ACT_TANH: return 1 - y * y;
    case REF_ACT_RELU: return z > 0 ? 1 : 0; /* 0 at the kink, as Keras's backends do */
    case REF_ACT_HARD_SIGMOID: return fabs(0.2 * z) < 0.5 ? 0.2 : 0;
    case REF_ACT_HARD_SIGMOID_K3: return fabs(z / 6) < 0.5 ? 1.0 / 6 : 0;
    default: return 1;
    }
}

void ref_act_forward(ref_act a, const double *z, int R, int C, double *y) {
    for (int r = 0; r < R; r++) {
        const double *zr = z + (long)r * C;
        double *yr = y + (long)r * C;
        if (a == REF_ACT_SOFTMAX) {
            /* subtract the row max first so that exp cannot overflow */
            double m = zr[0], s = 0;
            for (int c = 1; c < C; c++) m = fmax(m, zr[c]);
            for (int c = 0; c < C; c++) s += exp(zr[c] - m);
            for (int c = 0; c < C; c++) yr[c] = exp(zr[c] - m) / s;
        } else {
            for (int c = 0; c < C; c++) yr[c] = act1(a, zr[c]);
        }
    }
}

void ref_act_backward(ref_act a, const double *z, const double *y, const double *dy, int R, int C,
                      double *dz) {
    for (int r = 0; r < R; r++) {
        long o = (long)r * C;
        if (a == REF_ACT_SOFTMAX) {
            /* dy_i/dz_j = y_i (delta_ij - y_j), so dz_j = y_j (dy_j - sum_i dy_i y_i) */
            double dot = 0;
            for (int i = 0; i < C; i++) dot += dy[o + i] * y[o + i];
            for (int j = 0; j < C; j++) dz[o + j] = y[o + j] * (dy[o + j] - dot);
        } else {
            for (int c = 0; c < C; c++) dz[o + c] = dy[o + c] * dact1(a, z[o + c], y[o + c]);
        }
    }
}
