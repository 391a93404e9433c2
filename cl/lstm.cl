/*
 * lstm.cl - the LSTM cell, Keras gate order i, f, c, o (keras-format.md 5.1):
 *   z = zx_t + (h_{t-1} * rmask) R;  i = rec(z_i), f = rec(z_f), g = act(z_c), o = rec(z_o)
 *   c_t = f c_{t-1} + i g;  h_t = o act(c_t)
 * zx = x K + b for all timesteps comes from one GEMM. A masked step carries both h and c
 * over (rnn_common.cl).
 *
 * Its step at one unit, forward and backward, written once for the loops that run it: the
 * group kernels (rnn_group.cl) and the per-step path (rnn_steps.cl); the cell interface
 * (cell_*, CELL_*) is described in rnn_group.cl. The row kernels (lstm_rows.cl) run whole
 * rows at once in vector form.
 *
 * Layouts beyond rnn_common.cl's: cs (T+1, B, U) the cell states like hs; gates (T, B, 4U)
 * the activated i, f, g, o of each step, kept for backward; dc0 (B, U) the gradient of the
 * initial c (in: the final c's with RNN_STATE_GRAD).
 * Local memory of the group kernels: forward 2 U floats a batch row (h, hn), backward 6 U
 * (dh, dc, dz).
 */
#define CELL_NAME lstm
#define CELL_GATES 4
#define CELL_SUMS 4
#define CELL_SPLIT 0
#define CELL_STATES 2
#define CELL_DIRECT 0
#define CELL_ZERO_START(k) 0

/* gate k's recurrent sum starts from the input projection */
static inline float cell_sum_start(__global const float *z, __global const float *b1,
                                   int has_rbias, int U, int u, int k) {
    return z[k * U + u];
}

/* the step after the sums: the gates, kept for backward, and the new c (cs[s + 1], the
 * old one on a masked step); returns the new h */
static inline float cell_fwd(int act, int rec_act, const float *sum, __global const float *z,
                             __global float *cs, __global float *gates, int keep, int b, int s,
                             int B, int U, int u, float h_old, float drop) {
    float ig = act_apply(rec_act, sum[0]), fg = act_apply(rec_act, sum[1]);
    float gg = act_apply(act, sum[2]), og = act_apply(rec_act, sum[3]);
    size_t so = ((size_t)s * B + b) * U + u;
    float c_old = cs[so], c_new = fg * c_old + ig * gg;
    cs[so + (size_t)B * U] = keep ? c_new : c_old;
    if (RNN_KEEP_STEPS) { /* for the backward pass */
        __global float *gs = gates + ((size_t)s * B + b) * 4 * U;
        gs[u] = ig;
        gs[U + u] = fg;
        gs[2 * U + u] = gg;
        gs[3 * U + u] = og;
    }
    return og * act_apply(act, c_new);
}

/* The gradients of a step that was taken, from g, the gradient reaching h_t: dz of the four
 * gates (dzx the same), and dc, the carry of c, in and out. No direct path to h_{t-1}. */
static inline float cell_bwd(int act, int rec_act, float g, float *dc,
                             __global const float *hs, __global const float *cs,
                             __global const float *gates, int b, int s, int B, int U, int u,
                             float drop, float *dz, float *dzx) {
    __global const float *gs = gates + ((size_t)s * B + b) * 4 * U;
    float ig = gs[u], fg = gs[U + u], gg = gs[2 * U + u], og = gs[3 * U + u];
    size_t so = ((size_t)s * B + b) * U + u;
    float c = cs[so + (size_t)B * U], cprev = cs[so];
    float ac = act_apply(act, c);
    float dcv = *dc + g * og * act_grad_y(act, ac);
    *dc = dcv * fg;
    dz[0] = dzx[0] = dcv * gg * act_grad_y(rec_act, ig);
    dz[1] = dzx[1] = dcv * cprev * act_grad_y(rec_act, fg);
    dz[2] = dzx[2] = dcv * ig * act_grad_y(act, gg);
    dz[3] = dzx[3] = g * ac * act_grad_y(rec_act, og);
    return 0.0f;
}
