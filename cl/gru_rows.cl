/*
 * gru_rows.cl - the row variants of gru.cl for CPUs (see rnn_rows.cl): one work-item per
 * batch row; the equations, arguments and layouts are gru.cl's.
 */
__kernel void gru_fwd(__global const float *zx, __global const float *params, ulong r_off,
                      ulong rb_off, int has_rbias, __global const float *mask,
                      __global const float *rmask, __global float *hs, __global float *gates,
                      __global float *y, int B, int T, int U, int act, int rec_act,
                      int return_sequences, int rows_per_group, __local float *unused_h,
                      __local float *unused_hn, __local float *unused) {
    int b = get_global_id(0);
    if (b >= B) return;
    ROWS_FIX_ACTS();
    __global const float *R = params + r_off;
    __global const float *b1 = params + rb_off;
    float h[RU], k3[3 * RU];
    for (int u = 0; u < RU; u++) h[u] = hs[(size_t)b * RU + u];
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        int keep = rnn_keep(mask, b, t, T);
        for (int k = 0; k < 3 * RU; k++) k3[k] = has_rbias ? b1[k] : 0.0f;
        float hd[RU];
        rows_dropped(hd, h, rmask, b);
        rows_matvec(k3, hd, RU, R, 3 * RU, 3 * RU);
        __global const float *z = zx + ((size_t)b * T + t) * 3 * RU;
        __global float *gs = gates + ((size_t)s * B + b) * 4 * RU;
        size_t so = ((size_t)(s + 1) * B + b) * RU;
        float zr[2 * RU], hh3[RU]; /* z and r, then the candidate */
        for (int k = 0; k < 2 * RU; k++) zr[k] = z[k] + k3[k];
        rows_act(rec_act, zr, 2 * RU);
        for (int u = 0; u < RU; u++) hh3[u] = z[2 * RU + u] + zr[RU + u] * k3[2 * RU + u];
        rows_act(act, hh3, RU);
        for (int u = 0; u < RU; u++) {
            float kh = k3[2 * RU + u], zg = zr[u], rg = zr[RU + u], hh = hh3[u];
            gs[u] = zg;
            gs[RU + u] = rg;
            gs[2 * RU + u] = hh;
            gs[3 * RU + u] = kh;
            float h_old = h[u];
            float h_new = zg * h_old * rnn_drop(rmask, b, RU, u) + (1.0f - zg) * hh;
            if (keep) h[u] = h_new;
            hs[so + u] = h[u];
            rnn_put_output(y, return_sequences, b, s, T, RU, u, keep, h_new, h_old);
        }
    }
}

/* params + r_off is R^T (3U, U) here (rnn_rows.cl) */
__kernel void gru_bwd(__global const float *dy, __global const float *hs,
                      __global const float *gates, __global const float *params, ulong r_off,
                      __global const float *mask, __global const float *rmask,
                      __global float *dzx, __global float *dzh, __global float *dh0, int B,
                      int T, int U, int act, int rec_act, int return_sequences,
                      int rows_per_group, __local float *unused_dh, __local float *unused_dz) {
    int b = get_global_id(0);
    if (b >= B) return;
    ROWS_FIX_ACTS();
    __global const float *RT = params + r_off;
    float dh[RU], dz[3 * RU];
    for (int u = 0; u < RU; u++) dh[u] = 0.0f;
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        int keep = rnn_keep(mask, b, t, T);
        __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
        __global const float *hprev = hs + ((size_t)s * B + b) * RU;
        __global float *xo = dzx + ((size_t)b * T + t) * 3 * RU;
        __global float *ho = dzh + ((size_t)s * B + b) * 3 * RU;
        for (int u = 0; u < RU; u++) {
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, RU, u);
            float dzz = 0.0f, dzr = 0.0f, dhpre = 0.0f, rg = 0.0f;
            if (keep) {
                float g = dh[u] + gy;
                float zg = gs[u], hh = gs[2 * RU + u], kh = gs[3 * RU + u];
                rg = gs[RU + u];
                float d = hprev[u] * rnn_drop(rmask, b, RU, u);
                dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
                dzz = g * (d - hh) * act_grad_y(rec_act, zg);
                dzr = dhpre * kh * act_grad_y(rec_act, rg);
                dh[u] = g * zg; /* the direct path d -> h_t; times rmask below */
            } else {
                dh[u] = rnn_masked_carry(dh[u], gy);
            }
            xo[u] = dzz;
            xo[RU + u] = dzr;
            xo[2 * RU + u] = dhpre;
            dz[u] = ho[u] = dzz;
            dz[RU + u] = ho[RU + u] = dzr;
            dz[2 * RU + u] = ho[2 * RU + u] = dhpre * rg;
        }
        if (!keep) continue;
        rows_back_project(dh, dz, RT, 0, 3 * RU);
        for (int j = 0; j < RU; j++) dh[j] *= rnn_drop(rmask, b, RU, j);
    }
    for (int u = 0; u < RU; u++) dh0[(size_t)b * RU + u] = dh[u];
}

