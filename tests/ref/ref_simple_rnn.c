/* ref_simple_rnn.c - reference SimpleRNN, h_t = act(x_t K + b + h_{t-1} R), and its BPTT. */
#include <stdlib.h>
#include <string.h>

#include "ref.h"

/* All pre-activations z (B, T, U) and states h (B, T+1, U), h[:, 0] = h0. */
static void run(const double *x, int B, int T, int I, const double *K, const double *Rk,
                const double *b, int U, ref_act act, const double *h0, double *z, double *h) {
    for (int n = 0; n < B; n++) {
        double *hn = h + (long)n * (T + 1) * U;
        for (int u = 0; u < U; u++) hn[u] = h0 ? h0[(long)n * U + u] : 0;
        for (int t = 0; t < T; t++) {
            double *zt = z + ((long)n * T + t) * U;
            for (int u = 0; u < U; u++) {
                double s = b ? b[u] : 0;
                for (int i = 0; i < I; i++) s += x[((long)n * T + t) * I + i] * K[(long)i * U + u];
                for (int j = 0; j < U; j++) s += hn[(long)t * U + j] * Rk[(long)j * U + u];
                zt[u] = s;
            }
            ref_act_forward(act, zt, 1, U, hn + (long)(t + 1) * U);
        }
    }
}

void ref_simple_rnn_forward(const double *x, int B, int T, int I, const double *K,
                            const double *Rk, const double *b, int U, ref_act act,
                            int return_sequences, const double *h0, double *y) {
    double *z = malloc(sizeof *z * (size_t)B * T * U);
    double *h = malloc(sizeof *h * (size_t)B * (T + 1) * U);
    run(x, B, T, I, K, Rk, b, U, act, h0, z, h);
    for (int n = 0; n < B; n++) {
        const double *hn = h + (long)n * (T + 1) * U;
        if (return_sequences)
            memcpy(y + (long)n * T * U, hn + U, sizeof *y * (size_t)T * U);
        else
            memcpy(y + (long)n * U, hn + (long)T * U, sizeof *y * (size_t)U);
    }
    free(z), free(h);
}

void ref_simple_rnn_backward(const double *x, int B, int T, int I, const double *K,
                             const double *Rk, const double *b, int U, ref_act act,
                             int return_sequences, const double *h0, const double *dy,
                             double *dx, double *dK, double *dRk, double *db, double *dh0) {
    double *z = malloc(sizeof *z * (size_t)B * T * U);
    double *h = malloc(sizeof *h * (size_t)B * (T + 1) * U);
    double *dh = malloc(sizeof *dh * (size_t)U), *dz = malloc(sizeof *dz * (size_t)U);
    run(x, B, T, I, K, Rk, b, U, act, h0, z, h);
    if (dK) memset(dK, 0, sizeof *dK * (size_t)I * U);
    if (dRk) memset(dRk, 0, sizeof *dRk * (size_t)U * U);
    if (db) memset(db, 0, sizeof *db * (size_t)U);
    for (int n = 0; n < B; n++) {
        const double *hn = h + (long)n * (T + 1) * U;
        for (int u = 0; u < U; u++) dh[u] = 0;
        for (int t = T - 1; t >= 0; t--) {
            for (int u = 0; u < U; u++) {
                if (return_sequences) dh[u] += dy[((long)n * T + t) * U + u];
                else if (t == T - 1) dh[u] += dy[(long)n * U + u];
            }
            ref_act_backward(act, z + ((long)n * T + t) * U, hn + (long)(t + 1) * U, dh, 1, U, dz);
            const double *xt = x + ((long)n * T + t) * I, *hp = hn + (long)t * U;
            for (int u = 0; u < U; u++) {
                if (db) db[u] += dz[u];
                for (int i = 0; i < I; i++)
                    if (dK) dK[(long)i * U + u] += xt[i] * dz[u];
                for (int j = 0; j < U; j++)
                    if (dRk) dRk[(long)j * U + u] += hp[j] * dz[u];
            }
            if (dx)
                for (int i = 0; i < I; i++) {
                    double s = 0;
                    for (int u = 0; u < U; u++) s += dz[u] * K[(long)i * U + u];
                    dx[((long)n * T + t) * I + i] = s;
                }
            for (int j = 0; j < U; j++) {
                double s = 0;
                for (int u = 0; u < U; u++) s += dz[u] * Rk[(long)j * U + u];
                dh[j] = s;
            }
        }
        if (dh0)
            for (int u = 0; u < U; u++) dh0[(long)n * U + u] = dh[u];
    }
    free(z), free(h), free(dh), free(dz);
}
