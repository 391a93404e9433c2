/*
 * rnn_steps.cl - the per-step path of the recurrences (host/rnn_steps.c), for hidden sizes
 * the persistent kernels cannot hold: each step multiplies all batch rows by R in one GEMM,
 * which reads R once for the whole batch, and these element kernels do the rest of the step. The cells, options (rnn_common.cl),
 * layouts and formulas are the persistent kernels' (simple_rnn.cl, lstm.cl, gru.cl); only
 * the sums of the R products run in the GEMM's order. global (units rounded up, B): a
 * work-item a unit of a batch row, i = b U + u (no division by U, which cost more than the
 * arithmetic on a CPU).
 *
 * Without RNN_KEEP_STEPS (predict) the gates are not kept, but for the GRU v1, whose second
 * product reads its r * d from them.
 * Forward, step s: zh (B, GU) = d R, where d = hs[s] * rmask (dd, which the step before
 * writes, and rnn_steps_drop for s = 0) or hs[s] without recurrent dropout. The GRU v1
 * takes two products: zh[:, 0:2U] = d R_zr, then zh[:, 2U:3U] = (r * d) R_h.
 * Backward, step s from T-1 down: dh (B, U) holds what reaches h_s other than through R
 * (the carry of a masked step, the GRU's direct path g z, nothing for the others) and
 * P (B, U) = dz_{s+1} R^T; step s first forms the gradient of h_s as the persistent kernels
 * do after their product, keep_{s+1} ? (dh + P) * rmask : dh (steps_dh_in), and
 * rnn_steps_finish does the same for the initial state. dc (LSTM) is carried in place.
 * The GRU v1 takes the product of its candidate in the middle of the step (P as well).
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

__kernel void simple_rnn_step_fwd(RNN_STEP_FWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T);
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    float h_new = act_apply(STEPS_ACT(act), zx[rnn_zx_row(ids, b, t, T) * U + u] + zh[i]);
    float h_old = hs[(size_t)s * B * U + i];
    steps_put_state(hs, dd, rmask, y, return_sequences, b, u, s, B, T, U,
                    rnn_keep(mask, b, t, T), h_new, h_old);
}

__kernel void simple_rnn_step_bwd(RNN_STEP_BWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T);
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    float g = steps_dh_in(mask, rmask, P, dh, b, u, s, T, U);
    float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u), d = 0.0f;
    if (rnn_keep(mask, b, t, T)) {
        d = (g + gy) * act_grad_y(STEPS_ACT(act), hs[(size_t)(s + 1) * B * U + i]);
        dh[i] = 0.0f;
    } else {
        dh[i] = rnn_masked_carry(g, gy);
    }
    if (RNN_DZX) dzx[((size_t)b * T + t) * U + u] = d;
    dzh[(size_t)s * B * U + i] = d;
}

__kernel void lstm_step_fwd(RNN_STEP_FWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = 4 * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    int keep = rnn_keep(mask, b, t, T);
    __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G;
    __global const float *k = zh + (size_t)b * G;
    float ig = act_apply(STEPS_REC(rec_act), z[u] + k[u]), fg = act_apply(STEPS_REC(rec_act), z[U + u] + k[U + u]);
    float gg = act_apply(STEPS_ACT(act), z[2 * U + u] + k[2 * U + u]);
    float og = act_apply(STEPS_REC(rec_act), z[3 * U + u] + k[3 * U + u]);
    size_t o = (size_t)s * B * U + i;
    float c_old = cs[o], c_new = fg * c_old + ig * gg;
    cs[o + (size_t)B * U] = keep ? c_new : c_old;
    if (RNN_KEEP_STEPS) { /* for the backward pass */
        __global float *gs = gates + ((size_t)s * B + b) * G;
        gs[u] = ig;
        gs[U + u] = fg;
        gs[2 * U + u] = gg;
        gs[3 * U + u] = og;
    }
    steps_put_state(hs, dd, rmask, y, return_sequences, b, u, s, B, T, U, keep,
                    og * act_apply(STEPS_ACT(act), c_new), hs[o]);
}