__kernel void gru_v1_fwd(__global const float *zx, __global const float *params, ulong r_off,
                         ulong rb_off, int has_rbias, __global const float *mask,
                         __global const float *rmask, __global float *hs, __global float *gates,
                         __global float *y, int B, int T, int U, int act, int rec_act,
                         int return_sequences, int rows_per_group, __local float *unused_h,
                         __local float *unused_hn, __local float *unused_rh) {
    int b = get_global_id(0);
    if (b >= B) return;
    ROWS_FIX_ACTS();
    __global const float *R = params + r_off;
    float h[RU], k2[2 * RU], rh[RU], kh[RU];
    for (int u = 0; u < RU; u++) h[u] = hs[(size_t)b * RU + u];
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        int keep = rnn_keep(mask, b, t, T);
        __global const float *z = zx + ((size_t)b * T + t) * 3 * RU;
        __global float *gs = gates + ((size_t)s * B + b) * 4 * RU;
        /* z and r, and r * d for the candidate */
        for (int k = 0; k < 2 * RU; k++) k2[k] = 0.0f;
        float hd[RU];
        rows_dropped(hd, h, rmask, b);
        rows_matvec(k2, hd, RU, R, 3 * RU, 2 * RU);
        for (int k = 0; k < 2 * RU; k++) k2[k] += z[k];
        rows_act(rec_act, k2, 2 * RU);
        for (int u = 0; u < RU; u++) {
            float zg = k2[u], rg = k2[RU + u];
            gs[u] = zg;
            gs[RU + u] = rg;
            rh[u] = rg * h[u] * rnn_drop(rmask, b, RU, u);
            gs[3 * RU + u] = rh[u];
        }
        for (int u = 0; u < RU; u++) kh[u] = z[2 * RU + u];
        rows_matvec(kh, rh, RU, R + 2 * RU, 3 * RU, RU);
        rows_act(act, kh, RU);
        size_t so = ((size_t)(s + 1) * B + b) * RU;
        for (int u = 0; u < RU; u++) {
            float hh = kh[u];
            gs[2 * RU + u] = hh;
            float zg = gs[u], h_old = h[u];
            float h_new = zg * h_old * rnn_drop(rmask, b, RU, u) + (1.0f - zg) * hh;
            if (keep) h[u] = h_new;
            hs[so + u] = h[u];
            rnn_put_output(y, return_sequences, b, s, T, RU, u, keep, h_new, h_old);
        }
    }
}

/* params + r_off is R^T (3U, U) here (rnn_rows.cl) */
__kernel void gru_v1_bwd(__global const float *dy, __global const float *hs,
                         __global const float *gates, __global const float *params, ulong r_off,
                         __global const float *mask, __global const float *rmask,
                         __global float *dzx, __global float *dzh, __global float *dh0, int B,
                         int T, int U, int act, int rec_act, int return_sequences,
                         int rows_per_group, __local float *unused_dh,
                         __local float *unused_dz) {
    int b = get_global_id(0);
    if (b >= B) return;
    ROWS_FIX_ACTS();
    __global const float *RT = params + r_off;
    float dh[RU], dz[3 * RU], drh[RU];
    for (int u = 0; u < RU; u++) dh[u] = 0.0f;
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        int keep = rnn_keep(mask, b, t, T);
        __global const float *gs = gates + ((size_t)s * B + b) * 4 * RU;
        __global const float *hprev = hs + ((size_t)s * B + b) * RU;
        __global float *xo = dzx + ((size_t)b * T + t) * 3 * RU;
        __global float *ho = dzh + ((size_t)s * B + b) * 3 * RU;
        for (int u = 0; u < RU; u++) {
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, RU, u);
            float dzz = 0.0f, dhpre = 0.0f;
            if (keep) {
                float g = dh[u] + gy;
                float zg = gs[u], hh = gs[2 * RU + u];
                float d = hprev[u] * rnn_drop(rmask, b, RU, u);
                dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
                dzz = g * (d - hh) * act_grad_y(rec_act, zg);
                dh[u] = g * zg; /* with respect to d; times rmask below */
            } else {
                dh[u] = rnn_masked_carry(dh[u], gy);
            }
            xo[u] = ho[u] = dz[u] = dzz;
            xo[RU + u] = ho[RU + u] = dz[RU + u] = 0.0f; /* the r block: set below */
            xo[2 * RU + u] = ho[2 * RU + u] = dz[2 * RU + u] = dhpre;
        }
        if (!keep) continue;
        /* through r * d: d(rd)[j] = sum_k dhpre[k] R_h[j, k] */
        for (int j = 0; j < RU; j++) drh[j] = 0.0f;
        rows_back_project(drh, dz, RT, 2 * RU, 3 * RU);
        for (int j = 0; j < RU; j++) {
            float rg = gs[RU + j];
            float d = hprev[j] * rnn_drop(rmask, b, RU, j);
            float dzr = drh[j] * d * act_grad_y(rec_act, rg);
            xo[RU + j] = ho[RU + j] = dz[RU + j] = dzr;
            dh[j] += drh[j] * rg;
        }
        rows_back_project(dh, dz, RT, 0, 2 * RU);
        for (int j = 0; j < RU; j++) dh[j] *= rnn_drop(rmask, b, RU, j);
    }
    for (int u = 0; u < RU; u++) dh0[(size_t)b * RU + u] = dh[u];
}
