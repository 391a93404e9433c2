/*
 * rnn_group.cl - the group kernels of the recurrences, for GPUs: persistent kernels (one
 * launch per sequence) whose work-groups each own rows_per_group batch rows and loop over
 * all steps themselves, keeping the rows' state in local memory (and R where it fits:
 * RNN_R_LOCAL, rnn_common.cl); a work-item a unit of a row (i = r U + u), batch rows being
 * independent. The loops are written once here for every cell; the program's cell file
 * (simple_rnn.cl, lstm.cl, gru.cl: host/layer_rnn.c puts it before this one) gives the
 * kernels their names (CELL_NAME: lstm_fwd, lstm_bwd) and the step at one unit:
 *
 *   CELL_GATES       G / U: the pre-activations a step makes (LSTM 4, GRU 3, SimpleRNN 1)
 *   CELL_SUMS        how many of them the product of h_{t-1} by R sums; with CELL_SPLIT the
 *                    rest are summed by a second product, of what cell_gates returns (the
 *                    GRU v1's r * d) by R's remaining columns
 *   CELL_STATES      2 where the cell carries c besides h (the LSTM: cs, dc0)
 *   CELL_DIRECT      1 where the gradient reaching h_t also reaches h_{t-1} other than
 *                    through R (the GRU's z d): cell_bwd returns it, and the back-projection
 *                    adds onto it
 *   CELL_ZERO_START(k) whether gate k's product is added after the cell's other terms
 *                    (cell_sum_start is then 0 and the per-step path takes the product alone)
 *   cell_sum_start   where gate k's recurrent sum starts (the input projection, a bias, 0)
 *   cell_fwd         the step after the sums: gates, kept for backward, other states; the
 *                    new h
 *   cell_gates       CELL_SPLIT: the step between the products
 *   cell_bwd         the gradients of a step that was taken: dz (for dzh and the
 *                    back-projection) and dzx (the input projection's, the same but for the
 *                    GRU's candidate), the carry of c; the direct path
 *   cell_reset       CELL_SPLIT: the gradients through the second product: that of gate
 *                    CELL_SPLIT_GATE (the GRU v1's r, left zero by cell_bwd), and a share of
 *                    the direct path
 *
 * Arguments: RNN_FWD_ARGS, RNN_BWD_ARGS (rnn_common.cl). The backward kernel's
 * params[r_off..] is R^T (G, U), transposed by the host once a pass (host/layer_rnn.c
 * backward_args), read along units. Local memory (lmem): forward 2 U floats a batch row
 * (h, hn), 3 U with CELL_SPLIT (and what cell_gates returns); backward (CELL_STATES + G) U
 * (dh, dc, dz); with RNN_R_LOCAL also R's (R^T's) U G floats.
 * Work sizes: global = n_groups * local, local any size. Barriers are reached by every
 * work-item the same number of times.
 */
