/*
 * gru_rows.cl - the row variants of gru.cl for CPUs (see rnn_rows.cl): a work-item runs RB
 * batch rows; the equations and layouts are gru.cl's, the arguments RNN_FWD_ARGS and
 * RNN_BWD_ARGS (rnn_common.cl).
 */

/* h_t = z d + (1 - z) hh for row b (d = h_{t-1} * rmask), where the step is taken */
static inline void gru_row_mix(float *h, const float *zg, const float *hh, __global const float *rmask,
                        int keep, int b, int s, int B, int T, int return_sequences,
                        __global float *hs, __global float *y) {
    /* branches outside the loops over units, so that they vectorize */
    if (keep)
        for (int u = 0; u < RU; u++)
            h[u] = zg[u] * h[u] * rnn_drop(rmask, b, RU, u) + (1.0f - zg[u]) * hh[u];
    size_t so = ((size_t)(s + 1) * B + b) * RU;
    if (rnn_store_step(s, T))
        for (int u = 0; u < RU; u++) hs[so + u] = h[u];
    rows_put_outputs(y, return_sequences, b, s, T, RU, keep, h);
}

/* Loads zx_t of the RB rows from b0 into z (rows of 3U; zeros past the batch) and their
 * dropped states into hd. */
static inline void gru_rows_inputs(float *z, float *hd, const float *h, __global const float *zx,
                            __global const int *ids, __global const float *rmask, int b0, int t,
                            int B, int T) {
    for (int r = 0; r < RB; r++) {
        int b = b0 + r;
        rows_load_input(z + r * 3 * RU, 3 * RU, zx, ids, b, t, B, T);
        rows_dropped(hd + r * RU, h + r * RU, rmask, b, B);
    }
}

__kernel void gru_fwd(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACTS();
    __global const float *R = params + r_off;
    __global const float *b1 = params + rb_off;
    float h[RB * RU], hd[RB * RU], z[RB * 3 * RU], k3[RB * 3 * RU], rbias[3 * RU];
    for (int k = 0; k < 3 * RU; k++) rbias[k] = has_rbias ? b1[k] : 0.0f;
    rows_load_state(h, hs, b0, B);
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        gru_rows_inputs(z, hd, h, zx, ids, rmask, b0, t, B, T);
        for (int r = 0; r < RB; r++)
            for (int k = 0; k < 3 * RU; k++) k3[r * 3 * RU + k] = rbias[k];
        rows_matvec(k3, 3 * RU, 3 * RU, hd, RU, RU, R, 3 * RU);
        for (int r = 0; r < RB && b0 + r < B; r++) {
            int b = b0 + r;
            const float *zb = z + r * 3 * RU, *kb = k3 + r * 3 * RU;
            float zr[2 * RU], hh[RU]; /* z and r, then the candidate */
            for (int k = 0; k < 2 * RU; k++) zr[k] = zb[k] + kb[k];
            rows_act(rec_act, zr, 2 * RU);
            for (int u = 0; u < RU; u++) hh[u] = zb[2 * RU + u] + zr[RU + u] * kb[2 * RU + u];
            rows_act(act, hh, RU);
            __global float *gs = gates + ((size_t)s * B + b) * 4 * RU;
            for (int u = 0; RNN_KEEP_STEPS && u < RU; u++) {
                gs[u] = zr[u];
                gs[RU + u] = zr[RU + u];
                gs[2 * RU + u] = hh[u];
                gs[3 * RU + u] = kb[2 * RU + u];
            }
            gru_row_mix(h + r * RU, zr, hh, rmask, rnn_keep(mask, b, t, T), b, s, B, T,
                        return_sequences, hs, y);
        }
    }
}

