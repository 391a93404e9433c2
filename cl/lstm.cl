/*
 * lstm.cl - the LSTM recurrence as persistent kernels (one launch per sequence; each
 * work-group owns rows_per_group batch rows and keeps their state in local memory, and R
 * there too where it fits: RNN_R_LOCAL, rnn_common.cl).
 * Keras gate order i, f, c, o (keras-format.md 5.1):
 *   z = zx_t + (h_{t-1} * rmask) R;  i = rec(z_i), f = rec(z_f), g = act(z_c), o = rec(z_o)
 *   c_t = f c_{t-1} + i g;  h_t = o act(c_t)
 * zx = x K + b for all timesteps comes from one GEMM. Masking, go_backwards and recurrent
 * dropout: rnn_common.cl (a masked step carries both h and c over).
 *
 * Layouts (floats; G = 4 gates):
 *   zx (B, T, GU); R = params[r_off..] (U, GU) (the backward kernel's params[r_off..] is
 *   R^T (GU, U), transposed by the host once a pass, read along units); mask (B, T), rmask
 *   (B, U) when built for them; hs, cs (T+1, B, U) time-major by step, [0] = initial state
 *   set by the host;
 *   gates (T, B, GU) the activated i, f, g, o of each step, kept for backward;
 *   y (B, T, U) with return_sequences, else (B, U); dy like y;
 *   dzx (B, T, GU) and dzh (T, B, GU): the pre-activation gradient (zero on masked steps),
 *   batch-major by timestep for dK = x^T dzx and dx = dzx K^T, time-major by step for
 *   dR = (hs[0:T] * rmask)^T dzh; dh0, dc0 (B, U) the gradients of the initial states
 *   (in: the final states' with RNN_STATE_GRAD).
 * Local memory: forward 2 * rpg * U floats; backward (2 + G) * rpg * U floats; with
 * RNN_R_LOCAL also the U G floats of R (R^T).
 * rb_off is unused (no recurrent bias); act and rec_act are activation codes (common.cl).
 */
__kernel void lstm_fwd(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int lrows = rows_per_group * U; /* lmem: h, hn, a batch row U floats each */
    __local float *h = lmem, *hn = lmem + lrows;
    RNN_R_ONCHIP(R, params + r_off);
    int G = 4 * U;
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
            float zi = z[u], zf = z[U + u], zg = z[2 * U + u], zo = z[3 * U + u];
            __local const float *hr = h + r * U;
            for (int j = 0; j < U; j++) {
                RNN_R_SPACE const float *Rj = R + (size_t)j * G;
                float hj = hr[j] * rnn_drop(rmask, b, U, j);
                zi += hj * Rj[u];
                zf += hj * Rj[U + u];
                zg += hj * Rj[2 * U + u];
                zo += hj * Rj[3 * U + u];
            }
            float ig = act_apply(rec_act, zi), fg = act_apply(rec_act, zf);
            float gg = act_apply(act, zg), og = act_apply(rec_act, zo);
            float c_old = cs[((size_t)s * B + b) * U + u];
            float c_new = fg * c_old + ig * gg;
            cs[((size_t)(s + 1) * B + b) * U + u] = keep ? c_new : c_old;
            __global float *gs = gates + ((size_t)s * B + b) * G;
            gs[u] = ig;
            gs[U + u] = fg;
            gs[2 * U + u] = gg;
            gs[3 * U + u] = og;
            float h_new = og * act_apply(act, c_new), h_old = hr[u];
            hn[i] = keep ? h_new : h_old;
            hs[((size_t)(s + 1) * B + b) * U + u] = hn[i];
            rnn_put_output(y, return_sequences, b, s, T, U, u, keep, h_new, h_old);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += lsz) h[i] = hn[i];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel void lstm_bwd(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int lrows = rows_per_group * U; /* lmem: dh, dc (U floats a row), dz (4U) */
    __local float *dh = lmem, *dc = lmem + lrows, *dz = lmem + 2 * lrows;
    RNN_R_ONCHIP(RT, params + r_off); /* R^T (G, U): host/layer_rnn.c backward_args */
    int G = 4 * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) {
        dh[i] = rnn_state_grad(dh0, (size_t)b0 * U + i);
        dc[i] = rnn_state_grad(dc0, (size_t)b0 * U + i);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
            float d4[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            if (rnn_keep(mask, b, t, T)) {
                float g = dh[i] + gy;
                __global const float *gs = gates + ((size_t)s * B + b) * G;
                float ig = gs[u], fg = gs[U + u], gg = gs[2 * U + u], og = gs[3 * U + u];
                float c = cs[((size_t)(s + 1) * B + b) * U + u];
                float cprev = cs[((size_t)s * B + b) * U + u];
                float ac = act_apply(act, c);
                float dcv = dc[i] + g * og * act_grad_y(act, ac);
                dc[i] = dcv * fg;
                d4[0] = dcv * gg * act_grad_y(rec_act, ig);
                d4[1] = dcv * cprev * act_grad_y(rec_act, fg);
                d4[2] = dcv * ig * act_grad_y(act, gg);
                d4[3] = g * ac * act_grad_y(rec_act, og);
            } else {
                dh[i] = rnn_masked_carry(dh[i], gy); /* dc is carried over unchanged */
            }
            for (int k = 0; k < 4; k++) {
                dz[r * G + k * U + u] = d4[k];
                if (RNN_DZX) dzx[((size_t)b * T + t) * G + k * U + u] = d4[k];
                dzh[((size_t)s * B + b) * G + k * U + u] = d4[k];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        /* dh_{t-1}[j] = rmask[j] * sum_k dz[k] R[j, k] on the rows that took the step */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U, b = b0 + r;
            if (!rnn_keep(mask, b, t, T)) continue;
            __local const float *dr = dz + r * G;
            float acc = 0.0f;
            for (int k = 0; k < G; k++) acc += dr[k] * RT[(size_t)k * U + j];
            dh[i] = acc * rnn_drop(rmask, b, U, j);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = lid; i < n; i += lsz) {
        dh0[(size_t)b0 * U + i] = dh[i];
        dc0[(size_t)b0 * U + i] = dc[i];
    }
}
