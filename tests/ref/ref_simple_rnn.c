/* ref_simple_rnn.c - reference SimpleRNN, h_t = act(x_t K + b + h_{t-1} R), and its
 * backpropagation through time (keras-format.md 5.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"

static double *alloc(size_t n) {
    double *p = calloc(n ? n : 1, sizeof *p);
    if (!p) {
        fprintf(stderr, "ref_simple_rnn: out of memory\n");
        abort();
    }
    return p;
}

/* Runs the whole sequence, keeping every pre-activation z (B, T, U) and every state
 * h (B, T+1, U), where h[n][0] = h0 (or zeros) and h[n][t+1] = act(z[n][t]). */
static void run(const double *x, int B, int T, int I, const double *K, const double *Rk,
                const double *b, int U, ref_act act, const double *h0, double *z, double *h) {
    for (int n = 0; n < B; n++) {
        double *hn = h + (long)n * (T + 1) * U;
        for (int u = 0; u < U; u++) hn[u] = h0 ? h0[(long)n * U + u] : 0;
        for (int t = 0; t < T; t++) {
            const double *xt = x + ((long)n * T + t) * I, *hp = hn + (long)t * U;
            double *zt = z + ((long)n * T + t) * U;
            for (int u = 0; u < U; u++) {
                double s = b ? b[u] : 0;
                for (int i = 0; i < I; i++) s += xt[i] * K[(long)i * U + u];
                for (int j = 0; j < U; j++) s += hp[j] * Rk[(long)j * U + u];
                zt[u] = s;
            }
            ref_act_forward(act, zt, 1, U, hn + (long)(t + 1) * U);
        }
    }
}

void ref_simple_rnn_forward(const double *x, int B, int T, int I, const double *K,
                            const double *Rk, const double *b, int U, ref_act act,
                            int return_sequences, const double *h0, double *y) {
    double *z = alloc((size_t)B * T * U), *h = alloc((size_t)B * (T + 1) * U);
    run(x, B, T, I, K, Rk, b, U, act, h0, z, h);
    for (int n = 0; n < B; n++) {
        const double *hn = h + (long)n * (T + 1) * U;
        if (return_sequences) /* y[n] = h[n][1..T] */
            memcpy(y + (long)n * T * U, hn + U, sizeof *y * (size_t)T * U);
        else /* y[n] = h[n][T] */
            memcpy(y + (long)n * U, hn + (long)T * U, sizeof *y * (size_t)U);
    }
    free(z);
    free(h);
}

void ref_simple_rnn_backward(const double *x, int B, int T, int I, const double *K,
                             const double *Rk, const double *b, int U, ref_act act,
                             int return_sequences, const double *h0, const double *dy,
                             double *dx, double *dK, double *dRk, double *db, double *dh0) {
    double *z = alloc((size_t)B * T * U), *h = alloc((size_t)B * (T + 1) * U);
    double *dh = alloc((size_t)U), *dz = alloc((size_t)U);
    run(x, B, T, I, K, Rk, b, U, act, h0, z, h);
    /* the weight gradients sum over samples and steps: start them at zero */
    if (dK) memset(dK, 0, sizeof *dK * (size_t)I * U);
    if (dRk) memset(dRk, 0, sizeof *dRk * (size_t)U * U);
    if (db) memset(db, 0, sizeof *db * (size_t)U);
    for (int n = 0; n < B; n++) {
        const double *hn = h + (long)n * (T + 1) * U;
        /* dh = d objective / d h_t, carried backwards from the step after */
        for (int u = 0; u < U; u++) dh[u] = 0;
        for (int t = T - 1; t >= 0; t--) {
            if (return_sequences)
                for (int u = 0; u < U; u++) dh[u] += dy[((long)n * T + t) * U + u];
            else if (t == T - 1)
                for (int u = 0; u < U; u++) dh[u] += dy[(long)n * U + u];
            const double *xt = x + ((long)n * T + t) * I, *hp = hn + (long)t * U;
            ref_act_backward(act, z + ((long)n * T + t) * U, hn + (long)(t + 1) * U, dh, 1, U,
                             dz);
            for (int u = 0; u < U; u++) {
                if (db) db[u] += dz[u];
                if (dK)
                    for (int i = 0; i < I; i++) dK[(long)i * U + u] += xt[i] * dz[u];
                if (dRk)
                    for (int j = 0; j < U; j++) dRk[(long)j * U + u] += hp[j] * dz[u];
            }
            if (dx) /* dx_t = dz K^T */
                for (int i = 0; i < I; i++) {
                    double s = 0;
                    for (int u = 0; u < U; u++) s += dz[u] * K[(long)i * U + u];
                    dx[((long)n * T + t) * I + i] = s;
                }
            /* d h_{t-1} = dz R^T */
            for (int j = 0; j < U; j++) {
                double s = 0;
                for (int u = 0; u < U; u++) s += dz[u] * Rk[(long)j * U + u];
                dh[j] = s;
            }
        }
        if (dh0) /* what is left after step 0 is the gradient for h0 */
            for (int u = 0; u < U; u++) dh0[(long)n * U + u] = dh[u];
    }
    free(z);
    free(h);
    free(dh);
    free(dz);
}
