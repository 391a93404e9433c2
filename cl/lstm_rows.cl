/*
 * lstm_rows.cl - the row variant of lstm.cl for CPUs (see rnn_rows.cl): one work-item per
 * batch row; the equations, arguments and layouts are lstm.cl's.
 */
__kernel void lstm_fwd(__global const float *zx, __global const float *params, ulong r_off,
                       ulong rb_off, __global const float *mask, __global const float *rmask,
                       __global float *hs, __global float *cs, __global float *gates,
                       __global float *y, int B, int T, int U, int act, int rec_act,
                       int return_sequences, int rows_per_group, __local float *unused_h,
                       __local float *unused_hn) {
    int b = get_global_id(0);
    if (b >= B) return;
    ROWS_FIX_ACTS();
    __global const float *R = params + r_off;
    float h[RU], c[RU], z[4 * RU];
    for (int u = 0; u < RU; u++) {
        h[u] = hs[(size_t)b * RU + u];
        c[u] = cs[(size_t)b * RU + u];
    }
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        int keep = rnn_keep(mask, b, t, T);
        __global const float *zr = zx + ((size_t)b * T + t) * 4 * RU;
        for (int k = 0; k < 4 * RU; k++) z[k] = zr[k];
        float hd[RU];
        rows_dropped(hd, h, rmask, b);
        rows_matvec(z, hd, RU, R, 4 * RU, 4 * RU);
        rows_act(rec_act, z, 2 * RU); /* i, f */
        rows_act(act, z + 2 * RU, RU); /* g */
        rows_act(rec_act, z + 3 * RU, RU); /* o */
        __global float *gs = gates + ((size_t)s * B + b) * 4 * RU;
        for (int k = 0; k < 4 * RU; k++) gs[k] = z[k];
        float c_new[RU];
        for (int u = 0; u < RU; u++) c_new[u] = z[RU + u] * c[u] + z[u] * z[2 * RU + u];
        float ac[RU];
        for (int u = 0; u < RU; u++) ac[u] = c_new[u];
        rows_act(act, ac, RU);
        size_t so = ((size_t)(s + 1) * B + b) * RU;
        for (int u = 0; u < RU; u++) {
            float h_new = z[3 * RU + u] * ac[u], h_old = h[u];
            if (keep) {
                c[u] = c_new[u];
                h[u] = h_new;
            }
            cs[so + u] = c[u];
            hs[so + u] = h[u];
            rnn_put_output(y, return_sequences, b, s, T, RU, u, keep, h_new, h_old);
        }
    }
}

/* params + r_off is R^T (4U, U) here (rnn_rows.cl) */
__kernel void lstm_bwd(__global const float *dy, __global const float *hs,
                       __global const float *cs, __global const float *gates,
                       __global const float *params, ulong r_off, __global const float *mask,
                       __global const float *rmask, __global float *dzx, __global float *dzh,
                       __global float *dh0, int B, int T, int U, int act, int rec_act,
                       int return_sequences, int rows_per_group, __local float *unused_dh,
                       __local float *unused_dc, __local float *unused_dz) {
    int b = get_global_id(0);
    if (b >= B) return;
    ROWS_FIX_ACTS();
    __global const float *RT = params + r_off;
    float dh[RU], dc[RU], dz[4 * RU];
    for (int u = 0; u < RU; u++) dh[u] = dc[u] = 0.0f;
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        int keep = rnn_keep(mask, b, t, T);
        __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
        __global const float *cnow = cs + ((size_t)(s + 1) * B + b) * RU;
        __global const float *cprev = cs + ((size_t)s * B + b) * RU;
        float acs[RU];
        for (int u = 0; u < RU; u++) acs[u] = cnow[u];
        rows_act(act, acs, RU);
        for (int u = 0; u < RU; u++) {
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, RU, u);
            float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
            if (keep) {
                float g = dh[u] + gy;
                float ig = gs[u], fg = gs[RU + u], gg = gs[2 * RU + u], og = gs[3 * RU + u];
                float ac = acs[u];
                float dcv = dc[u] + g * og * act_grad_y(act, ac);
                dc[u] = dcv * fg;
                d0 = dcv * gg * act_grad_y(rec_act, ig);
                d1 = dcv * cprev[u] * act_grad_y(rec_act, fg);
                d2 = dcv * ig * act_grad_y(act, gg);
                d3 = g * ac * act_grad_y(rec_act, og);
            } else {
                dh[u] = rnn_masked_carry(dh[u], gy); /* dc is carried over unchanged */
            }
            dz[u] = d0;
            dz[RU + u] = d1;
            dz[2 * RU + u] = d2;
            dz[3 * RU + u] = d3;
        }
        __global float *xo = dzx + ((size_t)b * T + t) * 4 * RU;
        __global float *ho = dzh + ((size_t)s * B + b) * 4 * RU;
        for (int k = 0; k < 4 * RU; k++) xo[k] = ho[k] = dz[k];
        if (!keep) continue;
        /* dh_{t-1}[j] = rmask[j] * sum_k dz[k] R[j, k] */
        float acc[RU];
        for (int j = 0; j < RU; j++) acc[j] = 0.0f;
        rows_back_project(acc, dz, RT, 0, 4 * RU);
        for (int j = 0; j < RU; j++) dh[j] = acc[j] * rnn_drop(rmask, b, RU, j);
    }
    for (int u = 0; u < RU; u++) dh0[(size_t)b * RU + u] = dh[u];
}
