/*
 * gru.cl - the GRU recurrence as persistent kernels, Keras gate order z, r, h
 * (keras-format.md 5.1), in both of Keras's variants:
 *   reset_after = true (gru_fwd/gru_bwd; the Keras 2 TF2 and Keras 3 default, CuDNN's):
 *     rk = d R + b1;  z = rec(zx_z + rk_z);  r = rec(zx_r + rk_r)
 *     hh = act(zx_h + r * rk_h);  h_t = z d + (1 - z) hh
 *   reset_after = false (gru_v1_fwd/gru_v1_bwd; Keras <= 2.3):
 *     z = rec(zx_z + d R_z);  r = rec(zx_r + d R_r);  hh = act(zx_h + (r * d) R_h)
 *     h_t = z d + (1 - z) hh
 * where d = h_{t-1} * rmask (Keras 3's GRUCell drops h_{t-1} once, before all its uses, the
 * mix included; d = h_{t-1} without recurrent dropout).
 * zx = x K + b0 (reset_after) or x K + b, for all timesteps, from one GEMM. Masking,
 * go_backwards and recurrent dropout: rnn_common.cl.
 *
 * Layouts (floats; G = 3U):
 *   zx (B, T, G); R = params[r_off..] (U, G) (the backward kernels' params[r_off..] is R^T
 *   (G, U), transposed by the host once a pass, read along units); b1 = params[rb_off..]
 *   (G), used when has_rbias; mask (B, T), rmask (B, U) when built for them; hs (T+1, B, U) time-major
 *   by step, hs[0] = initial state; gates (T, B, 4U): z, r, hh, and rk_h (reset_after) or
 *   r*d (v1, also the rows of the dR_h GEMM);
 *   y, dy (B, T, U) or (B, U); dzx (B, T, G) gradient of zx; dzh (T, B, G) gradient of the
 *   recurrent pre-activation (d R + b1 for reset_after; for v1 the h-gate third is with
 *   respect to (r*d) R_h); both zero on masked steps; dh0 (B, U) (in: the final state's gradient with
 *   RNN_STATE_GRAD).
 * Local memory: forward 2 * rpg * U floats (gru_fwd; its third local argument is unused) or
 * 3 * rpg * U (gru_v1_fwd), backward (1 + 3) * rpg * U floats; with RNN_R_LOCAL also the
 * U G floats of R (R^T).
 */
__kernel void gru_fwd(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int lrows = rows_per_group * U; /* lmem: h, hn, U floats a row each */
    __local float *h = lmem, *hn = lmem + lrows;
    RNN_R_ONCHIP(R, params + r_off);
    __global const float *b1 = params + rb_off;
    int G = 3 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) h[i] = hs[(size_t)b0 * U + i];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            int keep = rnn_keep(mask, b, t, T);
            __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G;
            float kz = has_rbias ? b1[u] : 0.0f, kr = has_rbias ? b1[U + u] : 0.0f;
            float kh = has_rbias ? b1[2 * U + u] : 0.0f;
            __local const float *hr = h + r * U;
            for (int j = 0; j < U; j++) {
                RNN_R_SPACE const float *Rj = R + (size_t)j * G;
                float dj = hr[j] * rnn_drop(rmask, b, U, j);
                kz += dj * Rj[u];
                kr += dj * Rj[U + u];
                kh += dj * Rj[2 * U + u];
            }
            float zg = act_apply(rec_act, z[u] + kz), rg = act_apply(rec_act, z[U + u] + kr);
            float hh = act_apply(act, z[2 * U + u] + rg * kh);
            __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
            gs[u] = zg;
            gs[U + u] = rg;
            gs[2 * U + u] = hh;
            gs[3 * U + u] = kh;
            float h_old = hr[u];
            float h_new = zg * h_old * rnn_drop(rmask, b, U, u) + (1.0f - zg) * hh;
            hn[i] = keep ? h_new : h_old;
            hs[((size_t)(s + 1) * B + b) * U + u] = hn[i];
            rnn_put_output(y, return_sequences, b, s, T, U, u, keep, h_new, h_old);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) h[i] = hn[i];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel void gru_bwd(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int lrows = rows_per_group * U; /* lmem: dh (U floats a row), dz (3U) */
    __local float *dh = lmem, *dz = lmem + lrows;
    RNN_R_ONCHIP(RT, params + r_off); /* R^T (G, U): host/layer_rnn.c backward_args */
    int G = 3 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) dh[i] = rnn_state_grad(dh0, (size_t)b0 * U + i);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
            float dzz = 0.0f, dzr = 0.0f, dhpre = 0.0f, rg = 0.0f;
            if (rnn_keep(mask, b, t, T)) {
                float g = dh[i] + gy;
                __global const float *gs = gates + ((size_t)s * B + b) * 4 * U;
                float zg = gs[u], hh = gs[2 * U + u], kh = gs[3 * U + u];
                rg = gs[U + u];
                float d = hs[((size_t)s * B + b) * U + u] * rnn_drop(rmask, b, U, u);
                dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
                dzz = g * (d - hh) * act_grad_y(rec_act, zg);
                dzr = dhpre * kh * act_grad_y(rec_act, rg);
                dh[i] = g * zg; /* the direct path d -> h_t; times rmask below */
            } else {
                dh[i] = rnn_masked_carry(dh[i], gy);
            }
            gru_put_dz(dzx, dzh, b, t, s, B, T, U, u, dzz, dzr, dhpre, dhpre * rg);
            dz[r * G + u] = dzz;
            dz[r * G + U + u] = dzr;
            dz[r * G + 2 * U + u] = dhpre * rg;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U, b = b0 + r;
            if (!rnn_keep(mask, b, t, T)) continue;
            __local const float *dr = dz + r * G;
            float acc = dh[i];
            for (int k = 0; k < G; k++) acc += dr[k] * RT[(size_t)k * U + j];
            dh[i] = acc * rnn_drop(rmask, b, U, j);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = lid; i < n; i += lsz) dh0[(size_t)b0 * U + i] = dh[i];
}

