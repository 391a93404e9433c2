/*
 * gru.cl - the GRU recurrence as persistent kernels, Keras gate order z, r, h
 * (keras-format.md 5.1), in both of Keras's variants:
 *   reset_after = true (gru_fwd/gru_bwd; the Keras 2 TF2 and Keras 3 default, CuDNN's):
 *     rk = h_{t-1} R + b1;  z = rec(zx_z + rk_z);  r = rec(zx_r + rk_r)
 *     hh = act(zx_h + r * rk_h);  h_t = z h_{t-1} + (1 - z) hh
 *   reset_after = false (gru_v1_fwd/gru_v1_bwd; Keras <= 2.3):
 *     z = rec(zx_z + h R_z);  r = rec(zx_r + h R_r);  hh = act(zx_h + (r * h) R_h)
 * zx = x K + b0 (reset_after) or x K + b, for all timesteps, from one GEMM.
 *
 * Layouts (floats; G = 3U):
 *   zx (B, T, G); R = params[r_off..] (U, G); b1 = params[rb_off..] (G), used when
 *   has_rbias; hs (T+1, B, U) time-major, hs[0] = initial state; gates (T, B, 4U): z, r, hh,
 *   and rk_h (reset_after) or r*h_{t-1} (v1, also the rows of the dR_h GEMM);
 *   y, dy (B, T, U) or (B, U); dzx (B, T, G) gradient of zx; dzh (T, B, G) gradient of the
 *   recurrent pre-activation (h R + b1 for reset_after; for v1 the h-gate third is with
 *   respect to (r*h) R_h); dh0 (B, U).
 * Local memory: forward 3 * rpg * U floats, backward (1 + 3) * rpg * U floats.
 */
__kernel void gru_fwd(__global const float *zx, __global const float *params, ulong r_off,
                      ulong rb_off, int has_rbias, __global float *hs, __global float *gates,
                      __global float *y, int B, int T, int U, int act, int rec_act,
                      int return_sequences, int rows_per_group, __local float *h,
                      __local float *hn, __local float *unused) {
    __global const float *R = params + r_off;
    __global const float *b1 = params + rb_off;
    int G = 3 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    (void)unused;
    for (int i = lid; i < n; i += lsz) h[i] = hs[(size_t)b0 * U + i];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = 0; t < T; t++) {
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            __global const float *z = zx + ((size_t)b * T + t) * G;
            float kz = has_rbias ? b1[u] : 0.0f, kr = has_rbias ? b1[U + u] : 0.0f;
            float kh = has_rbias ? b1[2 * U + u] : 0.0f;
            __local const float *hr = h + r * U;
            for (int j = 0; j < U; j++) {
                __global const float *Rj = R + (size_t)j * G;
                float hj = hr[j];
                kz += hj * Rj[u];
                kr += hj * Rj[U + u];
                kh += hj * Rj[2 * U + u];
            }
            float zg = act_apply(rec_act, z[u] + kz), rg = act_apply(rec_act, z[U + u] + kr);
            float hh = act_apply(act, z[2 * U + u] + rg * kh);
            __global float *gs = gates + ((size_t)t * B + b) * 4 * U;
            gs[u] = zg;
            gs[U + u] = rg;
            gs[2 * U + u] = hh;
            gs[3 * U + u] = kh;
            hn[i] = zg * hr[u] + (1.0f - zg) * hh;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float v = hn[i];
            h[i] = v;
            hs[((size_t)(t + 1) * B + b) * U + u] = v;
            if (return_sequences)
                y[((size_t)b * T + t) * U + u] = v;
            else if (t == T - 1)
                y[(size_t)b * U + u] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel void gru_bwd(__global const float *dy, __global const float *hs,
                      __global const float *gates, __global const float *params, ulong r_off,
                      __global float *dzx, __global float *dzh, __global float *dh0, int B,
                      int T, int U, int act, int rec_act, int return_sequences,
                      int rows_per_group, __local float *dh, __local float *dz) {
    __global const float *R = params + r_off;
    int G = 3 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) dh[i] = 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = T - 1; t >= 0; t--) {
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float g = dh[i];
            if (return_sequences)
                g += dy[((size_t)b * T + t) * U + u];
            else if (t == T - 1)
                g += dy[(size_t)b * U + u];
            __global const float *gs = gates + ((size_t)t * B + b) * 4 * U;
            float zg = gs[u], rg = gs[U + u], hh = gs[2 * U + u], kh = gs[3 * U + u];
            float hprev = hs[((size_t)t * B + b) * U + u];
            float dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
            float dzz = g * (hprev - hh) * act_grad_y(rec_act, zg);
            float dzr = dhpre * kh * act_grad_y(rec_act, rg);
            size_t xo = ((size_t)b * T + t) * G, ho = ((size_t)t * B + b) * G;
            dzx[xo + u] = dzz;
            dzx[xo + U + u] = dzr;
            dzx[xo + 2 * U + u] = dhpre;
            dzh[ho + u] = dzz;
            dzh[ho + U + u] = dzr;
            dzh[ho + 2 * U + u] = dhpre * rg;
            dz[r * G + u] = dzz;
            dz[r * G + U + u] = dzr;
            dz[r * G + 2 * U + u] = dhpre * rg;
            dh[i] = g * zg; /* the direct path h_{t-1} -> h_t */
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U;
            __local const float *dr = dz + r * G;
            __global const float *Rj = R + (size_t)j * G;
            float acc = dh[i];
            for (int k = 0; k < G; k++) acc += dr[k] * Rj[k];
            dh[i] = acc;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = lid; i < n; i += lsz) dh0[(size_t)b0 * U + i] = dh[i];
}

