/*
 * optim.cl - optimizer updates over a segment of the packed parameters, with Keras 3's exact
 * update rules (docs/keras-format.md 6.1), and gradient clipping by norm.
 *
 * Kernels (w, g and state buffers share the packed layout; off/n select one weight):
 *   optim_sumsq(g, off, n, sumsq, slot)  global = local = REDUCE_LANES: sumsq[slot] = sum g^2
 *   optim_clip(g, off, n, sumsq, first, count, clipnorm)  global (n): g *= clip / max(norm, clip)
 *        with norm = sqrt(sum of sumsq[first .. first+count)) (one weight, or all for global)
 *   optim_sgd(w, g, m, off, n, lr, momentum, nesterov)
 *   optim_rmsprop(w, g, v, mom, avg, off, n, lr, rho, momentum, eps, centered)
 *   optim_adam(w, g, m, v, off, n, alpha, beta_1, beta_2, eps)  alpha = lr sqrt(1-b2^t)/(1-b1^t)
 */
/* one work-group's lanes: 256, or fewer where the device allows fewer (clrnn_reduce_lanes) */
#ifndef REDUCE_LANES
#define REDUCE_LANES 256
#endif
__kernel __attribute__((reqd_work_group_size(REDUCE_LANES, 1, 1)))
void optim_sumsq(__global const float *g, ulong off, ulong n, __global float *sumsq, int slot) {
    __local float part[REDUCE_LANES];
    int lane = get_local_id(0);
    float s = 0.0f;
    for (size_t i = lane; i < n; i += REDUCE_LANES) {
        float v = g[off + i];
        s += v * v;
    }
    part[lane] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = REDUCE_LANES / 2; step > 0; step /= 2) {
        if (lane < step) part[lane] += part[lane + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lane == 0) sumsq[slot] = part[0];
}

__kernel void optim_clip(__global float *g, ulong off, ulong n, __global const float *sumsq,
                         int first, int count, float clipnorm) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    float s = 0.0f;
    for (int k = 0; k < count; k++) s += sumsq[first + k];
    float norm = sqrt(s);
    g[off + i] = g[off + i] * clipnorm / fmax(norm, clipnorm);
}

__kernel void optim_sgd(__global float *w, __global const float *g, __global float *m, ulong off,
                        ulong n, float lr, float momentum, int nesterov) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    i += off;
    float gi = g[i];
    if (momentum != 0.0f) {
        float mi = m[i] * momentum - gi * lr;
        m[i] = mi;
        if (nesterov)
            w[i] += mi * momentum - gi * lr;
        else
            w[i] += mi;
    } else {
        w[i] -= gi * lr;
    }
}

__kernel void optim_rmsprop(__global float *w, __global const float *g, __global float *v,
                            __global float *mom, __global float *avg, ulong off, ulong n,
                            float lr, float rho, float momentum, float eps, int centered) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    i += off;
    float gi = g[i];
    float vi = rho * v[i] + (1.0f - rho) * gi * gi;
    v[i] = vi;
    float denom;
    if (centered) {
        float ai = rho * avg[i] + (1.0f - rho) * gi;
        avg[i] = ai;
        denom = vi - ai * ai + eps;
    } else {
        denom = vi + eps;
    }
    float inc = lr * gi / sqrt(denom);
    if (momentum > 0.0f) {
        float mi = momentum * mom[i] + inc;
        mom[i] = mi;
        w[i] -= mi;
    } else {
        w[i] -= inc;
    }
}

__kernel void optim_adam(__global float *w, __global const float *g, __global float *m,
                         __global float *v, ulong off, ulong n, float alpha, float beta_1,
                         float beta_2, float eps) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    i += off;
    float gi = g[i];
    float mi = m[i] + (gi - m[i]) * (1.0f - beta_1);
    float vi = v[i] + (gi * gi - v[i]) * (1.0f - beta_2);
    m[i] = mi;
    v[i] = vi;
    w[i] -= mi * alpha / (sqrt(vi) + eps);
}