__kernel void lstm_step_bwd(RNN_STEP_BWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = 4 * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    float dhv = steps_dh_in(mask, rmask, P, dh, b, u, s, T, U);
    float dcv = s == T - 1 ? rnn_state_grad(dc, i) : dc[i];
    float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
    float di = 0.0f, df = 0.0f, dg = 0.0f, dog = 0.0f;
    if (rnn_keep(mask, b, t, T)) {
        float g = dhv + gy;
        __global const float *gs = gates + ((size_t)s * B + b) * G;
        float ig = gs[u], fg = gs[U + u], gg = gs[2 * U + u], og = gs[3 * U + u];
        size_t o = (size_t)s * B * U + i;
        float c = cs[o + (size_t)B * U], cprev = cs[o];
        float ac = act_apply(STEPS_ACT(act), c);
        dcv += g * og * act_grad_y(STEPS_ACT(act), ac);
        di = dcv * gg * act_grad_y(STEPS_REC(rec_act), ig);
        df = dcv * cprev * act_grad_y(STEPS_REC(rec_act), fg);
        dg = dcv * ig * act_grad_y(STEPS_ACT(act), gg);
        dog = g * ac * act_grad_y(STEPS_REC(rec_act), og);
        dcv *= fg;
        dh[i] = 0.0f;
    } else {
        dh[i] = rnn_masked_carry(dhv, gy); /* dc is carried over unchanged */
    }
    dc[i] = dcv;
    __global float *zh_ = dzh + ((size_t)s * B + b) * G + u;
    zh_[0] = di;
    zh_[U] = df;
    zh_[2 * U] = dg;
    zh_[3 * U] = dog;
    if (RNN_DZX) {
        __global float *zx_ = dzx + ((size_t)b * T + t) * G + u;
        zx_[0] = di;
        zx_[U] = df;
        zx_[2 * U] = dg;
        zx_[3 * U] = dog;
    }
}

/* GRU, reset_after = true: zh = d R; the recurrent bias b1 joins here */
__kernel void gru_step_fwd(RNN_STEP_FWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = 3 * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    __global const float *b1 = params + rb_off;
    __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G;
    __global const float *k = zh + (size_t)b * G;
    float kz = (has_rbias ? b1[u] : 0.0f) + k[u];
    float kr = (has_rbias ? b1[U + u] : 0.0f) + k[U + u];
    float kh = (has_rbias ? b1[2 * U + u] : 0.0f) + k[2 * U + u];
    float zg = act_apply(STEPS_REC(rec_act), z[u] + kz), rg = act_apply(STEPS_REC(rec_act), z[U + u] + kr);
    float hh = act_apply(STEPS_ACT(act), z[2 * U + u] + rg * kh);
    if (RNN_KEEP_STEPS) { /* for the backward pass */
        __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
        gs[u] = zg;
        gs[U + u] = rg;
        gs[2 * U + u] = hh;
        gs[3 * U + u] = kh;
    }
    float h_old = hs[(size_t)s * B * U + i];
    float h_new = zg * h_old * rnn_drop(rmask, b, U, u) + (1.0f - zg) * hh;
    steps_put_state(hs, dd, rmask, y, return_sequences, b, u, s, B, T, U,
                    rnn_keep(mask, b, t, T), h_new, h_old);
}

__kernel void gru_step_bwd(RNN_STEP_BWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T);
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    float dhv = steps_dh_in(mask, rmask, P, dh, b, u, s, T, U);
    float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
    float dzz = 0.0f, dzr = 0.0f, dhpre = 0.0f, rg = 0.0f;
    if (rnn_keep(mask, b, t, T)) {
        float g = dhv + gy;
        __global const float *gs = gates + ((size_t)s * B + b) * 4 * U;
        float zg = gs[u], hh = gs[2 * U + u], kh = gs[3 * U + u];
        rg = gs[U + u];
        float d = hs[(size_t)s * B * U + i] * rnn_drop(rmask, b, U, u);
        dhpre = g * (1.0f - zg) * act_grad_y(STEPS_ACT(act), hh);
        dzz = g * (d - hh) * act_grad_y(STEPS_REC(rec_act), zg);
        dzr = dhpre * kh * act_grad_y(STEPS_REC(rec_act), rg);
        dh[i] = g * zg; /* the direct path d -> h_t */
    } else {
        dh[i] = rnn_masked_carry(dhv, gy);
    }
    gru_put_dz(dzx, dzh, b, t, s, B, T, U, u, dzz, dzr, dhpre, dhpre * rg);
}

