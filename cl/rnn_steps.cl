/*
 * rnn_steps.cl - the per-step path of the recurrences (host/rnn_steps.c), for hidden sizes
 * the persistent kernels cannot hold: each step multiplies all batch rows by R in one GEMM,
 * which reads R once for the whole batch, and these element kernels do the rest of the
 * step. They are the loops of the per-step path, written once for every cell: the
 * program's cell file (simple_rnn.cl, lstm.cl, gru.cl, before this one) names them
 * (RNN_KERNEL(step_fwd): lstm_step_fwd) and gives the step at one unit, the same functions
 * the group kernels run (the cell interface: rnn_group.cl), so the formulas, options
 * (rnn_common.cl) and layouts are theirs; only the sums of the R products run in the
 * GEMM's order. global (units rounded up, B): a work-item a unit of a batch row,
 * i = b U + u (no division by U, which cost more than the arithmetic on a CPU).
 *
 * Without RNN_KEEP_STEPS (predict) the gates are not kept, but for a CELL_SPLIT cell (the
 * GRU v1), whose second product reads its left side (r * d) from them.
 * Forward, step s: zh (B, GU) = d R, where d = hs[s] * rmask (dd, which the step before
 * writes, and rnn_steps_drop for s = 0) or hs[s] without recurrent dropout. The GRU v1
 * takes two products: zh[:, 0:2U] = d R_zr, then zh[:, 2U:3U] = (r * d) R_h.
 * Backward, step s from T-1 down: dh (B, U) holds what reaches h_s other than through R
 * (the carry of a masked step, the GRU's direct path g z, nothing for the others) and
 * P (B, U) = dz_{s+1} R^T; step s first forms the gradient of h_s as the persistent kernels
 * do after their product, keep_{s+1} ? (dh + P) * rmask : dh (steps_dh_in), and
 * rnn_steps_finish does the same for the initial state. dc (LSTM) is carried in place.
 * A CELL_SPLIT cell takes its second product in the middle of the step, between
 * step_gates and step_fwd forward, step_bwd and step_reset backward (P as well).
 */

/* The one argument list of every forward and every backward element kernel, whatever the
 * cell (host/rnn_steps.c launches them all alike); a cell reads what it needs and the host
 * passes valid buffers for the rest. zh: the step's R products (B, GU) forward, P (B, U)
 * backward; dd (B, U): the dropped state for the next product; dh, dc: the carries; the
 * rest as in the group kernels (rnn_common.cl RNN_FWD_ARGS). */
#define RNN_STEP_FWD_ARGS                                                                     \
    __global const float *zx, __global const int *ids, __global const float *zh,             \
        __global const float *params, ulong rb_off, int has_rbias,                            \
        __global const float *mask, __global const float *rmask, __global float *hs,          \
        __global float *cs, __global float *gates, __global float *y, __global float *dd,     \
        int s, int B, int T, int U, int act, int rec_act, int return_sequences
#define RNN_STEP_BWD_ARGS                                                                     \
    __global const float *dy, __global const float *hs, __global const float *cs,            \
        __global const float *gates, __global const float *mask, __global const float *rmask, \
        __global const float *P, __global float *dzx, __global float *dzh, __global float *dh, \
        __global float *dc, int s, int B, int T, int U, int act, int rec_act,                 \
        int return_sequences

/* The layer's activations, fixed at build time (host/layer_rnn.c kernel_options), so that
 * the switches on them fold away (lstm_step_fwd at 256 x 512 took as long as its step's
 * GEMM with them); the act arguments serve programs built without them. */
#ifdef RNN_ACT
#define STEPS_ACT(act) RNN_ACT
#define STEPS_REC(rec_act) RNN_REC_ACT
#else
#define STEPS_ACT(act) (act)
#define STEPS_REC(rec_act) (rec_act)
#endif

/* The gradient reaching h_s (the state after step s) from step s + 1; at the last step the
 * final state's (RNN_STATE_GRAD) or zero. */
static inline float steps_dh_in(__global const float *mask, __global const float *rmask,
                         __global const float *P, __global const float *dh, int b, int u, int s,
                         int T, int U) {
    size_t i = (size_t)b * U + u;
    if (s == T - 1) return rnn_state_grad(dh, i);
    int keep = rnn_keep(mask, b, rnn_time(s + 1, T), T);
    return keep ? (dh[i] + P[i]) * rnn_drop(rmask, b, U, u) : dh[i];
}

/* dd = hs[0] * rmask, the dropped initial state the first step's product reads */
__kernel void rnn_steps_drop(__global const float *hs, __global const float *rmask,
                             __global float *dd, int B, int U) {
    int u = get_global_id(0), b = get_global_id(1);
    size_t i = (size_t)b * U + u;
    if (u < U && b < B) dd[i] = hs[i] * rmask[i];
}

/* dh = the gradient of the initial state, after step 0 */
__kernel void rnn_steps_finish(__global const float *mask, __global const float *rmask,
                               __global const float *P, __global float *dh, int B, int T,
                               int U) {
    int u = get_global_id(0), b = get_global_id(1);
    if (u < U && b < B) dh[(size_t)b * U + u] = steps_dh_in(mask, rmask, P, dh, b, u, -1, T, U);
}

