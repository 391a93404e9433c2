/*
 * buffer.c - device buffers (create, release, transfers, fills, copies) and the device
 * memory they hold, and waiting for the device, with a lost device remembered.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime.h"

/* ---- waiting, and a lost device ---- */

/* Test hook: CLRNN_TEST_DEVICE_LOST=N[:CODE] makes the N-th wait of this context
 * (clrnn_ctx_finish) fail with the OpenCL error CODE, as a device that is lost mid-run does,
 * and every wait, read and write after it too. tests/test_device_faults.sh uses it; nothing
 * else sets it. */
static cl_int injected_loss(const clrnn_ctx *ctx) {
    long at = ctx->opts.device_lost_at;
    return at > 0 && ctx->waits >= at ? (cl_int)ctx->opts.device_lost_code : CL_SUCCESS;
}

clrnn_status clrnn_ctx_finish(clrnn_ctx *ctx) {
    ctx->waits++;
    cl_int err = injected_loss(ctx);
    if (!err && ctx->lost) err = CL_DEVICE_NOT_AVAILABLE;
    if (!err) err = clFinish(ctx->queue);
    if (err) {
        ctx->lost = 1;
        return clrnn_fail_cl(err, "clFinish", __FILE__, __LINE__);
    }
    return CLRNN_OK;
}

/* ---- device memory held ----
 * Each buffer adds its size to the context's tally when it is created and takes it back in
 * its destructor callback, which the driver may run on a thread of its own and after the
 * context is freed: so the tally is shared, one reference per buffer and one for the
 * context, and freed by the last. */
struct clrnn_tally {
    _Atomic size_t bytes;
    _Atomic size_t peak; /* the most bytes held at once */
    _Atomic long refs;
};

static void tally_drop(struct clrnn_tally *t) {
    if (t && atomic_fetch_sub(&t->refs, 1) == 1) clrnn_free(t);
}

void clrnn_ctx_tally_release(clrnn_ctx *ctx) {
    tally_drop(ctx->tally);
    ctx->tally = NULL;
}

static void CL_CALLBACK tally_on_release(cl_mem m, void *user) {
    struct clrnn_tally *t = user;
    size_t bytes = 0;
    if (clGetMemObjectInfo(m, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) == CL_SUCCESS)
        atomic_fetch_sub(&t->bytes, bytes);
    tally_drop(t);
}

/* Counts m in the tally; a driver without destructor callbacks just goes uncounted. */
static void tally_add(clrnn_ctx *ctx, cl_mem m, size_t bytes) {
    if (!ctx->tally && (ctx->tally = clrnn_calloc(1, sizeof *ctx->tally)))
        atomic_store(&ctx->tally->refs, 1);
    if (!ctx->tally) return;
    atomic_fetch_add(&ctx->tally->refs, 1);
    size_t now = atomic_fetch_add(&ctx->tally->bytes, bytes) + bytes;
    size_t peak = atomic_load(&ctx->tally->peak);
    while (now > peak && !atomic_compare_exchange_weak(&ctx->tally->peak, &peak, now)) {
    }
    if (clSetMemObjectDestructorCallback(m, tally_on_release, ctx->tally) != CL_SUCCESS) {
        atomic_fetch_sub(&ctx->tally->bytes, bytes);
        tally_drop(ctx->tally);
    }
}

size_t clrnn_ctx_bytes_held(const clrnn_ctx *ctx) {
    return ctx->tally ? atomic_load(&ctx->tally->bytes) : 0;
}

size_t clrnn_ctx_device_bytes_peak(const clrnn_ctx *ctx) {
    return ctx->tally ? atomic_load(&ctx->tally->peak) : 0;
}

clrnn_status clrnn_ctx_measure_begin(clrnn_ctx *ctx) {
    if (!ctx->placeholder) {
        cl_int err;
        ctx->placeholder = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, 4, NULL, &err);
        if (!ctx->placeholder) return clrnn_fail_cl(err, "clCreateBuffer", __FILE__, __LINE__);
    }
    ctx->measuring = 1;
    ctx->measured = ctx->measured_largest = 0;
    return CLRNN_OK;
}

void clrnn_ctx_measure_end(clrnn_ctx *ctx, size_t *total, size_t *largest) {
    ctx->measuring = 0;
    *total = ctx->measured;
    *largest = ctx->measured_largest;
}

static double gib(double bytes) { return bytes / (double)(1 << 30); }

