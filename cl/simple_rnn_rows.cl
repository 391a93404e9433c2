/*
 * simple_rnn_rows.cl - the row variant of simple_rnn.cl for CPUs (see rnn_rows.cl): a work-item runs RB
 * batch rows; the equations and layouts are simple_rnn.cl's, the arguments RNN_FWD_ARGS and
 * RNN_BWD_ARGS (rnn_common.cl).
 */
__kernel void simple_rnn_fwd(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACT();
    __global const float *R = params + r_off;
    float h[RB * RU], hd[RB * RU], z[RB * RU];
    rows_load_state(h, hs, b0, B);
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            rows_load_input(z + r * RU, RU, zx, ids, b, t, B, T);
            rows_dropped(hd + r * RU, h + r * RU, rmask, b, B);
        }
        rows_matvec(z, RU, RU, hd, RU, RU, R, RU);
        /* row by row: a unit's activation then takes the same path (vector lanes or the
         * scalar tail when RU is not a multiple of 8) whatever the rows a work-item, and
         * the variants give the same bits (PoCL's vector and scalar tanh differ by a few
         * ulps for some arguments) */
        for (int r = 0; r < RB; r++) rows_act(act, z + r * RU, RU);
        /* branches outside the loops over units, so that they vectorize */
        for (int r = 0; r < RB && b0 + r < B; r++) {
            int b = b0 + r, keep = rnn_keep(mask, b, t, T);
            float *hr = h + r * RU;
            if (keep)
                for (int u = 0; u < RU; u++) hr[u] = z[r * RU + u];
            size_t so = ((size_t)(s + 1) * B + b) * RU;
            if (rnn_store_step(s, T))
                for (int u = 0; u < RU; u++) hs[so + u] = hr[u];
            rows_put_outputs(y, return_sequences, b, s, T, RU, keep, hr);
        }
    }
}

/* params + r_off is R^T (U, U) here (rnn_rows.cl) */
__kernel void simple_rnn_bwd(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACT();
    __global const float *RT = params + r_off;
    float carry[RB * RU], dz[RB * RU], acc[RB * RU];
    int keep[RB];
    rows_start_carry(carry, dh0, b0, B);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            keep[r] = b < B && rnn_keep(mask, b, t, T);
            if (b >= B) {
                for (int u = 0; u < RU; u++) dz[r * RU + u] = 0.0f;
                continue;
            }
            __global const float *hnow = hs + ((size_t)(s + 1) * B + b) * RU;
            __global float *xo = dzx + ((size_t)b * T + t) * RU;
            __global float *ho = dzh + ((size_t)s * B + b) * RU;
            float gy[RU], *cr = carry + r * RU, *dr = dz + r * RU;
            rows_output_grads(gy, dy, return_sequences, b, s, T);
            /* branches outside the loops over units and the global stores after them, so
             * that the loops vectorize */
            if (keep[r]) {
                for (int u = 0; u < RU; u++) dr[u] = (cr[u] + gy[u]) * act_grad_y(act, hnow[u]);
            } else {
                for (int u = 0; u < RU; u++) cr[u] = rnn_masked_carry(cr[u], gy[u]);
                for (int u = 0; u < RU; u++) dr[u] = 0.0f;
            }
            if (RNN_DZX)
                for (int u = 0; u < RU; u++) xo[u] = dr[u];
            for (int u = 0; u < RU; u++) ho[u] = dr[u];
        }
        for (int i = 0; i < RB * RU; i++) acc[i] = 0.0f;
        rows_back_project(acc, dz, RU, RT, 0, RU);
        rows_take_carry(carry, acc, keep, rmask, b0);
    }
    rows_store_state(dh0, carry, b0, B);
}