/* params + r_off is R^T (3U, U) here (rnn_rows.cl) */
__kernel void gru_bwd(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACTS();
    __global const float *RT = params + r_off;
    float dh[RB * RU], dz[RB * 3 * RU];
    int keep[RB];
    rows_start_carry(dh, dh0, b0, B);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            float *dzb = dz + r * 3 * RU, *dhb = dh + r * RU;
            keep[r] = b < B && rnn_keep(mask, b, t, T);
            if (b >= B) {
                for (int k = 0; k < 3 * RU; k++) dzb[k] = 0.0f;
                continue;
            }
            __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
            __global const float *hprev = hs + ((size_t)s * B + b) * RU;
            __global float *xo = dzx + ((size_t)b * T + t) * 3 * RU;
            __global float *ho = dzh + ((size_t)s * B + b) * 3 * RU;
            float gy[RU], dhp[RU];
            rows_output_grads(gy, dy, return_sequences, b, s, T);
            /* branches outside the loops over units and the global stores after them, so
             * that the loops vectorize */
            if (keep[r]) {
                for (int u = 0; u < RU; u++) {
                    float g = dhb[u] + gy[u];
                    float zg = gs[u], hh = gs[2 * RU + u], kh = gs[3 * RU + u], rg = gs[RU + u];
                    float d = hprev[u] * rnn_drop(rmask, b, RU, u);
                    float dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
                    dzb[u] = g * (d - hh) * act_grad_y(rec_act, zg);
                    dzb[RU + u] = dhpre * kh * act_grad_y(rec_act, rg);
                    dzb[2 * RU + u] = dhpre * rg;
                    dhp[u] = dhpre;
                    dhb[u] = g * zg; /* the direct path d -> h_t; times rmask below */
                }
            } else {
                for (int u = 0; u < RU; u++) dhb[u] = rnn_masked_carry(dhb[u], gy[u]);
                for (int k = 0; k < 3 * RU; k++) dzb[k] = 0.0f;
                for (int u = 0; u < RU; u++) dhp[u] = 0.0f;
            }
            for (int k = 0; k < 2 * RU; k++) xo[k] = dzb[k];
            for (int u = 0; u < RU; u++) xo[2 * RU + u] = dhp[u];
            for (int k = 0; k < 3 * RU; k++) ho[k] = dzb[k];
        }
        /* dh_{t-1}[j] = rmask[j] (g z[j] + sum_k dz[k] R[j, k]) on the rows that took the step */
        float acc[RB * RU];
        for (int i = 0; i < RB * RU; i++) acc[i] = dh[i];
        rows_back_project(acc, dz, 3 * RU, RT, 0, 3 * RU);
        rows_take_carry(dh, acc, keep, rmask, b0);
    }
    rows_store_state(dh0, dh, b0, B);
}

__kernel void gru_v1_fwd(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACTS();
    __global const float *R = params + r_off;
    float h[RB * RU], hd[RB * RU], z[RB * 3 * RU], k2[RB * 2 * RU], rh[RB * RU], kh[RB * RU];
    rows_load_state(h, hs, b0, B);
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        gru_rows_inputs(z, hd, h, zx, ids, rmask, b0, t, B, T);
        /* z and r, and r * d for the candidate */
        for (int i = 0; i < RB * 2 * RU; i++) k2[i] = 0.0f;
        rows_matvec(k2, 2 * RU, 2 * RU, hd, RU, RU, R, 3 * RU);
        for (int r = 0; r < RB; r++) {
            float *kb = k2 + r * 2 * RU;
            for (int k = 0; k < 2 * RU; k++) kb[k] += z[r * 3 * RU + k];
            rows_act(rec_act, kb, 2 * RU);
            for (int u = 0; u < RU; u++) {
                rh[r * RU + u] = b0 + r < B ? kb[RU + u] * h[r * RU + u] *
                                                  rnn_drop(rmask, b0 + r, RU, u)
                                            : 0.0f;
                kh[r * RU + u] = z[r * 3 * RU + 2 * RU + u];
            }
        }
        rows_matvec(kh, RU, RU, rh, RU, RU, R + 2 * RU, 3 * RU);
        for (int r = 0; r < RB && b0 + r < B; r++) {
            int b = b0 + r;
            float *kb = k2 + r * 2 * RU, *hh = kh + r * RU;
            rows_act(act, hh, RU);
            __global float *gs = gates + ((size_t)s * B + b) * 4 * RU;
            for (int u = 0; RNN_KEEP_STEPS && u < RU; u++) {
                gs[u] = kb[u];
                gs[RU + u] = kb[RU + u];
                gs[2 * RU + u] = hh[u];
                gs[3 * RU + u] = rh[r * RU + u];
            }
            gru_row_mix(h + r * RU, kb, hh, rmask, rnn_keep(mask, b, t, T), b, s, B, T,
                        return_sequences, hs, y);
        }
    }
}

