/*
 * gru_rows.cl - the row variants of gru.cl for CPUs (see rnn_rows.cl): a work-item runs RB
 * batch rows; the equations and layouts are gru.cl's (reset_after or v1 as RNN_RESET_AFTER
 * says), the arguments RNN_FWD_ARGS and RNN_BWD_ARGS (rnn_common.cl). Its step at whole
 * rows, under the loops of rnn_rows_kernels.cl.
 */

/* The sums start from the recurrent bias (zero without; reset_after) or zero (v1); the input
 * projection joins them in the step. */
#define CELL_ROWS_SUMS_FROM_INPUT 0
static inline void cell_rows_start(float *sums, const float *rbias) {
    for (int k = 0; k < CELL_SUMS * RU; k++) sums[k] = RNN_RESET_AFTER ? rbias[k] : 0.0f;
}

/* h_t = z d + (1 - z) hh for row b (d = h_{t-1} * rmask), where the step is taken */
static inline void gru_row_mix(float *h, const float *zg, const float *hh,
                               __global const float *rmask, int keep, int b, int s, int B,
                               int T, int return_sequences, __global float *hs,
                               __global float *y) {
    /* branches outside the loops over units, so that they vectorize */
    if (keep)
        for (int u = 0; u < RU; u++)
            h[u] = zg[u] * h[u] * rnn_drop(rmask, b, RU, u) + (1.0f - zg[u]) * hh[u];
    size_t so = ((size_t)(s + 1) * B + b) * RU;
    if (rnn_store_step(s, T))
        for (int u = 0; u < RU; u++) hs[so + u] = h[u];
    rows_put_outputs(y, return_sequences, b, s, T, RU, keep, h);
}

#if !RNN_RESET_AFTER
/* v1, between the products, for row b (zeros past the batch): z and r from the first
 * product's sums and the input x, activated in place; mid = r * d, the second product's left
 * side, and its sums' start, second = the candidate's input projection */
static inline void cell_rows_gates(const float *x, float *sums, float *second, float *mid,
                                   const float *h, int rec_act, __global const float *rmask,
                                   int b, int B) {
    for (int k = 0; k < 2 * RU; k++) sums[k] += x[k];
    rows_act(rec_act, sums, 2 * RU);
    for (int u = 0; u < RU; u++) {
        mid[u] = b < B ? sums[RU + u] * h[u] * rnn_drop(rmask, b, RU, u) : 0.0f;
        second[u] = x[2 * RU + u];
    }
}
#endif

/* The step of row b after the sums (v1: after the second product's, second): gates, new
 * state, outputs. */
static inline void cell_row_step(const float *x, float *sums, float *second, const float *mid,
                                 float *h, float *c, int keep, int b, int s, int B, int T,
                                 int act, int rec_act, int return_sequences,
                                 __global const float *rmask, __global float *hs,
                                 __global float *cs, __global float *gates, __global float *y) {
    __global float *gs = gates + ((size_t)s * B + b) * 4 * RU;
#if RNN_RESET_AFTER
    float zr[2 * RU], hh[RU]; /* z and r, then the candidate */
    for (int k = 0; k < 2 * RU; k++) zr[k] = x[k] + sums[k];
    rows_act(rec_act, zr, 2 * RU);
    for (int u = 0; u < RU; u++) hh[u] = x[2 * RU + u] + zr[RU + u] * sums[2 * RU + u];
    rows_act(act, hh, RU);
    for (int u = 0; RNN_KEEP_STEPS && u < RU; u++) {
        gs[u] = zr[u];
        gs[RU + u] = zr[RU + u];
        gs[2 * RU + u] = hh[u];
        gs[3 * RU + u] = sums[2 * RU + u];
    }
    gru_row_mix(h, zr, hh, rmask, keep, b, s, B, T, return_sequences, hs, y);
#else
    float *hh = second;
    rows_act(act, hh, RU);
    for (int u = 0; RNN_KEEP_STEPS && u < RU; u++) {
        gs[u] = sums[u];
        gs[RU + u] = sums[RU + u];
        gs[2 * RU + u] = hh[u];
        gs[3 * RU + u] = mid[u];
    }
    gru_row_mix(h, sums, hh, rmask, keep, b, s, B, T, return_sequences, hs, y);
#endif
}