__kernel void gru_v1_fwd(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int lrows = rows_per_group * U; /* lmem: h, hn, rh, U floats a row each */
    __local float *h = lmem, *hn = lmem + lrows, *rh = lmem + 2 * lrows;
    RNN_R_ONCHIP(R, params + r_off);
    int G = 3 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) h[i] = hs[(size_t)b0 * U + i];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        /* z and r, and r * d for the candidate */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G;
            float kz = 0.0f, kr = 0.0f;
            __local const float *hr = h + r * U;
            for (int j = 0; j < U; j++) {
                RNN_R_SPACE const float *Rj = R + (size_t)j * G;
                float dj = hr[j] * rnn_drop(rmask, b, U, j);
                kz += dj * Rj[u];
                kr += dj * Rj[U + u];
            }
            float zg = act_apply(rec_act, z[u] + kz), rg = act_apply(rec_act, z[U + u] + kr);
            __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
            gs[u] = zg;
            gs[U + u] = rg;
            rh[i] = rg * hr[u] * rnn_drop(rmask, b, U, u);
            gs[3 * U + u] = rh[i];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            int keep = rnn_keep(mask, b, t, T);
            float kh = zx[rnn_zx_row(ids, b, t, T) * G + 2 * U + u];
            __local const float *rhr = rh + r * U;
            for (int j = 0; j < U; j++) kh += rhr[j] * R[(size_t)j * G + 2 * U + u];
            float hh = act_apply(act, kh);
            __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
            gs[2 * U + u] = hh;
            float zg = gs[u], h_old = h[i];
            float h_new = zg * h_old * rnn_drop(rmask, b, U, u) + (1.0f - zg) * hh;
            hn[i] = keep ? h_new : h_old;
            hs[((size_t)(s + 1) * B + b) * U + u] = hn[i];
            rnn_put_output(y, return_sequences, b, s, T, U, u, keep, h_new, h_old);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) h[i] = hn[i];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel void gru_v1_bwd(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int lrows = rows_per_group * U; /* lmem: dh (U floats a row), dz (3U) */
    __local float *dh = lmem, *dz = lmem + lrows;
    RNN_R_ONCHIP(RT, params + r_off); /* R^T (G, U): host/layer_rnn.c backward_args */
    int G = 3 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) dh[i] = rnn_state_grad(dh0, (size_t)b0 * U + i);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
            float dzz = 0.0f, dhpre = 0.0f;
            if (rnn_keep(mask, b, t, T)) {
                float g = dh[i] + gy;
                __global const float *gs = gates + ((size_t)s * B + b) * 4 * U;
                float zg = gs[u], hh = gs[2 * U + u];
                float d = hs[((size_t)s * B + b) * U + u] * rnn_drop(rmask, b, U, u);
                dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
                dzz = g * (d - hh) * act_grad_y(rec_act, zg);
                dh[i] = g * zg; /* with respect to d; times rmask below */
            } else {
                dh[i] = rnn_masked_carry(dh[i], gy);
            }
            /* the r block: set below on the rows that took the step */
            gru_put_dz(dzx, dzh, b, t, s, B, T, U, u, dzz, 0.0f, dhpre, dhpre);
            dz[r * G + u] = dzz;
            dz[r * G + 2 * U + u] = dhpre;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        /* through r * d: d(rd)[j] = sum_k dhpre[k] R_h[j, k] */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U, b = b0 + r;
            if (!rnn_keep(mask, b, t, T)) continue;
            __local const float *dr = dz + r * G + 2 * U;
            float drh = 0.0f;
            for (int k = 0; k < U; k++) drh += dr[k] * RT[(size_t)(2 * U + k) * U + j];
            float rg = gates[((size_t)s * B + b) * 4 * U + U + j];
            float d = hs[((size_t)s * B + b) * U + j] * rnn_drop(rmask, b, U, j);
            float dzr = drh * d * act_grad_y(rec_act, rg);
            dzx[((size_t)b * T + t) * G + U + j] = dzr;
            dzh[((size_t)s * B + b) * G + U + j] = dzr;
            dz[r * G + U + j] = dzr;
            dh[i] += drh * rg;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U, b = b0 + r;
            if (!rnn_keep(mask, b, t, T)) continue;
            __local const float *dr = dz + r * G;
            float acc = dh[i];
            for (int k = 0; k < 2 * U; k++) acc += dr[k] * RT[(size_t)k * U + j];
            dh[i] = acc * rnn_drop(rmask, b, U, j);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = lid; i < n; i += lsz) dh0[(size_t)b0 * U + i] = dh[i];
}
