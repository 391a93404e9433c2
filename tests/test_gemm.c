/*
 * test_gemm.c - the matrix products against a double reference: clrnn's own kernels
 * (gemm.c, used on CPUs; with both tile heights) and CLBlast (GPUs), each of the forms the
 * layers use (A B, A^T B, A B^T, and A B + bias), on sizes that leave partial tiles (not
 * multiples of 4 or 8 rows or 16 columns), with offsets and leading dimensions larger than
 * the width, and a shared dimension long enough to be split into several parts; and the column sums of the bias gradients both ways.
 *
 * Exact: the inputs are multiples of 1/8 in [-1, 1], so every product is a multiple of 1/64
 * and every partial sum (|sum| <= K <= 40000 < 2^24 / 64) is exact in float32, whatever the
 * order of the additions. So the results must equal the reference exactly, and any wrong,
 * missing or repeated term shows.
 */
#include <stdio.h>
#include <stdlib.h>

#include <clblast_c.h>

#include "clrnn_impl.h"
#include "test.h"

static clrnn_ctx *ctx;
static uint64_t lcg = 99;

/* a multiple of 1/8 in [-1, 1] */
static float eighths(void) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((int)(lcg >> 33) % 17 - 8) / 8.0f;
}

static cl_mem upload(const float *v, size_t n) {
    cl_mem m = NULL;
    CHECK(clrnn_buf_create(ctx, n * sizeof(float), &m) == CLRNN_OK);
    CHECK(clrnn_buf_write(ctx, m, 0, n * sizeof(float), v) == CLRNN_OK);
    return m;
}

static float *random_floats(size_t n) {
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = eighths();
    return v;
}

/* C = op(A) op(B) with A at offset ao (ld lda), B at bo (ldb), C at co (ldc), by clrnn_gemm
 * with own = 1 (gemm.c) or 0 (CLBlast), against the double reference */
static void check_gemm(int own, int ta, int tb, int M, int N, int K, int pad) {
    size_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    size_t lda = ac + pad, ldb = bc + pad, ldc = N + pad, ao = 3, bo = 5, co = 7;
    float *a = random_floats(ao + ar * lda), *b = random_floats(bo + br * ldb);
    float *c = random_floats(co + (size_t)M * ldc); /* outside C must stay as it was */
    cl_mem da = upload(a, ao + ar * lda), db = upload(b, bo + br * ldb);
    cl_mem dc = upload(c, co + (size_t)M * ldc);
    ctx->cpu_forms = own;
    CHECK(clrnn_gemm(ctx, ta, tb, M, N, K, 1.0f, da, ao, lda, db, bo, ldb, 0.0f, dc, co, ldc) ==
          CLRNN_OK);
    float *got = malloc((co + (size_t)M * ldc) * sizeof *got);
    CHECK(clrnn_buf_read(ctx, dc, 0, (co + (size_t)M * ldc) * sizeof(float), got) == CLRNN_OK);
    double worst = 0, untouched = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double want = 0;
            for (int k = 0; k < K; k++) {
                double x = ta ? a[ao + (size_t)k * lda + m] : a[ao + (size_t)m * lda + k];
                double y = tb ? b[bo + (size_t)n * ldb + k] : b[bo + (size_t)k * ldb + n];
                want += x * y;
            }
            double d = fabs(got[co + (size_t)m * ldc + n] - want);
            if (d > worst) worst = d;
        }
    for (size_t i = 0; i < co + (size_t)M * ldc; i++) {
        int inside = i >= co && (i - co) % ldc < (size_t)N;
        if (!inside) untouched += fabs(got[i] - c[i]);
    }
    printf("%-7s %s%s M=%4d N=%4d K=%5d pad=%d: max diff %.2g\n", own ? "own" : "clblast",
           ta ? "T" : "N", tb ? "T" : "N", M, N, K, pad, worst);
    CHECK(worst == 0);
    CHECK(untouched == 0);
    clrnn_buf_release(&da), clrnn_buf_release(&db), clrnn_buf_release(&dc);
    free(a), free(b), free(c), free(got);
}

/* C = A B + bias on every row (clrnn_gemm_bias), against the reference */
static void check_gemm_bias(int own, int M, int N, int K) {
    float *a = random_floats((size_t)M * K), *b = random_floats((size_t)K * N);
    float *bias = random_floats((size_t)N + 3);
    cl_mem da = upload(a, (size_t)M * K), db = upload(b, (size_t)K * N);
    cl_mem dbias = upload(bias, (size_t)N + 3), dc = NULL;
    CHECK(clrnn_buf_create(ctx, (size_t)M * N * sizeof(float), &dc) == CLRNN_OK);
    ctx->cpu_forms = own;
    CHECK(clrnn_gemm_bias(ctx, M, N, K, da, 0, K, db, 0, N, dc, 0, N, dbias, 3) == CLRNN_OK);
    float *got = malloc((size_t)M * N * sizeof *got);
    CHECK(clrnn_buf_read(ctx, dc, 0, (size_t)M * N * sizeof(float), got) == CLRNN_OK);
    double worst = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double want = 0;
            for (int k = 0; k < K; k++) want += (double)a[(size_t)m * K + k] * b[(size_t)k * N + n];
            want += bias[3 + n];
            if (fabs(got[(size_t)m * N + n] - want) > worst) worst = fabs(got[(size_t)m * N + n] - want);
        }
    printf("%-7s NN+bias M=%4d N=%4d K=%5d: max diff %.2g\n", own ? "own" : "clblast", M, N, K,
           worst);
    CHECK(worst == 0);
    clrnn_buf_release(&da), clrnn_buf_release(&db), clrnn_buf_release(&dbias);
    clrnn_buf_release(&dc);
    free(a), free(b), free(bias), free(got);
}

