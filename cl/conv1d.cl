/*
 * conv1d.cl - Conv1D over the steps of x (B, T, C) with a kernel K (P, C, F) (Keras's
 * layout) and stride S: output step o reads input steps o S - L + k, k < P, those outside
 * [0, T) being zeros (L the padding before the first step: 0 for "valid").
 *
 *   conv1d_fwd(x, p, k_off, b_off, has_bias, z, B, T, C, To, F, P, S, L)  global (B To F):
 *       z[b, o, f] = sum_{k, c} x[b, o S - L + k, c] K[k, c, f] + bias[f]
 *   conv1d_bwd_kernel(x, dz, grads, k_off, B, T, C, To, F, P, S, L)       global (P C F):
 *       dK[k, c, f] = sum_{b, o} x[b, o S - L + k, c] dz[b, o, f], in order
 *   conv1d_bwd_x(dz, p, k_off, dx, B, T, C, To, F, P, S, L)               global (B T C):
 *       dx[b, t, c] = sum over (o, k) with o S - L + k = t of dz[b, o, f] K[k, c, f]
 */
__kernel void conv1d_fwd(__global const float *x, __global const float *p, ulong k_off,
                         ulong b_off, int has_bias, __global float *z, int B, int T, int C,
                         int To, int F, int P, int S, int L) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * To * F) return;
    int f = i % F, o = (i / F) % To, b = i / ((size_t)To * F);
    float s = has_bias ? p[b_off + f] : 0.0f;
    for (int k = 0; k < P; k++) {
        int t = o * S - L + k;
        if (t < 0 || t >= T) continue;
        __global const float *xt = x + ((size_t)b * T + t) * C;
        __global const float *kk = p + k_off + (size_t)k * C * F + f;
        for (int c = 0; c < C; c++) s += xt[c] * kk[(size_t)c * F];
    }
    z[i] = s;
}

__kernel void conv1d_bwd_kernel(__global const float *x, __global const float *dz,
                                __global float *grads, ulong k_off, int B, int T, int C, int To,
                                int F, int P, int S, int L) {
    size_t i = get_global_id(0);
    if (i >= (size_t)P * C * F) return;
    int f = i % F, c = (i / F) % C, k = i / ((size_t)C * F);
    float s = 0.0f;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < To; o++) {
            int t = o * S - L + k;
            if (t >= 0 && t < T) s += x[((size_t)b * T + t) * C + c] * dz[((size_t)b * To + o) * F + f];
        }
    grads[k_off + i] = s;
}

__kernel void conv1d_bwd_x(__global const float *dz, __global const float *p, ulong k_off,
                           __global float *dx, int B, int T, int C, int To, int F, int P, int S,
                           int L) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * T * C) return;
    int c = i % C, t = (i / C) % T, b = i / ((size_t)T * C);
    float s = 0.0f;
    for (int k = 0; k < P; k++) {
        int q = t + L - k; /* = o S */
        if (q < 0 || q % S != 0 || q / S >= To) continue;
        __global const float *dzo = dz + ((size_t)b * To + q / S) * F;
        __global const float *kk = p + k_off + ((size_t)k * C + c) * F;
        for (int f = 0; f < F; f++) s += dzo[f] * kk[f];
    }
    dx[i] = s;
}
