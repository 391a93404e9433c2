/*
 * repeat_vector.cl - RepeatVector(n): every sample's vector repeated n times along a new
 * timestep axis, and its gradient, the sum over those timesteps.
 *
 *   repeat_vector_fwd(x, y, n, N, F)   global (n = B N F): y[b, t, f] = x[b, f]
 *   repeat_vector_bwd(dy, dx, n, N, F) global (n = B F):   dx[b, f] = sum_t dy[b, t, f],
 *                                      summed in timestep order, so results repeat exactly
 */
__kernel void repeat_vector_fwd(__global const float *x, __global float *y, ulong n, int N,
                                int F) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    size_t f = i % F, b = i / ((size_t)N * F);
    y[i] = x[b * F + f];
}

__kernel void repeat_vector_bwd(__global const float *dy, __global float *dx, ulong n, int N,
                                int F) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    size_t f = i % F, b = i / F;
    __global const float *d = dy + b * (size_t)N * F + f;
    float s = 0.0f;
    for (int t = 0; t < N; t++) s += d[(size_t)t * F];
    dx[i] = s;
}
