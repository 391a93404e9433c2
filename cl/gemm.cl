/*
 * gemm.cl - clrnn's own matrix products, for CPUs (host/gemm.c; GPUs use CLBlast). Row-major,
 * C = op(A) op(B) with alpha 1 and beta 0. A work-item computes a tile of TILE_M rows by 16
 * columns of C, a float16 a row, so each loaded row of B serves TILE_M rows of A: the
 * compiler turns the tile loop into vector multiply-adds. The host sizes the tiles for the
 * device's vector registers (gemm.c): TILE_M 8 with 16-float registers (AVX-512: 32 of
 * them), 4 with 8-float ones (a float16 is then two registers). Sums run over k in
 * ascending order.
 *
 *   gemm_nn(M, N, K, A, lda, B, ldb, C, ldc, bias, has_bias)
 *       C (M, N) = A (M, K) B (K, N) (+ bias (N) on every row, added to the finished sums
 *       as a separate bias pass would); global (ceil(N/16), ceil(M/TILE_M))
 *   gemm_tn_part(M, N, K, kc, strip, A, lda, B, ldb, P) P[p] (M, N) = A[k0:k1]^T B[k0:k1]
 *       for the part p of kc rows of A (K, M) and B (K, N); a work-item computes a strip of
 *       `strip` columns by TN_BLOCK_M rows; global (ceil(N/strip), ceil(M/TN_BLOCK_M), parts)
 *   gemm_tn_tiles(M, N, K, kc, A, lda, B, ldb, P)  the same parts as gemm_nn's tiles (A's
 *       values of a step side by side); global (ceil(M/TILE_M), ceil(N/16), parts)
 *   gemm_sum_parts(P, parts, M, N, C, ldc)      C = sum of the parts in order; global
 *       (ceil(N/8), M)
 *   gemm_transpose(A, lda, rows, cols, T)       T (cols, rows) = A (rows, cols)^T
 *   colsum_part(N, K, kc, B, ldb, P)            P[p] (1, N) = the column sums of rows
 *       [p kc, (p+1) kc) of B (K, N); global (ceil(N/16), parts); then gemm_sum_parts
 * Offsets are in floats.
 */
#ifndef TILE_M
#define TILE_M 4 /* rows of a tile of gemm_nn: host/gemm.c says */
#endif
#define TILE_N 16
#define TN_CHUNK 64 /* rows of A and B a strip of gemm_tn_part takes at a time */
#define TN_BLOCK_M 128 /* rows of C in a strip of gemm_tn_part (host/gemm.c) */

/* One tile: acc = sum over k of a[m, k] b[k, n] (+ bias[n]), where a[m, k] = A[m * ams +
 * k * aks] and b[k, n] = B[k * ldb + n]. Full tiles run in registers; edge tiles one element
 * at a time. */
