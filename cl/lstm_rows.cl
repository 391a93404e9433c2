/*
 * lstm_rows.cl - the row variant of lstm.cl for CPUs (see rnn_rows.cl): a work-item runs RB
 * batch rows; the equations and layouts are lstm.cl's, the arguments RNN_FWD_ARGS and
 * RNN_BWD_ARGS (rnn_common.cl). Its step at whole rows, under the loops of
 * rnn_rows_kernels.cl.
 */

/* the sums start from the input projection, loaded into them */
#define CELL_ROWS_SUMS_FROM_INPUT 1
static inline void cell_rows_start(float *sums, const float *rbias) {}

/* The step of row b after z = zx_t + h_{t-1} R (the sums): gates, new state, outputs. */
static inline void cell_row_step(const float *x, float *z, float *second, const float *mid,
                                 float *h, float *c, int keep, int b, int s, int B, int T,
                                 int act, int rec_act, int return_sequences,
                                 __global const float *rmask, __global float *hs,
                                 __global float *cs, __global float *gates, __global float *y) {
    rows_act(rec_act, z, 2 * RU); /* i, f */
    rows_act(act, z + 2 * RU, RU); /* g */
    rows_act(rec_act, z + 3 * RU, RU); /* o */
    __global float *gs = gates + ((size_t)s * B + b) * 4 * RU;
    if (RNN_KEEP_STEPS)
        for (int k = 0; k < 4 * RU; k++) gs[k] = z[k];
    /* branches outside the loops over units, so that they vectorize */
    if (keep) {
        float ac[RU];
        for (int u = 0; u < RU; u++) ac[u] = c[u] = z[RU + u] * c[u] + z[u] * z[2 * RU + u];
        rows_act(act, ac, RU);
        for (int u = 0; u < RU; u++) h[u] = z[3 * RU + u] * ac[u];
    }
    size_t so = ((size_t)(s + 1) * B + b) * RU;
    if (rnn_store_step(s, T)) {
        for (int u = 0; u < RU; u++) cs[so + u] = c[u];
        for (int u = 0; u < RU; u++) hs[so + u] = h[u];
    }
    rows_put_outputs(y, return_sequences, b, s, T, RU, keep, h);
}

/* The gradients of row b's step: dz (4U, zero on a masked step), written to dzx and dzh;
 * dh and dc carry on. */
static inline void cell_row_grads(float *dz, float *dh, float *dc, int keep, int b, int s,
                                  int t, int B, int T, int act, int rec_act,
                                  int return_sequences, __global const float *dy,
                                  __global const float *hs, __global const float *cs,
                                  __global const float *gates, __global const float *rmask,
                                  __global float *dzx, __global float *dzh) {
    __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
    __global const float *cnow = cs + ((size_t)(s + 1) * B + b) * RU;
    __global const float *cprev = cs + ((size_t)s * B + b) * RU;
    float gy[RU];
    rows_output_grads(gy, dy, return_sequences, b, s, T);
    /* branches outside the loops over units, so that they vectorize */
    if (keep) {
        float acs[RU];
        for (int u = 0; u < RU; u++) acs[u] = cnow[u];
        rows_act(act, acs, RU);
        for (int u = 0; u < RU; u++) {
            float g = dh[u] + gy[u];
            float ig = gs[u], fg = gs[RU + u], gg = gs[2 * RU + u], og = gs[3 * RU + u];
            float ac = acs[u];
            float dcv = dc[u] + g * og * act_grad_y(act, ac);
            dc[u] = dcv * fg;
            dz[u] = dcv * gg * act_grad_y(rec_act, ig);
            dz[RU + u] = dcv * cprev[u] * act_grad_y(rec_act, fg);
            dz[2 * RU + u] = dcv * ig * act_grad_y(act, gg);
            dz[3 * RU + u] = g * ac * act_grad_y(rec_act, og);
        }
    } else {
        /* dc is carried over unchanged */
        for (int u = 0; u < RU; u++) dh[u] = rnn_masked_carry(dh[u], gy[u]);
        for (int k = 0; k < 4 * RU; k++) dz[k] = 0.0f;
    }
    __global float *xo = dzx + ((size_t)b * T + t) * 4 * RU;
    __global float *ho = dzh + ((size_t)s * B + b) * 4 * RU;
    if (RNN_DZX)
        for (int k = 0; k < 4 * RU; k++) xo[k] = dz[k];
    for (int k = 0; k < 4 * RU; k++) ho[k] = dz[k];
}