static void check_colsum(int own, int rows, int cols) {
    float *v = random_floats((size_t)rows * cols);
    cl_mem dv = upload(v, (size_t)rows * cols), out = NULL;
    CHECK(clrnn_buf_create(ctx, (size_t)(cols + 2) * sizeof(float), &out) == CLRNN_OK);
    ctx->cpu_forms = own;
    CHECK(clrnn_sum_rows(ctx, dv, rows, cols, out, 2) == CLRNN_OK);
    float *got = malloc((size_t)(cols + 2) * sizeof *got);
    CHECK(clrnn_buf_read(ctx, out, 0, (size_t)(cols + 2) * sizeof(float), got) == CLRNN_OK);
    double worst = 0;
    for (int c = 0; c < cols; c++) {
        double want = 0;
        for (int r = 0; r < rows; r++) want += v[(size_t)r * cols + c];
        if (fabs(got[2 + c] - want) > worst) worst = fabs(got[2 + c] - want);
    }
    printf("%-7s column sums rows=%d cols=%d: max diff %.2g\n", own ? "own" : "clblast", rows,
           cols, worst);
    CHECK(worst == 0);
    clrnn_buf_release(&dv), clrnn_buf_release(&out);
    free(v), free(got);
}

/* CLBlast's indirect GEMM, which copies operands at an offset into padded temporaries: here
 * from the context's GEMM scratch (blas.c), which must have been taken and grown. PoCL's
 * products stay below CLBlast's threshold for it (896^3 multiply-adds by default), so the
 * threshold is lowered for this device first; runs last. */
static void check_clblast_temporaries(void) {
    const char *name = "XGEMM_MIN_INDIRECT_SIZE";
    size_t value = 16;
    CHECK(CLBlastOverrideParameters(ctx->device, "GemmRoutine", CLBlastPrecisionSingle, 1, &name,
                                    &value) == CLBlastSuccess);
    clrnn_buf_release(&ctx->gemm_scratch);
    ctx->gemm_scratch_bytes = 0;
    check_gemm(0, 0, 0, 37, 70, 150, 3);
    size_t first = ctx->gemm_scratch_bytes;
    printf("CLBlast's temporaries in the GEMM scratch: %zu bytes\n", first);
    CHECK(first > 0);
    check_gemm(0, 1, 0, 21, 16, 2500, 0); /* dR's form, a larger temporary */
    check_gemm(0, 0, 1, 50, 128, 777, 3);
    CHECK(ctx->gemm_scratch_bytes > first);
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        return 1;
    }
    printf("device: %s\n", clrnn_ctx_device(ctx)->name);
    /* {M, N, K}: whole tiles, partial tiles, one row or column, a long K split in parts; the
     * next has parts long enough for A^T B's 64-column strips (gemm.c tn_strip) and more
     * rows than one block of them (TN_BLOCK_M), each with a partial end; the last a B over
     * 8 MiB, which clrnn's A B and A B^T pack in strips first (gemm.c pack_pays), the last
     * strip partial: clrnn's kernels only (CLBlast's run of it, under ASan, made
     * LeakSanitizer's own tracer crash at the program's exit in 2 of 2 parallel runs) */
    static const int sizes[][3] = {{8, 32, 5},     {13, 37, 11},     {1, 1, 7},
                                   {3, 50, 128},   {37, 1, 40},      {21, 16, 2500},
                                   {50, 128, 777}, {150, 70, 40000}, {21, 2100, 1030}};
    size_t n_sizes = sizeof sizes / sizeof *sizes;
    /* clrnn's kernels with both tile heights (gemm.c: 8 rows for 16-float vector registers,
     * 4 for 8-float ones; the device's own choice first), then CLBlast's */
    int device_wide = ctx->gemm_wide;
    for (int run = 0; run < 3; run++) {
        int own = run < 2;
        ctx->gemm_wide = run == 1 ? !device_wide : device_wide;
        printf("%s\n", own ? (ctx->gemm_wide ? "clrnn's kernels, 8-row tiles"
                                             : "clrnn's kernels, 4-row tiles")
                           : "CLBlast");
        for (size_t i = 0; i < (own ? n_sizes : n_sizes - 1); i++)
            for (int form = 0; form < 3; form++)
                check_gemm(own, form == 1, form == 2, sizes[i][0], sizes[i][1], sizes[i][2],
                           (int)(i % 2) * 3);
        check_gemm_bias(own, 13, 37, 11);
        check_gemm_bias(own, 64, 128, 50);
        if (own) check_gemm_bias(own, 5, 2100, 1030); /* packed, then the bias (clrnn's) */
        check_colsum(own, 1, 5);
        check_colsum(own, 2500, 37);
        check_colsum(own, 777, 128);
    }
    ctx->gemm_wide = device_wide;
    check_clblast_temporaries();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
