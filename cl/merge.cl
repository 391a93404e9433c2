/*
 * merge.cl - the merge layers (host/layer_merge.c): Add, Subtract, Multiply, Average,
 * Maximum, Minimum elementwise over n floats, and Concatenate on the last axis.
 *
 *   merge_into(y, x, n, op)          global (n): y = y op x; op 0 add, 1 subtract,
 *                                    2 multiply, 3 maximum, 4 minimum
 *   merge_scale(y, n, s)             global (n): y *= s
 *   merge_pick(dx, dy, y, x, n)      global (n): dx = x == y ? dy : 0 (Maximum, Minimum:
 *                                    the gradient goes to the input whose value won)
 *   merge_unpick(dx, y, x, n)        global (n): dx = x == y ? 0 : dx (an earlier input x
 *                                    won the tie: Keras's pairwise maximum keeps the first)
 *   concat_put(y, x, width, total, offset)   global (rows * width): y[r, offset + j] = x[r, j]
 *   concat_take(dx, dy, width, total, offset) global (rows * width): dx[r, j] = dy[r, offset + j]
 */
__kernel void merge_into(__global float *y, __global const float *x, ulong n, int op) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    float a = y[i], b = x[i];
    y[i] = op == 0 ? a + b : op == 1 ? a - b : op == 2 ? a * b : op == 3 ? fmax(a, b) : fmin(a, b);
}

__kernel void merge_scale(__global float *y, ulong n, float s) {
    size_t i = get_global_id(0);
    if (i < n) y[i] *= s;
}

__kernel void merge_pick(__global float *dx, __global const float *dy, __global const float *y,
                         __global const float *x, ulong n) {
    size_t i = get_global_id(0);
    if (i < n) dx[i] = x[i] == y[i] ? dy[i] : 0.0f;
}

__kernel void merge_unpick(__global float *dx, __global const float *y, __global const float *x,
                           ulong n) {
    size_t i = get_global_id(0);
    if (i < n && x[i] == y[i]) dx[i] = 0.0f;
}

__kernel void concat_put(__global float *y, __global const float *x, ulong n, uint width,
                         uint total, uint offset) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    size_t r = i / width, j = i % width;
    y[r * total + offset + j] = x[i];
}

__kernel void concat_take(__global float *dx, __global const float *dy, ulong n, uint width,
                          uint total, uint offset) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    size_t r = i / width, j = i % width;
    dx[i] = dy[r * total + offset + j];
}
