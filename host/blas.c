/*
 * blas.c - matrix products: clrnn's own kernels where they fit (gemm.c), else CLBlast, with
 * its status codes turned into messages; a product plus a bias row.
 */
#include <stdio.h>

#include <clblast_c.h>

#include "runtime.h"

clrnn_status clrnn_gemm(clrnn_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                        float alpha, cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off,
                        size_t ldb, float beta, cl_mem c, size_t c_off, size_t ldc) {
    if (m == 0 || n == 0) return CLRNN_OK;
    if (k == 0) {
        /* C = beta C; CLBlast rejects k = 0, and beta is always 0 here */
        return clrnn_buf_fill_zero(ctx, c, c_off * sizeof(float), m * ldc * sizeof(float));
    }
    if (ctx->cpu_forms && alpha == 1.0f && beta == 0.0f &&
        clrnn_gemm_own_fits(trans_a, trans_b, m, n, k, lda, ldb, ldc))
        return clrnn_gemm_own(ctx, trans_a, trans_b, m, n, k, a, a_off, lda, b, b_off, ldb, c,
                              c_off, ldc);
    CLBlastTranspose ta = trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose tb = trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    /* CLBlast copies an operand that is not at offset 0 with a padded leading dimension
     * into a temporary buffer, which it would allocate on every call (each step of the
     * per-step path): it gets the context's GEMM scratch instead, kept between calls. */
    size_t temp = 0;
    CLBlastStatusCode st = CLBlastSGemmTempBufferSize(CLBlastLayoutRowMajor, ta, tb, m, n, k,
                                                      a_off, lda, b_off, ldb, c_off, ldc,
                                                      &ctx->queue, &temp);
    if (st == CLBlastSuccess && temp > 0) {
        clrnn_status s = clrnn_gemm_scratch(ctx, temp);
        if (s) return s;
        st = CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a, a_off,
                                        lda, b, b_off, ldb, beta, c, c_off, ldc, &ctx->queue,
                                        clrnn_profile_event(ctx), ctx->gemm_scratch);
    } else if (st == CLBlastSuccess) {
        st = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a, a_off, lda, b, b_off,
                          ldb, beta, c, c_off, ldc, &ctx->queue, clrnn_profile_event(ctx));
    }
    if (st == CLBlastSuccess && ctx->profile) {
        char name[96];
        snprintf(name, sizeof name, "sgemm %s%s m=%zu n=%zu k=%zu", trans_a ? "T" : "N",
                 trans_b ? "T" : "N", m, n, k);
        clrnn_profile_record(ctx, name);
    }
    if (st != CLBlastSuccess)
        return clrnn_fail(st == CLBlastOpenCLOutOfResources || st == CLBlastTempBufferAllocFailure
                              ? CLRNN_E_NOMEM
                              : CLRNN_E_OPENCL,
                          "CLBlast SGEMM (%zu x %zu x %zu) failed with status %d%s", m, n, k,
                          (int)st,
                          st == CLBlastOpenCLBuildProgramFailure ? " (its kernels did not build)" : "");
    return CLRNN_OK;
}

clrnn_status clrnn_gemm_bias(clrnn_ctx *ctx, size_t m, size_t n, size_t k, cl_mem a,
                             size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb,
                             cl_mem c, size_t c_off, size_t ldc, cl_mem bias, size_t bias_off) {
    if (!bias)
        return clrnn_gemm(ctx, 0, 0, m, n, k, 1.0f, a, a_off, lda, b, b_off, ldb, 0.0f, c, c_off,
                          ldc);
    if (clrnn_gemm_own_bias_fits(ctx, m, n, k, lda, ldb, c_off, ldc))
        return clrnn_gemm_own_bias(ctx, m, n, k, a, a_off, lda, b, b_off, ldb, c, c_off, ldc,
                                   bias, bias_off);
    clrnn_status s = clrnn_gemm(ctx, 0, 0, m, n, k, 1.0f, a, a_off, lda, b, b_off, ldb, 0.0f, c,
                                c_off, ldc);
    return s ? s : clrnn_add_bias(ctx, c, m, n, bias, bias_off);
}

void clrnn_blas_forget(void) { CLBlastClearCache(); }
