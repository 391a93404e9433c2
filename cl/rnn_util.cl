/*
 * rnn_util.cl - elementwise helpers of the recurrent layers (host/layer_rnn.c).
 *
 *   mul_mask_bcast(x, mask, y, A, M, C, skip_first)   global (A*M*C):
 *     y[a, m, c] = x[a, m, c] * mask[k, c] over an (A, M, C) array, with k = a (mask (A, C),
 *     repeated over M) or, when skip_first, k = m (mask (M, C), repeated over A). Applies a
 *     dropout mask of one row per sequence to every timestep: the input (B, T, I) with its
 *     (B, I) mask, or the states (T, B, U) with their (B, U) mask. In place allowed.
 */
__kernel void mul_mask_bcast(__global const float *x, __global const float *mask,
                             __global float *y, int A, int M, int C, int skip_first) {
    size_t k = get_global_id(0);
    if (k >= (size_t)A * M * C) return;
    size_t c = k % C, am = k / C;
    size_t row = skip_first ? am % M : am / M;
    y[k] = x[k] * mask[row * C + c];
}

/*
 * Bidirectional's merge of the forward output yf and the backward output yb (B, T', U),
 * T' = T with return_sequences (yb then in step order, so read back reversed in time, as
 * Keras flips it) or 1. mode: 0 concat -> y (B, T', 2U), 1 sum, 2 ave, 3 mul -> (B, T', U).
 *   bidi_merge(yf, yb, y, B, T, U, seq, mode)            global (B*T'*U)
 *   bidi_split(dy, yf, yb, dyf, dyb, B, T, U, seq, mode) global (B*T'*U): the gradients of
 *     the two outputs from the gradient of the merged one.
 *   add_into(y, x, n)                                    global (n): y += x
 */
static inline size_t bidi_rev(size_t k, int T, int U, int seq) {
    if (!seq) return k;
    size_t u = k % U, bt = k / U, t = bt % T, b = bt / T;
    return (b * T + (T - 1 - t)) * U + u;
}

__kernel void bidi_merge(__global const float *yf, __global const float *yb, __global float *y,
                         int B, int T, int U, int seq, int mode) {
    size_t k = get_global_id(0), n = (size_t)B * (seq ? T : 1) * U;
    if (k >= n) return;
    float f = yf[k], g = yb[bidi_rev(k, T, U, seq)];
    if (mode == 0) {
        size_t u = k % U, row = k / U;
        y[row * 2 * U + u] = f;
        y[row * 2 * U + U + u] = g;
    } else {
        y[k] = mode == 1 ? f + g : mode == 2 ? 0.5f * (f + g) : f * g;
    }
}

__kernel void bidi_split(__global const float *dy, __global const float *yf,
                         __global const float *yb, __global float *dyf, __global float *dyb,
                         int B, int T, int U, int seq, int mode) {
    size_t k = get_global_id(0), n = (size_t)B * (seq ? T : 1) * U;
    if (k >= n) return;
    size_t kb = bidi_rev(k, T, U, seq);
    if (mode == 0) {
        size_t u = k % U, row = k / U;
        dyf[k] = dy[row * 2 * U + u];
        dyb[kb] = dy[row * 2 * U + U + u];
    } else if (mode == 3) {
        dyf[k] = dy[k] * yb[kb];
        dyb[kb] = dy[k] * yf[k];
    } else {
        float g = mode == 2 ? 0.5f * dy[k] : dy[k];
        dyf[k] = g;
        dyb[kb] = g;
    }
}

__kernel void add_into(__global float *y, __global const float *x, ulong n) {
    size_t i = get_global_id(0);
    if (i < n) y[i] += x[i];
}
