/*
 * layer_norm.cl - LayerNormalization over the last axis of x (R rows, C columns):
 * y = (x - mean) inv gamma + beta, inv = 1 / sqrt(var + eps) with var the biased variance of
 * the row. gamma and beta are read from the packed parameters at their offsets; has_gamma
 * or has_beta 0 means 1 and 0 (scale or center false; the buffer is then not read).
 *
 *   layer_norm_fwd(x, y, stats, R, C, eps, p, g_off, has_gamma, b_off, has_beta)
 *       global (R): one work-item a row; stats[2r], stats[2r+1] keep the row's mean and inv
 *   layer_norm_bwd_x(x, dy, stats, dx, R, C, p, g_off, has_gamma)   global (R):
 *       with xh = (x - mean) inv and g = dy gamma, dx = inv (g - mean(g) - xh mean(g xh))
 *   layer_norm_bwd_params(x, dy, stats, R, C, grads, g_off, has_gamma, b_off, has_beta)
 *       global (C): one work-item a column, the rows summed in order:
 *       dgamma = sum dy xh, dbeta = sum dy
 */
__kernel void layer_norm_fwd(__global const float *x, __global float *y, __global float *stats,
                             int R, int C, float eps, __global const float *p, ulong g_off,
                             int has_gamma, ulong b_off, int has_beta) {
    int r = get_global_id(0);
    if (r >= R) return;
    __global const float *xr = x + (size_t)r * C;
    float mean = 0.0f, var = 0.0f;
    for (int c = 0; c < C; c++) mean += xr[c];
    mean /= C;
    for (int c = 0; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
    float inv = rsqrt(var / C + eps);
    stats[2 * (size_t)r] = mean;
    stats[2 * (size_t)r + 1] = inv;
    for (int c = 0; c < C; c++) {
        float v = (xr[c] - mean) * inv;
        if (has_gamma) v *= p[g_off + c];
        if (has_beta) v += p[b_off + c];
        y[(size_t)r * C + c] = v;
    }
}

__kernel void layer_norm_bwd_x(__global const float *x, __global const float *dy,
                               __global const float *stats, __global float *dx, int R, int C,
                               __global const float *p, ulong g_off, int has_gamma) {
    int r = get_global_id(0);
    if (r >= R) return;
    size_t o = (size_t)r * C;
    float mean = stats[2 * (size_t)r], inv = stats[2 * (size_t)r + 1], mg = 0.0f, mgx = 0.0f;
    for (int c = 0; c < C; c++) {
        float g = has_gamma ? dy[o + c] * p[g_off + c] : dy[o + c];
        mg += g;
        mgx += g * (x[o + c] - mean) * inv;
    }
    mg /= C;
    mgx /= C;
    for (int c = 0; c < C; c++) {
        float g = has_gamma ? dy[o + c] * p[g_off + c] : dy[o + c];
        dx[o + c] = inv * (g - mg - (x[o + c] - mean) * inv * mgx);
    }
}

__kernel void layer_norm_bwd_params(__global const float *x, __global const float *dy,
                                    __global const float *stats, int R, int C,
                                    __global float *grads, ulong g_off, int has_gamma,
                                    ulong b_off, int has_beta) {
    int c = get_global_id(0);
    if (c >= C) return;
    float dg = 0.0f, db = 0.0f;
    for (int r = 0; r < R; r++) {
        size_t i = (size_t)r * C + c;
        dg += dy[i] * (x[i] - stats[2 * (size_t)r]) * stats[2 * (size_t)r + 1];
        db += dy[i];
    }
    if (has_gamma) grads[g_off + c] = dg;
    if (has_beta) grads[b_off + c] = db;
}