clrnn_status clrnn_ctx_check_batch(const clrnn_ctx *ctx, int B, size_t total, size_t largest) {
    double global = (double)ctx->info.global_mem_bytes, max = (double)ctx->info.max_alloc_bytes;
    double held = (double)clrnn_ctx_bytes_held(ctx), room = global - held;
    int fits_total = !global || (double)total <= room, fits_one = !max || (double)largest <= max;
    if (fits_total && fits_one) return CLRNN_OK;
    /* what a batch needs grows with its rows: the largest batch that fits, a power of two */
    double scale = 1;
    if (global) scale = room > 0 ? room / (double)total : 0;
    if (max && max / (double)largest < scale) scale = max / (double)largest;
    double most = (double)B * scale;
    long hint = 1;
    while ((double)hint * 2 <= most) hint *= 2;
    char tail[160];
    if (most >= 1)
        snprintf(tail, sizeof tail, "try --batch-size %ld", hint);
    else
        snprintf(tail, sizeof tail, "the model does not fit even one sample at a time (fewer "
                 "units or timesteps would)");
    return clrnn_fail(CLRNN_E_INVALID_ARG, "a batch of %d needs %zu bytes (%.2f GiB) of device memory, "
                      "its largest buffer %zu bytes (%.2f GiB); %s has %llu bytes (%.2f GiB), "
                      "%.0f of them held already, and buffers of at most %llu bytes "
                      "(%.2f GiB): %s",
                      B, total, gib((double)total), largest, gib((double)largest), ctx->info.name,
                      (unsigned long long)ctx->info.global_mem_bytes, gib(global), held,
                      (unsigned long long)ctx->info.max_alloc_bytes, gib(max), tail);
}

/* ---- buffers ---- */

clrnn_status clrnn_buf_create(clrnn_ctx *ctx, size_t bytes, cl_mem *out) {
    if (bytes == 0) bytes = 4;
    if (ctx->measuring) {
        ctx->measured = bytes > SIZE_MAX - ctx->measured ? SIZE_MAX : ctx->measured + bytes;
        if (bytes > ctx->measured_largest) ctx->measured_largest = bytes;
        CL_TRY(clRetainMemObject(ctx->placeholder));
        *out = ctx->placeholder;
        return CLRNN_OK;
    }
    size_t held = clrnn_ctx_bytes_held(ctx);
    uint64_t global = ctx->info.global_mem_bytes, max = ctx->info.max_alloc_bytes;
    if ((max && bytes > max) || (global && (held > global || bytes > global - held)))
        return clrnn_fail(CLRNN_E_NOMEM,
                          "a device buffer of %zu bytes (%.2f GiB) does not fit %s: it has %llu "
                          "bytes (%.2f GiB), %zu of them held already, and buffers of at most "
                          "%llu bytes; try a smaller --batch-size or a smaller model",
                          bytes, gib((double)bytes), ctx->info.name, (unsigned long long)global,
                          gib((double)global), held, (unsigned long long)max);
    if (ctx->lost) return clrnn_fail_cl(CL_DEVICE_NOT_AVAILABLE, "clCreateBuffer", __FILE__, __LINE__);
    cl_int err;
    cl_mem m = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (!m) return clrnn_fail_cl(err, "clCreateBuffer", __FILE__, __LINE__);
    tally_add(ctx, m, bytes);
    *out = m;
    return CLRNN_OK;
}

void clrnn_buf_release(cl_mem *m) {
    if (m && *m) {
        clReleaseMemObject(*m);
        *m = NULL;
    }
}

/* A blocking transfer; its failure marks the device lost, as a failed wait does. */
static clrnn_status transfer(clrnn_ctx *ctx, int read, cl_mem m, size_t offset, size_t bytes,
                             void *host) {
    if (!bytes) return CLRNN_OK;
    cl_int err = ctx->lost ? CL_DEVICE_NOT_AVAILABLE
                 : read    ? clEnqueueReadBuffer(ctx->queue, m, CL_TRUE, offset, bytes, host, 0,
                                                 NULL, NULL)
                           : clEnqueueWriteBuffer(ctx->queue, m, CL_TRUE, offset, bytes, host, 0,
                                                  NULL, NULL);
    if (!err) return CLRNN_OK;
    ctx->lost = 1;
    return clrnn_fail_cl(err, read ? "clEnqueueReadBuffer" : "clEnqueueWriteBuffer", __FILE__,
                         __LINE__);
}

clrnn_status clrnn_buf_write(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes,
                             const void *src) {
    return transfer(ctx, 0, m, offset, bytes, (void *)src);
}

clrnn_status clrnn_buf_read(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes, void *dst) {
    return transfer(ctx, 1, m, offset, bytes, dst);
}

clrnn_status clrnn_buf_fill_zero(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes) {
    if (!bytes) return CLRNN_OK;
    const cl_uint zero = 0;
    CL_TRY(clEnqueueFillBuffer(ctx->queue, m, &zero, sizeof zero, offset, bytes, 0, NULL, NULL));
    return CLRNN_OK;
}

clrnn_status clrnn_buf_copy(clrnn_ctx *ctx, cl_mem src, size_t src_off, cl_mem dst,
                            size_t dst_off, size_t bytes) {
    if (!bytes) return CLRNN_OK;
    CL_TRY(clEnqueueCopyBuffer(ctx->queue, src, dst, src_off, dst_off, bytes, 0, NULL, NULL));
    return CLRNN_OK;
}
