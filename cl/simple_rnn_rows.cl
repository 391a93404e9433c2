/*
 * simple_rnn_rows.cl - the row variant of simple_rnn.cl for CPUs (see rnn_rows.cl): one
 * work-item per batch row; the equations, arguments and layouts are simple_rnn.cl's.
 */
__kernel void simple_rnn_fwd(__global const float *zx, __global const float *params,
                             ulong r_off, __global const float *mask,
                             __global const float *rmask, __global float *hs, __global float *y,
                             int B, int T, int U, int act, int return_sequences,
                             int rows_per_group, __local float *unused_h,
                             __local float *unused_hn) {
    int b = get_global_id(0);
    if (b >= B) return;
    ROWS_FIX_ACT();
    __global const float *R = params + r_off;
    float h[RU], z[RU];
    for (int u = 0; u < RU; u++) h[u] = hs[(size_t)b * RU + u];
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        int keep = rnn_keep(mask, b, t, T);
        __global const float *zr = zx + ((size_t)b * T + t) * RU;
        for (int u = 0; u < RU; u++) z[u] = zr[u];
        float hd[RU];
        rows_dropped(hd, h, rmask, b);
        rows_matvec(z, hd, RU, R, RU, RU);
        rows_act(act, z, RU);
        size_t so = ((size_t)(s + 1) * B + b) * RU;
        for (int u = 0; u < RU; u++) {
            float h_new = z[u], h_old = h[u];
            if (keep) h[u] = h_new;
            hs[so + u] = h[u];
            rnn_put_output(y, return_sequences, b, s, T, RU, u, keep, h_new, h_old);
        }
    }
}

/* params + r_off is R^T (U, U) here (rnn_rows.cl) */
__kernel void simple_rnn_bwd(__global const float *dy, __global const float *hs,
                             __global const float *params, ulong r_off,
                             __global const float *mask, __global const float *rmask,
                             __global float *dz_bm, __global float *dz_tm, __global float *dh0,
                             int B, int T, int U, int act, int return_sequences,
                             int rows_per_group, __local float *unused_carry,
                             __local float *unused_dz) {
    int b = get_global_id(0);
    if (b >= B) return;
    ROWS_FIX_ACT();
    __global const float *RT = params + r_off;
    float carry[RU], dz[RU];
    for (int u = 0; u < RU; u++) carry[u] = 0.0f;
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        int keep = rnn_keep(mask, b, t, T);
        __global const float *hnow = hs + ((size_t)(s + 1) * B + b) * RU;
        __global float *xo = dz_bm + ((size_t)b * T + t) * RU;
        __global float *ho = dz_tm + ((size_t)s * B + b) * RU;
        for (int u = 0; u < RU; u++) {
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, RU, u);
            float d = 0.0f;
            if (keep)
                d = (carry[u] + gy) * act_grad_y(act, hnow[u]);
            else
                carry[u] = rnn_masked_carry(carry[u], gy);
            xo[u] = ho[u] = dz[u] = d;
        }
        if (!keep) continue;
        for (int j = 0; j < RU; j++) carry[j] = 0.0f;
        rows_back_project(carry, dz, RT, 0, RU);
        for (int j = 0; j < RU; j++) carry[j] *= rnn_drop(rmask, b, RU, j);
    }
    for (int u = 0; u < RU; u++) dh0[(size_t)b * RU + u] = carry[u];
}