__kernel void gru_v1_fwd(__global const float *zx, __global const float *params, ulong r_off,
                         ulong rb_off, int has_rbias, __global float *hs, __global float *gates,
                         __global float *y, int B, int T, int U, int act, int rec_act,
                         int return_sequences, int rows_per_group, __local float *h,
                         __local float *hn, __local float *rh) {
    __global const float *R = params + r_off;
    int G = 3 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    (void)rb_off;
    (void)has_rbias;
    for (int i = lid; i < n; i += lsz) h[i] = hs[(size_t)b0 * U + i];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = 0; t < T; t++) {
        /* z and r, and r * h for the candidate */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            __global const float *z = zx + ((size_t)b * T + t) * G;
            float kz = 0.0f, kr = 0.0f;
            __local const float *hr = h + r * U;
            for (int j = 0; j < U; j++) {
                __global const float *Rj = R + (size_t)j * G;
                kz += hr[j] * Rj[u];
                kr += hr[j] * Rj[U + u];
            }
            float zg = act_apply(rec_act, z[u] + kz), rg = act_apply(rec_act, z[U + u] + kr);
            __global float *gs = gates + ((size_t)t * B + b) * 4 * U;
            gs[u] = zg;
            gs[U + u] = rg;
            rh[i] = rg * hr[u];
            gs[3 * U + u] = rh[i];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float kh = zx[((size_t)b * T + t) * G + 2 * U + u];
            __local const float *rhr = rh + r * U;
            for (int j = 0; j < U; j++) kh += rhr[j] * R[(size_t)j * G + 2 * U + u];
            float hh = act_apply(act, kh);
            __global float *gs = gates + ((size_t)t * B + b) * 4 * U;
            gs[2 * U + u] = hh;
            float zg = gs[u];
            hn[i] = zg * h[i] + (1.0f - zg) * hh;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float v = hn[i];
            h[i] = v;
            hs[((size_t)(t + 1) * B + b) * U + u] = v;
            if (return_sequences)
                y[((size_t)b * T + t) * U + u] = v;
            else if (t == T - 1)
                y[(size_t)b * U + u] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel void gru_v1_bwd(__global const float *dy, __global const float *hs,
                         __global const float *gates, __global const float *params, ulong r_off,
                         __global float *dzx, __global float *dzh, __global float *dh0, int B,
                         int T, int U, int act, int rec_act, int return_sequences,
                         int rows_per_group, __local float *dh, __local float *dz) {
    __global const float *R = params + r_off;
    int G = 3 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) dh[i] = 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = T - 1; t >= 0; t--) {
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float g = dh[i];
            if (return_sequences)
                g += dy[((size_t)b * T + t) * U + u];
            else if (t == T - 1)
                g += dy[(size_t)b * U + u];
            __global const float *gs = gates + ((size_t)t * B + b) * 4 * U;
            float zg = gs[u], hh = gs[2 * U + u];
            float hprev = hs[((size_t)t * B + b) * U + u];
            float dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
            float dzz = g * (hprev - hh) * act_grad_y(rec_act, zg);
            size_t xo = ((size_t)b * T + t) * G, ho = ((size_t)t * B + b) * G;
            dzx[xo + u] = dzz;
            dzx[xo + 2 * U + u] = dhpre;
            dzh[ho + u] = dzz;
            dzh[ho + 2 * U + u] = dhpre;
            dz[r * G + u] = dzz;
            dz[r * G + 2 * U + u] = dhpre;
            dh[i] = g * zg;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        /* through r * h: d(rh)[j] = sum_k dhpre[k] R_h[j, k] */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U, b = b0 + r;
            __local const float *dr = dz + r * G + 2 * U;
            __global const float *Rj = R + (size_t)j * G + 2 * U;
            float drh = 0.0f;
            for (int k = 0; k < U; k++) drh += dr[k] * Rj[k];
            float rg = gates[((size_t)t * B + b) * 4 * U + U + j];
            float hprev = hs[((size_t)t * B + b) * U + j];
            float dzr = drh * hprev * act_grad_y(rec_act, rg);
            dzx[((size_t)b * T + t) * G + U + j] = dzr;
            dzh[((size_t)t * B + b) * G + U + j] = dzr;
            dz[r * G + U + j] = dzr;
            dh[i] += drh * rg;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U;
            __local const float *dr = dz + r * G;
            __global const float *Rj = R + (size_t)j * G;
            float acc = dh[i];
            for (int k = 0; k < 2 * U; k++) acc += dr[k] * Rj[k];
            dh[i] = acc;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = lid; i < n; i += lsz) dh0[(size_t)b0 * U + i] = dh[i];
}
