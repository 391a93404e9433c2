/*
 * masking.cl - Masking(mask_value) over x (B, T, F): a step whose every feature equals
 * mask_value is padding.
 *
 *   masking_fwd(x, y, mask, rows, F, mask_value)  global (rows = B T): mask[r] = 1 when any
 *       x[r, f] != mask_value, else 0; y[r, f] = x[r, f] * mask[r]
 *   masking_bwd(dy, mask, dx, rows, F)            global (rows): dx[r, f] = dy[r, f] * mask[r]
 */
__kernel void masking_fwd(__global const float *x, __global float *y, __global float *mask,
                          int rows, int F, float mask_value) {
    int r = get_global_id(0);
    if (r >= rows) return;
    __global const float *xr = x + (size_t)r * F;
    float keep = 0.0f;
    for (int f = 0; f < F; f++)
        if (xr[f] != mask_value) keep = 1.0f;
    mask[r] = keep;
    for (int f = 0; f < F; f++) y[(size_t)r * F + f] = xr[f] * keep;
}

__kernel void masking_bwd(__global const float *dy, __global const float *mask,
                          __global float *dx, int rows, int F) {
    int r = get_global_id(0);
    if (r >= rows) return;
    for (int f = 0; f < F; f++) dx[(size_t)r * F + f] = dy[(size_t)r * F + f] * mask[r];
}
