/*
 * simple_rnn.cl - the SimpleRNN cell, h_t = act(zx_t + (h_{t-1} * rmask) R), with
 * zx = x K + b for all timesteps from one GEMM.
 *
 * Its step at one unit, forward and backward, written once for the loops that run it: the
 * group kernels (rnn_group.cl) and the per-step path (rnn_steps.cl); the cell interface
 * (cell_*, CELL_*) is described in rnn_group.cl. The row kernels (simple_rnn_rows.cl) run
 * whole rows at once in vector form. It has no gates, c or rec_act (cs, gates, dc0 and
 * rec_act are ignored).
 * Local memory of the group kernels: 2 U floats a batch row, forward (h, hn) and backward
 * (the carry, dz).
 */
#define CELL_NAME simple_rnn
#define CELL_GATES 1
#define CELL_SUMS 1
#define CELL_SPLIT 0
#define CELL_STATES 1
#define CELL_DIRECT 0
#define CELL_ZERO_START(k) 0

/* the recurrent sum starts from the input projection */
static inline float cell_sum_start(__global const float *z, __global const float *b1,
                                   int has_rbias, int U, int u, int k) {
    return z[k * U + u];
}

/* the new h */
static inline float cell_fwd(int act, int rec_act, const float *sum, __global const float *z,
                             __global float *cs, __global float *gates, int keep, int b, int s,
                             int B, int U, int u, float h_old, float drop) {
    return act_apply(act, sum[0]);
}

/* dz of a step that was taken, from g, the gradient reaching h_t (h_t = hs[s + 1]) */
static inline float cell_bwd(int act, int rec_act, float g, float *dc,
                             __global const float *hs, __global const float *cs,
                             __global const float *gates, int b, int s, int B, int U, int u,
                             float drop, float *dz, float *dzx) {
    dz[0] = dzx[0] = g * act_grad_y(act, hs[((size_t)(s + 1) * B + b) * U + u]);
    return 0.0f;
}
