/* ref_gated.c - reference LSTM and GRU forward passes, written out gate by gate. */
#include <stdlib.h>
#include <string.h>

#include "ref.h"

static double act1(ref_act a, double z) {
    double y;
    ref_act_forward(a, &z, 1, 1, &y);
    return y;
}

/* out (G*U) = x_t K + h R (+ b), for one sample at one step */
static void project(const double *xt, int I, const double *K, const double *h, const double *Rk,
                    const double *b, int U, int G, double *zx, double *zh) {
    for (int k = 0; k < G * U; k++) {
        double a = b ? b[k] : 0, c = 0;
        for (int i = 0; i < I; i++) a += xt[i] * K[(long)i * G * U + k];
        for (int j = 0; j < U; j++) c += h[j] * Rk[(long)j * G * U + k];
        zx[k] = a;
        zh[k] = c;
    }
}

static void emit(double *y, const double *h, int n, int t, int T, int U, int seq) {
    if (seq)
        memcpy(y + ((long)n * T + t) * U, h, sizeof *h * (size_t)U);
    else if (t == T - 1)
        memcpy(y + (long)n * U, h, sizeof *h * (size_t)U);
}

void ref_lstm_forward(const double *x, int B, int T, int I, const double *K, const double *Rk,
                      const double *b, int U, ref_act act, ref_act rec, int return_sequences,
                      const double *h0, const double *c0, double *y) {
    double *h = malloc(sizeof *h * (size_t)U), *c = malloc(sizeof *c * (size_t)U);
    double *zx = malloc(sizeof *zx * 4 * (size_t)U), *zh = malloc(sizeof *zh * 4 * (size_t)U);
    for (int n = 0; n < B; n++) {
        for (int u = 0; u < U; u++) {
            h[u] = h0 ? h0[(long)n * U + u] : 0;
            c[u] = c0 ? c0[(long)n * U + u] : 0;
        }
        for (int t = 0; t < T; t++) {
            project(x + ((long)n * T + t) * I, I, K, h, Rk, b, U, 4, zx, zh);
            for (int u = 0; u < U; u++) {
                double i = act1(rec, zx[u] + zh[u]);
                double f = act1(rec, zx[U + u] + zh[U + u]);
                double g = act1(act, zx[2 * U + u] + zh[2 * U + u]);
                double o = act1(rec, zx[3 * U + u] + zh[3 * U + u]);
                c[u] = f * c[u] + i * g;
                h[u] = o * act1(act, c[u]);
            }
            emit(y, h, n, t, T, U, return_sequences);
        }
    }
    free(h), free(c), free(zx), free(zh);
}

void ref_gru_forward(const double *x, int B, int T, int I, const double *K, const double *Rk,
                     const double *b, int U, ref_act act, ref_act rec, int reset_after,
                     int return_sequences, const double *h0, double *y) {
    double *h = malloc(sizeof *h * (size_t)U), *hn = malloc(sizeof *hn * (size_t)U);
    double *zx = malloc(sizeof *zx * 3 * (size_t)U), *zh = malloc(sizeof *zh * 3 * (size_t)U);
    double *rh = malloc(sizeof *rh * (size_t)U);
    const double *b1 = reset_after && b ? b + 3 * U : NULL;
    for (int n = 0; n < B; n++) {
        for (int u = 0; u < U; u++) h[u] = h0 ? h0[(long)n * U + u] : 0;
        for (int t = 0; t < T; t++) {
            project(x + ((long)n * T + t) * I, I, K, h, Rk, b, U, 3, zx, zh);
            if (reset_after) {
                for (int u = 0; u < U; u++) {
                    double k1[3];
                    for (int g = 0; g < 3; g++) k1[g] = zh[g * U + u] + (b1 ? b1[g * U + u] : 0);
                    double z = act1(rec, zx[u] + k1[0]), r = act1(rec, zx[U + u] + k1[1]);
                    double hh = act1(act, zx[2 * U + u] + r * k1[2]);
                    hn[u] = z * h[u] + (1 - z) * hh;
                }
            } else {
                for (int u = 0; u < U; u++) rh[u] = act1(rec, zx[U + u] + zh[U + u]) * h[u];
                for (int u = 0; u < U; u++) {
                    double z = act1(rec, zx[u] + zh[u]), a = zx[2 * U + u];
                    for (int j = 0; j < U; j++) a += rh[j] * Rk[(long)j * 3 * U + 2 * U + u];
                    hn[u] = z * h[u] + (1 - z) * act1(act, a);
                }
            }
            memcpy(h, hn, sizeof *h * (size_t)U);
            emit(y, h, n, t, T, U, return_sequences);
        }
    }
    free(h), free(hn), free(zx), free(zh), free(rh);
}
