/*
 * dense.cl - element-wise and row-wise kernels used by Dense, Activation and the recurrent
 * layers: bias, activations, softmax, column sums.
 *
 * Kernels (buffers are float, row-major (rows, cols); *_off are offsets in floats):
 *   dense_add_bias(z, rows, cols, b, b_off)      global (rows cols, rounded up; 1-D, as
 *                                                embedding.cl says why): z[r,c] += b[b_off+c]
 *   dense_add_bias_rows(...)                     the same, global (rows): the CPU form
 *   dense_act_fwd(z, y, n, act)                  global (n): y = act(z)
 *   dense_act_bwd(y, dy, dz, n, act)             global (n): dz = dy * act'(y)
 *   dense_softmax_fwd(z, y, rows, cols)          global (rows): y = softmax(z) per row
 *   dense_softmax_bwd(y, dy, dz, rows, cols)     global (rows): dz = y * (dy - sum(dy * y))
 *   dense_sum_rows(dz, rows, cols, db, db_off)   global (cols * 64), local (64):
 *                                                db[db_off+c] = sum_r dz[r,c]; the order of
 *                                                additions is fixed, so results repeat exactly.
 */
__kernel void dense_add_bias(__global float *z, int rows, int cols, __global const float *b,
                             ulong b_off) {
    size_t i = get_global_id(0);
    if (i < (size_t)rows * cols) z[i] += b[b_off + i % cols];
}

__kernel void dense_add_bias_rows(__global float *z, int rows, int cols,
                                  __global const float *b, ulong b_off) {
    int r = get_global_id(0);
    if (r >= rows) return;
    __global float *zr = z + (size_t)r * cols;
    for (int c = 0; c < cols; c++) zr[c] += b[b_off + c];
}

__kernel void dense_act_fwd(__global const float *z, __global float *y, ulong n, int act) {
    size_t i = get_global_id(0);
    if (i < n) y[i] = act_apply(act, z[i]);
}

__kernel void dense_act_bwd(__global const float *y, __global const float *dy,
                            __global float *dz, ulong n, int act) {
    size_t i = get_global_id(0);
    if (i < n) dz[i] = dy[i] * act_grad_y(act, y[i]);
}

__kernel void dense_softmax_fwd(__global const float *z, __global float *y, int rows, int cols) {
    int r = get_global_id(0);
    if (r >= rows) return;
    __global const float *zr = z + (size_t)r * cols;
    __global float *yr = y + (size_t)r * cols;
    float m = zr[0];
    for (int c = 1; c < cols; c++) m = fmax(m, zr[c]);
    float s = 0.0f;
    for (int c = 0; c < cols; c++) {
        float e = exp(zr[c] - m);
        yr[c] = e;
        s += e;
    }
    for (int c = 0; c < cols; c++) yr[c] /= s;
}

__kernel void dense_softmax_bwd(__global const float *y, __global const float *dy,
                                __global float *dz, int rows, int cols) {
    int r = get_global_id(0);
    if (r >= rows) return;
    size_t o = (size_t)r * cols;
    float dot = 0.0f;
    for (int c = 0; c < cols; c++) dot += dy[o + c] * y[o + c];
    for (int c = 0; c < cols; c++) dz[o + c] = y[o + c] * (dy[o + c] - dot);
}

#define SUM_LANES 64
__kernel __attribute__((reqd_work_group_size(SUM_LANES, 1, 1)))
void dense_sum_rows(__global const float *dz, int rows, int cols, __global float *db,
                    ulong db_off) {
    __local float part[SUM_LANES];
    int c = get_group_id(0), lane = get_local_id(0);
    float s = 0.0f;
    for (int r = lane; r < rows; r += SUM_LANES) s += dz[(size_t)r * cols + c];
    part[lane] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = SUM_LANES / 2; step > 0; step /= 2) {
        if (lane < step) part[lane] += part[lane + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lane == 0) db[db_off + c] = part[0];
}
