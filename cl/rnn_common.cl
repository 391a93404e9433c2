/*
 * rnn_common.cl - what the recurrent kernels (simple_rnn.cl, lstm.cl, gru.cl) share: the
 * options of a recurrent layer, fixed per program by build options so that a layer without
 * masking or dropout pays nothing for them, and the helpers that apply them.
 *
 *   RNN_MASK         mask (B, T) floats, 0 = masked timestep: the state is carried over
 *                    unchanged and the output repeats it (Keras's RNN with a mask)
 *   RNN_ZERO_OUTPUT  masked timesteps output zeros instead (zero_output_for_mask, which
 *                    Bidirectional sets on its layers when they return sequences)
 *   RNN_BACKWARDS    go_backwards: step s reads timestep T-1-s; outputs stay in step order
 *   RNN_REC_DROPOUT  rmask (B, U) multiplies h_{t-1} wherever the cell reads it (Keras 3's
 *                    recurrent_dropout: one mask per sequence, reused at every step)
 *   RNN_TOKENS       forward only: zx is the projected vocabulary (V, GU), or the batch's
 *                    projected distinct ids, and ids (B, T) each position's row of it (its
 *                    token, or its index among the distinct ids; token_projection.c);
 *                    without it zx has a row per position and ids is unused
 *   RNN_KEEP_STEPS   forward only, default 1: keep every step's state and gates (hs, cs,
 *                    gates) for the backward pass; 0 when none follows (predict, evaluate):
 *                    the row kernels then write only the final state hs[T] (cs[T])
 *   RNN_STATE_GRAD   backward only (return_state): the gradient of the final states arrives
 *                    in dh0 (and dc0 for the LSTM) before the launch and starts the carry
 *                    of the reverse loop; without it the carry starts at zero. Either way
 *                    the kernel leaves the gradient of the initial states there.
 *   RNN_DZX          backward only, default 1: write the batch-major dzx besides dzh; 0 for an
 *                    LSTM or SimpleRNN that took tokens, whose sums by id read dzh (the same
 *                    values: their recurrent and input pre-activations are one)
 *   RNN_R_LOCAL      group kernels: R's floats (R^T's in the backward kernels), which the
 *                    work-group copies into local memory at the start and reads there at
 *                    every step (RNN_R_ONCHIP); 0 (default) reads it from global memory
 *   RNN_RESET_AFTER  default 1: a GRU's reset_after (gru.cl; 0: the v1 kernels); the
 *                    other cells ignore it
 *   RNN_PAIR         one launch runs two layers of the same options in opposite directions,
 *                    a Bidirectional's pair (host/layer_rnn.c clrnn_rnn_forward_pair): the
 *                    work-groups with get_group_id(1) == 1 run the second layer, on the
 *                    trailing *_2 arguments (RNN_PAIR_FWD_ARGS, RNN_PAIR_BWD_ARGS), the other
 *                    way in time than RNN_BACKWARDS says
 *
 * Steps s = 0..T-1 index the time-major buffers (hs, cs, gates, dzh); timesteps t index
 * the batch-major ones (zx, dzx, mask) like the layer input.
 */
#ifndef RNN_MASK
#define RNN_MASK 0
#endif
#ifndef RNN_ZERO_OUTPUT
#define RNN_ZERO_OUTPUT 0
#endif
#ifndef RNN_BACKWARDS
#define RNN_BACKWARDS 0
#endif
#ifndef RNN_REC_DROPOUT
#define RNN_REC_DROPOUT 0
#endif
#ifndef RNN_STATE_GRAD
#define RNN_STATE_GRAD 0
#endif
#ifndef RNN_TOKENS
#define RNN_TOKENS 0
#endif
#ifndef RNN_KEEP_STEPS
#define RNN_KEEP_STEPS 1
#endif
#ifndef RNN_DZX
#define RNN_DZX 1
#endif
#ifndef RNN_PAIR
#define RNN_PAIR 0
#endif
#ifndef RNN_RESET_AFTER
#define RNN_RESET_AFTER 1
#endif

