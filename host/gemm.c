/*
 * gemm.c - clrnn's own matrix products (cl/gemm.cl), used on CPUs, where CLBlast's kernels
 * (tuned for GPUs) reach about 1 GFLOP/s through PoCL. A transposed A splits the long shared
 * dimension (the B*T rows of a weight gradient) into parts summed in a fixed order, so the
 * result does not depend on how work is scheduled; a transposed B is copied transposed first
 * (it is a weight matrix, small next to the activations).
 */
#include <limits.h>

#include "runtime.h"

static const char *const GEMM_SOURCES[] = {"gemm.cl", NULL};

/* Rows of C a work-item of gemm_nn computes (cl/gemm.cl TILE_M) by 16 columns, a float16 a
 * row: 8 with 16-float vector registers (ctx.c gemm_wide), 4 with 8-float ones, whose sums
 * then fill 8 of their 16 (docs/performance.md, "The measurements behind the constants"). */
static int tile_rows(const clrnn_ctx *ctx) { return ctx->gemm_wide ? 8 : 4; }
static const char *gemm_options(const clrnn_ctx *ctx) {
    return ctx->gemm_wide ? "-DTILE_M=8" : "-DTILE_M=4";
}

/* Rows of the shared dimension per part of a transposed-A product, and the most floats the
 * parts may take: enough parts to keep every core busy when C is small. */
#define TN_ROWS_PER_PART 256
#define TN_TILES_ROWS_PER_PART 400 /* the same for gemm_tn_tiles */
#define TN_BLOCK_M 128 /* rows of C a work-item of gemm_tn_part computes (cl/gemm.cl) */
#define TN_MAX_PARTS 64
#define SCRATCH_MAX_FLOATS ((size_t)16 << 20)

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

clrnn_status clrnn_gemm_scratch(clrnn_ctx *ctx, size_t bytes) {
    if (ctx->gemm_scratch && ctx->gemm_scratch_bytes >= bytes) return CLRNN_OK;
    clrnn_buf_release(&ctx->gemm_scratch);
    ctx->gemm_scratch_bytes = 0;
    clrnn_status s = clrnn_buf_create(ctx, bytes, &ctx->gemm_scratch);
    if (!s) ctx->gemm_scratch_bytes = bytes;
    return s;
}

/* C = A B (+ the bias row at bias + bias_off, when bias is not NULL) */
static clrnn_status launch_nn_bias(clrnn_ctx *ctx, int M, int N, int K, cl_mem a,
                                   cl_ulong a_off, int lda, cl_mem b, cl_ulong b_off, int ldb,
                                   cl_mem c, cl_ulong c_off, int ldc, cl_mem bias,
                                   cl_ulong bias_off) {
    cl_kernel k;
    const char *name = "gemm_nn";
    clrnn_status s = clrnn_kernel_get(ctx, GEMM_SOURCES, gemm_options(ctx), name, &k);
    size_t global[2] = {div_up((size_t)N, 16), div_up((size_t)M, (size_t)tile_rows(ctx))};
    int has_bias = bias != NULL;
    cl_mem bias_arg = bias ? bias : c; /* a valid buffer, not read without has_bias */
    return s ? s : CLRNN_LAUNCH(ctx, k, name, 2, global, NULL, KARG(M), KARG(N), KARG(K),
                                KARG(a), KARG(a_off), KARG(lda), KARG(b), KARG(b_off), KARG(ldb),
                                KARG(c), KARG(c_off), KARG(ldc), KARG(bias_arg), KARG(bias_off),
                                KARG(has_bias));
}

size_t clrnn_gemm_packed_floats(size_t k, size_t n) { return div_up(n, 16) * 16 * k; }

clrnn_status clrnn_gemm_pack(clrnn_ctx *ctx, int trans_b, size_t k, size_t n, cl_mem b,
                             size_t b_off, size_t ldb, cl_mem p, size_t p_off) {
    cl_kernel kr;
    int K = (int)k, N = (int)n, tb = trans_b, l = (int)ldb;
    cl_ulong bo = b_off, po = p_off;
    size_t global[2] = {div_up(n, 16) * 16, k};
    clrnn_status s = clrnn_kernel_get(ctx, GEMM_SOURCES, gemm_options(ctx), "gemm_pack", &kr);
    return s ? s : CLRNN_LAUNCH(ctx, kr, "gemm_pack", 2, global, NULL, KARG(K), KARG(N),
                                KARG(tb), KARG(b), KARG(bo), KARG(l), KARG(p), KARG(po));
}

