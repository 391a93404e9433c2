/*
 * ref_shape.c - the plain-C reference of the layers that reshape, repeat, pool or mask
 * sequences around the recurrent layers (ref.h), from Keras's definitions.
 */
#include <math.h>
#include <stdlib.h>

#include "ref.h"

void ref_repeat_vector_forward(const double *x, int B, int F, int N, double *y) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < N; t++)
            for (int f = 0; f < F; f++) y[((long)b * N + t) * F + f] = x[(long)b * F + f];
}

void ref_repeat_vector_backward(const double *dy, int B, int F, int N, double *dx) {
    for (int b = 0; b < B; b++)
        for (int f = 0; f < F; f++) {
            double s = 0;
            for (int t = 0; t < N; t++) s += dy[((long)b * N + t) * F + f];
            dx[(long)b * F + f] = s;
        }
}

static double step_weight(const double *mask, int b, int T, int t) {
    return mask ? mask[(long)b * T + t] : 1.0;
}

static double steps_counted(const double *mask, int b, int T) {
    double n = 0;
    for (int t = 0; t < T; t++) n += step_weight(mask, b, T, t);
    return n;
}

void ref_global_avg_pool_forward(const double *x, const double *mask, int B, int T, int F,
                                 double *y) {
    for (int b = 0; b < B; b++) {
        double n = steps_counted(mask, b, T);
        for (int f = 0; f < F; f++) {
            double s = 0;
            for (int t = 0; t < T; t++)
                if (step_weight(mask, b, T, t) != 0) s += x[((long)b * T + t) * F + f];
            y[(long)b * F + f] = s / n;
        }
    }
}

void ref_global_avg_pool_backward(const double *dy, const double *mask, int B, int T, int F,
                                  double *dx) {
    for (int b = 0; b < B; b++) {
        double n = steps_counted(mask, b, T);
        for (int t = 0; t < T; t++)
            for (int f = 0; f < F; f++)
                dx[((long)b * T + t) * F + f] =
                    step_weight(mask, b, T, t) != 0 ? dy[(long)b * F + f] / n : 0.0;
    }
}

static int first_max_step(const double *x, int b, int T, int F, int f) {
    int best = 0;
    for (int t = 1; t < T; t++)
        if (x[((long)b * T + t) * F + f] > x[((long)b * T + best) * F + f]) best = t;
    return best;
}

void ref_global_max_pool_forward(const double *x, int B, int T, int F, double *y) {
    for (int b = 0; b < B; b++)
        for (int f = 0; f < F; f++)
            y[(long)b * F + f] = x[((long)b * T + first_max_step(x, b, T, F, f)) * F + f];
}

void ref_global_max_pool_backward(const double *x, const double *dy, int B, int T, int F,
                                  double *dx) {
    for (long i = 0; i < (long)B * T * F; i++) dx[i] = 0;
    for (int b = 0; b < B; b++)
        for (int f = 0; f < F; f++)
            dx[((long)b * T + first_max_step(x, b, T, F, f)) * F + f] = dy[(long)b * F + f];
}

void ref_masking_forward(const double *x, int B, int T, int F, double mask_value, double *y,
                         double *mask) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const double *xt = x + ((long)b * T + t) * F;
            double keep = 0;
            for (int f = 0; f < F; f++)
                if (xt[f] != mask_value) keep = 1;
            if (mask) mask[(long)b * T + t] = keep;
            for (int f = 0; f < F; f++) y[((long)b * T + t) * F + f] = xt[f] * keep;
        }
}

static int window_max_step(const double *x, int b, int T, int F, int f, int o, int P, int S,
                           int L) {
    int first = o * S - L < 0 ? 0 : o * S - L, last = o * S - L + P > T ? T : o * S - L + P;
    int best = first;
    for (int t = first + 1; t < last; t++)
        if (x[((long)b * T + t) * F + f] > x[((long)b * T + best) * F + f]) best = t;
    return best;
}

void ref_max_pool1d_forward(const double *x, int B, int T, int F, int To, int P, int S, int L,
                            double *y) {
    for (int b = 0; b < B; b++)
        for (int o = 0; o < To; o++)
            for (int f = 0; f < F; f++)
                y[((long)b * To + o) * F + f] =
                    x[((long)b * T + window_max_step(x, b, T, F, f, o, P, S, L)) * F + f];
}

void ref_max_pool1d_backward(const double *x, const double *dy, int B, int T, int F, int To,
                             int P, int S, int L, double *dx) {
    for (long i = 0; i < (long)B * T * F; i++) dx[i] = 0;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < To; o++)
            for (int f = 0; f < F; f++)
                dx[((long)b * T + window_max_step(x, b, T, F, f, o, P, S, L)) * F + f] +=
                    dy[((long)b * To + o) * F + f];
}

