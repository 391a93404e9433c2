/*
 * rnn_rows.cl - what the row variants of the recurrent kernels share: their loops
 * (rnn_rows_kernels.cl) and the cells' steps at whole rows (lstm_rows.cl, gru_rows.cl,
 * simple_rnn_rows.cl) run on these helpers. The row variants are for CPUs: one work-item runs
 * the whole sequence of RB = ROWS_PER_ITEM batch rows (b0 = RB * global id, ...) in lockstep
 * with their state in private memory, so there is no barrier and no local memory; the inner
 * loops run along contiguous units with trip counts fixed at build time (RNN_UNITS), which
 * the compiler vectorizes, and each block of the recurrent kernel read from memory serves
 * all RB rows. The group variants (rnn_group.cl) spread one row's units over a work-group
 * instead, for GPUs.
 *
 * A row kernel has the arguments (RNN_FWD_ARGS, RNN_BWD_ARGS), layouts and arithmetic order
 * of its group variant, with two differences: rows_per_group and lmem are unused, and the
 * backward kernels read the recurrent kernel transposed: params + r_off is R^T (G, U)
 * (made by gemm_transpose, host/gemm.c), so that dh_{t-1} = dz R^T also runs along
 * contiguous units, adding up over k in the same order as the group variant.
 */
#define RU RNN_UNITS
#ifndef ROWS_PER_ITEM
#define ROWS_PER_ITEM 1
#endif
#define RB ROWS_PER_ITEM

/* The activations are fixed at build time too (RNN_ACT, RNN_REC_ACT): the row kernels set
 * their act arguments to them, so every switch on an activation folds away and the loops
 * around them vectorize. */
#ifndef RNN_ACT
#define RNN_ACT ACT_TANH
#endif
#ifndef RNN_REC_ACT
#define RNN_REC_ACT ACT_SIGMOID
#endif
#define ROWS_FIX_ACT() (act = RNN_ACT)
#define ROWS_FIX_ACTS() (act = RNN_ACT, rec_act = RNN_REC_ACT)

/* act over 8 lanes at once: the vector forms of the device's exp and tanh are several times
 * faster on CPUs than 8 calls of the scalar ones */
static inline float8 act_apply8(int act, float8 z) {
    switch (act) {
    case ACT_SIGMOID:
        return 1.0f / (1.0f + exp(-z));
    case ACT_TANH:
        return tanh(z);
    case ACT_RELU:
        return fmax(z, 0.0f);
    case ACT_HARD_SIGMOID:
        return clamp(0.2f * z + 0.5f, 0.0f, 1.0f);
    case ACT_HARD_SIGMOID_K3:
        return clamp(z / 6.0f + 0.5f, 0.0f, 1.0f);
    default:
        return z;
    }
}

/* z[0..n) = act(z[0..n)) */
static inline void rows_act(int act, float *z, int n) {
    int k = 0;
    for (; k + 8 <= n; k += 8) vstore8(act_apply8(act, vload8(0, z + k)), 0, z + k);
    for (; k < n; k++) z[k] = act_apply(act, z[k]);
}

/* hd = h_{t-1} * rmask of row b, the state as the recurrent kernel sees it (zeros for a
 * row past the batch) */
static inline void rows_dropped(float *hd, const float *h, __global const float *rmask, int b, int B) {
    for (int j = 0; j < RU; j++) hd[j] = b < B ? h[j] * rnn_drop(rmask, b, RU, j) : 0.0f;
}

/* rnn_put_output for all units of row b at once: h is the state after step s (carried over
 * on a masked step) */
static inline void rows_put_outputs(__global float *y, int return_sequences, int b, int s, int T,
                            int U, int keep, const float *h) {
    if (!return_sequences && s != T - 1) return;
    __global float *o = y + (return_sequences ? ((size_t)b * T + s) * U : (size_t)b * U);
#if RNN_ZERO_OUTPUT
    if (!keep) {
        for (int u = 0; u < U; u++) o[u] = 0.0f;
        return;
    }
#endif
    for (int u = 0; u < U; u++) o[u] = h[u];
}

/* gy[u] = rnn_output_grad of row b at step s, all units */
static inline void rows_output_grads(float *gy, __global const float *dy, int return_sequences, int b,
                              int s, int T) {
    if (return_sequences || s == T - 1) {
        __global const float *g = dy + (return_sequences ? ((size_t)b * T + s) * RU : (size_t)b * RU);
        for (int u = 0; u < RU; u++) gy[u] = g[u];
    } else {
        for (int u = 0; u < RU; u++) gy[u] = 0.0f;
    }
}

