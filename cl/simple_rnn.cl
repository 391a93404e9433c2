/*
 * simple_rnn.cl - the SimpleRNN recurrence, h_t = act(zx_t + h_{t-1} R), as persistent
 * kernels: each work-group owns a slice of the batch (rows_per_group rows; batch rows are
 * independent) and loops over all timesteps itself, keeping the state in local memory, so a
 * whole sequence costs one launch. zx = x K + b for all timesteps comes from one GEMM.
 *
 * Layouts (floats; U units, B batch, T steps):
 *   zx   (B, T, U)       input projection, batch-major like the layer input
 *   R    params[r_off..] (U, U) recurrent kernel, Keras layout
 *   hs   (T+1, B, U)     time-major states; hs[0] = initial state (set by the host),
 *                        hs[t+1] = h_t. Time-major so that dR = hs[0:T]^T dz_tm is one GEMM.
 *   y    (B, T, U) with return_sequences, else (B, U) = h_{T-1}
 *   dy   shaped like y
 *   dz_bm (B, T, U), dz_tm (T, B, U): gradient of the pre-activation, in both layouts
 *                        (batch-major for dK = x^T dz and dx = dz K^T, time-major for dR)
 *   dh0  (B, U)          gradient with respect to the initial state
 * Work sizes: global = n_groups * local, local any size; local memory 2 * rows_per_group * U
 * floats. Barriers are reached by every work-item the same number of times.
 */
__kernel void simple_rnn_fwd(__global const float *zx, __global const float *params,
                             ulong r_off, __global float *hs, __global float *y, int B, int T,
                             int U, int act, int return_sequences, int rows_per_group,
                             __local float *h, __local float *hn) {
    __global const float *R = params + r_off;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) h[i] = hs[(size_t)b0 * U + i];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = 0; t < T; t++) {
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float acc = zx[((size_t)b * T + t) * U + u];
            __local const float *hr = h + r * U;
            for (int j = 0; j < U; j++) acc += hr[j] * R[(size_t)j * U + u];
            hn[i] = act_apply(act, acc);
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

__kernel void simple_rnn_bwd(__global const float *dy, __global const float *hs,
                             __global const float *params, ulong r_off, __global float *dz_bm,
                             __global float *dz_tm, __global float *dh0, int B, int T, int U,
                             int act, int return_sequences, int rows_per_group,
                             __local float *carry, __local float *dz) {
    __global const float *R = params + r_off;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) carry[i] = 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = T - 1; t >= 0; t--) {
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float g = carry[i];
            if (return_sequences)
                g += dy[((size_t)b * T + t) * U + u];
            else if (t == T - 1)
                g += dy[(size_t)b * U + u];
            float h = hs[((size_t)(t + 1) * B + b) * U + u];
            float d = g * act_grad_y(act, h);
            dz[i] = d;
            dz_bm[((size_t)b * T + t) * U + u] = d;
            dz_tm[((size_t)t * B + b) * U + u] = d;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        /* dh_{t-1}[j] = sum_k dz[k] R[j, k] */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U;
            __local const float *dr = dz + r * U;
            __global const float *Rj = R + (size_t)j * U;
            float acc = 0.0f;
            for (int k = 0; k < U; k++) acc += dr[k] * Rj[k];
            carry[i] = acc;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = lid; i < n; i += lsz) dh0[(size_t)b0 * U + i] = carry[i];
}