clrnn_status clrnn_gemm_packed(clrnn_ctx *ctx, size_t m, size_t n, size_t k, cl_mem a,
                               size_t a_off, size_t lda, cl_mem p, size_t p_off, size_t kp,
                               cl_mem c, size_t c_off, size_t ldc) {
    cl_kernel kr;
    int M = (int)m, N = (int)n, K = (int)k, la = (int)lda, lc = (int)ldc;
    cl_ulong ao = a_off, po = p_off, stride = (cl_ulong)kp * 16, co = c_off;
    size_t global[2] = {div_up(m, (size_t)tile_rows(ctx)), div_up(n, 16)};
    clrnn_status s = clrnn_kernel_get(ctx, GEMM_SOURCES, gemm_options(ctx), "gemm_nn_packed", &kr);
    return s ? s : CLRNN_LAUNCH(ctx, kr, "gemm_nn_packed", 2, global, NULL, KARG(M), KARG(N),
                                KARG(K), KARG(a), KARG(ao), KARG(la), KARG(p), KARG(po),
                                KARG(stride), KARG(c), KARG(co), KARG(lc));
}

/* A B with B packed first (gemm_pack) once it is larger than PACK_MIN_BYTES: read in place,
 * a strip of B spans a page a row and, at widths like 4096, the same cache sets; smaller B
 * loses more to the packing than it gains (docs/performance.md). */
#define PACK_MIN_BYTES ((size_t)8 << 20)
static int pack_pays(int K, int N) { return (size_t)K * (size_t)N * sizeof(float) > PACK_MIN_BYTES; }

static clrnn_status launch_packed(clrnn_ctx *ctx, int trans_b, int M, int N, int K, cl_mem a,
                                  cl_ulong a_off, int lda, cl_mem b, cl_ulong b_off, int ldb,
                                  cl_mem c, cl_ulong c_off, int ldc) {
    clrnn_status s;
    size_t packed = clrnn_gemm_packed_floats((size_t)K, (size_t)N) * sizeof(float);
    if ((s = clrnn_gemm_scratch(ctx, packed)) ||
        (s = clrnn_gemm_pack(ctx, trans_b, (size_t)K, (size_t)N, b, b_off, (size_t)ldb,
                             ctx->gemm_scratch, 0)))
        return s;
    return clrnn_gemm_packed(ctx, (size_t)M, (size_t)N, (size_t)K, a, a_off, (size_t)lda,
                             ctx->gemm_scratch, 0, (size_t)K, c, c_off, (size_t)ldc);
}

static clrnn_status launch_nn(clrnn_ctx *ctx, int M, int N, int K, cl_mem a, cl_ulong a_off,
                              int lda, cl_mem b, cl_ulong b_off, int ldb, cl_mem c,
                              cl_ulong c_off, int ldc) {
    if (pack_pays(K, N))
        return launch_packed(ctx, 0, M, N, K, a, a_off, lda, b, b_off, ldb, c, c_off, ldc);
    return launch_nn_bias(ctx, M, N, K, a, a_off, lda, b, b_off, ldb, c, c_off, ldc, NULL, 0);
}

int clrnn_gemm_own_bias_fits(const clrnn_ctx *ctx, size_t m, size_t n, size_t k, size_t lda,
                             size_t ldb, size_t c_off, size_t ldc) {
    return ctx->cpu_forms && k > 0 && c_off == 0 && ldc == n &&
           clrnn_gemm_own_fits(0, 0, m, n, k, lda, ldb, ldc) && !pack_pays((int)k, (int)n);
}

clrnn_status clrnn_gemm_own_bias(clrnn_ctx *ctx, size_t m, size_t n, size_t k, cl_mem a,
                                 size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb,
                                 cl_mem c, size_t c_off, size_t ldc, cl_mem bias,
                                 size_t bias_off) {
    return launch_nn_bias(ctx, (int)m, (int)n, (int)k, a, a_off, (int)lda, b, b_off, (int)ldb,
                          c, c_off, (int)ldc, bias, bias_off);
}

/* How a sum over K rows is split into parts of about `rows` rows for an (M, N) result: *kc
 * rows a part, *np parts (as many as the scratch may hold). */
static void split_k(int M, int N, int K, size_t rows, int *kc, int *np) {
    size_t mn = (size_t)M * (size_t)N;
    size_t parts = div_up((size_t)K, rows);
    if (parts > TN_MAX_PARTS) parts = TN_MAX_PARTS;
    if (parts * mn > SCRATCH_MAX_FLOATS) parts = SCRATCH_MAX_FLOATS / mn ? SCRATCH_MAX_FLOATS / mn : 1;
    *kc = (int)div_up((size_t)K, parts);
    *np = (int)div_up((size_t)K, (size_t)*kc);
}

