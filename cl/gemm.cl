/*
 * gemm.cl - clrnn's own matrix products, for CPUs (host/gemm.c; GPUs use CLBlast). Row-major,
 * C = op(A) op(B) with alpha 1 and beta 0. A work-item computes a tile of 4 rows by 16
 * columns of C in eight float8 registers, so each loaded row of B serves 4 rows of A: the
 * compiler turns the tile loop into vector multiply-adds. Sums run over k in ascending order.
 *
 *   gemm_nn(M, N, K, A, lda, B, ldb, C, ldc, bias, has_bias)
 *       C (M, N) = A (M, K) B (K, N) (+ bias (N) on every row, added to the finished sums
 *       as a separate bias pass would); global (ceil(N/16), ceil(M/4))
 *   gemm_tn_part(M, N, K, kc, A, lda, B, ldb, P) P[p] (M, N) = A[k0:k1]^T B[k0:k1] for the
 *       chunk p of kc rows of A (K, M) and B (K, N); global (ceil(N/16), ceil(M/4), parts)
 *   gemm_sum_parts(P, parts, M, N, C, ldc)      C = sum of the parts in order; global (M*N)
 *   gemm_transpose(A, lda, rows, cols, T)       T (cols, rows) = A (rows, cols)^T
 *   colsum_part(N, K, kc, B, ldb, P)            P[p] (1, N) = the column sums of rows
 *       [p kc, (p+1) kc) of B (K, N); global (ceil(N/16), parts); then gemm_sum_parts
 * Offsets are in floats.
 */
#define TILE_M 4
#define TILE_N 16

/* One tile: acc = sum over k of a[m, k] b[k, n] (+ bias[n]), where a[m, k] = A[m * ams +
 * k * aks] and b[k, n] = B[k * ldb + n]. Full tiles run in registers; edge tiles one element
 * at a time. */
inline void gemm_tile(__global const float *A, size_t ams, size_t aks, __global const float *B,
                      size_t ldb, int k0, int k1, int m0, int n0, int M, int N,
                      __global float *C, size_t ldc, __global const float *bias, int has_bias) {
    if (m0 + TILE_M <= M && n0 + TILE_N <= N) {
        float8 c00 = 0.0f, c01 = 0.0f, c10 = 0.0f, c11 = 0.0f;
        float8 c20 = 0.0f, c21 = 0.0f, c30 = 0.0f, c31 = 0.0f;
        __global const float *a0 = A + (size_t)m0 * ams, *a1 = a0 + ams, *a2 = a1 + ams,
                             *a3 = a2 + ams;
        for (int k = k0; k < k1; k++) {
            __global const float *bk = B + (size_t)k * ldb + n0;
            float8 b0 = vload8(0, bk), b1 = vload8(1, bk);
            size_t ak = (size_t)k * aks;
            float x0 = a0[ak], x1 = a1[ak], x2 = a2[ak], x3 = a3[ak];
            c00 += x0 * b0;
            c01 += x0 * b1;
            c10 += x1 * b0;
            c11 += x1 * b1;
            c20 += x2 * b0;
            c21 += x2 * b1;
            c30 += x3 * b0;
            c31 += x3 * b1;
        }
        if (has_bias) {
            float8 b0 = vload8(0, bias + n0), b1 = vload8(1, bias + n0);
            c00 += b0, c10 += b0, c20 += b0, c30 += b0;
            c01 += b1, c11 += b1, c21 += b1, c31 += b1;
        }
        __global float *c = C + (size_t)m0 * ldc + n0;
        vstore8(c00, 0, c);
        vstore8(c01, 1, c);
        vstore8(c10, 0, c + ldc);
        vstore8(c11, 1, c + ldc);
        vstore8(c20, 0, c + 2 * ldc);
        vstore8(c21, 1, c + 2 * ldc);
        vstore8(c30, 0, c + 3 * ldc);
        vstore8(c31, 1, c + 3 * ldc);
        return;
    }
    for (int m = m0; m < min(m0 + TILE_M, M); m++)
        for (int n = n0; n < min(n0 + TILE_N, N); n++) {
            float acc = 0.0f;
            for (int k = k0; k < k1; k++)
                acc += A[(size_t)m * ams + (size_t)k * aks] * B[(size_t)k * ldb + n];
            C[(size_t)m * ldc + n] = has_bias ? acc + bias[n] : acc;
        }
}

__kernel void gemm_nn(int M, int N, int K, __global const float *A, ulong a_off, int lda,
                      __global const float *B, ulong b_off, int ldb, __global float *C,
                      ulong c_off, int ldc, __global const float *bias, ulong bias_off,
                      int has_bias) {
    int n0 = get_global_id(0) * TILE_N, m0 = get_global_id(1) * TILE_M;
    if (n0 >= N || m0 >= M) return;
    gemm_tile(A + a_off, (size_t)lda, 1, B + b_off, (size_t)ldb, 0, K, m0, n0, M, N, C + c_off,
              (size_t)ldc, bias + bias_off, has_bias);
}

__kernel void gemm_tn_part(int M, int N, int K, int kc, __global const float *A, ulong a_off,
                           int lda, __global const float *B, ulong b_off, int ldb,
                           __global float *P) {
    int n0 = get_global_id(0) * TILE_N, m0 = get_global_id(1) * TILE_M, p = get_global_id(2);
    if (n0 >= N || m0 >= M) return;
    int k0 = p * kc, k1 = min(K, k0 + kc);
    gemm_tile(A + a_off, 1, (size_t)lda, B + b_off, (size_t)ldb, k0, k1, m0, n0, M, N,
              P + (size_t)p * M * N, (size_t)N, P, 0);
}

__kernel void gemm_sum_parts(__global const float *P, int parts, int M, int N,
                             __global float *C, ulong c_off, int ldc) {
    size_t i = get_global_id(0);
    if (i >= (size_t)M * N) return;
    float acc = 0.0f;
    for (int p = 0; p < parts; p++) acc += P[(size_t)p * M * N + i];
    C[c_off + (i / N) * ldc + i % N] = acc;
}

__kernel void gemm_transpose(__global const float *A, ulong a_off, int lda, int rows, int cols,
                             __global float *T) {
    size_t i = get_global_id(0);
    if (i >= (size_t)rows * cols) return;
    size_t r = i / cols, c = i % cols;
    T[c * rows + r] = A[a_off + r * lda + c];
}

__kernel void colsum_part(int N, int K, int kc, __global const float *B, ulong b_off, int ldb,
                          __global float *P) {
    int n0 = get_global_id(0) * TILE_N, p = get_global_id(1);
    if (n0 >= N) return;
    int k0 = p * kc, k1 = min(K, k0 + kc);
    B += b_off;
    __global float *out = P + (size_t)p * N + n0;
    if (n0 + TILE_N <= N) {
        float8 s0 = 0.0f, s1 = 0.0f;
        for (int k = k0; k < k1; k++) {
            __global const float *bk = B + (size_t)k * ldb + n0;
            s0 += vload8(0, bk);
            s1 += vload8(1, bk);
        }
        vstore8(s0, 0, out);
        vstore8(s1, 1, out);
        return;
    }
    for (int n = n0; n < N; n++) {
        float acc = 0.0f;
        for (int k = k0; k < k1; k++) acc += B[(size_t)k * ldb + n];
        out[n - n0] = acc;
    }
}