__kernel void RNN_KERNEL(fwd)(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int lrows = rows_per_group * U; /* lmem: h, hn, (CELL_SPLIT) cell_gates's */
    __local float *h = lmem, *hn = lmem + lrows;
#if CELL_SPLIT
    __local float *mid = lmem + 2 * lrows;
#endif
    RNN_R_ONCHIP(R, params + r_off);
    __global const float *b1 = params + rb_off;
    int G = CELL_GATES * U;
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
            __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G;
            float sum[CELL_GATES];
            _Pragma("unroll") for (int k = 0; k < CELL_SUMS; k++)
                sum[k] = cell_sum_start(z, b1, has_rbias, U, u, k);
            __local const float *hr = h + r * U;
            for (int j = 0; j < U; j++) {
                RNN_R_SPACE const float *Rj = R + (size_t)j * G;
                float dj = hr[j] * rnn_drop(rmask, b, U, j);
                _Pragma("unroll") for (int k = 0; k < CELL_SUMS; k++) sum[k] += dj * Rj[k * U + u];
            }
            float h_old = hr[u];
#if CELL_SPLIT
            mid[i] = cell_gates(rec_act, sum, z, gates, b, s, B, U, u, h_old,
                                rnn_drop(rmask, b, U, u));
#else
            int keep = rnn_keep(mask, b, t, T);
            float h_new = cell_fwd(act, rec_act, sum, z, cs, gates, keep, b, s, B, U, u, h_old,
                                   rnn_drop(rmask, b, U, u));
            hn[i] = keep ? h_new : h_old;
            hs[((size_t)(s + 1) * B + b) * U + u] = hn[i];
            rnn_put_output(y, return_sequences, b, s, T, U, u, keep, h_new, h_old);
#endif
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#if CELL_SPLIT
        /* the second product, of mid by R's remaining columns */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            int keep = rnn_keep(mask, b, t, T);
            __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G;
            float sum[CELL_GATES];
            _Pragma("unroll") for (int k = CELL_SUMS; k < CELL_GATES; k++)
                sum[k] = cell_sum_start(z, b1, has_rbias, U, u, k);
            __local const float *mr = mid + r * U;
            for (int j = 0; j < U; j++)
                _Pragma("unroll") for (int k = CELL_SUMS; k < CELL_GATES; k++)
                    sum[k] += mr[j] * R[(size_t)j * G + k * U + u];
            float h_old = h[i];
            float h_new = cell_fwd(act, rec_act, sum, z, cs, gates, keep, b, s, B, U, u, h_old,
                                   rnn_drop(rmask, b, U, u));
            hn[i] = keep ? h_new : h_old;
            hs[((size_t)(s + 1) * B + b) * U + u] = hn[i];
            rnn_put_output(y, return_sequences, b, s, T, U, u, keep, h_new, h_old);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
        for (int i = lid; i < n; i += lsz) h[i] = hn[i];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel void RNN_KERNEL(bwd)(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int lrows = rows_per_group * U; /* lmem: dh, (CELL_STATES 2) dc, dz (G a row) */
    __local float *dh = lmem, *dc = lmem + (CELL_STATES - 1) * lrows;
    __local float *dz = lmem + CELL_STATES * lrows;
    RNN_R_ONCHIP(RT, params + r_off); /* R^T (G, U) */
    int G = CELL_GATES * U;
    int b0 = get_group_id(0) * rows_per_group;
    int rows = min(rows_per_group, B - b0);
    int n = rows > 0 ? rows * U : 0;
    int lid = get_local_id(0), lsz = get_local_size(0);
    for (int i = lid; i < n; i += lsz) {
        dh[i] = rnn_state_grad(dh0, (size_t)b0 * U + i);
        if (CELL_STATES > 1) dc[i] = rnn_state_grad(dc0, (size_t)b0 * U + i);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, u = i - r * U, b = b0 + r;
            float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
            float dzv[CELL_GATES], dxv[CELL_GATES];
            _Pragma("unroll") for (int k = 0; k < CELL_GATES; k++) dzv[k] = dxv[k] = 0.0f;
            if (rnn_keep(mask, b, t, T)) {
                float c = CELL_STATES > 1 ? dc[i] : 0.0f;
                float direct = cell_bwd(act, rec_act, dh[i] + gy, &c, hs, cs, gates, b, s, B, U,
                                        u, rnn_drop(rmask, b, U, u), dzv, dxv);
                if (CELL_STATES > 1) dc[i] = c;
                if (CELL_DIRECT) dh[i] = direct; /* times rmask below */
            } else {
                dh[i] = rnn_masked_carry(dh[i], gy); /* dc is carried over unchanged */
            }
            _Pragma("unroll") for (int k = 0; k < CELL_GATES; k++) {
                dz[r * G + k * U + u] = dzv[k];
                if (RNN_DZX) dzx[((size_t)b * T + t) * G + k * U + u] = dxv[k];
                dzh[((size_t)s * B + b) * G + k * U + u] = dzv[k];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#if CELL_SPLIT
        /* through the second product, on the rows that took the step: the gradient of
         * mid, sum over R's remaining columns k of dz[k] R[j, k], gives that of gate
         * CELL_SPLIT_GATE and a share of the direct path (cell_reset) */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U, b = b0 + r;
            if (!rnn_keep(mask, b, t, T)) continue;
            __local const float *dr = dz + r * G + CELL_SUMS * U;
            float dmid = 0.0f;
            for (int k = 0; k < G - CELL_SUMS * U; k++)
                dmid += dr[k] * RT[(size_t)(CELL_SUMS * U + k) * U + j];
            float dhi = dh[i];
            float dzr = cell_reset(rec_act, dmid, &dhi, hs, gates, b, s, B, U, j,
                                   rnn_drop(rmask, b, U, j));
            dh[i] = dhi;
            if (RNN_DZX) dzx[((size_t)b * T + t) * G + CELL_SPLIT_GATE * U + j] = dzr;
            dzh[((size_t)s * B + b) * G + CELL_SPLIT_GATE * U + j] = dzr;
            dz[r * G + CELL_SPLIT_GATE * U + j] = dzr;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
        /* dh_{t-1}[j] = rmask[j] * (direct + sum_k dz[k] R[j, k]) on the rows that took the
         * step, k over the first product's columns */
        for (int i = lid; i < n; i += lsz) {
            int r = i / U, j = i - r * U, b = b0 + r;
            if (!rnn_keep(mask, b, t, T)) continue;
            __local const float *dr = dz + r * G;
            float acc = CELL_DIRECT ? dh[i] : 0.0f;
            for (int k = 0; k < CELL_SUMS * U; k++) acc += dr[k] * RT[(size_t)k * U + j];
            dh[i] = acc * rnn_drop(rmask, b, U, j);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = lid; i < n; i += lsz) {
        dh0[(size_t)b0 * U + i] = dh[i];
        if (CELL_STATES > 1) dc0[(size_t)b0 * U + i] = dc[i];
    }
}