#ifndef RNN_R_LOCAL
#define RNN_R_LOCAL 0
#endif

/* The recurrent kernel as a group kernel's steps read it: `name` points to its copy in
 * local memory (RNN_R_LOCAL), made by the whole group before the first step, or to src in
 * global memory. Declared at the kernel's outermost scope (local arrays must be). */
#if RNN_R_LOCAL
#define RNN_R_SPACE __local
#define RNN_R_ONCHIP(name, src)                  \
    __local float name##_local[RNN_R_LOCAL];     \
    __local const float *name = rnn_r_copy(src, name##_local)
static inline __local const float *rnn_r_copy(__global const float *src, __local float *dst) {
    for (int i = get_local_id(0); i < RNN_R_LOCAL; i += get_local_size(0)) dst[i] = src[i];
    barrier(CLK_LOCAL_MEM_FENCE);
    return dst;
}
#else
#define RNN_R_SPACE __global
#define RNN_R_ONCHIP(name, src) __global const float *name = (src)
#endif

/* A kernel of the program's cell, for the loops written once for every cell (rnn_group.cl,
 * rnn_steps.cl): RNN_KERNEL(fwd) is lstm_fwd in a program of lstm.cl */
#define RNN_PASTE2(a, b) a##_##b
#define RNN_PASTE(a, b) RNN_PASTE2(a, b)
#define RNN_KERNEL(x) RNN_PASTE(CELL_NAME, x)

/* whether this work-group runs the second layer of a pair */
static inline int rnn_second(void) { return RNN_PAIR && get_group_id(1) == 1; }

/* The second layer's buffers and weight offsets: the same per-layer arguments of every cell
 * (a cell ignores those it has no use for); RNN_TAKE_FWD/BWD and RNN_TAKE switch a kernel's
 * own arguments to them in the second layer's work-groups. */
#if RNN_PAIR
#define RNN_PAIR_FWD_ARGS                                                                     \
    , __global const float *zx_2, ulong r_off_2, ulong rb_off_2, __global const float *rmask_2, \
        __global float *hs_2, __global float *cs_2, __global float *gates_2, __global float *y_2
#define RNN_PAIR_BWD_ARGS                                                                     \
    , __global const float *dy_2, __global const float *hs_2, __global const float *cs_2,    \
        __global const float *gates_2, __global const float *params_2, ulong r_off_2,         \
        __global const float *rmask_2, __global float *dzx_2, __global float *dzh_2,          \
        __global float *dh0_2, __global float *dc0_2
#define RNN_TAKE_AS(x, x2) \
    do {                   \
        if (rnn_second()) x = x2; \
    } while (0)
#else
#define RNN_PAIR_FWD_ARGS
#define RNN_PAIR_BWD_ARGS
#define RNN_TAKE_AS(x, x2) (void)0
#endif
#define RNN_TAKE(x) RNN_TAKE_AS(x, x##_2)

/* The one argument list of every forward and every backward kernel of the group and row
 * forms, whatever the cell (host/layer_rnn.c launches them all alike); a cell reads what it
 * needs and the host passes valid buffers for the rest (hs for a cell without cs, ...):
 *   has_rbias, rb_off: the recurrent bias b1 = params[rb_off..] (G U) of a GRU with
 *                reset_after and a bias; the other cells ignore them
 *   cs, dc0:   the LSTM's cell state and its gradient
 *   gates:     (T, B, 4U), what a step keeps for backward (unused by the SimpleRNN)
 *   act, rec_act: activation codes (common.cl); the SimpleRNN has no rec_act
 *   rows_per_group, lmem: the group kernels' batch rows a work-group and their local memory,
 *                rows_per_group * U floats times the cell's count a row (its kernel file
 *                says); the row kernels ignore both */
#define RNN_FWD_ARGS                                                                          \
    __global const float *zx, __global const int *ids, __global const float *params,         \
        ulong r_off, ulong rb_off, int has_rbias, __global const float *mask,                 \
        __global const float *rmask, __global float *hs, __global float *cs,                  \
        __global float *gates, __global float *y, int B, int T, int U, int act, int rec_act,  \
        int return_sequences, int rows_per_group, __local float *lmem RNN_PAIR_FWD_ARGS
#define RNN_BWD_ARGS                                                                          \
    __global const float *dy, __global const float *hs, __global const float *cs,            \
        __global const float *gates, __global const float *params, ulong r_off,               \
        __global const float *mask, __global const float *rmask, __global float *dzx,         \
        __global float *dzh, __global float *dh0, __global float *dc0, int B, int T, int U,   \
        int act, int rec_act, int return_sequences, int rows_per_group,                       \
        __local float *lmem RNN_PAIR_BWD_ARGS
#define RNN_TAKE_FWD()                                                                 \
    RNN_TAKE(zx); RNN_TAKE(r_off); RNN_TAKE(rb_off); RNN_TAKE(rmask); RNN_TAKE(hs);      \
    RNN_TAKE(cs); RNN_TAKE(gates); RNN_TAKE(y)
#define RNN_TAKE_BWD()                                                                 \
    RNN_TAKE(dy); RNN_TAKE(hs); RNN_TAKE(cs); RNN_TAKE(gates); RNN_TAKE(params);          \
    RNN_TAKE(r_off); RNN_TAKE(rmask); RNN_TAKE(dzx); RNN_TAKE(dzh); RNN_TAKE(dh0); RNN_TAKE(dc0)

/* whether step s writes its state to hs (cs): all of them for a backward pass, else the
 * final one (keep_state in host/layer_rnn.c reads it) */
static inline int rnn_store_step(int s, int T) { return RNN_KEEP_STEPS || s == T - 1; }

/* The row of zx that position (b, t) reads: its token's with RNN_TOKENS (b inside the batch) */
static inline size_t rnn_zx_row(__global const int *ids, int b, int t, int T) {
    size_t p = (size_t)b * T + t;
    return RNN_TOKENS ? (size_t)ids[p] : p;
}

/* the input timestep that step s reads (the second layer of a pair runs the other way) */
static inline int rnn_time(int s, int T) { return RNN_BACKWARDS != rnn_second() ? T - 1 - s : s; }

/* whether row b takes its step at timestep t (not masked) */
static inline int rnn_keep(__global const float *mask, int b, int t, int T) {
    return !RNN_MASK || mask[(size_t)b * T + t] != 0.0f;
}

/* The carry the reverse loop starts with at element k: the gradient of the final state, or
 * zero (a masked final step passes it on, as the state was carried over). */
static inline float rnn_state_grad(__global const float *d, size_t k) {
    return RNN_STATE_GRAD ? d[k] : 0.0f;
}

/* the recurrent dropout factor of unit j of row b */
static inline float rnn_drop(__global const float *rmask, int b, int U, int j) {
    return RNN_REC_DROPOUT ? rmask[(size_t)b * U + j] : 1.0f;
}

/* Writes the output of step s: the new state, or on a masked step the carried state h_old
 * (zeros with RNN_ZERO_OUTPUT). Without return_sequences only the last step is output. */
static inline void rnn_put_output(__global float *y, int return_sequences, int b, int s, int T, int U,
                           int u, int keep, float h_new, float h_old) {
    float v = keep ? h_new : (RNN_ZERO_OUTPUT ? 0.0f : h_old);
    if (return_sequences)
        y[((size_t)b * T + s) * U + u] = v;
    else if (s == T - 1)
        y[(size_t)b * U + u] = v;
}

/* The gradient arriving at the output of step s. */
static inline float rnn_output_grad(__global const float *dy, int return_sequences, int b, int s, int T,
                             int U, int u) {
    if (return_sequences) return dy[((size_t)b * T + s) * U + u];
    return s == T - 1 ? dy[(size_t)b * U + u] : 0.0f;
}

/* On a masked step the output was the carried state, so its gradient joins the carry. */
static inline float rnn_masked_carry(float carry, float dy_s) {
    return RNN_ZERO_OUTPUT ? carry : carry + dy_s;
}
