/*
 * simple_rnn_rows.cl - the row variant of simple_rnn.cl for CPUs (see rnn_rows.cl): a
 * work-item runs RB batch rows; the equations and layouts are simple_rnn.cl's, the arguments
 * RNN_FWD_ARGS and RNN_BWD_ARGS (rnn_common.cl). Its step at whole rows, under the loops of
 * rnn_rows_kernels.cl.
 */

/* the sums start from the input projection, loaded into them */
#define CELL_ROWS_SUMS_FROM_INPUT 1
static inline void cell_rows_start(float *sums, const float *rbias) {}

/* The step of row b after z = zx_t + h_{t-1} R (the sums): the new state, outputs. The
 * activation row by row: a unit's then takes the same path (vector lanes or the scalar tail
 * when RU is not a multiple of 8) whatever the rows a work-item, and the variants give the
 * same bits (PoCL's vector and scalar tanh differ by a few ulps for some arguments). */
static inline void cell_row_step(const float *x, float *z, float *second, const float *mid,
                                 float *h, float *c, int keep, int b, int s, int B, int T,
                                 int act, int rec_act, int return_sequences,
                                 __global const float *rmask, __global float *hs,
                                 __global float *cs, __global float *gates, __global float *y) {
    rows_act(act, z, RU);
    /* branches outside the loops over units, so that they vectorize */
    if (keep)
        for (int u = 0; u < RU; u++) h[u] = z[u];
    size_t so = ((size_t)(s + 1) * B + b) * RU;
    if (rnn_store_step(s, T))
        for (int u = 0; u < RU; u++) hs[so + u] = h[u];
    rows_put_outputs(y, return_sequences, b, s, T, RU, keep, h);
}

/* The gradients of row b's step: dz (U, zero on a masked step), written to dzx and dzh; dh
 * carries on (on a masked step). */
static inline void cell_row_grads(float *dz, float *dh, float *dc, int keep, int b, int s,
                                  int t, int B, int T, int act, int rec_act,
                                  int return_sequences, __global const float *dy,
                                  __global const float *hs, __global const float *cs,
                                  __global const float *gates, __global const float *rmask,
                                  __global float *dzx, __global float *dzh) {
    __global const float *hnow = hs + ((size_t)(s + 1) * B + b) * RU;
    __global float *xo = dzx + ((size_t)b * T + t) * RU;
    __global float *ho = dzh + ((size_t)s * B + b) * RU;
    float gy[RU];
    rows_output_grads(gy, dy, return_sequences, b, s, T);
    /* branches outside the loops over units and the global stores after them, so that the
     * loops vectorize */
    if (keep) {
        for (int u = 0; u < RU; u++) dz[u] = (dh[u] + gy[u]) * act_grad_y(act, hnow[u]);
    } else {
        for (int u = 0; u < RU; u++) dh[u] = rnn_masked_carry(dh[u], gy[u]);
        for (int u = 0; u < RU; u++) dz[u] = 0.0f;
    }
    if (RNN_DZX)
        for (int u = 0; u < RU; u++) xo[u] = dz[u];
    for (int u = 0; u < RU; u++) ho[u] = dz[u];
}
