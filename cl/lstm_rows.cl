/*
 * lstm_rows.cl - the row variant of lstm.cl for CPUs (see rnn_rows.cl): a work-item runs RB
 * batch rows; the equations and layouts are lstm.cl's, the arguments RNN_FWD_ARGS and
 * RNN_BWD_ARGS (rnn_common.cl).
 */

/* The step of row b after z = zx_t + h_{t-1} R: gates, new state, outputs. */
static inline void lstm_row_step(float *z, float *h, float *c, int keep, int b, int s, int B, int T,
                          int act, int rec_act, int return_sequences, __global float *hs,
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

__kernel void lstm_fwd(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACTS();
    __global const float *R = params + r_off;
    float h[RB * RU], c[RB * RU], hd[RB * RU], z[RB * 4 * RU];
    rows_load_state(h, hs, b0, B);
    rows_load_state(c, cs, b0, B);
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            rows_load_input(z + r * 4 * RU, 4 * RU, zx, ids, b, t, B, T);
            rows_dropped(hd + r * RU, h + r * RU, rmask, b, B);
        }
        rows_matvec(z, 4 * RU, 4 * RU, hd, RU, RU, R, 4 * RU);
        for (int r = 0; r < RB && b0 + r < B; r++)
            lstm_row_step(z + r * 4 * RU, h + r * RU, c + r * RU, rnn_keep(mask, b0 + r, t, T),
                          b0 + r, s, B, T, act, rec_act, return_sequences, hs, cs, gates, y);
    }
}

/* The gradients of row b's step: dz (4U, zero on a masked step), written to dzx and dzh;
 * dh and dc carry on. */
static inline void lstm_row_grads(float *dz, float *dh, float *dc, int keep, int b, int s, int t,
                           int B, int T, int act, int rec_act, int return_sequences,
                           __global const float *dy, __global const float *cs,
                           __global const float *gates, __global float *dzx,
                           __global float *dzh) {
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

/* params + r_off is R^T (4U, U) here (rnn_rows.cl) */
__kernel void lstm_bwd(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACTS();
    __global const float *RT = params + r_off;
    float dh[RB * RU], dc[RB * RU], dz[RB * 4 * RU], acc[RB * RU];
    int keep[RB];
    rows_start_carry(dh, dh0, b0, B);
    rows_start_carry(dc, dc0, b0, B);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            keep[r] = b < B && rnn_keep(mask, b, t, T);
            if (b < B)
                lstm_row_grads(dz + r * 4 * RU, dh + r * RU, dc + r * RU, keep[r], b, s, t, B, T,
                               act, rec_act, return_sequences, dy, cs, gates, dzx, dzh);
            else
                for (int k = 0; k < 4 * RU; k++) dz[r * 4 * RU + k] = 0.0f;
        }
        /* dh_{t-1}[j] = rmask[j] * sum_k dz[k] R[j, k] on the rows that took the step */
        for (int i = 0; i < RB * RU; i++) acc[i] = 0.0f;
        rows_back_project(acc, dz, 4 * RU, RT, 0, 4 * RU);
        rows_take_carry(dh, acc, keep, rmask, b0);
    }
    rows_store_state(dh0, dh, b0, B);
    rows_store_state(dc0, dc, b0, B);
}