/* The scratch buffer made big enough for np parts of an (M, N) result */
static clrnn_status parts_scratch(clrnn_ctx *ctx, int M, int N, int np) {
    return clrnn_gemm_scratch(ctx, (size_t)np * (size_t)M * (size_t)N * sizeof(float));
}

/* C (M, N) = the sum of the np parts in the scratch buffer */
static clrnn_status sum_parts(clrnn_ctx *ctx, int np, int M, int N, cl_mem c, cl_ulong c_off,
                              int ldc) {
    cl_kernel k;
    size_t global[2] = {div_up((size_t)N, 8), (size_t)M};
    clrnn_status s = clrnn_kernel_get(ctx, GEMM_SOURCES, gemm_options(ctx), "gemm_sum_parts", &k);
    return s ? s : CLRNN_LAUNCH(ctx, k, "gemm_sum_parts", 2, global, NULL,
                                KARG(ctx->gemm_scratch), KARG(np), KARG(M), KARG(N), KARG(c),
                                KARG(c_off), KARG(ldc));
}

/* Columns of C a work-item of gemm_tn_part computes: 16, or 64 when the part of A its rows
 * read (kc x TN_BLOCK_M floats) no longer stays in a core's L2 between work-items, so that
 * each read of it serves more columns (docs/performance.md). */
static int tn_strip(int M, int kc) {
    size_t a_part = (size_t)kc * (size_t)(M < TN_BLOCK_M ? M : TN_BLOCK_M) * sizeof(float);
    return a_part > ((size_t)256 << 10) ? 64 : 16;
}

/* Whether A^T B runs as gemm_nn's register tiles over parts of kc rows of K (gemm_tn_tiles,
 * A's 8 values of a step side by side) rather than in strips (gemm_tn_part): from 128 rows of
 * C, while a part of A (kc x M) stays in a core's L2; narrower C leaves the tiles partly
 * empty, and larger parts fall out of L2 (docs/performance.md). */
static int tn_tiles_pay(int M, int kc) {
    return M >= 128 && (size_t)kc * (size_t)M * sizeof(float) <= ((size_t)512 << 10);
}

static clrnn_status launch_tn_tiles(clrnn_ctx *ctx, int M, int N, int K, int kc, int np,
                                    cl_mem a, cl_ulong a_off, int lda, cl_mem b,
                                    cl_ulong b_off, int ldb, cl_mem c, cl_ulong c_off, int ldc) {
    cl_kernel k;
    clrnn_status s = parts_scratch(ctx, M, N, np);
    if (!s) s = clrnn_kernel_get(ctx, GEMM_SOURCES, gemm_options(ctx), "gemm_tn_tiles", &k);
    if (s) return s;
    size_t global[3] = {div_up((size_t)M, (size_t)tile_rows(ctx)), div_up((size_t)N, 16),
                        (size_t)np};
    s = CLRNN_LAUNCH(ctx, k, "gemm_tn_tiles", 3, global, NULL, KARG(M), KARG(N), KARG(K),
                     KARG(kc), KARG(a), KARG(a_off), KARG(lda), KARG(b), KARG(b_off), KARG(ldb),
                     KARG(ctx->gemm_scratch));
    return s ? s : sum_parts(ctx, np, M, N, c, c_off, ldc);
}

static clrnn_status launch_tn(clrnn_ctx *ctx, int M, int N, int K, cl_mem a, cl_ulong a_off,
                              int lda, cl_mem b, cl_ulong b_off, int ldb, cl_mem c,
                              cl_ulong c_off, int ldc) {
    int kc, np;
    cl_kernel k;
    clrnn_status s;
    split_k(M, N, K, TN_TILES_ROWS_PER_PART, &kc, &np);
    if (tn_tiles_pay(M, kc))
        return launch_tn_tiles(ctx, M, N, K, kc, np, a, a_off, lda, b, b_off, ldb, c, c_off, ldc);
    split_k(M, N, K, TN_ROWS_PER_PART, &kc, &np);
    if ((s = parts_scratch(ctx, M, N, np)) ||
        (s = clrnn_kernel_get(ctx, GEMM_SOURCES, gemm_options(ctx), "gemm_tn_part", &k)))
        return s;
    int strip = tn_strip(M, kc);
    size_t global[3] = {div_up((size_t)N, (size_t)strip), div_up((size_t)M, TN_BLOCK_M),
                        (size_t)np};
    s = CLRNN_LAUNCH(ctx, k, "gemm_tn_part", 3, global, NULL, KARG(M), KARG(N), KARG(K),
                     KARG(kc), KARG(strip), KARG(a), KARG(a_off), KARG(lda), KARG(b), KARG(b_off),
                     KARG(ldb), KARG(ctx->gemm_scratch));
    return s ? s : sum_parts(ctx, np, M, N, c, c_off, ldc);
}