/* The state after a step: written to hs[s + 1], dropped into dd for the next product, and
 * output. */
static inline void steps_put_state(__global float *hs, __global float *dd,
                            __global const float *rmask, __global float *y,
                            int return_sequences, int b, int u, int s, int B, int T, int U,
                            int keep, float h_new, float h_old) {
    size_t i = (size_t)b * U + u;
    float h = keep ? h_new : h_old;
    hs[(size_t)(s + 1) * B * U + i] = h;
    if (RNN_REC_DROPOUT) dd[i] = h * rmask[i];
    rnn_put_output(y, return_sequences, b, s, T, U, u, keep, h_new, h_old);
}

/* sum[k] for gates k0..k1 - 1 at unit u of row b: the product in zh joined to where the
 * cell starts its sum (cell_sum_start). Unrolled, as the loops over gates below, so that
 * the private arrays stay in registers (docs/performance.md). */
#define STEPS_SUMS(k0, k1)                                                                    \
    _Pragma("unroll") for (int k = (k0); k < (k1); k++) {                                    \
        float p = zh[(size_t)b * G + k * U + u];                                              \
        sum[k] = CELL_ZERO_START(k) ? p : cell_sum_start(z, b1, has_rbias, U, u, k) + p;      \
    }

/* Forward, step s: the cell's step after the products (with CELL_SPLIT, after the
 * second), its state written and output */
__kernel void RNN_KERNEL(step_fwd)(RNN_STEP_FWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = CELL_GATES * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    float sum[CELL_GATES];
    __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G, *b1 = params + rb_off;
    STEPS_SUMS(CELL_SPLIT ? CELL_SUMS : 0, CELL_GATES)
    int keep = rnn_keep(mask, b, t, T);
    float h_old = hs[(size_t)s * B * U + i];
    float h_new = cell_fwd(STEPS_ACT(act), STEPS_REC(rec_act), sum, z, cs, gates, keep, b, s,
                           B, U, u, h_old, rnn_drop(rmask, b, U, u));
    steps_put_state(hs, dd, rmask, y, return_sequences, b, u, s, B, T, U, keep, h_new, h_old);
}

/* Backward, step s: the cell's gradients, the carries on in dh and dc */
__kernel void RNN_KERNEL(step_bwd)(RNN_STEP_BWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = CELL_GATES * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    float dhv = steps_dh_in(mask, rmask, P, dh, b, u, s, T, U);
    float dcv = CELL_STATES < 2 ? 0.0f : s == T - 1 ? rnn_state_grad(dc, i) : dc[i];
    float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
    float dzv[CELL_GATES], dxv[CELL_GATES];
    _Pragma("unroll") for (int k = 0; k < CELL_GATES; k++) dzv[k] = dxv[k] = 0.0f;
    if (rnn_keep(mask, b, t, T))
        dh[i] = cell_bwd(STEPS_ACT(act), STEPS_REC(rec_act), dhv + gy, &dcv, hs, cs, gates, b,
                         s, B, U, u, rnn_drop(rmask, b, U, u), dzv, dxv);
    else
        dh[i] = rnn_masked_carry(dhv, gy); /* dc is carried over unchanged */
    if (CELL_STATES > 1) dc[i] = dcv;
    _Pragma("unroll") for (int k = 0; k < CELL_GATES; k++) {
        dzh[((size_t)s * B + b) * G + k * U + u] = dzv[k];
        if (RNN_DZX) dzx[((size_t)b * T + t) * G + k * U + u] = dxv[k];
    }
}

#if CELL_SPLIT
/* Forward, step s, between the products: the cell's step on the first product's sums; what
 * it returns goes to gates[s][:, 3U:4U], which the second product reads */
__kernel void RNN_KERNEL(step_gates)(RNN_STEP_FWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = CELL_GATES * U;
    if (u >= U || b >= B) return;
    float sum[CELL_GATES];
    __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G, *b1 = params + rb_off;
    STEPS_SUMS(0, CELL_SUMS)
    cell_gates(STEPS_REC(rec_act), sum, z, gates, b, s, B, U, u,
               hs[(size_t)s * B * U + (size_t)b * U + u], rnn_drop(rmask, b, U, u));
}

/* Backward, step s, after P = dz R^T over the second product's columns: the gradients
 * through it (cell_reset) */
__kernel void RNN_KERNEL(step_reset)(RNN_STEP_BWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = CELL_GATES * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    if (!rnn_keep(mask, b, t, T)) return;
    float dhi = dh[i];
    float dzr = cell_reset(STEPS_REC(rec_act), P[i], &dhi, hs, gates, b, s, B, U, u,
                           rnn_drop(rmask, b, U, u));
    dh[i] = dhi;
    if (RNN_DZX) dzx[((size_t)b * T + t) * G + CELL_SPLIT_GATE * U + u] = dzr;
    dzh[((size_t)s * B + b) * G + CELL_SPLIT_GATE * U + u] = dzr;
}
#endif
