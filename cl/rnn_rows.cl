/*
 * rnn_rows.cl - what the row variants of the recurrent kernels share (lstm_rows.cl,
 * gru_rows.cl, simple_rnn_rows.cl). The row variants are for CPUs: one work-item runs the
 * whole sequence of one batch row with its state in private memory, so there is no barrier
 * and no local memory, and the inner loops run along contiguous units with a trip count fixed
 * at build time (RNN_UNITS), which the compiler vectorizes. The group variants (lstm.cl,
 * ...) spread one row's units over a work-group instead, for GPUs.
 *
 * A row kernel has the arguments, layouts and arithmetic order of its group variant, with
 * two differences: rows_per_group and the local buffers are unused, and the backward
 * kernels read the recurrent kernel transposed: params + r_off is R^T (G, U) (made by
 * gemm_transpose, host/gemm.c), so that dh_{t-1} = dz R^T also runs along contiguous units, adding up
 * over k in the same order as the group variant.
 */
#define RU RNN_UNITS

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
inline float8 act_apply8(int act, float8 z) {
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
inline void rows_act(int act, float *z, int n) {
    int k = 0;
    for (; k + 8 <= n; k += 8) vstore8(act_apply8(act, vload8(0, z + k)), 0, z + k);
    for (; k < n; k++) z[k] = act_apply(act, z[k]);
}

/* hd = h_{t-1} * rmask of row b, the state as the recurrent kernel sees it */
inline void rows_dropped(float *hd, const float *h, __global const float *rmask, int b) {
    for (int j = 0; j < RU; j++) hd[j] = h[j] * rnn_drop(rmask, b, RU, j);
}

/* One block of rows_matvec: outputs [k, k + 8 NB) in NB float8 registers, as long as whole
 * blocks fit. NB independent sums keep the multiply-add units busy (one sum alone waits for
 * each of its additions). */
#define ROWS_MATVEC_BLOCK(NB)                                                                    \
    for (; k + 8 * (NB) <= n; k += 8 * (NB)) {                                                   \
        float8 a[NB];                                                                            \
        _Pragma("unroll") for (int i = 0; i < (NB); i++) a[i] = vload8(i, z + k);               \
        for (int j = 0; j < nv; j++) {                                                           \
            __global const float *w = W + (size_t)j * ldw + k;                                   \
            float x = v[j];                                                                      \
            _Pragma("unroll") for (int i = 0; i < (NB); i++) a[i] += x * vload8(i, w);          \
        }                                                                                        \
        _Pragma("unroll") for (int i = 0; i < (NB); i++) vstore8(a[i], i, z + k);               \
    }

/* z[k] += sum over j in [0, nv) of v[j] W[j, k] for k in [0, n), W with rows of ldw floats:
 * blocks of 64, 32, 16 and 8 outputs in registers (each row of W read once for a block),
 * then one at a time; each output adds j = 0, 1, ... in order. */
inline void rows_matvec(float *z, const float *v, int nv, __global const float *W, int ldw,
                        int n) {
    int k = 0;
    ROWS_MATVEC_BLOCK(8)
    ROWS_MATVEC_BLOCK(4)
    ROWS_MATVEC_BLOCK(2)
    ROWS_MATVEC_BLOCK(1)
    for (; k < n; k++)
        for (int j = 0; j < nv; j++) z[k] += v[j] * W[(size_t)j * ldw + k];
}

/* acc[j] += sum over k in [k0, k1) of dz[k] * RT[k, j] for the RU units j, k in order */
inline void rows_back_project(float *acc, const float *dz, __global const float *RT, int k0,
                              int k1) {
    rows_matvec(acc, dz + k0, k1 - k0, RT + (size_t)k0 * RU, RU, RU);
}
