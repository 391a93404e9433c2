/*
 * max_pooling.cl - MaxPooling1D over the steps of x (B, T, F): output step o takes the max of
 * steps [o S - L, o S - L + P) that lie inside [0, T) (P the pool size, S the strides, L the
 * padding before the first step: 0 for "valid"), the first of equal maxima winning.
 *
 *   max_pool1d_fwd(x, y, B, T, F, To, P, S, L)  global (B To F): y[b, o, f]
 *   max_pool1d_bwd(x, dy, dx, B, T, F, To, P, S, L) global (B T F): dx[b, t, f] = the sum of
 *       dy[b, o, f] over the windows o whose max is step t (windows overlap when S < P)
 */
static int window_max_step(__global const float *xb, int T, int F, int o, int P, int S, int L) {
    int first = max(o * S - L, 0), last = min(o * S - L + P, T), best = first;
    for (int t = first + 1; t < last; t++)
        if (xb[(size_t)t * F] > xb[(size_t)best * F]) best = t;
    return best;
}

__kernel void max_pool1d_fwd(__global const float *x, __global float *y, int B, int T, int F,
                             int To, int P, int S, int L) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * To * F) return;
    int f = i % F, o = (i / F) % To, b = i / ((size_t)To * F);
    __global const float *xb = x + (size_t)b * T * F + f;
    y[i] = xb[(size_t)window_max_step(xb, T, F, o, P, S, L) * F];
}

__kernel void max_pool1d_bwd(__global const float *x, __global const float *dy,
                             __global float *dx, int B, int T, int F, int To, int P, int S,
                             int L) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * T * F) return;
    int f = i % F, t = (i / F) % T, b = i / ((size_t)T * F);
    __global const float *xb = x + (size_t)b * T * F + f;
    /* the windows holding t: o S - L <= t < o S - L + P */
    int o_first = max((t + L - P) / S + 1, 0), o_last = min((t + L) / S, To - 1);
    if (t + L - P < 0) o_first = 0;
    float g = 0.0f;
    for (int o = o_first; o <= o_last; o++)
        if (window_max_step(xb, T, F, o, P, S, L) == t) g += dy[((size_t)b * To + o) * F + f];
    dx[i] = g;
}