/* GRU, reset_after = false, forward: the gates z and r from zh[:, 0:2U] = d R_zr, and r * d,
 * which the candidate's product reads from gates[s][:, 3U:4U] */
__kernel void gru_v1_step_gates(RNN_STEP_FWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = 3 * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    __global const float *z = zx + rnn_zx_row(ids, b, t, T) * G;
    __global const float *k = zh + (size_t)b * G;
    float zg = act_apply(STEPS_REC(rec_act), z[u] + k[u]), rg = act_apply(STEPS_REC(rec_act), z[U + u] + k[U + u]);
    __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
    gs[u] = zg;
    gs[U + u] = rg;
    gs[3 * U + u] = rg * hs[(size_t)s * B * U + i] * rnn_drop(rmask, b, U, u);
}

/* and the candidate from zh[:, 2U:3U] = (r * d) R_h, and the new state */
__kernel void gru_v1_step_fwd(RNN_STEP_FWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = 3 * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    float hh = act_apply(STEPS_ACT(act), zx[rnn_zx_row(ids, b, t, T) * G + 2 * U + u] +
                                  zh[(size_t)b * G + 2 * U + u]);
    __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
    gs[2 * U + u] = hh;
    float zg = gs[u], h_old = hs[(size_t)s * B * U + i];
    float h_new = zg * h_old * rnn_drop(rmask, b, U, u) + (1.0f - zg) * hh;
    steps_put_state(hs, dd, rmask, y, return_sequences, b, u, s, B, T, U,
                    rnn_keep(mask, b, t, T), h_new, h_old);
}

/* GRU v1 backward, first half: the z and candidate blocks of dz (the r block is zero until
 * gru_v1_step_reset) and the direct path */
__kernel void gru_v1_step_bwd(RNN_STEP_BWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T);
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    float dhv = steps_dh_in(mask, rmask, P, dh, b, u, s, T, U);
    float gy = rnn_output_grad(dy, return_sequences, b, s, T, U, u);
    float dzz = 0.0f, dhpre = 0.0f;
    if (rnn_keep(mask, b, t, T)) {
        float g = dhv + gy;
        __global const float *gs = gates + ((size_t)s * B + b) * 4 * U;
        float zg = gs[u], hh = gs[2 * U + u];
        float d = hs[(size_t)s * B * U + i] * rnn_drop(rmask, b, U, u);
        dhpre = g * (1.0f - zg) * act_grad_y(STEPS_ACT(act), hh);
        dzz = g * (d - hh) * act_grad_y(STEPS_REC(rec_act), zg);
        dh[i] = g * zg;
    } else {
        dh[i] = rnn_masked_carry(dhv, gy);
    }
    gru_put_dz(dzx, dzh, b, t, s, B, T, U, u, dzz, 0.0f, dhpre, dhpre); /* r: below */
}

/* second half: with P = dhpre R_h^T, the gradient of r * d: the r block and r's share of the
 * direct path */
__kernel void gru_v1_step_reset(RNN_STEP_BWD_ARGS) {
    int u = get_global_id(0), b = get_global_id(1), t = rnn_time(s, T), G = 3 * U;
    if (u >= U || b >= B) return;
    size_t i = (size_t)b * U + u;
    if (!rnn_keep(mask, b, t, T)) return;
    float drh = P[i], rg = gates[((size_t)s * B + b) * 4 * U + U + u];
    float d = hs[(size_t)s * B * U + i] * rnn_drop(rmask, b, U, u);
    float dzr = drh * d * act_grad_y(STEPS_REC(rec_act), rg);
    dzx[((size_t)b * T + t) * G + U + u] = dzr;
    dzh[((size_t)s * B + b) * G + U + u] = dzr;
    dh[i] += drh * rg;
}