/* z[0..n) = the input projection of row b at timestep t (zeros past the batch) */
static inline void rows_load_input(float *z, int n, __global const float *zx, __global const int *ids,
                            int b, int t, int B, int T) {
    if (b < B) {
        __global const float *zr = zx + rnn_zx_row(ids, b, t, T) * n;
        for (int k = 0; k < n; k++) z[k] = zr[k];
    } else {
        for (int k = 0; k < n; k++) z[k] = 0.0f;
    }
}

/* dst[r RU + u] = src[b RU + u] for the RB rows from b0 (zeros past the batch) */
static inline void rows_load_state(float *dst, __global const float *src, int b0, int B) {
    for (int r = 0; r < RB; r++)
        for (int u = 0; u < RU; u++)
            dst[r * RU + u] = b0 + r < B ? src[(size_t)(b0 + r) * RU + u] : 0.0f;
}

/* The carry the reverse loop starts with: the final states' gradient from src with
 * RNN_STATE_GRAD (return_state, rnn_common.cl), else zeros. */
static inline void rows_start_carry(float *dst, __global const float *src, int b0, int B) {
    if (RNN_STATE_GRAD)
        rows_load_state(dst, src, b0, B);
    else
        for (int i = 0; i < RB * RU; i++) dst[i] = 0.0f;
}

/* dst[b RU + u] = src[r RU + u] for the rows from b0 inside the batch */
static inline void rows_store_state(__global float *dst, const float *src, int b0, int B) {
    for (int r = 0; r < RB && b0 + r < B; r++)
        for (int u = 0; u < RU; u++) dst[(size_t)(b0 + r) * RU + u] = src[r * RU + u];
}

/* One block of rows_matvec: outputs [k, k + 8 NB) of all RB rows in RB * NB float8
 * registers, as long as whole blocks fit. The NB * RB independent sums keep the
 * multiply-add units busy (one sum alone waits for each of its additions), and each block of
 * W is loaded once for the RB rows. */
#define ROWS_MATVEC_BLOCK(NB)                                                                    \
    for (; k + 8 * (NB) <= n; k += 8 * (NB)) {                                                   \
        float8 a[RB][NB];                                                                        \
        _Pragma("unroll") for (int r = 0; r < RB; r++)                                           \
            _Pragma("unroll") for (int i = 0; i < (NB); i++) a[r][i] = vload8(i, z + r * zs + k); \
        for (int j = 0; j < nv; j++) {                                                           \
            __global const float *w = W + (size_t)j * ldw + k;                                   \
            float8 wv[NB];                                                                       \
            _Pragma("unroll") for (int i = 0; i < (NB); i++) wv[i] = vload8(i, w);               \
            _Pragma("unroll") for (int r = 0; r < RB; r++) {                                     \
                float x = v[r * vs + j];                                                         \
                _Pragma("unroll") for (int i = 0; i < (NB); i++) a[r][i] += x * wv[i];           \
            }                                                                                    \
        }                                                                                        \
        _Pragma("unroll") for (int r = 0; r < RB; r++)                                           \
            _Pragma("unroll") for (int i = 0; i < (NB); i++) vstore8(a[r][i], i, z + r * zs + k); \
    }

/* For each of the RB rows r: z[r zs + k] += sum over j in [0, nv) of v[r vs + j] W[j, k],
 * k in [0, n), W with rows of ldw floats: blocks of up to 64 outputs in registers, then one
 * at a time; each output adds j = 0, 1, ... in order. */
static inline void rows_matvec(float *z, int zs, int n, const float *v, int vs, int nv,
                        __global const float *W, int ldw) {
    int k = 0;
#if RB == 1
    ROWS_MATVEC_BLOCK(8)
#endif
    ROWS_MATVEC_BLOCK(4)
    ROWS_MATVEC_BLOCK(2)
    ROWS_MATVEC_BLOCK(1)
    for (; k < n; k++)
        for (int r = 0; r < RB; r++)
            for (int j = 0; j < nv; j++) z[r * zs + k] += v[r * vs + j] * W[(size_t)j * ldw + k];
}

/* The carry of the rows that took the step becomes their back-projected gradient acc,
 * times the recurrent dropout mask; the others keep theirs (a masked step passes it on) */
static inline void rows_take_carry(float *carry, const float *acc, const int *keep,
                            __global const float *rmask, int b0) {
    for (int r = 0; r < RB; r++)
        if (keep[r])
            for (int j = 0; j < RU; j++)
                carry[r * RU + j] = acc[r * RU + j] * rnn_drop(rmask, b0 + r, RU, j);
}

/* For each row r: acc[r RU + j] += sum over k in [k0, k1) of dz[r G + k] RT[k, j], k in
 * order (the back-projection dz R^T of the backward kernels) */
static inline void rows_back_project(float *acc, const float *dz, int G, __global const float *RT,
                              int k0, int k1) {
    rows_matvec(acc, RU, RU, dz + k0, G, k1 - k0, RT + (size_t)k0 * RU, RU);
}