/* The row's mean and 1 / sqrt(var + eps). */
static void row_moments(const double *xr, int C, double eps, double *mean, double *inv) {
    double m = 0, v = 0;
    for (int c = 0; c < C; c++) m += xr[c];
    m /= C;
    for (int c = 0; c < C; c++) v += (xr[c] - m) * (xr[c] - m);
    *mean = m;
    *inv = 1.0 / sqrt(v / C + eps);
}

void ref_layer_norm_forward(const double *x, int R, int C, const double *gamma,
                            const double *beta, double eps, double *y) {
    for (int r = 0; r < R; r++) {
        const double *xr = x + (long)r * C;
        double mean, inv;
        row_moments(xr, C, eps, &mean, &inv);
        for (int c = 0; c < C; c++)
            y[(long)r * C + c] =
                (xr[c] - mean) * inv * (gamma ? gamma[c] : 1.0) + (beta ? beta[c] : 0.0);
    }
}

/* With xh = (x - mean) inv and g = dy gamma: dx = inv (g - mean(g) - xh mean(g xh)),
 * dgamma = sum over rows of dy xh, dbeta = sum over rows of dy. */
void ref_layer_norm_backward(const double *x, const double *dy, int R, int C,
                             const double *gamma, double eps, double *dx, double *dgamma,
                             double *dbeta) {
    for (int c = 0; c < C; c++) {
        if (dgamma) dgamma[c] = 0;
        if (dbeta) dbeta[c] = 0;
    }
    double *xh = malloc(sizeof *xh * (size_t)C);
    for (int r = 0; r < R; r++) {
        const double *xr = x + (long)r * C, *dyr = dy + (long)r * C;
        double mean, inv, mg = 0, mgx = 0;
        row_moments(xr, C, eps, &mean, &inv);
        for (int c = 0; c < C; c++) {
            xh[c] = (xr[c] - mean) * inv;
            double g = dyr[c] * (gamma ? gamma[c] : 1.0);
            mg += g / C;
            mgx += g * xh[c] / C;
            if (dgamma) dgamma[c] += dyr[c] * xh[c];
            if (dbeta) dbeta[c] += dyr[c];
        }
        if (dx)
            for (int c = 0; c < C; c++)
                dx[(long)r * C + c] =
                    inv * (dyr[c] * (gamma ? gamma[c] : 1.0) - mg - xh[c] * mgx);
    }
    free(xh);
}

static void conv1d_z(const double *x, int B, int T, int C, const double *K, const double *bias,
                     int F, int P, int S, int L, int To, double *z) {
    for (int b = 0; b < B; b++)
        for (int o = 0; o < To; o++)
            for (int f = 0; f < F; f++) {
                double s = bias ? bias[f] : 0.0;
                for (int k = 0; k < P; k++) {
                    int t = o * S - L + k;
                    if (t < 0 || t >= T) continue;
                    for (int c = 0; c < C; c++)
                        s += x[((long)b * T + t) * C + c] * K[((long)k * C + c) * F + f];
                }
                z[((long)b * To + o) * F + f] = s;
            }
}

void ref_conv1d_forward(const double *x, int B, int T, int C, const double *K,
                        const double *bias, int F, int P, int S, int L, int To, ref_act act,
                        double *y) {
    conv1d_z(x, B, T, C, K, bias, F, P, S, L, To, y);
    ref_act_forward(act, y, B * To, F, y);
}

void ref_conv1d_backward(const double *x, int B, int T, int C, const double *K,
                         const double *bias, int F, int P, int S, int L, int To, ref_act act,
                         const double *dy, double *dx, double *dK, double *db) {
    long n = (long)B * To * F;
    double *z = malloc(sizeof *z * (size_t)n), *y = malloc(sizeof *y * (size_t)n),
           *dz = malloc(sizeof *dz * (size_t)n);
    conv1d_z(x, B, T, C, K, bias, F, P, S, L, To, z);
    ref_act_forward(act, z, B * To, F, y);
    ref_act_backward(act, z, y, dy, B * To, F, dz);
    if (dx)
        for (long i = 0; i < (long)B * T * C; i++) dx[i] = 0;
    if (dK)
        for (long i = 0; i < (long)P * C * F; i++) dK[i] = 0;
    if (db)
        for (int f = 0; f < F; f++) db[f] = 0;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < To; o++)
            for (int f = 0; f < F; f++) {
                double g = dz[((long)b * To + o) * F + f];
                if (db) db[f] += g;
                for (int k = 0; k < P; k++) {
                    int t = o * S - L + k;
                    if (t < 0 || t >= T) continue;
                    for (int c = 0; c < C; c++) {
                        long xi = ((long)b * T + t) * C + c, ki = ((long)k * C + c) * F + f;
                        if (dx) dx[xi] += g * K[ki];
                        if (dK) dK[ki] += g * x[xi];
                    }
                }
            }
    free(z), free(y), free(dz);
}