/* The gradients of row b's step: dz (3U, zero on a masked step; v1: the r block zero, for
 * cell_row_reset), written to dzx and dzh; dh becomes the direct path g z (times rmask by
 * the caller), or the carry of a masked step. */
static inline void cell_row_grads(float *dz, float *dh, float *dc, int keep, int b, int s,
                                  int t, int B, int T, int act, int rec_act,
                                  int return_sequences, __global const float *dy,
                                  __global const float *hs, __global const float *cs,
                                  __global const float *gates, __global const float *rmask,
                                  __global float *dzx, __global float *dzh) {
    __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
    __global const float *hprev = hs + ((size_t)s * B + b) * RU;
    __global float *xo = dzx + ((size_t)b * T + t) * 3 * RU;
    __global float *ho = dzh + ((size_t)s * B + b) * 3 * RU;
    float gy[RU];
    rows_output_grads(gy, dy, return_sequences, b, s, T);
    /* branches outside the loops over units and the global stores after them, so that the
     * loops vectorize */
#if RNN_RESET_AFTER
    float dhp[RU];
    if (keep) {
        for (int u = 0; u < RU; u++) {
            float g = dh[u] + gy[u];
            float zg = gs[u], hh = gs[2 * RU + u], kh = gs[3 * RU + u], rg = gs[RU + u];
            float d = hprev[u] * rnn_drop(rmask, b, RU, u);
            float dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
            dz[u] = g * (d - hh) * act_grad_y(rec_act, zg);
            dz[RU + u] = dhpre * kh * act_grad_y(rec_act, rg);
            dz[2 * RU + u] = dhpre * rg;
            dhp[u] = dhpre;
            dh[u] = g * zg; /* the direct path d -> h_t; times rmask below */
        }
    } else {
        for (int u = 0; u < RU; u++) dh[u] = rnn_masked_carry(dh[u], gy[u]);
        for (int k = 0; k < 3 * RU; k++) dz[k] = 0.0f;
        for (int u = 0; u < RU; u++) dhp[u] = 0.0f;
    }
    for (int k = 0; k < 2 * RU; k++) xo[k] = dz[k];
    for (int u = 0; u < RU; u++) xo[2 * RU + u] = dhp[u];
#else
    for (int k = 0; k < 3 * RU; k++) dz[k] = 0.0f;
    if (keep) {
        for (int u = 0; u < RU; u++) {
            float g = dh[u] + gy[u];
            float zg = gs[u], hh = gs[2 * RU + u];
            float d = hprev[u] * rnn_drop(rmask, b, RU, u);
            dz[2 * RU + u] = g * (1.0f - zg) * act_grad_y(act, hh);
            dz[u] = g * (d - hh) * act_grad_y(rec_act, zg);
            dh[u] = g * zg; /* with respect to d; times rmask below */
        }
    } else {
        for (int u = 0; u < RU; u++) dh[u] = rnn_masked_carry(dh[u], gy[u]);
    }
    for (int k = 0; k < 3 * RU; k++) xo[k] = dz[k];
#endif
    for (int k = 0; k < 3 * RU; k++) ho[k] = dz[k];
}

#if !RNN_RESET_AFTER
/* v1, after the gradient of r * d, drh = dhpre R_h^T, is summed, for row b that took the
 * step: the r block of dz, dzx and dzh, and r's share of the direct path in dh */
static inline void cell_row_reset(const float *drh, float *dz, float *dh, int rec_act, int b,
                                  int s, int t, int B, int T, __global const float *hs,
                                  __global const float *gates, __global const float *rmask,
                                  __global float *dzx, __global float *dzh) {
    __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
    __global const float *hprev = hs + ((size_t)s * B + b) * RU;
    __global float *xo = dzx + ((size_t)b * T + t) * 3 * RU;
    __global float *ho = dzh + ((size_t)s * B + b) * 3 * RU;
    for (int j = 0; j < RU; j++) {
        float rg = gs[RU + j], dr = drh[j];
        float d = hprev[j] * rnn_drop(rmask, b, RU, j);
        float dzr = dr * d * act_grad_y(rec_act, rg);
        xo[RU + j] = ho[RU + j] = dz[RU + j] = dzr;
        dh[j] += dr * rg;
    }
}
#endif
