/*
 * gru.cl - the GRU cell, Keras gate order z, r, h (keras-format.md 5.1), in both of Keras's
 * variants, chosen by RNN_RESET_AFTER (rnn_common.cl):
 *   reset_after = true (gru_*; the Keras 2 TF2 and Keras 3 default, CuDNN's):
 *     rk = d R + b1;  z = rec(zx_z + rk_z);  r = rec(zx_r + rk_r)
 *     hh = act(zx_h + r * rk_h);  h_t = z d + (1 - z) hh
 *   reset_after = false (gru_v1_*; Keras <= 2.3):
 *     z = rec(zx_z + d R_z);  r = rec(zx_r + d R_r);  hh = act(zx_h + (r * d) R_h)
 *     h_t = z d + (1 - z) hh
 * where d = h_{t-1} * rmask (Keras 3's GRUCell drops h_{t-1} once, before all its uses, the
 * mix included; d = h_{t-1} without recurrent dropout).
 * zx = x K + b0 (reset_after) or x K + b, for all timesteps, from one GEMM.
 *
 * Its step at one unit, forward and backward, written once for the loops that run it: the
 * group kernels (rnn_group.cl) and the per-step path (rnn_steps.cl); the cell interface
 * (cell_*, CELL_*) is described in rnn_group.cl. The row kernels (gru_rows.cl) run whole
 * rows at once in vector form. Without reset_after a step takes two products (CELL_SPLIT):
 * d R_zr for z and r, then (r * d) R_h for the candidate.
 *
 * Layouts beyond rnn_common.cl's: b1 = params[rb_off..] (G), used when has_rbias;
 * gates (T, B, 4U): z, r, hh, and rk_h (reset_after) or r * d (v1, also the rows of the
 * dR_h GEMM); dzh's h-gate third is with respect to (d R + b1)_h for reset_after, to
 * (r * d) R_h for v1. No cs or dc0.
 * Local memory of the group kernels: forward 2 U floats a batch row (h, hn), 3 U for v1
 * (h, hn, r * d); backward 4 U (dh, dz).
 */
#if RNN_RESET_AFTER
#define CELL_NAME gru
#define CELL_SUMS 3
#define CELL_SPLIT 0
#define CELL_ZERO_START(k) 0
#else
#define CELL_NAME gru_v1
#define CELL_SUMS 2 /* z and r; the candidate's sum is the second product */
#define CELL_SPLIT 1
#define CELL_SPLIT_GATE 1 /* r, whose gradient comes through the second product */
#define CELL_ZERO_START(k) ((k) < 2) /* zx_z and zx_r join after the product */
#endif
#define CELL_GATES 3
#define CELL_STATES 1
#define CELL_DIRECT 1

/* where gate k's recurrent sum starts: reset_after's recurrent bias b1 (zero without), v1's
 * candidate from the input projection */
static inline float cell_sum_start(__global const float *z, __global const float *b1,
                                   int has_rbias, int U, int u, int k) {
    if (!RNN_RESET_AFTER) return k == 2 ? z[2 * U + u] : 0.0f;
    return has_rbias ? b1[k * U + u] : 0.0f;
}

/* h_t = z d + (1 - z) hh */
static inline float gru_mix(float zg, float h_old, float drop, float hh) {
    return zg * h_old * drop + (1.0f - zg) * hh;
}

#if !RNN_RESET_AFTER
/* v1, before the candidate's product: z and r from sum[0..2), kept in gates (the candidate
 * reads z there), and r * d, kept there too for the product and dR_h; returns r * d */
static inline float cell_gates(int rec_act, const float *sum, __global const float *z,
                               __global float *gates, int b, int s, int B, int U, int u,
                               float h_old, float drop) {
    float zg = act_apply(rec_act, z[u] + sum[0]), rg = act_apply(rec_act, z[U + u] + sum[1]);
    __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
    gs[u] = zg;
    gs[U + u] = rg;
    return gs[3 * U + u] = rg * h_old * drop;
}
#endif

/* the step after the sums (v1: after the candidate's, sum[2]); returns the new h */
static inline float cell_fwd(int act, int rec_act, const float *sum, __global const float *z,
                             __global float *cs, __global float *gates, int keep, int b, int s,
                             int B, int U, int u, float h_old, float drop) {
    __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
    if (!RNN_RESET_AFTER) {
        float hh = act_apply(act, sum[2]);
        gs[2 * U + u] = hh;
        return gru_mix(gs[u], h_old, drop, hh);
    }
    float zg = act_apply(rec_act, z[u] + sum[0]), rg = act_apply(rec_act, z[U + u] + sum[1]);
    float hh = act_apply(act, z[2 * U + u] + rg * sum[2]);
    if (RNN_KEEP_STEPS) { /* for the backward pass */
        gs[u] = zg;
        gs[U + u] = rg;
        gs[2 * U + u] = hh;
        gs[3 * U + u] = sum[2];
    }
    return gru_mix(zg, h_old, drop, hh);
}

/* The gradients of a step that was taken, from g, the gradient reaching h_t: dz (the
 * candidate's with respect to the recurrent pre-activation: times r for reset_after) and
 * dzx (the input projection's); v1 leaves the r block zero for cell_reset. Returns the
 * direct path d -> h_t, g z (times rmask by the caller). */
static inline float cell_bwd(int act, int rec_act, float g, float *dc,
                             __global const float *hs, __global const float *cs,
                             __global const float *gates, int b, int s, int B, int U, int u,
                             float drop, float *dz, float *dzx) {
    __global const float *gs = gates + ((size_t)s * B + b) * 4 * U;
    float zg = gs[u], hh = gs[2 * U + u];
    float d = hs[((size_t)s * B + b) * U + u] * drop;
    float dhpre = g * (1.0f - zg) * act_grad_y(act, hh);
    dz[0] = dzx[0] = g * (d - hh) * act_grad_y(rec_act, zg);
    dzx[2] = dhpre;
    if (RNN_RESET_AFTER) {
        float kh = gs[3 * U + u], rg = gs[U + u];
        dz[1] = dzx[1] = dhpre * kh * act_grad_y(rec_act, rg);
        dz[2] = dhpre * rg;
    } else {
        dz[2] = dhpre;
    }
    return g * zg;
}

#if !RNN_RESET_AFTER
/* v1, after the gradient of r * d, drh = dhpre R_h^T, is summed: r's gradient (returned)
 * and r's share of the direct path, added to *dh */
static inline float cell_reset(int rec_act, float drh, float *dh, __global const float *hs,
                               __global const float *gates, int b, int s, int B, int U, int u,
                               float drop) {
    float rg = gates[((size_t)s * B + b) * 4 * U + U + u];
    float d = hs[((size_t)s * B + b) * U + u] * drop;
    *dh += drh * rg;
    return drh * d * act_grad_y(rec_act, rg);
}
#endif