clrnn_status clrnn_colsum_own(clrnn_ctx *ctx, cl_mem b, size_t rows, size_t cols, cl_mem out,
                              size_t out_off) {
    int K = (int)rows, N = (int)cols, kc, np;
    cl_ulong zero = 0, oo = out_off;
    cl_kernel k;
    clrnn_status s;
    split_k(1, N, K, TN_ROWS_PER_PART, &kc, &np);
    if ((s = parts_scratch(ctx, 1, N, np)) ||
        (s = clrnn_kernel_get(ctx, GEMM_SOURCES, gemm_options(ctx), "colsum_part", &k)))
        return s;
    size_t global[2] = {div_up((size_t)N, 16), (size_t)np};
    s = CLRNN_LAUNCH(ctx, k, "colsum_part", 2, global, NULL, KARG(N), KARG(K), KARG(kc), KARG(b),
                     KARG(zero), KARG(N), KARG(ctx->gemm_scratch));
    return s ? s : sum_parts(ctx, np, 1, N, out, oo, N);
}

clrnn_status clrnn_transpose(clrnn_ctx *ctx, cl_mem src, size_t off, size_t ld, size_t rows,
                             size_t cols, cl_mem dst) {
    cl_kernel k;
    size_t n = rows * cols;
    cl_ulong o = off;
    int l = (int)ld, r = (int)rows, c = (int)cols;
    clrnn_status s = clrnn_kernel_get(ctx, GEMM_SOURCES, gemm_options(ctx), "gemm_transpose", &k);
    return s ? s : CLRNN_LAUNCH(ctx, k, "gemm_transpose", 1, &n, NULL, KARG(src), KARG(o), KARG(l),
                                KARG(r), KARG(c), KARG(dst));
}

/* C = A B^T: B (N, K) is copied to its transpose (K, N) in the scratch buffer first */
static clrnn_status launch_nt(clrnn_ctx *ctx, int M, int N, int K, cl_mem a, cl_ulong a_off,
                              int lda, cl_mem b, cl_ulong b_off, int ldb, cl_mem c,
                              cl_ulong c_off, int ldc) {
    clrnn_status s;
    if (pack_pays(K, N))
        return launch_packed(ctx, 1, M, N, K, a, a_off, lda, b, b_off, ldb, c, c_off, ldc);
    if ((s = clrnn_gemm_scratch(ctx, (size_t)N * (size_t)K * sizeof(float))) ||
        (s = clrnn_transpose(ctx, b, b_off, (size_t)ldb, (size_t)N, (size_t)K, ctx->gemm_scratch)))
        return s;
    return launch_nn(ctx, M, N, K, a, a_off, lda, ctx->gemm_scratch, 0, N, c, c_off, ldc);
}

int clrnn_gemm_own_fits(int trans_a, int trans_b, size_t m, size_t n, size_t k, size_t lda,
                        size_t ldb, size_t ldc) {
    if (trans_a && trans_b) return 0;
    size_t most = m > n ? m : n;
    if (k > most) most = k;
    if (lda > most) most = lda;
    if (ldb > most) most = ldb;
    if (ldc > most) most = ldc;
    return most <= INT_MAX && m * n <= (size_t)INT_MAX;
}

clrnn_status clrnn_gemm_own(clrnn_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n,
                            size_t k, cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off,
                            size_t ldb, cl_mem c, size_t c_off, size_t ldc) {
    int M = (int)m, N = (int)n, K = (int)k;
    cl_ulong ao = a_off, bo = b_off, co = c_off;
    if (trans_a)
        return launch_tn(ctx, M, N, K, a, ao, (int)lda, b, bo, (int)ldb, c, co, (int)ldc);
    if (trans_b)
        return launch_nt(ctx, M, N, K, a, ao, (int)lda, b, bo, (int)ldb, c, co, (int)ldc);
    return launch_nn(ctx, M, N, K, a, ao, (int)lda, b, bo, (int)ldb, c, co, (int)ldc);
}
