/*
 * rnn_rows_kernels.cl - the row kernels (rnn_rows.cl), written once for every cell: the
 * program's cell files name them (CELL_NAME, CELL_* in simple_rnn.cl, lstm.cl, gru.cl) and
 * give the step at whole rows (<cell>_rows.cl):
 *
 *   CELL_ROWS_SUMS_FROM_INPUT  1 where the sums of h_{t-1} R add onto the input projection,
 *                    loaded into them (LSTM, SimpleRNN); 0 where the step joins it later
 *                    (GRU): cell_rows_start then starts them
 *   cell_rows_start  where a row's sums start (the GRU's recurrent bias, or zero)
 *   cell_rows_gates  CELL_SPLIT: the step between the products; the second product's left
 *                    side (mid) and the start of its sums (second)
 *   cell_row_step    the step of a row after the sums: gates, new state, outputs
 *   cell_row_grads   the gradients of a row's step: dz to dzx and dzh, the carries on
 *                    (dh the direct path where CELL_DIRECT)
 *   cell_row_reset   CELL_SPLIT: the gradients through the second product
 *
 * Arguments: RNN_FWD_ARGS, RNN_BWD_ARGS (rnn_common.cl); rows_per_group and lmem unused.
 * global: a work-item per RB batch rows, local 1.
 */

#define ROWS_G (CELL_GATES * RU) /* G, the pre-activations of a row */
#define ROWS_S (CELL_SUMS * RU)  /* those the first product sums */

__kernel void RNN_KERNEL(fwd)(RNN_FWD_ARGS) {
    RNN_TAKE_FWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACTS();
    __global const float *R = params + r_off;
    __global const float *b1 = params + rb_off;
    const int G = ROWS_G, S = ROWS_S;
    float h[RB * RU], c[RB * RU], hd[RB * RU], sums[RB * ROWS_S], rbias[ROWS_S];
#if CELL_ROWS_SUMS_FROM_INPUT
    float *x = sums; /* G == S */
#else
    float x[RB * ROWS_G];
#endif
#if CELL_SPLIT
    float mid[RB * RU], second[RB * (ROWS_G - ROWS_S)];
#else
    float *mid = hd, *second = sums;
#endif
    for (int k = 0; k < S; k++) rbias[k] = has_rbias ? b1[k] : 0.0f;
    rows_load_state(h, hs, b0, B);
    if (CELL_STATES > 1) rows_load_state(c, cs, b0, B);
    for (int s = 0; s < T; s++) {
        int t = rnn_time(s, T);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            rows_load_input(x + r * G, G, zx, ids, b, t, B, T);
            rows_dropped(hd + r * RU, h + r * RU, rmask, b, B);
            if (!CELL_ROWS_SUMS_FROM_INPUT) cell_rows_start(sums + r * S, rbias);
        }
        rows_matvec(sums, S, S, hd, RU, RU, R, G);
#if CELL_SPLIT
        for (int r = 0; r < RB; r++)
            cell_rows_gates(x + r * G, sums + r * S, second + r * (G - S), mid + r * RU,
                            h + r * RU, rec_act, rmask, b0 + r, B);
        rows_matvec(second, G - S, G - S, mid, RU, RU, R + S, G);
#endif
        for (int r = 0; r < RB && b0 + r < B; r++)
            cell_row_step(x + r * G, sums + r * S, second + r * (G - S), mid + r * RU,
                          h + r * RU, c + r * RU, rnn_keep(mask, b0 + r, t, T), b0 + r, s, B,
                          T, act, rec_act, return_sequences, rmask, hs, cs, gates, y);
    }
}

/* params + r_off is R^T (G, U) here (rnn_rows.cl) */
__kernel void RNN_KERNEL(bwd)(RNN_BWD_ARGS) {
    RNN_TAKE_BWD();
    int b0 = get_global_id(0) * RB;
    if (b0 >= B) return;
    ROWS_FIX_ACTS();
    __global const float *RT = params + r_off;
    const int G = ROWS_G, S = ROWS_S;
    float dh[RB * RU], dc[RB * RU], dz[RB * ROWS_G], acc[RB * RU];
    int keep[RB];
    rows_start_carry(dh, dh0, b0, B);
    if (CELL_STATES > 1) rows_start_carry(dc, dc0, b0, B);
    for (int s = T - 1; s >= 0; s--) {
        int t = rnn_time(s, T);
        for (int r = 0; r < RB; r++) {
            int b = b0 + r;
            keep[r] = b < B && rnn_keep(mask, b, t, T);
            if (b < B)
                cell_row_grads(dz + r * G, dh + r * RU, dc + r * RU, keep[r], b, s, t, B, T, act,
                               rec_act, return_sequences, dy, hs, cs, gates, rmask, dzx, dzh);
            else
                for (int k = 0; k < G; k++) dz[r * G + k] = 0.0f;
        }
#if CELL_SPLIT
        /* through the second product: the gradient of its left side, dz R^T over its
         * columns, on the rows that took the step */
        for (int i = 0; i < RB * RU; i++) acc[i] = 0.0f;
        rows_back_project(acc, dz, G, RT, S, G);
        for (int r = 0; r < RB; r++)
            if (keep[r])
                cell_row_reset(acc + r * RU, dz + r * G, dh + r * RU, rec_act, b0 + r, s, t, B,
                               T, hs, gates, rmask, dzx, dzh);
#endif
        /* dh_{t-1}[j] = rmask[j] * (direct + sum_k dz[k] R[j, k]) on the rows that took the
         * step, k over the first product's columns */
        for (int i = 0; i < RB * RU; i++) acc[i] = CELL_DIRECT ? dh[i] : 0.0f;
        rows_back_project(acc, dz, G, RT, 0, S);
        rows_take_carry(dh, acc, keep, rmask, b0);
    }
    rows_store_state(dh0, dh, b0, B);
    if (CELL_STATES > 1) rows_store_state(dc0, dc, b0, B);
}
