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

/* acc[0..n) += v * w[0..n) */
inline void rows_axpy(float *acc, float v, __global const float *w, int n) {
    for (int k = 0; k < n; k++) acc[k] += v * w[k];
}

/* acc[j] += sum over k in [k0, k1) of dz[k] * RT[k, j] for the RU units j, k in order */
inline void rows_back_project(float *acc, const float *dz, __global const float *RT, int k0,
                              int k1) {
    for (int k = k0; k < k1; k++) rows_axpy(acc, dz[k], RT + (size_t)k * RU, RU);
}