/* params + r_off is R^T (3U, U) here (rnn_rows.cl) */
__kernel void gru_v1_bwd(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACTS();
    __global const float *RT = params + r_off;
    float dh[RB * RU], dz[RB * 3 * RU], drh[RB * RU], acc[RB * RU];
    int keep[RB];
    rows_start_carry(dh, dh0, b0, B);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            float *dzb = dz + r * 3 * RU, *dhb = dh + r * RU;
            keep[r] = b < B && rnn_keep(mask, b, t, T);
            if (b >= B) {
                for (int k = 0; k < 3 * RU; k++) dzb[k] = 0.0f;
                continue;
            }
            __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
            __global const float *hprev = hs + ((size_t)s * B + b) * RU;
            __global float *xo = dzx + ((size_t)b * T + t) * 3 * RU;
            __global float *ho = dzh + ((size_t)s * B + b) * 3 * RU;
            float gy[RU];
            rows_output_grads(gy, dy, return_sequences, b, s, T);
            /* the r block (RU..2RU) is set below; branches outside the loops over units and
             * the global stores after them, so that the loops vectorize */
            for (int k = 0; k < 3 * RU; k++) dzb[k] = 0.0f;
            if (keep[r]) {
                for (int u = 0; u < RU; u++) {
                    float g = dhb[u] + gy[u];
                    float zg = gs[u], hh = gs[2 * RU + u];
                    float d = hprev[u] * rnn_drop(rmask, b, RU, u);
                    dzb[2 * RU + u] = g * (1.0f - zg) * act_grad_y(act, hh);
                    dzb[u] = g * (d - hh) * act_grad_y(rec_act, zg);
                    dhb[u] = g * zg; /* with respect to d; times rmask below */
                }
            } else {
                for (int u = 0; u < RU; u++) dhb[u] = rnn_masked_carry(dhb[u], gy[u]);
            }
            for (int k = 0; k < 3 * RU; k++) xo[k] = dzb[k];
            for (int k = 0; k < 3 * RU; k++) ho[k] = dzb[k];
        }
        /* through r * d: d(rd)[j] = sum_k dhpre[k] R_h[j, k] */
        for (int i = 0; i < RB * RU; i++) drh[i] = 0.0f;
        rows_back_project(drh, dz, 3 * RU, RT, 2 * RU, 3 * RU);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            if (!keep[r]) continue;
            __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
            __global const float *hprev = hs + ((size_t)s * B + b) * RU;
            __global float *xo = dzx + ((size_t)b * T + t) * 3 * RU;
            __global float *ho = dzh + ((size_t)s * B + b) * 3 * RU;
            for (int j = 0; j < RU; j++) {
                float rg = gs[RU + j], dr = drh[r * RU + j];
                float d = hprev[j] * rnn_drop(rmask, b, RU, j);
                float dzr = dr * d * act_grad_y(rec_act, rg);
                xo[RU + j] = ho[RU + j] = dz[r * 3 * RU + RU + j] = dzr;
                dh[r * RU + j] += dr * rg;
            }
        }
        for (int i = 0; i < RB * RU; i++) acc[i] = dh[i];
        rows_back_project(acc, dz, 3 * RU, RT, 0, 2 * RU);
        rows_take_carry(dh, acc, keep, rmask, b0);
    }
    rows_store_state(dh0, dh, b0, B);
}
