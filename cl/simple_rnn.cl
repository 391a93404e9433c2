/*
 * simple_rnn.cl - the SimpleRNN recurrence, h_t = act(zx_t + (h_{t-1} * rmask) R), as
 * persistent kernels: each work-group owns a slice of the batch (rows_per_group rows; batch
 * rows are independent) and loops over all steps itself, keeping the state in local memory
 * (and R where it fits: RNN_R_LOCAL, rnn_common.cl), so a whole sequence costs one launch.
 * zx = x K + b for all timesteps comes from one GEMM.
 * Masking, go_backwards and recurrent dropout: rnn_common.cl.
 *
 * Layouts (floats; U units, B batch, T steps):
 *   zx   (B, T, U)       input projection, batch-major like the layer input
 *   R    params[r_off..] (U, U) recurrent kernel, Keras layout; the backward kernel's
 *        params[r_off..] is R^T instead (the host transposes it once a pass), read along units
 *   mask (B, T), rmask (B, U): read only when the program is built for them
 *   hs   (T+1, B, U)     time-major states; hs[0] = initial state (set by the host),
 *                        hs[s+1] = state after step s. Time-major so that
 *                        dR = hs[0:T]^T dzh is one GEMM.
 *   y    (B, T, U) with return_sequences, else (B, U) = the output of the last step
 *   dy   shaped like y
 *   dzx (B, T, U), dzh (T, B, U): gradient of the pre-activation, in both layouts
 *                        (batch-major by timestep for dK = x^T dz and dx = dz K^T,
 *                        time-major by step for dR); zero on masked steps
 *   dh0  (B, U)          gradient with respect to the initial state (in: the final state's
 *                        with RNN_STATE_GRAD)
 * Work sizes: global = n_groups * local, local any size; local memory 2 * rows_per_group * U
 * floats (with RNN_R_LOCAL also the U U of R). Barriers are reached by every work-item the same number of times.
 */
__kernel void simple_rnn_fwd(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int lrows = rows_per_group * U; /* lmem: h, hn, U floats a row each */
    __local float *h = lmem, *hn = lmem + lrows;
    RNN_R_ONCHIP(R, params + r_off);
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
            float acc = zx[rnn_zx_row(ids, b, t, T) * U + u];
            __local const float *hr = h + r * U;
            for (int j = 0; j < U; j++)
                acc += hr[j] * rnn_drop(rmask, b, U, j) * R[(size_t)j * U + u];
            float h_new = act_apply(act, acc), h_old = hr[u];
            hn[i] = keep ? h_new : h_old;
            hs[((size_t)(s + 1) * B + b) * U + u] = hn[i];
            rnn_put_output(y, return_sequences, b, s, T, U, u, keep, h_new, h_old);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) h[i] = hn[i];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel void simple_rnn_bwd(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int lrows = rows_per_group * U; /* lmem: carry, dz, U floats a row each */
    __local float *carry = lmem, *dz = lmem + lrows;
    RNN_R_ONCHIP(RT, params + r_off); /* R^T (U, U): host/layer_rnn.c backward_args */
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) carry[i] = rnn_state_grad(dh0, (size_t)b0 * U + i);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
            float d = 0.0f;
            if (rnn_keep(mask, b, t, T))
                d = (carry[i] + gy) * act_grad_y(act, hs[((size_t)(s + 1) * B + b) * U + u]);
            else
                carry[i] = rnn_masked_carry(carry[i], gy);
            dz[i] = d;
            if (RNN_DZX) dzx[((size_t)b * T + t) * U + u] = d;
            dzh[((size_t)s * B + b) * U + u] = d;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        /* dh_{t-1}[j] = rmask[j] * sum_k dz[k] R[j, k] on the rows that took the step */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U, b = b0 + r;
            if (!rnn_keep(mask, b, t, T)) continue;
            __local const float *dr = dz + r * U;
            float acc = 0.0f;
            for (int k = 0; k < U; k++) acc += dr[k] * RT[(size_t)k * U + j];
            carry[i] = acc * rnn_drop(rmask, b, U, j);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = lid; i < n; i += lsz) dh0[(size_t)b0 * U + i] = carry[i];
}
