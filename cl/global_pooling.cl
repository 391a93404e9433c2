/*
 * global_pooling.cl - GlobalAveragePooling1D and GlobalMaxPooling1D over the timesteps of
 * x (B, T, F), and their gradients; one work-item an output (b, f), the steps summed or
 * compared in order, so results repeat exactly.
 *
 *   global_avg_pool_fwd(x, mask, masked, y, B, T, F)  global (B F): y[b, f] = the sum of
 *       x[b, t, f] over the steps where mask (B, T) is not 0 (all with masked 0, when mask
 *       is not read) over their count (Keras's; 0/0 where none is)
 *   global_avg_pool_bwd(dy, mask, masked, dx, B, T, F) global (B F): dx[b, t, f] = dy[b, f]
 *       over the count at the counted steps, 0 at the others
 *   global_max_pool_fwd(x, y, B, T, F)                 global (B F): the max over every t
 *   global_max_pool_bwd(x, dy, dx, B, T, F)            global (B F): dy[b, f] to the first
 *       step holding the max, 0 to the others
 */
static float steps_counted(__global const float *mask, int masked, int b, int T) {
    if (!masked) return (float)T;
    float n = 0.0f;
    for (int t = 0; t < T; t++) n += mask[(size_t)b * T + t] != 0.0f ? 1.0f : 0.0f;
    return n;
}

__kernel void global_avg_pool_fwd(__global const float *x, __global const float *mask,
                                  int masked, __global float *y, int B, int T, int F) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * F) return;
    int b = i / F, f = i % F;
    __global const float *xb = x + (size_t)b * T * F + f;
    float s = 0.0f;
    for (int t = 0; t < T; t++)
        if (!masked || mask[(size_t)b * T + t] != 0.0f) s += xb[(size_t)t * F];
    y[i] = s / steps_counted(mask, masked, b, T);
}

__kernel void global_avg_pool_bwd(__global const float *dy, __global const float *mask,
                                  int masked, __global float *dx, int B, int T, int F) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * F) return;
    int b = i / F, f = i % F;
    float g = dy[i] / steps_counted(mask, masked, b, T);
    __global float *dxb = dx + (size_t)b * T * F + f;
    for (int t = 0; t < T; t++)
        dxb[(size_t)t * F] = !masked || mask[(size_t)b * T + t] != 0.0f ? g : 0.0f;
}

static int first_max_step(__global const float *xb, int T, int F) {
    int best = 0;
    for (int t = 1; t < T; t++)
        if (xb[(size_t)t * F] > xb[(size_t)best * F]) best = t;
    return best;
}

__kernel void global_max_pool_fwd(__global const float *x, __global float *y, int B, int T,
                                  int F) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * F) return;
    __global const float *xb = x + (size_t)(i / F) * T * F + i % F;
    y[i] = xb[(size_t)first_max_step(xb, T, F) * F];
}

__kernel void global_max_pool_bwd(__global const float *x, __global const float *dy,
                                  __global float *dx, int B, int T, int F) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * F) return;
    size_t at = (size_t)(i / F) * T * F + i % F;
    int best = first_max_step(x + at, T, F);
    for (int t = 0; t < T; t++) dx[at + (size_t)t * F] = t == best ? dy[i] : 0.0f;
}
