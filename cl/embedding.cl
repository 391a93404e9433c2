/*
 * embedding.cl - Embedding lookups and their gradient.
 *
 * Kernels:
 *   embedding_fwd(ids, params, e_off, y, n, D)   global (n D, rounded up): y[p, d] = E[ids[p], d]
 *        ids (n) int32 token ids, already checked to be in [0, input_dim) by the host;
 *        E = params[e_off..] (input_dim, D); y (n, D)
 *   embedding_bwd(dy, order, starts, rows, n_rows, grads, e_off, D, compact, tB, tT, tback)
 *        global (n_rows D, rounded up): dE[rows[u], d] (dE[u, d] when compact) = sum over k in
 *        [starts[u], starts[u+1]) of dy[order[k], d]; with tB > 0, dy is time-major
 *        (T, B, D) by step instead, steps reversed when tback (a recurrent layer's dzh):
 *        position p = b T + t is row dy_row(p).
 *        The host groups the positions of each distinct id (order, starts) in position
 *        order, so repeated ids add up in the same order on every run and device; rows not
 *        in the batch were zeroed before.
 *   The GPU forms are 1-D, a work-item an element (neighbours along d): a second dimension
 *   of n positions could pass the 65535 groups a grid's second dimension has on NVIDIA.
 *   embedding_fwd_rows(...)    embedding_fwd's CPU form, global (n): a work-item a position
 *   embedding_bwd_rows(...)    embedding_bwd's CPU form, global (n_rows): a work-item an id,
 *        adding whole rows of dy (the same sums in the same order)
 *   embedding_sum_segments(P, id_segs, rows, n_rows, grads, e_off, D, compact)
 *        global (n_rows D, rounded up): dE[rows[u], d] (dE[u, d] when compact) = the sum of
 *        P[g, d] over g in [id_segs[u], id_segs[u+1]) in order: the GPU form's second pass for
 *        ids with many positions, whose segments embedding_bwd summed into the rows of P
 *   embedding_scatter_rows(dy, rows, n_rows, grads, e_off, D)   global (n_rows):
 *        dE[rows[u], :] = dy[u, :], the gradient of the batch's distinct ids put in place
 */
/* The row of dy holding position p = b T + t: p, or (step of t) B + b when dy is time-major */
static inline size_t dy_row(int p, int tB, int tT, int tback) {
    if (tB == 0) return (size_t)p;
    int b = p / tT, t = p - b * tT;
    return (size_t)(tback ? tT - 1 - t : t) * (size_t)tB + (size_t)b;
}

__kernel void embedding_fwd(__global const int *ids, __global const float *params, ulong e_off,
                            __global float *y, int n, int D) {
    size_t i = get_global_id(0);
    if (i >= (size_t)n * D) return;
    size_t p = i / D, d = i - p * D;
    y[i] = params[e_off + (size_t)ids[p] * D + d];
}

__kernel void embedding_fwd_rows(__global const int *ids, __global const float *params,
                                 ulong e_off, __global float *y, int n, int D) {
    int p = get_global_id(0);
    if (p >= n) return;
    __global const float *src = params + e_off + (size_t)ids[p] * D;
    __global float *dst = y + (size_t)p * D;
    for (int d = 0; d < D; d++) dst[d] = src[d];
}

__kernel void embedding_bwd(__global const float *dy, __global const int *order,
                            __global const int *starts, __global const int *rows, int n_rows,
                            __global float *grads, ulong e_off, int D, int compact, int tB,
                            int tT, int tback) {
    size_t i = get_global_id(0);
    if (i >= (size_t)n_rows * D) return;
    int u = (int)(i / D), d = (int)(i - (size_t)u * D);
    float s = 0.0f;
    for (int k = starts[u]; k < starts[u + 1]; k++)
        s += dy[dy_row(order[k], tB, tT, tback) * D + d];
    grads[e_off + (size_t)(compact ? u : rows[u]) * D + d] = s;
}

__kernel void embedding_mask(__global const int *ids, __global float *mask, int n) {
    int p = get_global_id(0);
    if (p < n) mask[p] = ids[p] != 0 ? 1.0f : 0.0f;
}

/* Where D allows, sums in float8 registers, 64 floats of the row at a time (in the order of
 * k, as the scalar loop): PoCL, vectorizing the scalar loop across work-items, kept the
 * sums in memory (docs/performance.md) */
__kernel void embedding_bwd_rows(__global const float *dy, __global const int *order,
                                 __global const int *starts, __global const int *rows,
                                 int n_rows, __global float *grads, ulong e_off, int D,
                                 int compact, int tB, int tT, int tback) {
    int u = get_global_id(0);
    if (u >= n_rows) return;
    __global float *out = grads + e_off + (size_t)(compact ? u : rows[u]) * D;
    int d0 = 0;
    for (; (D & 7) == 0 && d0 < D; d0 += 64) { /* then d0 >= D */
        int nv = min(8, (D - d0) / 8);
        float8 s[8];
        _Pragma("unroll") for (int i = 0; i < 8; i++) s[i] = 0.0f;
        for (int k = starts[u]; k < starts[u + 1]; k++) {
            __global const float *src = dy + dy_row(order[k], tB, tT, tback) * D + d0;
            _Pragma("unroll") for (int i = 0; i < 8; i++) if (i < nv) s[i] += vload8(i, src);
        }
        _Pragma("unroll") for (int i = 0; i < 8; i++) if (i < nv) vstore8(s[i], i, out + d0);
    }
    if (d0 >= D) return;
    for (int d = 0; d < D; d++) out[d] = 0.0f;
    for (int k = starts[u]; k < starts[u + 1]; k++) {
        __global const float *src = dy + dy_row(order[k], tB, tT, tback) * D;
        for (int d = 0; d < D; d++) out[d] += src[d];
    }
}

__kernel void embedding_sum_segments(__global const float *P, __global const int *id_segs,
                                     __global const int *rows, int n_rows,
                                     __global float *grads, ulong e_off, int D, int compact) {
    size_t i = get_global_id(0);
    if (i >= (size_t)n_rows * D) return;
    int u = (int)(i / D), d = (int)(i - (size_t)u * D);
    float s = 0.0f;
    for (int g = id_segs[u]; g < id_segs[u + 1]; g++) s += P[(size_t)g * D + d];
    grads[e_off + (size_t)(compact ? u : rows[u]) * D + d] = s;
}

__kernel void embedding_scatter_rows(__global const float *dy, __global const int *rows,
                                     int n_rows, __global float *grads, ulong e_off, int D) {
    int u = get_global_id(0);
    if (u >= n_rows) return;
    __global const float *src = dy + (size_t)u * D;
    __global float *dst = grads + e_off + (size_t)rows[u] * D;
    for (int d = 0; d < D; d++) dst[d] = src[d];
}