static inline void gemm_tile(__global const float *A, size_t ams, size_t aks, __global const float *B,
                      size_t ldb, int k0, int k1, int m0, int n0, int M, int N,
                      __global float *C, size_t ldc, __global const float *bias, int has_bias) {
    if (m0 + TILE_M <= M && n0 + TILE_N <= N) {
        float16 c[TILE_M];
        _Pragma("unroll") for (int i = 0; i < TILE_M; i++) c[i] = 0.0f;
        __global const float *a = A + (size_t)m0 * ams;
        for (int k = k0; k < k1; k++) {
            float16 bk = vload16(0, B + (size_t)k * ldb + n0);
            __global const float *ak = a + (size_t)k * aks;
            _Pragma("unroll") for (int i = 0; i < TILE_M; i++) c[i] += ak[i * ams] * bk;
        }
        float16 b = has_bias ? vload16(0, bias + n0) : 0.0f;
        __global float *cm = C + (size_t)m0 * ldc + n0;
        _Pragma("unroll") for (int i = 0; i < TILE_M; i++)
            vstore16(has_bias ? c[i] + b : c[i], 0, cm + i * ldc);
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

/* B (K, N), or its transpose with trans_b (B (N, K)), packed in strips of 16 columns, each
 * strip K x 16 contiguous (the last one zero-padded): P[s K 16 + k 16 + j] = op(B)[k, 16 s + j].
 * A strip then streams from memory in order; read in place, its rows lie a row of B apart,
 * each on its own page and, for widths like 4096, on the same cache sets. P at p_off;
 * global (16 strips, K) */
__kernel void gemm_pack(int K, int N, int trans_b, __global const float *B, ulong b_off,
                        int ldb, __global float *P, ulong p_off) {
    int n = get_global_id(0), k = get_global_id(1);
    if (k >= K) return;
    B += b_off;
    P += p_off;
    float v = n < N ? (trans_b ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]) : 0.0f;
    P[((size_t)(n / TILE_N) * K + k) * TILE_N + n % TILE_N] = v;
}

/* C (M, N) = A (M, K) op(B) with op(B) packed by gemm_pack; rows [k0, k0 + K) of each strip of
 * `stride` floats at p_off. The tiles run down the strips: global (ceil(M/TILE_M), ceil(N/16)),
 * so the work-items of a work-group, which a CPU runs one after another, share a strip while
 * it is in L2. */
__kernel void gemm_nn_packed(int M, int N, int K, __global const float *A, ulong a_off, int lda,
                             __global const float *P, ulong p_off, ulong stride,
                             __global float *C, ulong c_off, int ldc) {
    int m0 = get_global_id(0) * TILE_M, strip = get_global_id(1), n0 = strip * TILE_N;
    if (n0 >= N || m0 >= M) return;
    gemm_tile(A + a_off, (size_t)lda, 1, P + p_off + strip * stride, TILE_N, 0, K, m0, 0, M,
              N - n0, C + c_off + n0, (size_t)ldc, C, 0);
}

/* One chunk [c0, c1) of a strip: the TM-row tiles of P[m0:m0+TM, n0:n0+16] += A[c0:c1, m0:]^T
 * B[c0:c1, n0:n0+16], starting from zero when first. The sums wait in P between chunks, so
 * each element still adds its k in ascending order. */
#define TN_STRIP_TILES(TM)                                                                       \
    for (; m + (TM) <= me; m += (TM)) {                                                           \
        float16 c[TM];                                                                           \
        __global float *pm = P + (size_t)m * N + n0;                                             \
        _Pragma("unroll") for (int i = 0; i < (TM); i++)                                         \
            c[i] = first ? 0.0f : vload16(0, pm + (size_t)i * N);                                \
        for (int k = c0; k < c1; k++) {                                                          \
            float16 bk = vload16(0, B + (size_t)k * ldb + n0);                                   \
            __global const float *ak = A + (size_t)k * lda + m;                                  \
            _Pragma("unroll") for (int i = 0; i < (TM); i++) c[i] += ak[i] * bk;                 \
        }                                                                                        \
        _Pragma("unroll") for (int i = 0; i < (TM); i++) vstore16(c[i], 0, pm + (size_t)i * N);  \
    }

/* P[p] (M, N) = A[k0:k1]^T B[k0:k1] for the part p of kc rows. A work-item owns a strip of
 * `strip` columns (16 or 64) by TN_BLOCK_M rows and walks its part in chunks of TN_CHUNK rows:
 * a chunk of B stays in L1 for all the 8-row register tiles down the strip, and B is read
 * once. (A 4x16 tile per work-item over the whole part, as gemm_nn does, read each row of B
 * once per tile and waited on those loads: docs/performance.md.) */
__kernel void gemm_tn_part(int M, int N, int K, int kc, int strip, __global const float *A,
                           ulong a_off, int lda, __global const float *B, ulong b_off, int ldb,
                           __global float *P) {
    int nb = get_global_id(0) * strip, mb = get_global_id(1) * TN_BLOCK_M;
    int p = get_global_id(2);
    if (nb >= N || mb >= M) return;
    int k0 = p * kc, k1 = min(K, k0 + kc), me = min(M, mb + TN_BLOCK_M);
    int ne = min(N, nb + strip), nfull = nb + (ne - nb) / TILE_N * TILE_N;
    A += a_off;
    B += b_off;
    P += (size_t)p * M * N;
    for (int c0 = k0; c0 < k1; c0 += TN_CHUNK) {
        int c1 = min(k1, c0 + TN_CHUNK), first = c0 == k0;
        for (int n0 = nb; n0 < nfull; n0 += TILE_N) {
            int m = mb;
            TN_STRIP_TILES(8)
            TN_STRIP_TILES(1)
        }
    }
    for (int m = mb; m < me; m++) /* the last columns, fewer than a tile */
        for (int n = nfull; n < ne; n++) {
            float acc = 0.0f;
            for (int k = k0; k < k1; k++) acc += A[(size_t)k * lda + m] * B[(size_t)k * ldb + n];
            P[(size_t)m * N + n] = acc;
        }
}

/* P[p] (M, N) = A[k0:k1]^T B[k0:k1] for the part p of kc rows, in gemm_nn's register tiles:
 * a step's TILE_M values of A lie side by side. global (ceil(M/TILE_M), ceil(N/16), parts):
 * the tiles down a strip of B run one after another while its part is in L2. */
__kernel void gemm_tn_tiles(int M, int N, int K, int kc, __global const float *A, ulong a_off,
                            int lda, __global const float *B, ulong b_off, int ldb,
                            __global float *P) {
    int m0 = get_global_id(0) * TILE_M, n0 = get_global_id(1) * TILE_N, p = get_global_id(2);
    if (n0 >= N || m0 >= M) return;
    int k0 = p * kc, k1 = min(K, k0 + kc);
    gemm_tile(A + a_off, 1, (size_t)lda, B + b_off, (size_t)ldb, k0, k1, m0, n0, M, N,
              P + (size_t)p * M * N, (size_t)N, P, 0);
}

__kernel void gemm_sum_parts(__global const float *P, int parts, int M, int N,
                             __global float *C, ulong c_off, int ldc) {
    int n0 = get_global_id(0) * 8, m = get_global_id(1);
    if (n0 >= N || m >= M) return;
    size_t mn = (size_t)M * N, at = (size_t)m * N + n0;
    __global float *c = C + c_off + (size_t)m * ldc + n0;
    if (n0 + 8 <= N) {
        float8 acc = 0.0f;
        for (int p = 0; p < parts; p++) acc += vload8(0, P + p * mn + at);
        vstore8(acc, 0, c);
        return;
    }
    for (int n = 0; n < N - n0; n++) {
        float acc = 0.0f;
        for (int p = 0; p < parts; p++) acc += P[p * mn + at + n];
        c[n] = acc;
    }
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
